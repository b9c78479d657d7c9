/**
 * Sentence-transformers pooling over a padded batch of token vectors. Padding rows are skipped
 * through the attention mask, so a text's vector does not depend on what it was batched with.
 * Modes are concatenated in the order sentence-transformers' Pooling module uses (cls, max,
 * mean, mean_sqrt_len, weightedmean, lasttoken), so multi-mode exports keep their layout.
 */
export type PoolingMode = 'cls' | 'max' | 'mean' | 'mean_sqrt_len' | 'weightedmean' | 'lasttoken';

export const POOLING_ORDER: readonly PoolingMode[] = ['cls', 'max', 'mean', 'mean_sqrt_len', 'weightedmean', 'lasttoken'];

export interface TokenBatch {
  /** batch × seq × width token vectors, row-major. */
  hidden: Float32Array;
  /** batch × seq, 1 for real tokens and 0 for padding. */
  mask: Uint8Array;
  batch: number;
  seq: number;
  width: number;
}

/** Pools each row of the batch with every mode in `modes` (in POOLING_ORDER): batch × (width · modes). */
export function poolTokens(tokens: TokenBatch, modes: readonly PoolingMode[]): Float32Array {
  const { hidden, mask, batch, seq, width } = tokens;
  if (hidden.length !== batch * seq * width) throw new Error(`pooling: ${hidden.length} values is not ${batch}×${seq}×${width}`);
  const ordered = POOLING_ORDER.filter((m) => modes.includes(m));
  if (ordered.length === 0) throw new Error('pooling: no pooling mode');
  const outWidth = width * ordered.length;
  const out = new Float32Array(batch * outWidth);
  // float64 accumulators: sums over hundreds of tokens lose digits in float32.
  const sum = new Float64Array(width);
  const weighted = new Float64Array(width);
  const max = new Float64Array(width);
  for (let b = 0; b < batch; b++) {
    sum.fill(0);
    weighted.fill(0);
    // sentence-transformers fills masked positions with -1e9 before taking the max, so an
    // all-padding row yields -1e9 there too; kept for parity.
    max.fill(-1e9);
    let count = 0;
    let weightTotal = 0;
    let last = -1;
    for (let t = 0; t < seq; t++) {
      if (mask[b * seq + t] === 0) continue;
      const base = (b * seq + t) * width;
      const w = t + 1; // weightedmean weighs positions 1..seq
      for (let j = 0; j < width; j++) {
        const v = hidden[base + j];
        sum[j] += v;
        weighted[j] += w * v;
        if (v > max[j]) max[j] = v;
      }
      count++;
      weightTotal += w;
      last = t;
    }
    // The 1e-9 clamps mirror sentence-transformers and keep all-padding rows finite (zero).
    const n = Math.max(count, 1e-9);
    let offset = b * outWidth;
    for (const mode of ordered) {
      for (let j = 0; j < width; j++) {
        let v: number;
        switch (mode) {
          case 'cls':
            v = hidden[b * seq * width + j];
            break;
          case 'max':
            v = max[j];
            break;
          case 'mean':
            v = sum[j] / n;
            break;
          case 'mean_sqrt_len':
            v = sum[j] / Math.sqrt(n);
            break;
          case 'weightedmean':
            v = weighted[j] / Math.max(weightTotal, 1e-9);
            break;
          case 'lasttoken':
            v = last < 0 ? 0 : hidden[(b * seq + last) * width + j];
            break;
        }
        out[offset + j] = v;
      }
      offset += width;
    }
  }
  return out;
}

/** L2-normalises each row in place, like torch.nn.functional.normalize (norm clamped at 1e-12). */
export function l2NormalizeRows(values: Float32Array, width: number): Float32Array {
  for (let start = 0; start < values.length; start += width) {
    let squares = 0;
    for (let j = 0; j < width; j++) squares += values[start + j] * values[start + j];
    const scale = 1 / Math.max(Math.sqrt(squares), 1e-12);
    for (let j = 0; j < width; j++) values[start + j] *= scale;
  }
  return values;
}
