/**
 * The judge reader (FOLIO_READER=judge): the extractive reader proposes its best candidate
 * answers (one per top passage), the language model scores each as the answer to the question
 * given that passage (models/answer/judge.ts), and the best-scoring candidate is answered with its
 * citation. Answers from statement cells (the numeric reader's formulas) and "not found" stay as
 * the extractive reader gave them.
 *
 * Each candidate's excerpt is prefilled once; the question-and-answer continuation is then run,
 * its log-probs read, and the KV cache rewound to the excerpt for the calibration run without
 * the question (LlmSession.rewind, as bench/fidelity.ts branches from one prefill).
 */
import {
  type CandidateLogProbs,
  DEFAULT_JUDGE,
  type JudgeSettings,
  continuationLogProbs,
  judgeContinuation,
  judgedCitations,
  type JudgeNormalisation,
  judgePrefix,
  judgeScore,
  judgeSuffix,
  needsUnconditioned,
  pickCandidate,
} from '../../models/answer/judge.ts';
import { type AnswerCandidate, DEFAULT_EXTRACTIVE } from '../../models/answer/extractive.ts';
import type { LlmModel } from '../../models/llm/model.ts';
import type { Evidence } from '../retrieval/evidence.ts';
import { readWithCandidates } from './extractive.ts';
import type { LlmAnswerOptions, LlmReader } from './llm.ts';
import type { Answer, ExtractiveReaderLedger } from './types.ts';

export interface ScoredCandidates {
  logProbs: CandidateLogProbs[];
  /** Tokens run through the model. */
  tokens: number;
}

/**
 * The model's log-probs of each candidate as the answer to `question` given its own passage, and
 * (with `unconditioned`) without the question. Candidates with the same passage share its prefill.
 */
export async function scoreCandidates(model: LlmModel, question: string, candidates: readonly AnswerCandidate[], unconditioned: boolean, signal?: AbortSignal): Promise<ScoredCandidates> {
  const tokenizer = model.tokenizer;
  if (!tokenizer) throw new Error('The judge needs a model with a tokenizer');
  const vocab = model.config.vocabSize;
  const session = model.newSession(512);
  const encode = (text: string) => tokenizer.encode(text, { addSpecialTokens: false });
  const withQuestion = encode(judgeSuffix(question));
  const withoutQuestion = encode(judgeSuffix(null));
  let tokens = 0;
  let prefix: string | null = null;
  let base = 0;
  const logProbs: CandidateLogProbs[] = [];
  for (const candidate of candidates) {
    signal?.throwIfAborted();
    const text = judgePrefix(candidate);
    if (text !== prefix) {
      session.rewind(0);
      const ids = tokenizer.encode(text);
      await model.prefillFrom(session, ids, ids.length - 1, signal);
      tokens += ids.length;
      prefix = text;
      base = session.cache.length;
    }
    const continuation = encode(judgeContinuation(candidate.answer));
    const run = async (suffix: number[]) => {
      // The suffix's last position predicts the first candidate token; the candidate's last token predicts nothing scored.
      const ids = [...suffix, ...continuation.slice(0, -1)];
      const logits = await model.prefillFrom(session, ids, suffix.length - 1, signal);
      tokens += ids.length;
      session.rewind(base);
      return continuationLogProbs(logits, vocab, continuation);
    };
    const conditioned = await run(withQuestion);
    logProbs.push({ conditioned, unconditioned: unconditioned ? await run(withoutQuestion) : [] });
  }
  return { logProbs, tokens };
}

/** One judged question before a normalisation is chosen (the eval compares normalisations on one run). */
export interface JudgeRun {
  /** The extractive reader's answer (numeric, "not found", or its own text answer). */
  extractive: Answer;
  candidates: AnswerCandidate[];
  scored: ScoredCandidates | null;
  ms: number;
}

/** The answer under `normalisation`: the extractive one when there was nothing to judge. */
export function judgedAnswer(run: JudgeRun, normalisation: JudgeNormalisation, model: string): Answer {
  const { extractive, candidates, scored } = run;
  if (!scored || candidates.length < 2) return extractive;
  const scores = scored.logProbs.map((lp) => judgeScore(lp, normalisation));
  const chosen = pickCandidate(scores);
  const candidate = candidates[chosen];
  const reader = extractive.ledger.reader as ExtractiveReaderLedger;
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const round = (value: number) => Math.round(value * 1000) / 1000;
  return {
    ...extractive,
    answer: candidate.answer,
    evidence: candidate.evidence,
    citations: judgedCitations(candidate, extractive.citations, DEFAULT_EXTRACTIVE.maxCitations),
    ledger: {
      ...extractive.ledger,
      reader: {
        ...reader,
        judge: {
          model,
          normalisation,
          chosen,
          candidates: candidates.map((c, i) => ({
            answer: c.answer,
            page: c.citation.page,
            rank: c.rank,
            tokens: scored.logProbs[i].conditioned.length,
            logProb: round(sum(scored.logProbs[i].conditioned)),
            logProbWithoutQuestion: scored.logProbs[i].unconditioned.length ? round(sum(scored.logProbs[i].unconditioned)) : null,
            score: round(scores[i]),
          })),
          tokens: scored.tokens,
          ms: Math.round(run.ms),
        },
      },
      ms: { ...extractive.ledger.ms, read: extractive.ledger.ms.read + Math.round(run.ms), total: extractive.ledger.ms.total + Math.round(run.ms) },
    },
  };
}

/** The judge reader over a loaded LLM (it shares the LLM reader's model and queue). */
export class JudgeReader {
  constructor(
    readonly llm: LlmReader,
    readonly settings: JudgeSettings = DEFAULT_JUDGE,
  ) {}

  get name(): string {
    return this.llm.name;
  }

  load(): Promise<LlmModel> {
    return this.llm.load();
  }

  release(): Promise<void> {
    return this.llm.release();
  }

  /** The candidates and their scores; `unconditioned` forces the calibration runs (the eval). */
  run(evidence: Evidence, options: { unconditioned?: boolean; signal?: AbortSignal } = {}): Promise<JudgeRun> {
    return this.llm.exclusive(async () => {
      const { answer, candidates } = readWithCandidates(evidence, this.settings.candidates);
      if (candidates.length < 2) return { extractive: answer, candidates, scored: null, ms: 0 };
      const model = await this.load();
      const started = performance.now();
      const scored = await scoreCandidates(model, evidence.question, candidates, options.unconditioned ?? needsUnconditioned(this.settings.normalisation), options.signal);
      return { extractive: answer, candidates, scored, ms: performance.now() - started };
    });
  }

  async answer(evidence: Evidence, options: LlmAnswerOptions = {}): Promise<Answer> {
    const answer = judgedAnswer(await this.run(evidence, { signal: options.signal }), this.settings.normalisation, this.name);
    options.onText?.(answer.answer);
    return answer;
  }
}
