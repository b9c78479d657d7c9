/**
 * The evidence any reader sees for a question about one document: retrieval (fused rankings),
 * then the sparse sampler (a few units and their neighbours under a token budget), with the
 * ledger of what each kept.
 */
import type { CandidateUnit } from '../../models/answer/extractive.ts';
import type { TableCandidate } from '../../models/answer/numeric.ts';
import type { StatementTable } from '../../models/document/types.ts';
import { topK } from '../../models/retrieval/bm25.ts';
import { denseSimilarity } from '../../models/retrieval/diversity.ts';
import { DEFAULT_SAMPLER, type SamplerOptions, selectUnits } from '../../models/retrieval/sampler.ts';
import { idfOf, sparseTermId } from '../../models/retrieval/sparse.ts';
import { isPair } from '../../models/text/tokenize.ts';
import type { DocumentIndex } from './document-index.ts';
import { DEFAULT_RETRIEVE, DEFAULT_SCORERS, type RetrieveOptions, retrieve, type ScorerName } from './retrieve.ts';

export interface EvidenceLedger {
  retrieval: {
    scorers: ScorerName[];
    fusion: 'rrf';
    queryTerms: string[];
    labels: string[];
    unitsConsidered: number;
    candidates: number;
    /** Distinct pages of the best-scoring units, best first (up to PAGE_RANKING_LENGTH). */
    pageRanking: number[];
    /** Terms pseudo-relevance feedback added to the query, with their weights (when enabled). */
    expansion?: [string, number][];
    /** Financial concepts the question names, whose statement labels expanded the query. */
    concepts?: string[];
  };
  sampler: {
    tokenBudget: number;
    tokens: number;
    selected: { page: number; index: number; score: number; hit: boolean }[];
  };
}

export const PAGE_RANKING_LENGTH = 10;

/** Statement tables handed to the numeric reader, and how deep in the ranking to look for them. */
export const TABLE_CANDIDATES = 12;
const TABLE_RANKING_DEPTH = 400;

/**
 * The distinct statement tables among the best-ranked units, in the order their first unit
 * ranks, then every other table of the document (ranked last): the numeric reader prefers the
 * ranked ones, and says a period or item is missing only when no table of the document has it.
 */
function rankedTables(index: DocumentIndex, scores: Float32Array): TableCandidate[] {
  const seen = new Set<StatementTable>();
  const out: TableCandidate[] = [];
  for (const [rank, i] of topK(scores, TABLE_RANKING_DEPTH).entries()) {
    const unit = index.units[i];
    const table = unit.row?.table ?? unit.table;
    if (!table || seen.has(table) || scores[i] <= 0) continue;
    seen.add(table);
    out.push({ table, section: unit.section, caption: unit.caption ?? null, rank });
    if (out.length >= TABLE_CANDIDATES) break;
  }
  for (const unit of index.units) {
    if (!unit.table || unit.row || seen.has(unit.table)) continue;
    seen.add(unit.table);
    out.push({ table: unit.table, section: unit.section, caption: unit.caption ?? null, rank: TABLE_RANKING_DEPTH + out.length, ranked: false });
  }
  return out;
}

export interface EvidenceOptions {
  scorers?: readonly ScorerName[];
  /** Fusion weights, dense re-ranking depth, pseudo-relevance feedback (retrieve.ts). */
  retrieval?: RetrieveOptions;
  sampler?: SamplerOptions;
  /** With sampler diversity: compare units by their embeddings instead of their words. */
  denseDiversity?: boolean;
  /** The question's embedding, by the embedder that built the index's unit vectors. */
  queryVector?: Float32Array;
}

/** Retrieval and the sampler's selection: what any reader gets to see. */
export interface Evidence {
  question: string;
  candidates: CandidateUnit[];
  /** Statement tables whose rows (or which) rank best for the question, best first. */
  tables: TableCandidate[];
  ledger: EvidenceLedger;
  ms: { retrieve: number; sample: number };
  /** IDF of a stemmed term over the document's units. */
  idf: (term: string) => number;
  inDocument: (term: string) => boolean;
  started: number;
}

/** Milliseconds and scores in ledgers keep a few digits. */
export const round = (value: number, digits = 2) => Number(value.toFixed(digits));

export function gatherEvidence(index: DocumentIndex, question: string, options: EvidenceOptions = {}): Evidence {
  const sampler = options.sampler ?? DEFAULT_SAMPLER;
  const started = performance.now();
  const retrieval = retrieve(index, question, options.scorers ?? DEFAULT_SCORERS, options.queryVector, options.retrieval ?? DEFAULT_RETRIEVE);
  const ranking = topK(retrieval.scores, PAGE_RANKING_LENGTH * 5);
  const pageRanking = [...new Set(ranking.map((unit) => index.units[unit].page))].slice(0, PAGE_RANKING_LENGTH);
  const retrieved = performance.now();

  const similarity = options.denseDiversity && index.dense ? denseSimilarity(index.dense) : undefined;
  const selection = selectUnits(index.units, retrieval.scores, sampler, similarity);
  const sampled = performance.now();

  const idf = (term: string) => {
    const id = sparseTermId(index.unitSparse, term);
    return id < 0 ? idfOf(0, index.unitSparse.unitCount) : index.unitSparse.idf[id];
  };
  return {
    question,
    candidates: selection.units.map((selected) => ({ ...index.units[selected.unit], score: selected.score })),
    tables: rankedTables(index, retrieval.scores),
    idf,
    inDocument: (term: string) => sparseTermId(index.unitSparse, term) >= 0,
    started,
    ms: { retrieve: round(retrieved - started), sample: round(sampled - retrieved) },
    ledger: {
      retrieval: {
        scorers: retrieval.scorers,
        fusion: 'rrf',
        queryTerms: retrieval.terms.filter((term) => !isPair(term)),
        labels: retrieval.labels,
        unitsConsidered: index.units.length,
        candidates: selection.candidates,
        pageRanking,
        ...(retrieval.expansion.length > 0 ? { expansion: retrieval.expansion } : {}),
        ...(retrieval.concepts.length > 0 ? { concepts: retrieval.concepts } : {}),
      },
      sampler: {
        tokenBudget: sampler.tokenBudget,
        tokens: selection.tokens,
        selected: selection.units.map((selected) => ({
          page: index.units[selected.unit].page,
          index: index.units[selected.unit].index,
          score: round(selected.score, 5),
          hit: selected.hit,
        })),
      },
    },
  };
}
