/**
 * How much of a page's text an OCR result recovers, measured against reference text (the page's
 * text layer): the share of reference words that also occur among the OCR words, counting
 * repeats (multiset intersection). Case and punctuation are ignored; NFKC folds ligatures.
 *
 * `strict` compares whitespace-separated words as they are. PP-OCR's recogniser often drops the
 * space between words ("allpossibletype"); `spaceInsensitive` additionally credits an OCR word
 * that splits exactly into reference words, so it measures reading the letters right without
 * judging word spacing. Both are reported; neither is tuned to flatter one engine.
 */

import { sharedTokenCount } from '../text/overlap.ts';

const WORD = /[\p{L}\p{N}]+/gu;

export function ocrWords(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(WORD) ?? [];
}

export interface WordRecall {
  strict: number;
  spaceInsensitive: number;
  referenceWords: number;
}

function recallOf(reference: readonly string[], hypothesis: readonly string[]): number {
  if (reference.length === 0) return 1;
  return sharedTokenCount(reference, hypothesis) / reference.length;
}

/**
 * Splits `token` into the fewest words of `vocabulary` that spell it exactly, or returns null.
 * Dynamic programming over prefixes; words longer than `maxLength` are never tried.
 */
export function splitIntoWords(token: string, vocabulary: ReadonlySet<string>, maxLength: number): string[] | null {
  const n = token.length;
  const pieces = new Int32Array(n + 1).fill(-1);
  const from = new Int32Array(n + 1);
  pieces[0] = 0;
  for (let end = 1; end <= n; end++) {
    for (let start = Math.max(0, end - maxLength); start < end; start++) {
      if (pieces[start] < 0 || !vocabulary.has(token.slice(start, end))) continue;
      if (pieces[end] < 0 || pieces[start] + 1 < pieces[end]) {
        pieces[end] = pieces[start] + 1;
        from[end] = start;
      }
    }
  }
  if (pieces[n] < 0) return null;
  const out: string[] = [];
  for (let end = n; end > 0; end = from[end]) out.push(token.slice(from[end], end));
  return out.reverse();
}

export function wordRecall(referenceText: string, ocrText: string): WordRecall {
  const reference = ocrWords(referenceText);
  const hypothesis = ocrWords(ocrText);
  const vocabulary = new Set(reference);
  const maxLength = reference.reduce((m, w) => Math.max(m, w.length), 0);
  const split = hypothesis.flatMap((w) => (vocabulary.has(w) ? [w] : (splitIntoWords(w, vocabulary, maxLength) ?? [w])));
  return {
    strict: recallOf(reference, hypothesis),
    spaceInsensitive: recallOf(reference, split),
    referenceWords: reference.length,
  };
}
