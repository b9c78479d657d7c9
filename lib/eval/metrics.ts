/** Evaluation metrics for question answering with page evidence. */
import { firstNumber, statedDecimals, wholeNumber } from '../../models/finance/numbers.ts';
import { sharedTokenCount } from '../../models/text/overlap.ts';

/** SQuAD-style answer normalisation: lower case, no punctuation, no articles, single spaces. */
export function normalizeAnswer(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[\p{P}\p{S}]/gu, (ch) => (ch === '.' || ch === ',' || ch === '±' || ch === '%' ? ch : ' '))
    .replace(/(?<![\p{N}])[.,](?![\p{N}])/gu, ' ')
    .replace(/\b(a|an|the)\b/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

/** Token-level F1 between a predicted and a reference answer. */
export function tokenF1(prediction: string, reference: string): number {
  const predicted = normalizeAnswer(prediction);
  const expected = normalizeAnswer(reference);
  if (predicted.length === 0 || expected.length === 0) return predicted.length === expected.length ? 1 : 0;
  const common = sharedTokenCount(predicted, expected);
  if (common === 0) return 0;
  const precision = common / predicted.length;
  const recall = common / expected.length;
  return (2 * precision * recall) / (precision + recall);
}

/**
 * 1 when any evidence page is among the first k distinct pages of a ranking, else 0. Where a
 * question lists several pages that each hold the same evidence (a total printed in the
 * statements, the selected data and the notes), finding one of them is finding the evidence;
 * recall@k instead asks for all of them, so its ceiling at k = 1 is the mean of 1/|evidence|.
 */
export function pageHitAtK(rankedPages: readonly number[], evidence: readonly number[], k: number): number {
  return pageRecallAtK(rankedPages, evidence, k) > 0 ? 1 : 0;
}

/** Share of the evidence pages found among the first k distinct pages of a ranking. */
export function pageRecallAtK(rankedPages: readonly number[], evidence: readonly number[], k: number): number {
  if (evidence.length === 0) return 0;
  const top = new Set<number>();
  for (const page of rankedPages) {
    if (top.size >= k) break;
    top.add(page);
  }
  return evidence.filter((page) => top.has(page)).length / evidence.length;
}

/** Distinct pages in first-seen order. */
export function distinctPages(pages: readonly number[]): number[] {
  return [...new Set(pages)];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function mean(values: readonly number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
}

export interface NumericGrade {
  /** The gold answer is one number ("$10,495", "37.8%", "1.60"). */
  numeric: boolean;
  /** The answer's first number, or null when it prints none. */
  predicted: number | null;
  gold: number | null;
  correct: boolean;
}

/**
 * Grades a numeric gold answer against the first number of the predicted one. They agree when
 * they differ by at most one unit in the last place the question asks for ("round to one
 * decimal place": 0.1), or, when the question states no rounding, by at most 1% of the gold
 * value. Signs are compared as magnitudes: a cash outflow printed "(10,495)" is answered as
 * the amount 10,495. A predicted "not found" never matches.
 */
export function gradeNumeric(predicted: string, gold: string | null, question: string, found = true): NumericGrade {
  const expected = gold === null ? null : wholeNumber(gold);
  if (!expected) return { numeric: false, predicted: null, gold: null, correct: false };
  const answer = found ? firstNumber(predicted) : null;
  if (!answer) return { numeric: true, predicted: null, gold: expected.value, correct: false };
  const decimals = statedDecimals(question);
  const tolerance = decimals !== null ? 10 ** -decimals + 1e-9 : Math.abs(expected.value) * 0.01;
  const correct = Math.abs(Math.abs(answer.value) - Math.abs(expected.value)) <= tolerance;
  return { numeric: true, predicted: answer.value, gold: expected.value, correct };
}
