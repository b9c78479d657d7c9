/**
 * Answering a question about one document: BM25 retrieval of paragraphs, then the extractive
 * reader. Returns the answer, its citations and the ledger of what each stage kept.
 */
import { idf, scoreBm25, topK } from '../../models/retrieval/bm25.ts';
import { readExtractive } from '../../models/reader/extractive.ts';
import { queryTerms } from '../../models/text/tokenize.ts';
import type { Citation } from '../types.ts';
import type { DocumentIndex } from './document-index.ts';

export interface AnswerLedger {
  retrieval: {
    method: 'bm25';
    queryTerms: string[];
    unitsConsidered: number;
    selected: { page: number; index: number; score: number }[];
    /** Distinct pages of the best-scoring units, best first (up to PAGE_RANKING_LENGTH). */
    pageRanking: number[];
  };
  reader: { kind: 'extractive'; passagesScored: number; coverage: number };
  ms: { retrieve: number; read: number; total: number };
}

export interface Answer {
  answer: string;
  /** The sentence the answer was taken from. */
  evidence: string;
  found: boolean;
  citations: Citation[];
  ledger: AnswerLedger;
}

export const RETRIEVE_TOP_K = 8;
export const PAGE_RANKING_LENGTH = 10;

export function answerQuestion(index: DocumentIndex, question: string): Answer {
  const started = performance.now();
  const terms = queryTerms(question);
  const scores = scoreBm25(index.bm25, terms);
  const ranking = topK(scores, PAGE_RANKING_LENGTH * 5);
  const top = ranking.slice(0, RETRIEVE_TOP_K);
  const pageRanking = [...new Set(ranking.map((unit) => index.units[unit].page))].slice(0, PAGE_RANKING_LENGTH);
  const retrieved = performance.now();
  const candidates = top.map((unit) => ({ ...index.units[unit], score: scores[unit] }));
  const read = readExtractive(question, terms, (term) => idf(index.bm25, term), candidates);
  const finished = performance.now();
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    answer: read.answer,
    evidence: read.evidence,
    found: read.found,
    citations: read.citations,
    ledger: {
      retrieval: {
        method: 'bm25',
        queryTerms: terms,
        unitsConsidered: index.bm25.unitCount,
        selected: candidates.map((unit) => ({ page: unit.page, index: unit.index, score: round(unit.score) })),
        pageRanking,
      },
      reader: { kind: 'extractive', passagesScored: read.passagesScored, coverage: round(read.coverage) },
      ms: { retrieve: round(retrieved - started), read: round(finished - retrieved), total: round(finished - started) },
    },
  };
}
