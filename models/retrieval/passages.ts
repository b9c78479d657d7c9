/**
 * Passages: the windows of sentences a long unit is scored by. A unit is ranked by its best
 * passage (the maximum over its windows), not by its whole text, so the one sentence of a long
 * paragraph that answers a question ("As of December 31, 2022, we had 743 employees") is not
 * buried by the length normalisation that the rest of the paragraph's words bring on it. A unit
 * short enough is one passage, its whole text; a longer one gives a window starting at each of
 * its sentences, as many following sentences as fit in `maxWords` (a sentence longer than that
 * is a window alone). Windows overlap, so every pair of neighbouring sentences is seen together.
 */
import { sentences } from '../text/sentences.ts';
import { words } from '../text/tokenize.ts';
import type { SparseUnit } from './sparse.ts';

export interface PassageOptions {
  /** Units of at most this many words are one passage; windows of longer ones hold up to this many. */
  maxWords: number;
}

export const DEFAULT_PASSAGES: PassageOptions = { maxWords: 60 };

export interface Passages {
  passages: SparseUnit[];
  /** For each passage, the index of the unit it comes from. */
  unitOf: Int32Array;
}

/** The passages of `units`, in unit order (each unit's windows in reading order). */
export function unitPassages(units: readonly SparseUnit[], options: PassageOptions = DEFAULT_PASSAGES): Passages {
  const passages: SparseUnit[] = [];
  const owners: number[] = [];
  units.forEach((unit, u) => {
    const add = (text: string) => {
      passages.push({ page: unit.page, text, ...(unit.section ? { section: unit.section } : {}) });
      owners.push(u);
    };
    if (words(unit.text).length <= options.maxWords) {
      add(unit.text);
      return;
    }
    const parts = sentences(unit.text);
    const counts = parts.map((part) => words(part).length);
    for (let start = 0; start < parts.length; start++) {
      let end = start + 1;
      let total = counts[start];
      while (end < parts.length && total + counts[end] <= options.maxWords) total += counts[end++];
      add(parts.slice(start, end).join(' '));
      // The last window reaches the unit's end: later starts would only repeat part of it.
      if (end === parts.length) break;
    }
  });
  return { passages, unitOf: Int32Array.from(owners) };
}

/** Each unit's best passage score (0 for a unit without passages). */
export function bestPassageScores(passageScores: ArrayLike<number>, unitOf: Int32Array, unitCount: number): Float32Array {
  const best = new Float32Array(unitCount);
  for (let p = 0; p < unitOf.length; p++) {
    const u = unitOf[p];
    if (passageScores[p] > best[u]) best[u] = passageScores[p];
  }
  return best;
}
