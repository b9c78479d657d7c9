/**
 * When to say "not found in this document". Two signals, both cheap and explainable:
 *  1. the question's focus, the thing it asks for ("which GPU model", "what dollar amount"),
 *     names a term the document never uses: the document cannot say which one it is;
 *  2. the best evidence sentence covers too little of the question's IDF mass.
 * The coverage floor (MIN_COVERAGE) was set below every answerable question's best coverage on
 * the development set (lowest 0.29), so it only rejects evidence that shares almost nothing
 * with the question; the focus rule does the rest.
 */
import { questionFocus } from './question.ts';

export const MIN_COVERAGE = 0.2;

export interface Answerability {
  answerable: boolean;
  reason: string | null;
}

/**
 * @param inDocument whether a stemmed term occurs anywhere in the document
 * @param coverage the best evidence sentence's share of the question's IDF mass
 */
export function judgeAnswerability(question: string, inDocument: (term: string) => boolean, coverage: number): Answerability {
  const absent = questionFocus(question).filter((term) => !inDocument(term));
  if (absent.length > 0) {
    return { answerable: false, reason: `the document never mentions what the question asks for (${absent.join(', ')})` };
  }
  if (coverage < MIN_COVERAGE) {
    return { answerable: false, reason: `the best evidence covers only ${Math.round(coverage * 100)}% of the question` };
  }
  return { answerable: true, reason: null };
}
