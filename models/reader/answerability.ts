/**
 * When to say "not found in this document". Two signals, both cheap and explainable:
 *  1. the question's focus, the thing it asks for ("which GPU model", "what dollar amount"),
 *     names a term the document never uses: the document cannot say which one it is;
 *  2. the best evidence sentence covers too little of the question's IDF mass.
 * The coverage floor (MIN_COVERAGE) was set below every answerable question's best coverage on
 * the development set (lowest 0.29), so it only rejects evidence that shares almost nothing
 * with the question; the focus rule does the rest.
 */
import { STOPWORDS, stem, words } from '../text/tokenize.ts';

export const MIN_COVERAGE = 0.2;

const DETERMINERS = new Set('the a an this that these those its their his her our my your'.split(' '));

const AUXILIARIES = new Set(
  'is are was were be been does do did has have had can could will would should may might must shall'.split(' '),
);

/**
 * Stemmed content words of the noun phrase right after "which"/"what" (at most three words,
 * up to the next auxiliary verb): "Which NVIDIA CUDA versions does …" → nvidia, cuda, version;
 * "What was the dollar amount of …" → dollar, amount.
 */
export function questionFocus(question: string): string[] {
  const tokens = words(question);
  const focus: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] !== 'which' && tokens[i] !== 'what') continue;
    // "What was the dollar amount": skip the auxiliary and articles before the phrase.
    let j = i + 1;
    while (j < tokens.length && (AUXILIARIES.has(tokens[j]) || tokens[j] === 'the' || tokens[j] === 'a' || tokens[j] === 'an')) j++;
    for (const end = j + 3; j < tokens.length && j < end; j++) {
      const word = tokens[j];
      if (AUXILIARIES.has(word) || word === 'of') break;
      // A word followed by a determiner is the verb ("which foundation gave the grant").
      if (DETERMINERS.has(tokens[j + 1] ?? '')) break;
      if (!STOPWORDS.has(word)) focus.push(stem(word));
    }
    break;
  }
  return focus;
}

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
