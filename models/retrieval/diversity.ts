/**
 * Maximal marginal relevance (Carbonell & Goldstein, 1998) over a ranked candidate list:
 * each next pick maximises (1 − δ) · relevance − δ · (its largest similarity to the picks so
 * far), so a unit that repeats what is already chosen gives way to the next distinct one.
 * Relevance is min–max normalised over the candidates, which makes δ mean the same for any
 * score scale (fused reciprocal ranks are all close to 1/60).
 *
 * Similarities: word overlap (Jaccard over stemmed content words) needs nothing but the text;
 * cosine over the index's unit embeddings when the document has them.
 */
import { STOPWORDS, stem, words } from '../text/tokenize.ts';
import type { DenseIndex } from './dense.ts';

/** Similarity of two units by their indices, in [0, 1]. */
export type UnitSimilarity = (a: number, b: number) => number;

/** Candidates (best first by `relevance`) in MMR order; δ = 0 leaves the order as it is. */
export function mmrOrder(candidates: readonly number[], relevance: Float32Array, similarity: UnitSimilarity, diversity: number): number[] {
  if (!(diversity >= 0 && diversity <= 1)) throw new Error(`diversity must be within [0, 1], got ${diversity}`);
  if (diversity === 0 || candidates.length < 3) return [...candidates];
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const c of candidates) {
    lo = Math.min(lo, relevance[c]);
    hi = Math.max(hi, relevance[c]);
  }
  const norm = (c: number) => (hi > lo ? (relevance[c] - lo) / (hi - lo) : 1);
  const remaining = [...candidates];
  // Largest similarity of each remaining candidate to the picks so far.
  const redundancy = new Float64Array(remaining.length);
  const order: number[] = [];
  while (remaining.length > 0) {
    let best = 0;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < remaining.length; i++) {
      const value = (1 - diversity) * norm(remaining[i]) - diversity * redundancy[i];
      // Strictly greater: ties keep the relevance order.
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    }
    const picked = remaining[best];
    order.push(picked);
    remaining.splice(best, 1);
    redundancy.copyWithin(best, best + 1);
    for (let i = 0; i < remaining.length; i++) redundancy[i] = Math.max(redundancy[i], similarity(picked, remaining[i]));
  }
  return order;
}

/** Jaccard overlap of the units' stemmed content words (stopwords left out). */
export function termOverlapSimilarity(units: readonly { text: string }[]): UnitSimilarity {
  const cache = new Map<number, Set<string>>();
  const termsOf = (i: number) => {
    let set = cache.get(i);
    if (!set) {
      set = new Set(words(units[i].text).filter((w) => !STOPWORDS.has(w)).map(stem));
      cache.set(i, set);
    }
    return set;
  };
  return (a, b) => {
    const x = termsOf(a);
    const y = termsOf(b);
    if (x.size === 0 || y.size === 0) return 0;
    let shared = 0;
    for (const t of x) if (y.has(t)) shared++;
    return shared / (x.size + y.size - shared);
  };
}

/** Cosine of two units' embeddings (rows are unit length), negative similarity read as none. */
export function denseSimilarity(index: DenseIndex): UnitSimilarity {
  const d = index.dimension;
  return (a, b) => {
    let dot = 0;
    for (let j = 0; j < d; j++) dot += index.vectors[a * d + j] * index.vectors[b * d + j];
    return Math.max(0, dot);
  };
}
