/**
 * Block quantisation of Linear weights for onnxruntime's MatMulNBits (com.microsoft), the
 * operator ORT's own int4 CPU models use: along each output row of an HF [out, in] weight, every
 * `blockSize` inputs share one float scale and are stored as `bits`-bit codes around the implied
 * zero point 2^(bits−1) (symmetric: the block's largest magnitude maps to the largest code).
 *
 * Why: a decode step reads every weight once for a single token, so on a CPU its cost is memory
 * traffic. fp32 → 8 bits reads a quarter of the bytes, 4 bits an eighth (plus one scale per
 * block). Prefill and the attention policies are unchanged; only the Linear layers' weights are.
 *
 * Layout (the operator's): `packed` is [N, kBlocks, blockSize·bits/8] with codes low-first along
 * K (two 4-bit codes per byte, low nibble first), `scales` [N, kBlocks]. A last partial block is
 * padded with the zero point.
 */

/** 'gguf': a GGUF file's own quantised blocks, repacked (gguf-repack.ts); float tensors stay fp32. */
export type WeightFormat = 'fp32' | 'int8' | 'int4' | 'gguf';

export const WEIGHT_FORMATS: readonly WeightFormat[] = ['fp32', 'int8', 'int4', 'gguf'];

export interface BlockQuantized {
  bits: 4 | 8;
  blockSize: number;
  /** Output features (rows of the HF weight). */
  n: number;
  /** Input features (columns). */
  k: number;
  packed: Uint8Array;
  scales: Float32Array;
}

export function bitsOf(format: WeightFormat): 4 | 8 | null {
  return format === 'int4' ? 4 : format === 'int8' ? 8 : null;
}

/** Quantises an HF Linear weight `w` ([n, k], row-major). */
export function quantizeBlocks(w: Float32Array, n: number, k: number, bits: 4 | 8, blockSize = 32): BlockQuantized {
  if (w.length !== n * k) throw new Error(`Weight of ${w.length} values is not ${n}×${k}`);
  if (blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) throw new Error(`Block size ${blockSize} must be a power of two ≥ 16`);
  const kBlocks = Math.ceil(k / blockSize);
  const blob = (blockSize * bits) / 8;
  const zero = 1 << (bits - 1);
  const top = zero - 1; // largest positive code offset: 7 or 127
  const packed = new Uint8Array(n * kBlocks * blob);
  const scales = new Float32Array(n * kBlocks);
  for (let row = 0; row < n; row++) {
    for (let block = 0; block < kBlocks; block++) {
      const from = row * k + block * blockSize;
      const count = Math.min(blockSize, k - block * blockSize);
      let max = 0;
      for (let i = 0; i < count; i++) max = Math.max(max, Math.abs(w[from + i]));
      const scale = max / top;
      const inv = scale > 0 ? 1 / scale : 0;
      scales[row * kBlocks + block] = scale;
      const out = (row * kBlocks + block) * blob;
      for (let i = 0; i < blockSize; i++) {
        const code = i < count ? Math.max(-zero, Math.min(top, Math.round(w[from + i] * inv))) + zero : zero;
        if (bits === 8) packed[out + i] = code;
        else packed[out + (i >> 1)] |= (i & 1) === 0 ? code : code << 4;
      }
    }
  }
  return { bits, blockSize, n, k, packed, scales };
}

/** Weights of one input size, their rows one after another: one product for several outputs. */
export function stackBlocks(parts: BlockQuantized[]): BlockQuantized {
  const [first] = parts;
  if (parts.some((q) => q.bits !== first.bits || q.blockSize !== first.blockSize || q.k !== first.k)) throw new Error('Only blocks of one format and input size stack');
  const packed = new Uint8Array(parts.reduce((a, q) => a + q.packed.length, 0));
  const scales = new Float32Array(parts.reduce((a, q) => a + q.scales.length, 0));
  let at = 0;
  let scaleAt = 0;
  for (const q of parts) {
    packed.set(q.packed, at);
    scales.set(q.scales, scaleAt);
    at += q.packed.length;
    scaleAt += q.scales.length;
  }
  return { bits: first.bits, blockSize: first.blockSize, n: parts.reduce((a, q) => a + q.n, 0), k: first.k, packed, scales };
}

/** The [n, k] weight the codes stand for: what MatMulNBits multiplies by. */
export function dequantizeBlocks(q: BlockQuantized): Float32Array {
  const { bits, blockSize, n, k, packed, scales } = q;
  const kBlocks = Math.ceil(k / blockSize);
  const blob = (blockSize * bits) / 8;
  const zero = 1 << (bits - 1);
  const out = new Float32Array(n * k);
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < k; col++) {
      const block = Math.floor(col / blockSize);
      const i = col % blockSize;
      const at = (row * kBlocks + block) * blob;
      const code = bits === 8 ? packed[at + i] : (packed[at + (i >> 1)] >> ((i & 1) * 4)) & 15;
      out[row * k + col] = (code - zero) * scales[row * kBlocks + block];
    }
  }
  return out;
}
