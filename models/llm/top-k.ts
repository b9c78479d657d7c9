/**
 * Partial top-k selection for attention policies (algorithms.md §1): the k highest scores among
 * `count` candidates, ties to the lower index, in O(n log k) with a binary min-heap whose root is
 * the worst kept candidate. Buffers are reused across calls: a policy calls this once per
 * selection layer per generated token, over tens of thousands of positions.
 */

export class TopK {
  private heapScore = new Float64Array(0);
  private heapIndex = new Int32Array(0);

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
    if (this.heapScore.length < size) {
      this.heapScore = new Float64Array(size);
      this.heapIndex = new Int32Array(size);
    }
    const hs = this.heapScore;
    const hi = this.heapIndex;
    // Fill with the first `size` candidates, then heapify.
    for (let i = 0; i < size; i++) {
      hs[i] = scores[i];
      hi[i] = i;
    }
    for (let i = (size >> 1) - 1; i >= 0; i--) siftDown(hs, hi, size, i);
    for (let i = size; i < count; i++) {
      const s = scores[i];
      // Equal scores lose to the kept one: it has the lower index.
      if (s > hs[0]) {
        hs[0] = s;
        hi[0] = i;
        siftDown(hs, hi, size, 0);
      }
    }
    const view = out.subarray(0, size);
    for (let i = 0; i < size; i++) view[i] = hi[i];
    view.sort();
    if (base !== 0) for (let i = 0; i < size; i++) view[i] += base;
    return size;
  }
}

/** True when candidate a ranks below b: lower score, or the same score and a higher index. */
function worse(hs: Float64Array, hi: Int32Array, a: number, b: number): boolean {
  return hs[a] < hs[b] || (hs[a] === hs[b] && hi[a] > hi[b]);
}

function siftDown(hs: Float64Array, hi: Int32Array, size: number, start: number): void {
  let i = start;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) return;
    const r = l + 1;
    const m = r < size && worse(hs, hi, r, l) ? r : l;
    if (!worse(hs, hi, m, i)) return;
    const ts = hs[i];
    const ti = hi[i];
    hs[i] = hs[m];
    hi[i] = hi[m];
    hs[m] = ts;
    hi[m] = ti;
    i = m;
  }
}
