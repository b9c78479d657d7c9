/**
 * Retrieval over one document's units, behind one interface: each scorer ranks the units,
 * and the rankings are fused by reciprocal rank. Scorers:
 *  - `bm25`: Okapi BM25 over units (the baseline);
 *  - `sparse`: the inference-free expanded sparse index over units (models/retrieval/sparse.ts);
 *  - `passages`: the same sparse scoring over the units' passages (models/retrieval/passages.ts),
 *    each unit taking its best passage's score, so a long paragraph is ranked by the sentences
 *    that match rather than by all its words;
 *  - `pages`: the same sparse scoring over whole pages, each unit taking its page's rank;
 *  - `dense`: cosine of the question's embedding with the units' (only when the index has
 *    unit embeddings and a question vector from the same embedder is given);
 *  - `labels`: captions of the figures and tables the question names ("Figure 15.2"), which
 *    go first: weighted as heavily as all other rankings together.
 *
 * Options (RetrieveOptions): a weight per scorer in the fusion; `denseWithin`, which lets the
 * dense scorer rank only the best units of the other rankings' fusion (by default the top 100,
 * at half a vote); and pseudo-relevance feedback, which re-scores `sparse` and `pages` with the
 * question expanded by the words the first fused ranking's best units share
 * (models/retrieval/feedback.ts), then fuses again; and concept expansion, which adds the
 * statement labels of the financial concepts the question names at a lower weight.
 */
import { scoreBm25, topK } from '../../models/retrieval/bm25.ts';
import { type FeedbackOptions, feedbackTerms } from '../../models/retrieval/feedback.ts';
import { liftRanks, ranksOf, reciprocalRankFusion } from '../../models/retrieval/fusion.ts';
import { bestPassageScores } from '../../models/retrieval/passages.ts';
import { scoreDense } from '../../models/retrieval/dense.ts';
import { captionLabel, referencedLabels } from '../../models/document/labels.ts';
import { type AnswerShape, answerShape, holdsShape, rowHoldsShape } from '../../models/answer/shape.ts';
import { conceptQueryTerms, expansionLabels, findConcepts } from '../../models/finance/concepts.ts';
import { namedPeriods } from '../../models/finance/periods.ts';
import { idfOf, scoreSparseWeighted, sparseTermId, unitsWithTerm } from '../../models/retrieval/sparse.ts';
import { queryTerms, queryTermsWithPairs } from '../../models/text/tokenize.ts';
import { type DocumentIndex, indexedText } from './document-index.ts';

export type ScorerName = 'bm25' | 'sparse' | 'passages' | 'shape' | 'pages' | 'dense' | 'labels';

export const DEFAULT_SCORERS: readonly ScorerName[] = ['sparse', 'passages', 'shape', 'pages', 'dense', 'labels'];

export interface RetrieveOptions {
  /** Fusion weight per scorer (1 when not given); `labels` always weighs as all others together. */
  weights?: Partial<Record<ScorerName, number>>;
  /**
   * The dense scorer ranks only the best `denseWithin` units of the fusion without it (dense
   * as a re-ranker of the lexical candidates); absent: it ranks every unit.
   */
  denseWithin?: number;
  /** Pseudo-relevance feedback; null or absent: the question's terms only. */
  feedback?: FeedbackOptions | null;
  /**
   * Weight of the statement labels of the financial concepts the question names
   * (models/finance/concepts.json: "capex" also looks for "Purchases of property and
   * equipment"); 0 or absent: no concept expansion.
   */
  conceptWeight?: number;
}

/**
 * Dense, when the index has it, re-ranks the lexical top 100 at half a vote: fused over all
 * units at a full vote it cost recall@1 and answer F1 on the development set (README,
 * Evaluation, has the measurements). No feedback: it did not pay there.
 */
export const DEFAULT_RETRIEVE: RetrieveOptions = { denseWithin: 100, weights: { dense: 0.5 }, conceptWeight: 0.5 };

export interface Retrieval {
  /** Fused score per unit (0 for units no scorer ranked). */
  scores: Float32Array;
  scorers: ScorerName[];
  /** Stemmed question terms (with adjacent pairs for the sparse scorers). */
  terms: string[];
  labels: string[];
  /** Terms pseudo-relevance feedback added, with their query weights (empty without feedback). */
  expansion: [string, number][];
  /** Ids of the financial concepts the question names whose labels expanded the query. */
  concepts: string[];
}

/** The question's sparse terms at weight 1, with any expansion terms at theirs. */
type WeightedQuery = Map<string, number>;

function questionQuery(index: DocumentIndex, question: string, conceptWeight: number): WeightedQuery {
  const query: WeightedQuery = new Map(queryTermsWithPairs(question).map((term) => [term, 1]));
  // A period the question names ("as of January 31, 2023", "fiscal 2019") is one constraint,
  // but its words make up to five terms with their pairs, and in a filing they match thousands
  // of units: left at full weight they outvote the one word that names the subject. Its terms
  // share one term's weight.
  for (const period of namedPeriods(question)) {
    const own = queryTermsWithPairs(question.slice(period.start, period.end));
    if (own.length > 1) for (const term of own) if (query.get(term) === 1) query.set(term, 1 / own.length);
  }
  // Words printed on most pages name the document's own subject (the filer's name, the product
  // a manual is about): they say which document, not which page. A term on more than half of
  // the pages weighs less the more pages it is on, nothing when it is on all.
  if (index.pages.length >= 10) {
    for (const [term, weight] of query) {
      const share = unitsWithTerm(index.pageSparse, term) / index.pages.length;
      if (share > 0.5) query.set(term, weight * 2 * (1 - share));
    }
  }
  const inDocument = (term: string) => sparseTermId(index.unitSparse, term) >= 0;
  if (conceptWeight > 0) for (const [term, weight] of conceptQueryTerms(question, conceptWeight, undefined, inDocument)) query.set(term, weight);
  return query;
}

/** A query's word scores over the units, each computed once however many scorers read it. */
class WordScores {
  #units: Float32Array | undefined;
  #passages: Float32Array | null | undefined;
  constructor(
    private readonly index: DocumentIndex,
    private readonly query: WeightedQuery,
  ) {}

  units(): Float32Array {
    this.#units ??= scoreSparseWeighted(this.index.unitSparse, this.query);
    return this.#units;
  }

  /** Each unit's best passage score; null when the index has no passages. */
  bestPassages(): Float32Array | null {
    if (this.#passages === undefined) {
      const { passageSparse, unitOfPassage, units } = this.index;
      this.#passages = passageSparse && unitOfPassage ? bestPassageScores(scoreSparseWeighted(passageSparse, this.query), unitOfPassage, units.length) : null;
    }
    return this.#passages;
  }
}

/**
 * Ranks by one lexical or label scorer (dense is ranked in `fuse`, which may restrict it to
 * the lexical candidates); null when the scorer has nothing to say about this question.
 */
function lexicalRanks(index: DocumentIndex, name: Exclude<ScorerName, 'dense'>, question: string, labels: string[], query: WeightedQuery, words: WordScores): Int32Array | null {
  switch (name) {
    case 'bm25':
      return ranksOf(scoreBm25(index.bm25, queryTerms(question)));
    case 'sparse':
      return ranksOf(words.units());
    case 'passages': {
      const passages = words.bestPassages();
      return passages ? ranksOf(passages) : null;
    }
    case 'shape': {
      // The units that hold the shape the answer must have (a count of the thing asked
      // about, a date), by their lexical score; null when the question asks for no shape.
      // A question that names its table or figure ("According to Table 6, how many …") has
      // its answer in that table's cells, which the labels scorer finds; the shape of a count
      // written in prose would only pull sentences about the table above it.
      const shape = labels.length === 0 ? answerShape(question, expansionLabels(findConcepts(question))) : null;
      if (!shape) return null;
      const scores = words.bestPassages() ?? words.units();
      return ranksOf(scores.map((score, i) => (score > 0 && unitHoldsShape(index.units[i], shape) ? score : 0)));
    }
    case 'pages':
      return liftRanks(ranksOf(scoreSparseWeighted(index.pageSparse, query)), index.pageIndexOfUnit);
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

function unitHoldsShape(unit: DocumentIndex['units'][number], shape: AnswerShape): boolean {
  if (unit.row) {
    const row = unit.row.table.rows[unit.row.row];
    return rowHoldsShape(row.label, (row.unit ?? unit.row.table.unit).currency, shape);
  }
  return unit.kind !== 'table' && holdsShape(unit.text, shape);
}

/** The word ranking's best units among which the answer shape's share is taken. */
const SHAPE_CANDIDATES = 100;

/** Share of the word ranking's first SHAPE_CANDIDATES units that the shape ranking ranks (1 without a word ranking). */
function shapeShare(lexical: Int32Array | undefined, shape: Int32Array): number {
  if (!lexical) return 1;
  let candidates = 0;
  let held = 0;
  for (let i = 0; i < lexical.length; i++) {
    if (lexical[i] < 0 || lexical[i] >= SHAPE_CANDIDATES) continue;
    candidates++;
    if (shape[i] >= 0) held++;
  }
  return candidates > 0 ? held / candidates : 1;
}

/** RRF of the rankings present, in `scorers` order, with the options' weights. */
function fuseRankings(index: DocumentIndex, scorers: readonly ScorerName[], ranked: ReadonlyMap<ScorerName, Int32Array>, options: RetrieveOptions) {
  const used = scorers.filter((name) => ranked.has(name));
  // Ties in the fused score (rank 0 + rank 1 against rank 1 + rank 0) go to the unit's own
  // ranking: the slight extra weight on `sparse` decides ties and nothing else.
  const weights = used.map((name) => (options.weights?.[name] ?? 1) * (name === 'sparse' ? 1.001 : 1));
  const shapeIndex = used.indexOf('shape');
  if (shapeIndex >= 0 && options.weights?.shape === undefined) {
    // The answer's shape weighs by how much it tells apart among the word scorers' best
    // candidates: as much as those scorers together when few of them hold it (a count of
    // employees in a filing), almost nothing when most do (a date in a filing, "N columns" in
    // a manual whose every plotting style lists its columns).
    const share = shapeShare(ranked.get('passages') ?? ranked.get('sparse'), ranked.get('shape') as Int32Array);
    const words = used.reduce((sum, name) => (name === 'labels' || name === 'shape' ? sum : sum + (options.weights?.[name] ?? 1)), 0);
    weights[shapeIndex] = words * (1 - share);
  }
  // Named captions go first: their ranking weighs as much as all the others together.
  const labelIndex = used.indexOf('labels');
  if (labelIndex >= 0) {
    const others = used.reduce((sum, name, i) => (name === 'labels' ? sum : sum + (name === 'shape' ? weights[i] : (options.weights?.[name] ?? 1))), 0);
    weights[labelIndex] = Math.max(1, others);
  }
  const rankings = used.map((name) => ranked.get(name) as Int32Array);
  const scores = rankings.length ? reciprocalRankFusion(rankings, undefined, weights) : new Float32Array(index.units.length);
  return { scores, used };
}

function fuse(
  index: DocumentIndex,
  question: string,
  scorers: readonly ScorerName[],
  labels: string[],
  queryVector: Float32Array | undefined,
  query: WeightedQuery,
  options: RetrieveOptions,
): { scores: Float32Array; used: ScorerName[] } {
  const ranked = new Map<ScorerName, Int32Array>();
  const words = new WordScores(index, query);
  for (const name of scorers) {
    if (name === 'dense') continue;
    const ranks = lexicalRanks(index, name, question, labels, query, words);
    if (ranks) ranked.set(name, ranks);
  }
  if (scorers.includes('dense') && index.dense && queryVector) {
    let dense = scoreDense(index.dense, queryVector);
    if (options.denseWithin !== undefined) {
      // Dense re-ranks what the lexical scorers found instead of adding units none of them did;
      // when they found fewer (a question in other words than the document's), dense's own
      // best units fill the set up.
      const keep = new Set(topK(fuseRankings(index, scorers, ranked, options).scores, options.denseWithin));
      for (const unit of topK(dense, options.denseWithin)) {
        if (keep.size >= options.denseWithin) break;
        keep.add(unit);
      }
      dense = dense.map((score, i) => (keep.has(i) ? score : 0));
    }
    ranked.set('dense', ranksOf(dense));
  }
  return fuseRankings(index, scorers, ranked, options);
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
  const query = questionQuery(index, question, options.conceptWeight ?? 0);
  let { scores, used } = fuse(index, question, scorers, labels, queryVector, query, options);
  let expansion: [string, number][] = [];
  const lexical = used.includes('sparse') || used.includes('pages');
  if (options.feedback && lexical) {
    const expanded = expandQuery(index, query, scores, options.feedback);
    expansion = [...expanded].filter(([term]) => !query.has(term));
    if (expansion.length > 0) ({ scores, used } = fuse(index, question, scorers, labels, queryVector, expanded, options));
  }
  const concepts = options.conceptWeight ? findConcepts(question).map((match) => match.concept.id) : [];
  return { scores, scorers: used, terms: queryTermsWithPairs(question), labels, expansion, concepts };
}
