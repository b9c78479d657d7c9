/**
 * The extractive reader (the default: no model weights) over the gathered evidence: a short
 * span of the best sentence, its citations, or "not found" with the reason. A question about a
 * line item and a period is first put to the numeric reader over the statement tables
 * retrieval found; it answers from cells, says "not found" with its reason, or abstains.
 */
import { type AnswerCandidate, DEFAULT_EXTRACTIVE, type ExtractiveAnswer, NOT_FOUND, readExtractive } from '../../models/answer/extractive.ts';
import { type NumericResult, readNumeric } from '../../models/answer/numeric.ts';
import { queryTerms } from '../../models/text/tokenize.ts';
import type { DocumentIndex } from '../retrieval/document-index.ts';
import { type Evidence, type EvidenceOptions, gatherEvidence, round } from '../retrieval/evidence.ts';
import type { Answer } from './types.ts';

/**
 * The extractive reader over gathered evidence (the default reader: no model weights).
 * `llmRejected`: why a configured LLM's answer was not used, recorded in the ledger.
 */
export function readEvidenceExtractively(evidence: Evidence, llmRejected?: string): Answer {
  return readWithCandidates(evidence, 0, llmRejected).answer;
}

/**
 * The extractive reader's answer and, when it answered from text (not from statement cells, not
 * "not found"), up to `count` candidate answers, its own first, for a judge to choose among.
 */
export function readWithCandidates(evidence: Evidence, count: number, llmRejected?: string): { answer: Answer; candidates: AnswerCandidate[] } {
  const readStart = performance.now();
  const numeric = readNumeric(evidence.question, evidence.tables);
  if (numeric.status !== 'abstain') return { answer: numericAnswer(evidence, numeric, readStart, llmRejected), candidates: [] };
  const read = readExtractive(evidence.question, queryTerms(evidence.question), evidence.idf, evidence.candidates, evidence.inDocument, { ...DEFAULT_EXTRACTIVE, candidates: count });
  const finished = performance.now();
  return { answer: textAnswer(evidence, read, readStart, finished, llmRejected), candidates: read.found ? (read.candidates ?? []) : [] };
}

function textAnswer(evidence: Evidence, read: ExtractiveAnswer, readStart: number, finished: number, llmRejected?: string): Answer {
  return {
    answer: read.answer,
    evidence: read.evidence,
    found: read.found,
    citations: read.citations,
    ledger: {
      ...evidence.ledger,
      reader: {
        kind: 'extractive',
        passagesScored: read.passagesScored,
        coverage: round(read.coverage, 3),
        notFoundReason: read.notFoundReason,
        ...(llmRejected ? { llmRejected } : {}),
      },
      ms: { ...evidence.ms, read: round(finished - readStart), total: round(finished - evidence.started) },
    },
  };
}

/**
 * An answer from statement cells: the value with its unit and one citation per cell used, or
 * "not found" with the reader's reason.
 */
function numericAnswer(evidence: Evidence, numeric: Exclude<NumericResult, { status: 'abstain' }>, readStart: number, llmRejected?: string): Answer {
  const finished = performance.now();
  const found = numeric.status === 'answer';
  const citations = found ? numeric.cells.map((cell) => ({ page: cell.page, bbox: cell.box, quote: `${cell.row} (${cell.column}): ${cell.text}` })) : [];
  return {
    answer: found ? numeric.answer : NOT_FOUND,
    evidence: found ? numeric.filled : '',
    found,
    citations,
    ledger: {
      ...evidence.ledger,
      reader: {
        kind: 'extractive',
        passagesScored: 0,
        coverage: found ? 1 : 0,
        notFoundReason: found ? null : numeric.reason,
        numeric: found ? { status: 'answer', formula: numeric.formula, filled: numeric.filled, cells: numeric.cells } : { status: 'not-found', reason: numeric.reason },
        ...(llmRejected ? { llmRejected } : {}),
      },
      ms: { ...evidence.ms, read: round(finished - readStart), total: round(finished - evidence.started) },
    },
  };
}

export function answerQuestion(index: DocumentIndex, question: string, options: EvidenceOptions = {}): Answer {
  return readEvidenceExtractively(gatherEvidence(index, question, options));
}
