/** How many tokens two sequences share, each token counted as often as both contain it (a multiset intersection). */
export function sharedTokenCount(a: readonly string[], b: readonly string[]): number {
  const available = new Map<string, number>();
  for (const token of b) available.set(token, (available.get(token) ?? 0) + 1);
  let shared = 0;
  for (const token of a) {
    const n = available.get(token) ?? 0;
    if (n > 0) {
      shared++;
      available.set(token, n - 1);
    }
  }
  return shared;
}
