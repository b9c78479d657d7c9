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
 *
 * Options (RetrieveOptions): a weight per scorer in the fusion, and pseudo-relevance feedback,
 * which re-scores `sparse` and `pages` with the question expanded by the words the first
 * fused ranking's best units share (models/retrieval/feedback.ts), then fuses again.
 */
import { scoreBm25, topK } from '../../models/retrieval/bm25.ts';
import { type FeedbackOptions, feedbackTerms } from '../../models/retrieval/feedback.ts';
import { liftRanks, ranksOf, reciprocalRankFusion } from '../../models/retrieval/fusion.ts';
import { scoreDense } from '../../models/retrieval/dense.ts';
import { captionLabel, referencedLabels } from '../../models/retrieval/labels.ts';
import { idfOf, scoreSparseWeighted, sparseTermId } from '../../models/retrieval/sparse.ts';
import { queryTerms, queryTermsWithPairs } from '../../models/text/tokenize.ts';
import { type DocumentIndex, indexedText } from './document-index.ts';

export type ScorerName = 'bm25' | 'sparse' | 'pages' | 'dense' | 'labels';

export const DEFAULT_SCORERS: readonly ScorerName[] = ['sparse', 'pages', 'dense', 'labels'];

export interface RetrieveOptions {
  /** Fusion weight per scorer (1 when not given); `labels` always weighs as all others together. */
  weights?: Partial<Record<ScorerName, number>>;
  /** Pseudo-relevance feedback; null or absent: the question's terms only. */
  feedback?: FeedbackOptions | null;
}

/** Equal fusion weights and no feedback by default (README, Evaluation, has the measurements). */
export const DEFAULT_RETRIEVE: RetrieveOptions = {};

export interface Retrieval {
  /** Fused score per unit (0 for units no scorer ranked). */
  scores: Float32Array;
  scorers: ScorerName[];
  /** Stemmed question terms (with adjacent pairs for the sparse scorers). */
  terms: string[];
  labels: string[];
  /** Terms pseudo-relevance feedback added, with their query weights (empty without feedback). */
  expansion: [string, number][];
}

/** The question's sparse terms at weight 1, with any expansion terms at theirs. */
type WeightedQuery = Map<string, number>;

function questionQuery(question: string): WeightedQuery {
  return new Map(queryTermsWithPairs(question).map((term) => [term, 1]));
}

function unitRanks(index: DocumentIndex, name: ScorerName, question: string, labels: string[], queryVector: Float32Array | undefined, query: WeightedQuery): Int32Array | null {
  switch (name) {
    case 'bm25':
      return ranksOf(scoreBm25(index.bm25, queryTerms(question)));
    case 'sparse':
      return ranksOf(scoreSparseWeighted(index.unitSparse, query));
    case 'pages':
      return liftRanks(ranksOf(scoreSparseWeighted(index.pageSparse, query)), index.pageIndexOfUnit);
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

function fuse(index: DocumentIndex, question: string, scorers: readonly ScorerName[], labels: string[], queryVector: Float32Array | undefined, query: WeightedQuery, options: RetrieveOptions) {
  const rankings: Int32Array[] = [];
  const weights: number[] = [];
  const used: ScorerName[] = [];
  for (const name of scorers) {
    const ranks = unitRanks(index, name, question, labels, queryVector, query);
    if (!ranks) continue;
    rankings.push(ranks);
    used.push(name);
    // Ties in the fused score (rank 0 + rank 1 against rank 1 + rank 0) go to the unit's own
    // ranking: the slight extra weight on `sparse` decides ties and nothing else.
    weights.push((options.weights?.[name] ?? 1) * (name === 'sparse' ? 1.001 : 1));
  }
  // Named captions go first: their ranking weighs as much as all the others together.
  const labelIndex = used.indexOf('labels');
  if (labelIndex >= 0) {
    const others = used.reduce((sum, name) => (name === 'labels' ? sum : sum + (options.weights?.[name] ?? 1)), 0);
    weights[labelIndex] = Math.max(1, others);
  }
  const scores = rankings.length ? reciprocalRankFusion(rankings, undefined, weights) : new Float32Array(index.units.length);
  return { scores, used };
}

/** The first ranking's best units expand the question (pseudo-relevance feedback). */
function expandQuery(index: DocumentIndex, query: WeightedQuery, firstPass: Float32Array, feedback: FeedbackOptions): WeightedQuery {
  const units = topK(firstPass, feedback.units).map((i) => ({ text: indexedText(index.units[i]), score: firstPass[i] }));
  const idf = (term: string) => {
    const id = sparseTermId(index.unitSparse, term);
    return id < 0 ? idfOf(0, index.unitSparse.unitCount) : index.unitSparse.idf[id];
  };
  const added = feedbackTerms(units, [...query.keys()], idf, feedback);
  return new Map([...query, ...added]);
}

export function retrieve(
  index: DocumentIndex,
  question: string,
  scorers: readonly ScorerName[] = DEFAULT_SCORERS,
  queryVector?: Float32Array,
  options: RetrieveOptions = DEFAULT_RETRIEVE,
): Retrieval {
  const labels = referencedLabels(question);
  const query = questionQuery(question);
  let { scores, used } = fuse(index, question, scorers, labels, queryVector, query, options);
  let expansion: [string, number][] = [];
  const lexical = used.includes('sparse') || used.includes('pages');
  if (options.feedback && lexical) {
    const expanded = expandQuery(index, query, scores, options.feedback);
    expansion = [...expanded].filter(([term]) => !query.has(term));
    if (expansion.length > 0) ({ scores, used } = fuse(index, question, scorers, labels, queryVector, expanded, options));
  }
  return { scores, scorers: used, terms: queryTermsWithPairs(question), labels, expansion };
}
