/**
 * Okapi BM25 over a fixed set of units (paragraphs), stored as a compressed-sparse-row
 * inverted index of typed arrays so a 1000-page document scores in milliseconds.
 */
import { terms as termsOf } from '../text/tokenize.ts';
import { packArrays, unpackArrays } from '../codec/arrays.ts';
import { vocabularyIndex } from './vocabulary.ts';

export interface Bm25Params {
  k1: number;
  b: number;
}

export const DEFAULT_BM25: Bm25Params = { k1: 1.2, b: 0.75 };

export interface Bm25Index {
  params: Bm25Params;
  unitCount: number;
  /** Sorted vocabulary; `postingsStart[i]..postingsStart[i+1]` are term i's postings. */
  vocabulary: string[];
  postingsStart: Uint32Array;
  postingUnits: Uint32Array;
  postingFreqs: Uint16Array;
  unitLengths: Uint32Array;
  averageLength: number;
}

export function buildBm25(texts: readonly string[], params: Bm25Params = DEFAULT_BM25): Bm25Index {
  const postings = new Map<string, number[]>();
  const unitLengths = new Uint32Array(texts.length);
  let total = 0;
  texts.forEach((text, unit) => {
    const counts = new Map<string, number>();
    const tokens = termsOf(text);
    unitLengths[unit] = tokens.length;
    total += tokens.length;
    for (const term of tokens) counts.set(term, (counts.get(term) ?? 0) + 1);
    for (const [term, count] of counts) {
      const list = postings.get(term);
      if (list) list.push(unit, count);
      else postings.set(term, [unit, count]);
    }
  });
  const vocabulary = [...postings.keys()].sort();
  const postingsStart = new Uint32Array(vocabulary.length + 1);
  let size = 0;
  vocabulary.forEach((term, i) => {
    postingsStart[i] = size;
    size += (postings.get(term)?.length ?? 0) / 2;
  });
  postingsStart[vocabulary.length] = size;
  const postingUnits = new Uint32Array(size);
  const postingFreqs = new Uint16Array(size);
  vocabulary.forEach((term, i) => {
    const list = postings.get(term) ?? [];
    let at = postingsStart[i];
    for (let j = 0; j < list.length; j += 2) {
      postingUnits[at] = list[j];
      postingFreqs[at] = Math.min(list[j + 1], 0xffff);
      at++;
    }
  });
  return {
    params,
    unitCount: texts.length,
    vocabulary,
    postingsStart,
    postingUnits,
    postingFreqs,
    unitLengths,
    averageLength: texts.length ? total / texts.length : 0,
  };
}

/** The term's id in the index's vocabulary; -1 when absent. */
export function termId(index: Bm25Index, term: string): number {
  return vocabularyIndex(index.vocabulary, term);
}

export function documentFrequency(index: Bm25Index, term: string): number {
  const id = termId(index, term);
  return id < 0 ? 0 : index.postingsStart[id + 1] - index.postingsStart[id];
}

/** BM25's IDF, floored at zero-ish so very common terms never subtract. */
export function idf(index: Bm25Index, term: string): number {
  const df = documentFrequency(index, term);
  return Math.log(1 + (index.unitCount - df + 0.5) / (df + 0.5));
}

/** Scores every unit for the (already tokenized) query terms. */
export function scoreBm25(index: Bm25Index, queryTerms: readonly string[]): Float32Array {
  const scores = new Float32Array(index.unitCount);
  const { k1, b } = index.params;
  const avg = index.averageLength || 1;
  for (const term of queryTerms) {
    const id = termId(index, term);
    if (id < 0) continue;
    const weight = idf(index, term);
    for (let p = index.postingsStart[id]; p < index.postingsStart[id + 1]; p++) {
      const unit = index.postingUnits[p];
      const tf = index.postingFreqs[p];
      const norm = k1 * (1 - b + (b * index.unitLengths[unit]) / avg);
      scores[unit] += (weight * tf * (k1 + 1)) / (tf + norm);
    }
  }
  return scores;
}

/**
 * Indices of the k highest scores with score > 0, best first; ties go to the lower index so
 * results are deterministic. A bounded insertion list: k is small (tens).
 */
export function topK(scores: Float32Array, k: number): number[] {
  const best: number[] = [];
  if (k <= 0) return best;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (!(s > 0)) continue;
    if (best.length === k && s <= scores[best[k - 1]]) continue;
    let at = best.length < k ? best.length : k - 1;
    if (best.length < k) best.push(i);
    while (at > 0 && scores[best[at - 1]] < s) {
      best[at] = best[at - 1];
      at--;
    }
    best[at] = i;
  }
  return best;
}

export function serializeBm25(index: Bm25Index): Buffer {
  const { postingsStart, postingUnits, postingFreqs, unitLengths, ...header } = index;
  return packArrays('folio-bm25/1', header, { postingsStart, postingUnits, postingFreqs, unitLengths });
}

export function deserializeBm25(buffer: Buffer): Bm25Index {
  const { header, arrays } = unpackArrays<Omit<Bm25Index, 'postingsStart' | 'postingUnits' | 'postingFreqs' | 'unitLengths'>>('folio-bm25/1', buffer);
  return {
    ...header,
    postingsStart: arrays.postingsStart as Uint32Array,
    postingUnits: arrays.postingUnits as Uint32Array,
    postingFreqs: arrays.postingFreqs as Uint16Array,
    unitLengths: arrays.unitLengths as Uint32Array,
  };
}
