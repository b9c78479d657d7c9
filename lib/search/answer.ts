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
  };
  reader: { kind: 'extractive'; passagesScored: number; coverage: number };
  ms: { retrieve: number; read: number; total: number };
}

export interface Answer {
  answer: string;
  found: boolean;
  citations: Citation[];
  ledger: AnswerLedger;
}

export const RETRIEVE_TOP_K = 8;

export function answerQuestion(index: DocumentIndex, question: string): Answer {
  const started = performance.now();
  const terms = queryTerms(question);
  const scores = scoreBm25(index.bm25, terms);
  const top = topK(scores, RETRIEVE_TOP_K);
  const retrieved = performance.now();
  const candidates = top.map((unit) => ({ ...index.units[unit], score: scores[unit] }));
  const read = readExtractive(terms, (term) => idf(index.bm25, term), candidates);
  const finished = performance.now();
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    answer: read.answer,
    found: read.found,
    citations: read.citations,
    ledger: {
      retrieval: {
        method: 'bm25',
        queryTerms: terms,
        unitsConsidered: index.bm25.unitCount,
        selected: candidates.map((unit) => ({ page: unit.page, index: unit.index, score: round(unit.score) })),
      },
      reader: { kind: 'extractive', passagesScored: read.passagesScored, coverage: round(read.coverage) },
      ms: { retrieve: round(retrieved - started), read: round(finished - retrieved), total: round(finished - started) },
    },
  };
}
