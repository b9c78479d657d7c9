/** Numeric comparisons shared by the tests that check a kernel or graph against a reference. */
import assert from 'node:assert/strict';

/** The largest |a[i] − b[i]|; the arrays must have the same length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
