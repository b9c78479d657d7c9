/** Index vocabularies are sorted string arrays: a term's id is its position. */

/** Binary search in a sorted vocabulary; -1 when the term is absent. */
export function vocabularyIndex(vocabulary: readonly string[], term: string): number {
  let lo = 0;
  let hi = vocabulary.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const value = vocabulary[mid];
    if (value === term) return mid;
    if (value < term) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
