/**
 * The extractive reader (the default: no model weights) over the gathered evidence: a short
 * span of the best sentence, its citations, or "not found" with the reason.
 */
import { readExtractive } from '../../models/answer/extractive.ts';
import { queryTerms } from '../../models/text/tokenize.ts';
import type { DocumentIndex } from '../retrieval/document-index.ts';
import { type Evidence, type EvidenceOptions, gatherEvidence, round } from '../retrieval/evidence.ts';
import type { Answer } from './types.ts';

/**
 * The extractive reader over gathered evidence (the default reader: no model weights).
 * `llmRejected`: why a configured LLM's answer was not used, recorded in the ledger.
 */
export function readEvidenceExtractively(evidence: Evidence, llmRejected?: string): Answer {
  const readStart = performance.now();
  const read = readExtractive(evidence.question, queryTerms(evidence.question), evidence.idf, evidence.candidates, evidence.inDocument);
  const finished = performance.now();
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

export function answerQuestion(index: DocumentIndex, question: string, options: EvidenceOptions = {}): Answer {
  return readEvidenceExtractively(gatherEvidence(index, question, options));
}
