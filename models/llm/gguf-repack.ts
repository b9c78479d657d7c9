/**
 * A quantised GGUF weight's blocks as onnxruntime MatMulNBits blocks (quantize.ts's layout), so
 * a GGUF model runs on the weights its file holds instead of dequantised float32 (four bytes a
 * weight, read in full at every generated token) or a second rounding to int4/int8.
 *
 * MatMulNBits stores, per block of `blockSize` inputs along an output row, one float scale and
 * unsigned codes around the implied zero point 2^(bits−1): w = scale · (code − zero). ggml's
 * symmetric formats are exactly that shape:
 *   Q8_0  32 weights, w = d·q, q ∈ [−128, 127]          → 8-bit codes, block 32, exact
 *   Q5_0  32 weights, w = d·(q − 16), q ∈ [0, 31]       → 8-bit codes, block 32, exact
 *   Q4_0  32 weights, w = d·(q − 8), q ∈ [0, 15]        → 4-bit codes, block 32, exact
 *   Q6_K  16 weights per scale d·s, q ∈ [−32, 31]       → 8-bit codes, block 16, exact
 * ("exact" up to float32 rounding of d·s). Q4_K and Q5_K are affine per 32 weights
 * (w = d·s·q − dmin·m); MatMulNBits' fast kernel takes only integer zero points (a float zero
 * point falls back to a path measured 20–35× slower here), so their dequantised values are
 * re-quantised to 8-bit codes in blocks of 32: the error of a weight is at most 1/254 of its
 * block's largest magnitude, under a tenth of the 4- or 5-bit step the file already rounded to.
 * Unquantised types (F32, F16, BF16) get no blocks and run as float32.
 *
 * The multiplication itself (MatMulNBits with accuracy_level 4) rounds the activations to 8 bits
 * per block, as llama.cpp's CPU kernels do for these types.
 */
import { F16_TABLE, GGML_TYPES } from './gguf.ts';
import { type BlockQuantized, quantizeBlocks } from './quantize.ts';

/**
 * `bytes` (a GGUF tensor of `type`, `n` rows of `k` weights, file order) and `values` (the same
 * tensor dequantised) as MatMulNBits blocks; null for types without blocks (float tensors).
 */
export function repackGgufBlocks(type: number, bytes: Uint8Array, values: Float32Array, n: number, k: number): BlockQuantized | null {
  if (values.length !== n * k) throw new Error(`GGUF weight of ${values.length} values is not ${n}×${k}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const f16 = (at: number) => F16_TABLE[view.getUint16(at, true)];
  switch (type) {
    case GGML_TYPES.Q8_0:
      return fromScales(values, n, k, 8, 32, (b) => f16(b * 34));
    case GGML_TYPES.Q5_0:
      return fromScales(values, n, k, 8, 32, (b) => f16(b * 22));
    case GGML_TYPES.Q4_0:
      return fromScales(values, n, k, 4, 32, (b) => f16(b * 18));
    case GGML_TYPES.Q6_K:
      // A 256-weight super-block: 128 + 64 bytes of codes, 16 int8 scales, then d (f16).
      return fromScales(values, n, k, 8, 16, (b) => {
        const block = Math.floor(b / 16) * 210;
        return f16(block + 208) * view.getInt8(block + 192 + (b % 16));
      });
    case GGML_TYPES.Q4_K:
    case GGML_TYPES.Q5_K:
      return quantizeBlocks(values, n, k, 8, 32);
    default:
      return null;
  }
}

/**
 * Codes of `values` under the file's own scales (`scaleOf(block)` for the tensor's blocks in
 * order, row-major: ggml blocks never straddle rows). Each value is scale·integer, so rounding
 * value/scale recovers the file's integer exactly.
 */
function fromScales(values: Float32Array, n: number, k: number, bits: 4 | 8, blockSize: number, scaleOf: (block: number) => number): BlockQuantized {
  if (k % blockSize !== 0) throw new Error(`GGUF rows of ${k} weights are not whole blocks of ${blockSize}`);
  const blocks = (n * k) / blockSize;
  const zero = 1 << (bits - 1);
  const top = (1 << bits) - 1;
  const scales = new Float32Array(blocks);
  const packed = new Uint8Array((blocks * blockSize * bits) / 8);
  for (let b = 0; b < blocks; b++) {
    const scale = scaleOf(b);
    scales[b] = scale;
    const inv = scale !== 0 ? 1 / scale : 0;
    const from = b * blockSize;
    for (let i = 0; i < blockSize; i++) {
      const code = Math.max(0, Math.min(top, Math.round(values[from + i] * inv) + zero));
      if (bits === 8) packed[from + i] = code;
      else packed[(from + i) >> 1] |= (i & 1) === 0 ? code : code << 4;
    }
  }
  return { bits, blockSize, n, k, packed, scales };
}
