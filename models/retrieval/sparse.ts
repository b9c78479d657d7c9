/**
 * Inference-free sparse retrieval: every unit gets an expanded, weighted
 * term vector offline; a query is weighted by IDF alone, with no model at query time, and
 * scored as s(q, d) = Σ_{t∈q} idf(t) · w_d(t) from an inverted index.
 *
 * With no MLM expansion model, the document side follows the brief's fallback: BM25-saturated
 * term weights, expanded with the unit's context. A unit's vector adds, at lower weight, the
 * terms of its neighbours on the page (a table cell's row and header, a sentence's paragraph
 * before it) and of its whole page, so a question that names the page's topic and the
 * unit's detail finds the unit even when the detail's paragraph never names the topic.
 * Vectors are pruned to their strongest terms.
 */
import { isPair, termsWithPairs } from '../text/tokenize.ts';
import { packArrays, unpackArrays } from '../codec/arrays.ts';
import { vocabularyIndex } from './vocabulary.ts';

export interface SparseUnit {
  page: number;
  text: string;
  /** Title of the section the unit sits in (its context, weighted like a neighbour). */
  section?: string;
}

export interface ExpansionParams {
  k1: number;
  b: number;
  /** Weight of the neighbours' terms (units i−1 and i+1 in reading order). */
  neighbourWeight: number;
  /** Weight of the page's terms. */
  pageWeight: number;
  /** Weight of the enclosing section title's terms. */
  sectionWeight: number;
  /** Terms kept per unit vector (by idf × weight). */
  maxTermsPerUnit: number;
  /** Scale of adjacent-word pairs relative to single words. */
  pairWeight: number;
}

export const DEFAULT_EXPANSION: ExpansionParams = { k1: 1.2, b: 0.75, neighbourWeight: 0.3, pageWeight: 0.2, sectionWeight: 0.3, maxTermsPerUnit: 256, pairWeight: 0.5 };

export interface SparseIndex {
  unitCount: number;
  vocabulary: string[];
  /** IDF per vocabulary term (unit-level document frequency). */
  idf: Float32Array;
  postingsStart: Uint32Array;
  postingUnits: Uint32Array;
  postingWeights: Float32Array;
}

type Counts = Map<string, number>;

function countTerms(tokens: readonly string[]): Counts {
  const counts: Counts = new Map();
  for (const term of tokens) counts.set(term, (counts.get(term) ?? 0) + 1);
  return counts;
}

function addSaturated(target: Map<string, number>, counts: Counts, length: number, averageLength: number, weight: number, p: ExpansionParams): void {
  if (weight <= 0) return;
  const norm = p.k1 * (1 - p.b + (p.b * length) / (averageLength || 1));
  for (const [term, tf] of counts) {
    target.set(term, (target.get(term) ?? 0) + (weight * tf * (p.k1 + 1)) / (tf + norm));
  }
}

export function idfOf(documentFrequency: number, unitCount: number): number {
  return Math.log(1 + (unitCount - documentFrequency + 0.5) / (documentFrequency + 0.5));
}

export function buildSparseIndex(units: readonly SparseUnit[], p: ExpansionParams = DEFAULT_EXPANSION): SparseIndex {
  const unitTokens = units.map((unit) => termsWithPairs(unit.text));
  const unitCounts = unitTokens.map(countTerms);
  const df = new Map<string, number>();
  for (const counts of unitCounts) for (const term of counts.keys()) df.set(term, (df.get(term) ?? 0) + 1);

  // Page texts, as the concatenation of their units.
  const pageCounts = new Map<number, Counts>();
  const pageLengths = new Map<number, number>();
  units.forEach((unit, i) => {
    const counts = pageCounts.get(unit.page) ?? new Map<string, number>();
    for (const [term, tf] of unitCounts[i]) counts.set(term, (counts.get(term) ?? 0) + tf);
    pageCounts.set(unit.page, counts);
    pageLengths.set(unit.page, (pageLengths.get(unit.page) ?? 0) + unitTokens[i].length);
  });
  const avgUnit = unitTokens.reduce((n, t) => n + t.length, 0) / (units.length || 1);
  const avgPage = [...pageLengths.values()].reduce((a, b) => a + b, 0) / (pageLengths.size || 1);
  const unitCount = units.length;
  const idfCache = new Map<string, number>();
  const idfTerm = (term: string) => {
    const cached = idfCache.get(term);
    if (cached !== undefined) return cached;
    const value = idfOf(df.get(term) ?? 0, unitCount);
    idfCache.set(term, value);
    return value;
  };

  const vectors: [string, number][][] = units.map((unit, i) => {
    const weights = new Map<string, number>();
    addSaturated(weights, unitCounts[i], unitTokens[i].length, avgUnit, 1, p);
    // Neighbours in reading order, across page breaks too: paragraphs flow over pages.
    for (const j of [i - 1, i + 1]) {
      if (j >= 0 && j < units.length) {
        addSaturated(weights, unitCounts[j], unitTokens[j].length, avgUnit, p.neighbourWeight, p);
      }
    }
    addSaturated(weights, pageCounts.get(unit.page) ?? new Map(), pageLengths.get(unit.page) ?? 0, avgPage, p.pageWeight, p);
    if (unit.section) {
      const sectionTokens = termsWithPairs(unit.section);
      addSaturated(weights, countTerms(sectionTokens), sectionTokens.length, avgUnit, p.sectionWeight, p);
    }
    for (const [term, weight] of weights) if (isPair(term)) weights.set(term, weight * p.pairWeight);
    const entries = [...weights.entries()];
    if (entries.length > p.maxTermsPerUnit) {
      entries.sort((a, b) => b[1] * idfTerm(b[0]) - a[1] * idfTerm(a[0]) || (a[0] < b[0] ? -1 : 1));
      entries.length = p.maxTermsPerUnit;
    }
    return entries;
  });

  const postings = new Map<string, number>();
  for (const vector of vectors) for (const [term] of vector) postings.set(term, (postings.get(term) ?? 0) + 1);
  const vocabulary = [...postings.keys()].sort();
  const termIndex = new Map(vocabulary.map((term, i) => [term, i]));
  const postingsStart = new Uint32Array(vocabulary.length + 1);
  vocabulary.forEach((term, i) => {
    postingsStart[i + 1] = postingsStart[i] + (postings.get(term) ?? 0);
  });
  const fill = postingsStart.slice(0, vocabulary.length);
  const total = postingsStart[vocabulary.length];
  const postingUnits = new Uint32Array(total);
  const postingWeights = new Float32Array(total);
  vectors.forEach((vector, unit) => {
    for (const [term, weight] of vector) {
      const id = termIndex.get(term) as number;
      postingUnits[fill[id]] = unit;
      postingWeights[fill[id]] = weight;
      fill[id]++;
    }
  });
  const idf = Float32Array.from(vocabulary, idfTerm);
  return { unitCount, vocabulary, idf, postingsStart, postingUnits, postingWeights };
}

export function sparseTermId(index: SparseIndex, term: string): number {
  return vocabularyIndex(index.vocabulary, term);
}

/** The query's IDF weights: a term missing from the document gets the largest possible IDF. */
export function queryWeights(index: SparseIndex, queryTerms: readonly string[]): Map<string, number> {
  const weights = new Map<string, number>();
  for (const term of queryTerms) {
    const id = sparseTermId(index, term);
    // Terms repeat in a query as a set: asking twice is not twice the evidence.
    weights.set(term, id < 0 ? idfOf(0, index.unitCount) : index.idf[id]);
  }
  return weights;
}

/** s(q, d) = Σ idf(t) · w_d(t) for every unit. */
export function scoreSparse(index: SparseIndex, queryTerms: readonly string[], idfScale = 1): Float32Array {
  const scores = new Float32Array(index.unitCount);
  for (const term of new Set(queryTerms)) {
    const id = sparseTermId(index, term);
    if (id < 0) continue;
    const weight = index.idf[id] * idfScale;
    for (let p = index.postingsStart[id]; p < index.postingsStart[id + 1]; p++) {
      scores[index.postingUnits[p]] += weight * index.postingWeights[p];
    }
  }
  return scores;
}

/**
 * s(q, d) = Σ q(t) · idf(t) · w_d(t) with a weight per query term: the expanded queries of
 * pseudo-relevance feedback (feedback.ts) keep the question's own terms at 1 and add others
 * below it. With every weight 1 this is scoreSparse.
 */
export function scoreSparseWeighted(index: SparseIndex, query: ReadonlyMap<string, number>): Float32Array {
  const scores = new Float32Array(index.unitCount);
  for (const [term, queryWeight] of query) {
    const id = sparseTermId(index, term);
    if (id < 0 || !(queryWeight > 0)) continue;
    const weight = index.idf[id] * queryWeight;
    for (let p = index.postingsStart[id]; p < index.postingsStart[id + 1]; p++) {
      scores[index.postingUnits[p]] += weight * index.postingWeights[p];
    }
  }
  return scores;
}

export function serializeSparse(index: SparseIndex): Buffer {
  const { idf, postingsStart, postingUnits, postingWeights, ...header } = index;
  return packArrays('folio-sparse/1', header, { idf, postingsStart, postingUnits, postingWeights });
}

export function deserializeSparse(buffer: Buffer): SparseIndex {
  const { header, arrays } = unpackArrays<Pick<SparseIndex, 'unitCount' | 'vocabulary'>>('folio-sparse/1', buffer);
  return {
    ...header,
    idf: arrays.idf as Float32Array,
    postingsStart: arrays.postingsStart as Uint32Array,
    postingUnits: arrays.postingUnits as Uint32Array,
    postingWeights: arrays.postingWeights as Float32Array,
  };
}
