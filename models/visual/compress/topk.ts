/**
 * Top-k selection as every compression stage uses it: k clamped to [0, n], ties broken by the
 * lower index, and the selected indices returned in ascending order so raster order survives.
 * A binary heap of the k best so far (the worst at the root) keeps it O(n log k) without a
 * full sort.
 * (models/retrieval/bm25.ts's topK keeps positive scores only, best first: a different contract.)
 */

/** a is worse than b: lower score, or the same score at a higher index. */
function worse(scores: ArrayLike<number>, a: number, b: number): boolean {
  const sa = scores[a];
  const sb = scores[b];
  // NaN counts as the lowest score, so a NaN never displaces a number.
  if (Number.isNaN(sa)) return !Number.isNaN(sb) || a > b;
  if (Number.isNaN(sb)) return false;
  return sa < sb || (sa === sb && a > b);
}

function siftDown(heap: Int32Array, size: number, scores: ArrayLike<number>, at: number): void {
  for (;;) {
    const left = 2 * at + 1;
    if (left >= size) return;
    const right = left + 1;
    let child = left;
    if (right < size && worse(scores, heap[right], heap[left])) child = right;
    if (!worse(scores, heap[child], heap[at])) return;
    const t = heap[at];
    heap[at] = heap[child];
    heap[child] = t;
    at = child;
  }
}

/** Indices of the k highest scores among `candidates` (default: all), ascending. */
export function topk(scores: ArrayLike<number>, k: number, candidates?: ArrayLike<number>): Int32Array {
  const n = candidates ? candidates.length : scores.length;
  const keep = Math.max(0, Math.min(n, Math.floor(k)));
  const at = (i: number) => (candidates ? candidates[i] : i);
  if (keep === n) {
    const all = Int32Array.from({ length: n }, (_, i) => at(i));
    return all.sort();
  }
  const heap = new Int32Array(keep);
  let size = 0;
  for (let i = 0; i < n && keep > 0; i++) {
    const index = at(i);
    if (size < keep) {
      heap[size] = index;
      // Sift up.
      let c = size++;
      while (c > 0) {
        const parent = (c - 1) >> 1;
        if (!worse(scores, heap[c], heap[parent])) break;
        const t = heap[c];
        heap[c] = heap[parent];
        heap[parent] = t;
        c = parent;
      }
    } else if (worse(scores, heap[0], index)) {
      heap[0] = index;
      siftDown(heap, size, scores, 0);
    }
  }
  return heap.sort();
}

/** `count` indices spread evenly over [0, n): index ⌊(t + ½)·n / count⌋ for t = 0…count−1. */
export function strideIndices(n: number, count: number): Int32Array {
  const k = Math.max(0, Math.min(n, Math.floor(count)));
  const out = new Int32Array(k);
  for (let t = 0; t < k; t++) out[t] = Math.floor(((t + 0.5) * n) / k);
  return out;
}

/** Splits `total` into integer parts proportional to `weights`, each capped at `caps[i]`, summing to min(total, Σcaps). Largest remainder, ties to the lower index. */
export function allocate(weights: ArrayLike<number>, caps: ArrayLike<number>, total: number): Int32Array {
  const n = caps.length;
  const out = new Int32Array(n);
  let capSum = 0;
  for (let i = 0; i < n; i++) capSum += caps[i];
  let left = Math.max(0, Math.min(Math.floor(total), capSum));
  const open = new Uint8Array(n).fill(1);
  // Water-filling: share what is left among the parts not yet at their cap, until it is all placed.
  while (left > 0) {
    let weightSum = 0;
    let openCount = 0;
    for (let i = 0; i < n; i++) {
      if (open[i] && out[i] < caps[i]) {
        weightSum += Math.max(0, weights[i]);
        openCount++;
      } else open[i] = 0;
    }
    if (openCount === 0) break;
    const share = new Float64Array(n);
    let placed = 0;
    for (let i = 0; i < n; i++) {
      if (!open[i]) continue;
      const w = weightSum > 0 ? Math.max(0, weights[i]) / weightSum : 1 / openCount;
      share[i] = Math.min(caps[i] - out[i], left * w);
      const whole = Math.floor(share[i]);
      out[i] += whole;
      share[i] -= whole;
      placed += whole;
    }
    left -= placed;
    if (placed === 0) {
      // Only fractions remain: hand out single tokens by largest remainder.
      const order = Array.from({ length: n }, (_, i) => i).filter((i) => open[i] && out[i] < caps[i]);
      order.sort((a, b) => share[b] - share[a] || a - b);
      for (const i of order) {
        if (left === 0) break;
        out[i]++;
        left--;
      }
    }
  }
  return out;
}
