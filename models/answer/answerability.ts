/**
 * When to say "not found in this document". Three signals, all cheap and explainable:
 *  1. the question's focus, the thing it asks for ("which GPU model", "what dollar amount"),
 *     names a term the document never uses: the document cannot say which one it is (unless the
 *     term is a part of a figure or table the question names and the evidence holds, such as
 *     its axes or legend, which the figure shows rather than the text says);
 *  2. the question names something by a name the document never prints: an acronym or a
 *     mixed-case name ("SAIDI", "EyeQ", "PyTorch"), which a document that discusses the thing
 *     would write the same way;
 *  3. the best evidence sentence covers too little of the question's IDF mass.
 * The coverage floor (MIN_COVERAGE) was set below every answerable question's best coverage on
 * the development set (lowest 0.29), so it only rejects evidence that shares almost nothing
 * with the question; the focus rule does the rest.
 */
import { terms } from '../text/tokenize.ts';
import { FIGURE_PARTS, questionFocus } from './question.ts';

export const MIN_COVERAGE = 0.2;

export interface AnswerabilityContext {
  /** The question names a figure or table by label and the evidence holds it. */
  namedLabelPresent?: boolean;
}

export interface Answerability {
  answerable: boolean;
  reason: string | null;
}

/**
 * @param inDocument whether a stemmed term occurs anywhere in the document
 * @param coverage the best evidence sentence's share of the question's IDF mass
 */
export function judgeAnswerability(question: string, inDocument: (term: string) => boolean, coverage: number, context: AnswerabilityContext = {}): Answerability {
  const absent = questionFocus(question).filter((term) => !inDocument(term) && !(context.namedLabelPresent && FIGURE_PARTS.has(term)));
  if (absent.length > 0) {
    return { answerable: false, reason: `the document never mentions what the question asks for (${absent.join(', ')})` };
  }
  // A name is in the document when every word the index makes of it is ("PG&E" → pg, e).
  const unnamed = questionNames(question).filter((name) => !terms(name).every(inDocument));
  if (unnamed.length > 0) {
    return { answerable: false, reason: `the document never names ${unnamed.map((name) => `"${name}"`).join(', ')}` };
  }
  if (coverage < MIN_COVERAGE) {
    return { answerable: false, reason: `the best evidence covers only ${Math.round(coverage * 100)}% of the question` };
  }
  return { answerable: true, reason: null };
}

/** Two capitals or more (SAIDI, CUDA, PG&E, R&D), or a capital inside a lower-case word (EyeQ, PyTorch). */
const NAME = /^(?:[\p{Lu}\p{N}&.-]*\p{Lu}[\p{Lu}\p{N}&.-]*\p{Lu}[\p{Lu}\p{N}&.-]*s?|\p{Lu}?\p{Ll}+\p{Lu}[\p{L}\p{N}]*)$/u;
/** Written in capitals but not names of things a document must print: units, periods, filing words. */
const NOT_NAMES = /^(USD|US|U\.S\.?|FY\d*|Q[1-4]|H[12]|GAAP|SEC|YOY|YTD|TTM|LTM|CY\d*)$/;

/** The names a question writes as names (see NAME), without possessives. */
export function questionNames(question: string): string[] {
  const names = new Set<string>();
  for (const raw of question.split(/[\s,;:?!()"“”‘]+/)) {
    const token = raw.replace(/['’]s$/, '').replace(/^['’]|['’.]$/g, '');
    if (token && NAME.test(token) && !NOT_NAMES.test(token) && /\p{L}/u.test(token)) names.add(token);
  }
  return [...names];
}
