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

import { packArrays, unpackArrays } from '../codec/arrays.ts';
import { isPair, termsWithPairs } from '../text/tokenize.ts';
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

export function idfOf(documentFrequency: number, unitCount: number): number {
  return Math.log(1 + (unitCount - documentFrequency + 0.5) / (documentFrequency + 0.5));
}

/** A unit's term counts over interned term ids, in first-occurrence order. */
interface IdCounts {
  ids: Int32Array;
  tfs: Float64Array;
  length: number;
}

/** Saturated weights of one count list at one weight: `ids[k]` gets `values[k]`. */
interface Contribution {
  ids: Int32Array;
  values: Float64Array;
}

function saturated(counts: IdCounts, averageLength: number, weight: number, p: ExpansionParams): Contribution | null {
  if (weight <= 0) return null;
  const norm = p.k1 * (1 - p.b + (p.b * counts.length) / (averageLength || 1));
  const values = new Float64Array(counts.ids.length);
  for (let k = 0; k < values.length; k++) {
    const tf = counts.tfs[k];
    values[k] = (weight * tf * (p.k1 + 1)) / (tf + norm);
  }
  return { ids: counts.ids, values };
}

/** Adds one contribution into the dense accumulator; returns the new count of touched ids. */
function accumulate(contribution: Contribution | null | undefined, sum: Float64Array, seen: Uint8Array, touched: Int32Array, count: number): number {
  if (!contribution) return count;
  const { ids, values } = contribution;
  let n = count;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k];
    if (!seen[id]) {
      seen[id] = 1;
      touched[n++] = id;
    }
    sum[id] += values[k];
  }
  return n;
}

/** The k-th smallest value (0-based) of `values`, which it reorders: Hoare's selection. */
function nthSmallest(values: Float64Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i++] = values[j];
        values[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k];
  }
  return values[k];
}

/** Two parallel growable arrays: every unit's vector laid end to end, units in order. */
class VectorSink {
  ids = new Int32Array(1 << 16);
  weights = new Float32Array(1 << 16);
  length = 0;

  reserve(extra: number): void {
    if (this.length + extra <= this.ids.length) return;
    const capacity = Math.max(this.ids.length * 2, this.length + extra);
    const ids = new Int32Array(capacity);
    ids.set(this.ids.subarray(0, this.length));
    const weights = new Float32Array(capacity);
    weights.set(this.weights.subarray(0, this.length));
    this.ids = ids;
    this.weights = weights;
  }

  push(id: number, weight: number): void {
    this.ids[this.length] = id;
    this.weights[this.length++] = weight;
  }
}

/**
 * Builds the index. Terms are interned to ids and each count list's saturated weights are
 * computed once (a page's for all its units, a unit's once as itself and once as a neighbour),
 * then summed per unit in a dense accumulator in the same order as term-by-term addition
 * (unit, neighbour before, neighbour after, page, section), so every weight is the same double.
 * A vector longer than `maxTermsPerUnit` keeps the ids of highest idf × weight, ties to the
 * lower rank in string order: the same set as sorting by (score, rank) and cutting, found from
 * one numeric sort of the scores (a threshold) instead of a comparator call per comparison,
 * which made that sort most of an index build. Vectors go end to end into one pair of arrays:
 * a typed array per unit made the collector a fifth of the build.
 */
export function buildSparseIndex(units: readonly SparseUnit[], p: ExpansionParams = DEFAULT_EXPANSION): SparseIndex {
  const termIds = new Map<string, number>();
  const terms: string[] = [];
  // Term counts of the list being interned, by id; zero again after each list.
  let counts = new Float64Array(1 << 12);
  const order: number[] = [];
  const intern = (tokens: readonly string[]): IdCounts => {
    order.length = 0;
    for (const term of tokens) {
      let id = termIds.get(term);
      if (id === undefined) {
        id = terms.length;
        termIds.set(term, id);
        terms.push(term);
        if (id >= counts.length) {
          const grown = new Float64Array(counts.length * 2);
          grown.set(counts);
          counts = grown;
        }
      }
      if (counts[id] === 0) order.push(id);
      counts[id]++;
    }
    const ids = Int32Array.from(order);
    const tfs = new Float64Array(ids.length);
    for (let k = 0; k < ids.length; k++) {
      tfs[k] = counts[ids[k]];
      counts[ids[k]] = 0;
    }
    return { ids, tfs, length: tokens.length };
  };
  const unitCounts = units.map((unit) => intern(termsWithPairs(unit.text)));

  // Page texts, as the concatenation of their units.
  const pageTf = new Map<number, Map<number, number>>();
  const pageLengths = new Map<number, number>();
  units.forEach((unit, i) => {
    let counts = pageTf.get(unit.page);
    if (!counts) {
      counts = new Map();
      pageTf.set(unit.page, counts);
    }
    const { ids, tfs } = unitCounts[i];
    for (let k = 0; k < ids.length; k++) counts.set(ids[k], (counts.get(ids[k]) ?? 0) + tfs[k]);
    pageLengths.set(unit.page, (pageLengths.get(unit.page) ?? 0) + unitCounts[i].length);
  });
  const avgUnit = unitCounts.reduce((n, c) => n + c.length, 0) / (units.length || 1);
  const avgPage = [...pageLengths.values()].reduce((a, b) => a + b, 0) / (pageLengths.size || 1);

  const own = unitCounts.map((counts) => saturated(counts, avgUnit, 1, p));
  const asNeighbour = unitCounts.map((counts) => saturated(counts, avgUnit, p.neighbourWeight, p));
  const pageContribution = new Map<number, Contribution | null>();
  for (const [page, counts] of pageTf) {
    const idCounts = { ids: Int32Array.from(counts.keys()), tfs: Float64Array.from(counts.values()), length: pageLengths.get(page) ?? 0 };
    pageContribution.set(page, saturated(idCounts, avgPage, p.pageWeight, p));
  }
  const sectionContribution = new Map<string, Contribution | null>();
  const sectionOf = (section: string) => {
    let contribution = sectionContribution.get(section);
    if (contribution === undefined) {
      contribution = saturated(intern(termsWithPairs(section)), avgUnit, p.sectionWeight, p);
      sectionContribution.set(section, contribution);
    }
    return contribution;
  };
  // Section titles are interned before the term tables below are sized.
  const sections = units.map((unit) => (unit.section ? sectionOf(unit.section) : null));

  const df = new Int32Array(terms.length);
  for (const counts of unitCounts) for (const id of counts.ids) df[id]++;
  const unitCount = units.length;
  const idf = Float64Array.from(df, (frequency) => idfOf(frequency, unitCount));
  const pair = Uint8Array.from(terms, (term) => (isPair(term) ? 1 : 0));
  // Rank of each term in string order, the tie-break of the pruning sort.
  // (The default sort compares UTF-16 code units, as `<` does; terms are distinct.)
  const rank = new Int32Array(terms.length);
  [...terms].sort().forEach((term, position) => {
    rank[termIds.get(term) as number] = position;
  });

  const termCount = terms.length;
  const sum = new Float64Array(termCount);
  const score = new Float64Array(termCount);
  const seen = new Uint8Array(termCount);
  const touched = new Int32Array(termCount);
  const sorted = new Float64Array(termCount);
  const ties: number[] = [];
  const max = p.maxTermsPerUnit;
  const sink = new VectorSink();
  const vectorStart = new Uint32Array(units.length + 1);
  for (let i = 0; i < units.length; i++) {
    let n = accumulate(own[i], sum, seen, touched, 0);
    // Neighbours in reading order, across page breaks too: paragraphs flow over pages.
    if (i - 1 >= 0) n = accumulate(asNeighbour[i - 1], sum, seen, touched, n);
    if (i + 1 < units.length) n = accumulate(asNeighbour[i + 1], sum, seen, touched, n);
    n = accumulate(pageContribution.get(units[i].page), sum, seen, touched, n);
    n = accumulate(sections[i], sum, seen, touched, n);
    if (n > max) {
      const values = sorted.subarray(0, n);
      for (let k = 0; k < n; k++) {
        const id = touched[k];
        values[k] = score[id] = (pair[id] ? sum[id] * p.pairWeight : sum[id]) * idf[id];
      }
      const threshold = nthSmallest(values, n - max);
      sink.reserve(max);
      const kept = sink.length;
      ties.length = 0;
      for (let k = 0; k < n; k++) {
        const id = touched[k];
        if (score[id] > threshold) sink.push(id, pair[id] ? sum[id] * p.pairWeight : sum[id]);
        else if (score[id] === threshold) ties.push(id);
      }
      if (ties.length > 1) ties.sort((a, b) => rank[a] - rank[b]);
      for (let k = 0; sink.length - kept < max; k++) sink.push(ties[k], pair[ties[k]] ? sum[ties[k]] * p.pairWeight : sum[ties[k]]);
    } else {
      sink.reserve(n);
      for (let k = 0; k < n; k++) {
        const id = touched[k];
        sink.push(id, pair[id] ? sum[id] * p.pairWeight : sum[id]);
      }
    }
    vectorStart[i + 1] = sink.length;
    for (let k = 0; k < n; k++) {
      sum[touched[k]] = 0;
      seen[touched[k]] = 0;
    }
  }

  const vectorIds = sink.ids.subarray(0, sink.length);
  const vectorWeights = sink.weights.subarray(0, sink.length);
  const postings = new Int32Array(termCount);
  for (let k = 0; k < vectorIds.length; k++) postings[vectorIds[k]]++;
  const used: number[] = [];
  for (let id = 0; id < termCount; id++) if (postings[id] > 0) used.push(id);
  used.sort((a, b) => rank[a] - rank[b]);
  const vocabulary = used.map((id) => terms[id]);
  const slot = new Int32Array(termCount).fill(-1);
  used.forEach((id, position) => {
    slot[id] = position;
  });
  const postingsStart = new Uint32Array(vocabulary.length + 1);
  used.forEach((id, position) => {
    postingsStart[position + 1] = postingsStart[position] + postings[id];
  });
  const fill = postingsStart.slice(0, vocabulary.length);
  const total = postingsStart[vocabulary.length];
  const postingUnits = new Uint32Array(total);
  const postingWeights = new Float32Array(total);
  for (let unit = 0; unit < units.length; unit++) {
    for (let k = vectorStart[unit]; k < vectorStart[unit + 1]; k++) {
      const position = slot[vectorIds[k]];
      postingUnits[fill[position]] = unit;
      postingWeights[fill[position]] = vectorWeights[k];
      fill[position]++;
    }
  }
  return { unitCount, vocabulary, idf: Float32Array.from(used, (id) => idf[id]), postingsStart, postingUnits, postingWeights };
}

export function sparseTermId(index: SparseIndex, term: string): number {
  return vocabularyIndex(index.vocabulary, term);
}

/** How many units hold `term` among their own words (0 when the index has not got it). */
export function unitsWithTerm(index: SparseIndex, term: string): number {
  const id = sparseTermId(index, term);
  return id < 0 ? 0 : index.postingsStart[id + 1] - index.postingsStart[id];
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
