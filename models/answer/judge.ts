/**
 * A language model as the judge of the extractive reader's candidates: each candidate answer
 * is scored by the model's log-probability of it as the answer, given the question and the
 * passage it came from, and the best-scoring one is chosen. Pure functions over the model's
 * outputs (logits); running the model is lib/answer/judge.ts.
 *
 * The prompt is written for a base model (no chat template): a document excerpt, then
 * "Question: … Answer:", and the candidate as the continuation, followed by a newline so that a
 * span cut short ("the default bar") pays for the words it leaves out. The same candidate is
 * also scored without the question ("Answer:" right after the excerpt), for PMI-style
 * calibration: how much the question raises the candidate's probability, rather than how
 * probable its words are anyway.
 */
import type { Citation } from '../document/types.ts';
import type { AnswerCandidate } from './extractive.ts';

/** How a candidate's per-token log-probabilities become one score (higher is better). */
export type JudgeNormalisation = 'sum' | 'mean' | 'pmi' | 'pmi-mean';

export const JUDGE_NORMALISATIONS: readonly JudgeNormalisation[] = ['sum', 'mean', 'pmi', 'pmi-mean'];

export interface JudgeSettings {
  /** Candidates the extractive reader proposes (its own answer and the next best passages'). */
  candidates: number;
  normalisation: JudgeNormalisation;
}

/** Chosen by `npm run eval -- --reader judge` on the qa and finance sets (README, Evaluation). */
export const DEFAULT_JUDGE: JudgeSettings = { candidates: 5, normalisation: 'pmi-mean' };

/** Whether a normalisation needs the candidate scored without the question too. */
export function needsUnconditioned(normalisation: JudgeNormalisation): boolean {
  return normalisation === 'pmi' || normalisation === 'pmi-mean';
}

/** The model's log-probabilities of one candidate's tokens, with and without the question. */
export interface CandidateLogProbs {
  /** log p(token_i | excerpt, question, "Answer:", tokens before i), one per candidate token. */
  conditioned: number[];
  /** The same without the question (empty when not computed). */
  unconditioned: number[];
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/**
 * - `sum`: log p(candidate | prompt), which favours short candidates;
 * - `mean`: the mean log-prob per token (length-normalised);
 * - `pmi`: log p(candidate | prompt) − log p(candidate | prompt without the question);
 * - `pmi-mean`: that difference per token.
 */
export function judgeScore(logProbs: CandidateLogProbs, normalisation: JudgeNormalisation): number {
  const { conditioned, unconditioned } = logProbs;
  if (conditioned.length === 0) return Number.NEGATIVE_INFINITY;
  switch (normalisation) {
    case 'sum':
      return sum(conditioned);
    case 'mean':
      return sum(conditioned) / conditioned.length;
    case 'pmi':
    case 'pmi-mean': {
      if (unconditioned.length !== conditioned.length) throw new Error(`PMI needs the candidate scored without the question (${unconditioned.length} of ${conditioned.length} tokens)`);
      const gain = sum(conditioned) - sum(unconditioned);
      return normalisation === 'pmi' ? gain : gain / conditioned.length;
    }
  }
}

/**
 * The index of the best-scoring candidate. Candidates come in the extractive reader's order, and a
 * tie (scores within `tolerance`) goes to the earlier one: the model has to beat the rules to
 * change their answer. Returns -1 for no candidates.
 */
export function pickCandidate(scores: readonly number[], tolerance = 1e-6): number {
  let best = -1;
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) continue;
    if (best < 0 || scores[i] > scores[best] + tolerance) best = i;
  }
  return best;
}

/** log softmax(row)[id] for one row of logits, in float64. */
export function logSoftmaxAt(logits: Float32Array, row: number, vocab: number, id: number): number {
  const base = row * vocab;
  if (!(id >= 0 && id < vocab)) throw new Error(`Token id ${id} is outside the vocabulary (${vocab})`);
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < vocab; i++) if (logits[base + i] > max) max = logits[base + i];
  let total = 0;
  for (let i = 0; i < vocab; i++) total += Math.exp(logits[base + i] - max);
  return logits[base + id] - max - Math.log(total);
}

/**
 * The candidate's per-token log-probs from the logits of the positions that predict them: row 0
 * is the prompt's last position (predicting the first candidate token), row i the candidate's
 * token i − 1. `logits` holds at least `ids.length` rows.
 */
export function continuationLogProbs(logits: Float32Array, vocab: number, ids: readonly number[]): number[] {
  if (logits.length < ids.length * vocab) throw new Error(`${ids.length} candidate tokens need ${ids.length} rows of logits, got ${logits.length / vocab}`);
  return ids.map((id, i) => logSoftmaxAt(logits, i, vocab, id));
}

/** Excerpts are cut to this many characters, so one long passage cannot dominate the cost. */
const MAX_EXCERPT_CHARS = 600;

/** What every prompt for this candidate starts with: the excerpt it came from. */
export function judgePrefix(candidate: Pick<AnswerCandidate, 'evidence' | 'citation'>): string {
  const text = candidate.evidence.replace(/\s+/g, ' ').trim();
  const excerpt = text.length > MAX_EXCERPT_CHARS ? `${text.slice(0, MAX_EXCERPT_CHARS)}…` : text;
  return `Excerpt from page ${candidate.citation.page} of a document:\n${excerpt}\n\n`;
}

/** After the prefix, with the question (conditioned) or without it (for calibration). */
export function judgeSuffix(question: string | null): string {
  return question === null ? 'Answer:' : `Question: ${question.replace(/\s+/g, ' ').trim()}\nAnswer:`;
}

/** The continuation scored: the candidate after a space, ended by a newline. */
export function judgeContinuation(answer: string): string {
  return ` ${answer.replace(/\s+/g, ' ').trim()}\n`;
}

/**
 * The chosen candidate's citation first, then the reader's other citations of other places.
 */
export function judgedCitations(chosen: AnswerCandidate, readerCitations: readonly Citation[], maxCitations: number): Citation[] {
  const same = (a: Citation, b: Citation) => a.page === b.page && a.bbox.every((v, i) => v === b.bbox[i]);
  const out = [chosen.citation];
  for (const citation of readerCitations) {
    if (out.length >= maxCitations) break;
    if (!out.some((c) => same(c, citation))) out.push(citation);
  }
  return out;
}
