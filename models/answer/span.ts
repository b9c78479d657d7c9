/**
 * Answer spans without a model: inside the best evidence sentence, the answer is usually the
 * stretch of words that the question does not already contain, next to the words it does
 * ("The default width is 0.8" answers "What is the default bar width?" with "0.8"). Candidate
 * stretches are the runs of non-question words. A run wins by being close to the question's
 * words, closest of all to the question's focus noun ("which directory" → the run next to
 * "directory"), and by holding the kind of token the question asks for (a number for "how
 * many", a capitalised name for "who", a code-like token for "which function").
 */
import { STOPWORDS, stem } from '../text/tokenize.ts';
import { type AnswerType, hasNumber, isQuantity, looksLikeCode, type QuestionAnalysis } from './question.ts';

interface Token {
  text: string;
  /** A quantity, and not the number of a label ("Definition 2", "Figure 3", "Section 4.1"). */
  quantity: boolean;
  /** Stem of the token's word characters ('' for pure punctuation). */
  key: string;
  question: boolean;
  focus: boolean;
  stop: boolean;
}

const WORD = /[\p{L}\p{N}]+(?:[.,_'’-][\p{L}\p{N}]+)*/u;

/** Words whose following number names a thing rather than measuring one. */
const LABEL_WORD = /^[(\[]?(figures?|fig|tables?|tab|sections?|sec|chapters?|appendix|definition|theorem|lemma|corollary|proposition|example|equation|eq|algorithm|listing|step|page|pp?|part|version|v|no|item|line|q)\.?$/i;

/** A token's letters and digits only, lower-cased: "x/y/zlabel" and "x/y/z-label" are one name. */
const bareOf = (text: string): string => text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');

function tokenize(sentence: string, questionStems: ReadonlySet<string>, questionWords: ReadonlySet<string>, focus: ReadonlySet<string>, questionBare: ReadonlySet<string>): Token[] {
  const parts = sentence.split(/\s+/).filter(Boolean);
  return parts.map((text, i) => {
      const word = (WORD.exec(text.toLowerCase())?.[0] ?? '').replace(/’/g, "'");
      const key = word ? stem(word) : '';
      // A code token that merely contains a question word ("OCTAVE_HOME/share") is new
      // information, unless the question writes the same token (with other punctuation).
      const code = looksLikeCode(text) && text.length > word.length + 2;
      const question =
        word !== '' && (code ? questionBare.has(bareOf(text)) : questionStems.has(key) || (questionWords.has(word) && !STOPWORDS.has(word)));
      const quantity = isQuantity(text) && !(i > 0 && LABEL_WORD.test(parts[i - 1]));
      return { text, quantity, key, question, focus: question && focus.has(key), stop: word === '' || STOPWORDS.has(word) };
  });
}

const TRIM = /^[\s,;:()[\]"'“”‘’]+|[\s,;:()[\]"'“”‘’.]+$/g;

/** Words that introduce a name: what follows them is the answer to "what is it called". */
const NAMING = /^(called|named|termed|dubbed|known|titled|entitled)$/i;

function typeFit(slice: Token[], type: AnswerType, first: Token): number {
  const text = slice.map((t) => t.text).join(' ');
  switch (type) {
    case 'number':
      return slice.some((t) => t.quantity) ? 1 : hasNumber(text) ? 0.3 : -0.5;
    case 'entity':
      // A capital that only starts the sentence is not a name.
      return slice.some((t) => /^\p{Lu}/u.test(t.text) && t !== first) ? 1 : -0.5;
    case 'code':
      return slice.some((t) => looksLikeCode(t.text)) ? 1 : -0.3;
    case 'value':
      return hasNumber(text) || slice.some((t) => looksLikeCode(t.text)) ? 0.8 : -0.2;
    default:
      return 0;
  }
}

/** The capitalised phrase that ends at token `end` ("the Laura and John Arnold Foundation"). */
function properNounEndingAt(tokens: Token[], end: number): { start: number; end: number } | null {
  if (!/^\p{Lu}/u.test(tokens[end].text)) return null;
  let start = end;
  while (start > 0) {
    const previous = tokens[start - 1].text;
    if (/^\p{Lu}/u.test(previous) || (/^(and|of|for|de|van|von|&)$/.test(previous) && start >= 2 && /^\p{Lu}/u.test(tokens[start - 2].text))) start--;
    else break;
  }
  return start < end ? { start, end: end + 1 } : null;
}

/** Narrow a code-type span to its code tokens ("val = max_recursion_depth ()" → max_recursion_depth). */
function codeTokens(slice: Token[]): string | null {
  const code = slice.filter((t) => looksLikeCode(t.text)).map((t) => t.text.replace(TRIM, '').replace(/\($/, ''));
  if (code.length === 0) return null;
  // The identifier the sentence repeats most is the subject (a function's usage lines repeat its name).
  const counts = new Map<string, number>();
  for (const token of code) {
    const name = token.replace(/\(.*$/, '');
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
}

/**
 * The answer span of `sentence`, or the sentence itself when the question's words cover it
 * entirely or not at all. `questionTerms` are stemmed question terms; `questionWords` the raw
 * lower-cased question words (so "Octave" in the question also removes "Octave's").
 */
export function extractSpan(
  sentence: string,
  questionTerms: readonly string[],
  questionWords: readonly string[],
  question: Pick<QuestionAnalysis, 'type' | 'focus'>,
  maxWords = 30,
  /** The question as asked: a code token it writes ("x/y/z-label") is not new in the sentence. */
  questionText = '',
): string {
  const asWritten = new Set(questionText.split(/\s+/).map(bareOf).filter(Boolean));
  const tokens = tokenize(sentence, new Set(questionTerms), new Set(questionWords), new Set(question.focus), asWritten);
  const anchors = tokens.map((t, i) => (t.question ? i : -1)).filter((i) => i >= 0);
  if (anchors.length === 0) return sentence;
  const focusAnchors = tokens.map((t, i) => (t.focus ? i : -1)).filter((i) => i >= 0);

  // "which foundation": the answer is the name the focus noun ends ("… Arnold Foundation").
  if (question.type === 'entity') {
    for (const at of focusAnchors) {
      const name = properNounEndingAt(tokens, at);
      if (name) return join(tokens, name.start, name.end);
    }
  }

  // Runs of tokens that are not question words; stopwords inside a run are kept.
  const runs: { start: number; end: number }[] = [];
  let start = -1;
  tokens.forEach((token, i) => {
    if (!token.question && start < 0) start = i;
    if (token.question && start >= 0) {
      runs.push({ start, end: i });
      start = -1;
    }
  });
  if (start >= 0) runs.push({ start, end: tokens.length });
  const distanceTo = (points: number[], run: { start: number; end: number }) =>
    Math.min(...points.map((a) => (a < run.start ? run.start - a : a - run.end + 1)));

  const asksForName = question.focus.includes('name') || questionWords.includes('called');
  let best: { start: number; end: number; score: number } | null = null;
  for (const run of runs) {
    // "sometimes called rader charts": what follows a naming word is the name.
    let s = run.start;
    if (asksForName) for (let i = run.start; i < run.end - 1; i++) if (NAMING.test(tokens[i].text)) s = i + 1;
    if (s > run.start && tokens[s]?.text.toLowerCase() === 'as') s++;
    // Drop stopwords at the edges: "is 0.8" → "0.8". Distance counts from the untrimmed run,
    // so the stopwords between an answer and the question's words cost nothing.
    let e = run.end;
    while (s < e && tokens[s].stop) s++;
    while (e > s && tokens[e - 1].stop) e--;
    if (s >= e) continue;
    e = Math.min(e, s + maxWords);
    const slice = tokens.slice(s, e);
    let score = 1 / distanceTo(anchors, run);
    if (focusAnchors.length > 0 && distanceTo(focusAnchors, run) <= 3) score += 0.5;
    // Statements put the answer after the words of the question ("the default is 0.8").
    if (anchors[0] < run.start) score += 0.1;
    score += typeFit(slice, question.type, tokens[0]);
    if (question.type === 'number') {
      // "22 features": a count stands right before the thing counted; and it is short.
      if (tokens[e]?.focus) score += 0.3;
      // "48.29 minutes": a measure comes with its unit.
      if (slice.some((t, k) => t.quantity && /^\p{L}+[.,;]?$/u.test(slice[k + 1]?.text ?? '') && !slice[k + 1].stop)) score += 0.2;
      score -= 0.03 * (e - s - 1);
    } else {
      // Prefer substance over a lone connective word.
      score += Math.min(slice.filter((t) => !t.stop).length, 6) * 0.05;
    }
    if (!best || score > best.score) best = { start: s, end: e, score };
  }
  if (!best) return sentence;
  const slice = tokens.slice(best.start, best.end);
  if (question.type === 'code') {
    const code = codeTokens(slice);
    if (code) return code;
  }
  if (question.type === 'number' && slice.length > 4) {
    // "… 22 features and other proposals range from nine to 60 components": the number next to the question's words.
    const numbers = slice.map((t, i) => (t.quantity ? best.start + i : -1)).filter((i) => i >= 0);
    const nearest = numbers.sort((a, b) => distanceTo(anchors, { start: a, end: a + 1 }) - distanceTo(anchors, { start: b, end: b + 1 }))[0];
    if (nearest !== undefined) {
      // "15 and 13", "3, 4, or 5": a list of quantities answers together.
      let first = nearest;
      let last = nearest;
      const joiner = (i: number) => /^(and|or|to|,|&|-|–)$/i.test(tokens[i]?.text ?? '');
      while (first - 2 >= best.start && joiner(first - 1) && tokens[first - 2].quantity) first -= 2;
      while (last + 2 < best.end && joiner(last + 1) && tokens[last + 2].quantity) last += 2;
      const unit = tokens[last + 1] && !tokens[last + 1].stop && !tokens[last + 1].question && !hasNumber(tokens[last + 1].text) ? 1 : 0;
      return join(tokens, first, last + 1 + unit);
    }
  }
  return join(tokens, best.start, best.end) || sentence;
}

function join(tokens: Token[], start: number, end: number): string {
  return tokens
    .slice(start, end)
    .map((t) => t.text)
    .join(' ')
    .replace(TRIM, '');
}
