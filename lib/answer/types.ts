/** What an answer carries: the text, its citations, and the ledger of every stage. */
import type { UsedCell } from '../../models/answer/numeric.ts';
import type { Citation } from '../../models/document/types.ts';
import type { EvidenceLedger } from '../retrieval/evidence.ts';

export interface AnswerLedger extends EvidenceLedger {
  reader: ExtractiveReaderLedger | LlmReaderLedger;
  ms: { retrieve: number; sample: number; read: number; total: number };
}

export interface ExtractiveReaderLedger {
  kind: 'extractive';
  passagesScored: number;
  coverage: number;
  notFoundReason: string | null;
  /** Set when an LLM was configured but its answer was not used, and why. */
  llmRejected?: string;
  /** The numeric reader over statement tables: what it computed from which cells, or why it did not. */
  numeric?: NumericLedger;
  /** When a language model judged the reader's candidates (FOLIO_READER=judge): how each scored. */
  judge?: JudgeLedger;
}

export interface JudgeLedger {
  model: string;
  normalisation: string;
  /** Index into `candidates` of the answer given. */
  chosen: number;
  candidates: { answer: string; page: number; rank: number; tokens: number; logProb: number; logProbWithoutQuestion: number | null; score: number }[];
  /** Tokens run through the model to score them all. */
  tokens: number;
  ms: number;
}

export interface NumericLedger {
  status: 'answer' | 'not-found' | 'abstain';
  /** The formula with line-item names ("Gross margin / Total net sales × 100"), null for one cell. */
  formula?: string | null;
  /** The formula with the cells' numbers filled in, and its result. */
  filled?: string;
  cells?: UsedCell[];
  reason?: string;
}

export interface LlmReaderLedger {
  kind: 'llm';
  model: string;
  policy: string;
  budget: number | null;
  promptTokens: number;
  generatedTokens: number;
  finishReason: string;
  /** Cited pages that were not among the excerpts the model was given (dropped). */
  rejectedPages: number[];
  /** KV positions attended per generated token, summed over layers (the attention ledger). */
  attendedPerToken: number[];
  prefillMs: number;
  decodeMs: number;
}

export interface Answer {
  answer: string;
  /** The sentence the answer was taken from. */
  evidence: string;
  found: boolean;
  citations: Citation[];
  ledger: AnswerLedger;
  /** When the LLM's answer was set aside for the extractive one: what the model wrote. */
  llm?: { text: string; ledger: LlmReaderLedger };
}
