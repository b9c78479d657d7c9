/**
 * Retrieval over one document's units, behind one interface: each scorer ranks the units,
 * and the rankings are fused by reciprocal rank. Scorers:
 *  - `bm25`: Okapi BM25 over units (the baseline);
 *  - `sparse`: the inference-free expanded sparse index over units (algorithms.md §4.2);
 *  - `pages`: the same sparse scoring over whole pages, each unit taking its page's rank;
 *  - `dense`: cosine of the question's embedding with the units' (only when the index has
 *    unit embeddings and a question vector from the same embedder is given);
 *  - `labels`: captions of the figures and tables the question names ("Figure 15.2"), which
 *    go first: weighted as heavily as all other rankings together.
 */
import { scoreBm25 } from '../../models/retrieval/bm25.ts';
import { liftRanks, ranksOf, reciprocalRankFusion } from '../../models/retrieval/fusion.ts';
import { scoreDense } from '../../models/retrieval/dense.ts';
import { captionLabel, referencedLabels } from '../../models/retrieval/labels.ts';
import { scoreSparse } from '../../models/retrieval/sparse.ts';
import { queryTerms, queryTermsWithPairs } from '../../models/text/tokenize.ts';
import type { DocumentIndex } from './document-index.ts';

export type ScorerName = 'bm25' | 'sparse' | 'pages' | 'dense' | 'labels';

export const DEFAULT_SCORERS: readonly ScorerName[] = ['sparse', 'pages', 'dense', 'labels'];

export interface Retrieval {
  /** Fused score per unit (0 for units no scorer ranked). */
  scores: Float32Array;
  scorers: ScorerName[];
  /** Stemmed question terms (with adjacent pairs for the sparse scorers). */
  terms: string[];
  labels: string[];
}

function unitRanks(index: DocumentIndex, name: ScorerName, question: string, labels: string[], queryVector?: Float32Array): Int32Array | null {
  switch (name) {
    case 'bm25':
      return ranksOf(scoreBm25(index.bm25, queryTerms(question)));
    case 'sparse':
      return ranksOf(scoreSparse(index.unitSparse, queryTermsWithPairs(question)));
    case 'pages':
      return liftRanks(ranksOf(scoreSparse(index.pageSparse, queryTermsWithPairs(question))), index.pageIndexOfUnit);
    case 'dense':
      if (!index.dense || !queryVector) return null;
      return ranksOf(scoreDense(index.dense, queryVector));
    case 'labels': {
      if (labels.length === 0) return null;
      const named = new Set(labels);
      const scores = new Float32Array(index.units.length);
      index.units.forEach((unit, i) => {
        const label = captionLabel(unit.text);
        if (label && named.has(label)) scores[i] = 1;
      });
      return ranksOf(scores);
    }
  }
}

export function retrieve(
  index: DocumentIndex,
  question: string,
  scorers: readonly ScorerName[] = DEFAULT_SCORERS,
  queryVector?: Float32Array,
): Retrieval {
  const labels = referencedLabels(question);
  const rankings: Int32Array[] = [];
  const weights: number[] = [];
  const used: ScorerName[] = [];
  for (const name of scorers) {
    const ranks = unitRanks(index, name, question, labels, queryVector);
    if (!ranks) continue;
    rankings.push(ranks);
    used.push(name);
    // Ties in the fused score (rank 0 + rank 1 against rank 1 + rank 0) go to the unit's own
    // ranking: the slight extra weight on `sparse` decides ties and nothing else.
    weights.push(name === 'sparse' ? 1.001 : 1);
  }
  // Named captions go first: their ranking weighs as much as all the others together.
  const labelIndex = used.indexOf('labels');
  if (labelIndex >= 0) weights[labelIndex] = Math.max(1, used.length - 1);
  const scores = rankings.length ? reciprocalRankFusion(rankings, undefined, weights) : new Float32Array(index.units.length);
  return { scores, scorers: used, terms: queryTermsWithPairs(question), labels };
}
