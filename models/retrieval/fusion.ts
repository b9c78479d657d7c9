/**
 * Reciprocal rank fusion: each ranking gives an item 1/(k + rank); items a ranking does not
 * rank get nothing from it. k = 60 as in Cormack et al.
 */

export const RRF_K = 60;

/** Rank of every item by descending score (0 = best); -1 for items with no positive score. Ties go to the lower index. */
export function ranksOf(scores: Float32Array): Int32Array {
  const order: number[] = [];
  for (let i = 0; i < scores.length; i++) if (scores[i] > 0) order.push(i);
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  const ranks = new Int32Array(scores.length).fill(-1);
  order.forEach((item, rank) => {
    ranks[item] = rank;
  });
  return ranks;
}

export function reciprocalRankFusion(rankings: readonly Int32Array[], k = RRF_K, weights?: readonly number[]): Float32Array {
  const n = rankings[0]?.length ?? 0;
  const fused = new Float32Array(n);
  rankings.forEach((ranks, r) => {
    if (ranks.length !== n) throw new Error('rankings must cover the same items');
    const weight = weights?.[r] ?? 1;
    for (let i = 0; i < n; i++) if (ranks[i] >= 0) fused[i] += weight / (k + ranks[i]);
  });
  return fused;
}

/** Ranks of pages lifted to the units on them: every unit shares its page's rank. */
export function liftRanks(pageRanks: Int32Array, pageIndexOfUnit: Int32Array): Int32Array {
  return pageIndexOfUnit.map((p) => (p >= 0 ? pageRanks[p] : -1));
}
