/**
 * Partial top-k selection for attention policies: the k highest scores among
 * `count` candidates, ties to the lower index, returned in ascending index order.
 *
 * The k-th highest score (the threshold) is found by quickselect; one pass in index order then
 * keeps every score above it and, of the scores equal to it, the lowest indices until k are kept —
 * so the output is already ascending and ties go to the lower index without a sort.
 *
 * When k is a small share of many scores (TidalDecode: 2047 of 32K, twice per generated token),
 * a strided sample first bounds the threshold from below with a safety margin; one pass collects
 * the scores at or above that bound (in index order), and the quickselect and the final pass run
 * over those few thousand only. If the bound turns out too high (fewer than k collected), the
 * full selection runs instead, so the result never depends on the sample. Quickselect over all
 * 32K scores took a median 0.98–1.01 ms here, most of it branch mispredictions in the partition.
 * A NaN score counts as −∞. Scratch buffers are reused across calls.
 */

/** Below this many scores, or when k is more than this share of them, select over all scores. */
const SAMPLED_MIN_COUNT = 4096;
const SAMPLED_MAX_SHARE = 0.25;
/** Sample size for the lower bound on the threshold. */
const SAMPLE = 1024;

export class TopK {
  private scratch = new Float64Array(0);
  private sample = new Float64Array(SAMPLE);
  private keptValues = new Float64Array(0);
  private keptIndices = new Int32Array(0);

  /**
   * Writes the indices (into `scores`, offset by `base`) of the `k` best of `scores[0..count)`
   * into `out[0..k')`, ascending, and returns k' = min(k, count).
   */
  select(scores: Float32Array | Float64Array, count: number, k: number, out: Int32Array, base = 0): number {
    const size = Math.max(0, Math.min(k, count));
    if (size === 0) return 0;
    if (size === count) {
      for (let i = 0; i < count; i++) out[i] = base + i;
      return count;
    }
    const kept = count >= SAMPLED_MIN_COUNT && size <= count * SAMPLED_MAX_SHARE ? this.keepAboveSampledBound(scores, count, size) : -1;
    if (kept < 0) return this.selectFrom(scores, null, count, size, out, base);
    return this.selectFrom(this.keptValues, this.keptIndices, kept, size, out, base);
  }

  /**
   * Copies the scores at or above a lower bound on the size-th highest into keptValues /
   * keptIndices (index order) and returns how many; −1 when the bound kept fewer than `size`.
   */
  private keepAboveSampledBound(scores: Float32Array | Float64Array, count: number, size: number): number {
    const sample = this.sample;
    const stride = count / SAMPLE;
    for (let i = 0; i < SAMPLE; i++) sample[i] = rank(scores[Math.floor(i * stride)]);
    // Aim above the expected share by three binomial standard deviations of the sample.
    const share = size / count;
    const margin = share + 3 * Math.sqrt((share * (1 - share)) / SAMPLE) + 2 / SAMPLE;
    const bound = nthSmallest(sample, SAMPLE, Math.max(0, Math.floor(SAMPLE * (1 - margin)) - 1));
    if (this.keptValues.length < count) {
      this.keptValues = new Float64Array(count);
      this.keptIndices = new Int32Array(count);
    }
    const values = this.keptValues;
    const indices = this.keptIndices;
    let n = 0;
    for (let i = 0; i < count; i++) {
      const s = rank(scores[i]);
      if (s >= bound) {
        values[n] = s;
        indices[n++] = i;
      }
    }
    return n >= size ? n : -1;
  }

  /**
   * The `size` best of `values[0..count)` (ranked already when `indices` is given), ascending by
   * index; `indices` maps a slot to its score index (null: the slot is the index).
   */
  private selectFrom(values: Float32Array | Float64Array, indices: Int32Array | null, count: number, size: number, out: Int32Array, base: number): number {
    if (this.scratch.length < count) this.scratch = new Float64Array(Math.ceil(count * 1.25));
    const copy = this.scratch;
    for (let i = 0; i < count; i++) copy[i] = rank(values[i]);
    // The size-th highest = the (count − size)-th lowest (0-based) of the copied values.
    const threshold = nthSmallest(copy, count, count - size);
    let above = 0;
    for (let i = 0; i < count; i++) if (rank(values[i]) > threshold) above++;
    let ties = size - above;
    let n = 0;
    for (let i = 0; i < count && n < size; i++) {
      const s = rank(values[i]);
      if (s > threshold || (s === threshold && ties-- > 0)) out[n++] = base + (indices === null ? i : indices[i]);
    }
    return n;
  }
}

/** A score as ranked: NaN counts as −∞. */
function rank(score: number): number {
  return Number.isNaN(score) ? Number.NEGATIVE_INFINITY : score;
}

/** The value that would sit at index `nth` if `a[0..count)` were sorted ascending (reorders `a`). */
function nthSmallest(a: Float64Array, count: number, nth: number): number {
  let lo = 0;
  let hi = count - 1;
  while (hi > lo) {
    // Median of three as the pivot, then Hoare partition.
    const mid = (lo + hi) >>> 1;
    const x = a[lo];
    const y = a[mid];
    const z = a[hi];
    const pivot = x < y ? (y < z ? y : Math.max(x, z)) : x < z ? x : Math.max(y, z);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (nth <= j) hi = j;
    else if (nth >= i) lo = i;
    else return a[nth];
  }
  return a[lo];
}
