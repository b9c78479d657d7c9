/**
 * Answer spans without a model: inside the best evidence sentence, the answer is usually the
 * stretch of words that the question does not already contain, next to the words it does
 * ("The default width is 0.8" answers "What is the default bar width?" with "0.8"). Candidate
 * stretches are the runs of non-question words; the run closest to the question's words wins,
 * with a preference for the kind of token the question asks for (a number for "how many").
 */
import { STOPWORDS, stem } from '../text/tokenize.ts';

export type AnswerType = 'number' | 'entity' | 'any';

/** What kind of answer the question's wording asks for. */
export function answerTypeOf(question: string): AnswerType {
  const q = question.toLowerCase();
  if (/\b(how (many|much|long|large|big|often|far)|what (value|percentage|number|size|amount)|by how much)\b/.test(q)) return 'number';
  if (/^\s*(who|whom)\b|\bafter whom\b|\bwhich (foundation|company|organization|person)\b/.test(q)) return 'entity';
  return 'any';
}

interface Token {
  text: string;
  /** Stem of the token's word characters ('' for pure punctuation). */
  key: string;
  question: boolean;
  stop: boolean;
}

const WORD = /[\p{L}\p{N}]+(?:[.,_'’-][\p{L}\p{N}]+)*/u;

function tokenize(sentence: string, questionStems: ReadonlySet<string>, questionWords: ReadonlySet<string>): Token[] {
  return sentence
    .split(/\s+/)
    .filter(Boolean)
    .map((text) => {
      const word = (WORD.exec(text.toLowerCase())?.[0] ?? '').replace(/’/g, "'");
      const key = word ? stem(word) : '';
      const question = word !== '' && (questionStems.has(key) || questionWords.has(word));
      return { text, key, question, stop: word === '' || STOPWORDS.has(word) };
    });
}

function hasNumber(tokens: Token[]): boolean {
  return tokens.some((t) => /\p{N}/u.test(t.text));
}

function hasCapitalised(tokens: Token[]): boolean {
  return tokens.some((t) => /^\p{Lu}/u.test(t.text));
}

const TRIM = /^[\s,;:()[\]"'“”‘’]+|[\s,;:()[\]"'“”‘’.]+$/g;

/**
 * The answer span of `sentence`, or the sentence itself when the question's words cover it
 * entirely or not at all. `questionTerms` are stemmed question terms; `questionWords` the raw
 * lower-cased question words (so "Octave" in the question also removes "Octave's").
 */
export function extractSpan(
  sentence: string,
  questionTerms: readonly string[],
  questionWords: readonly string[],
  type: AnswerType,
  maxWords = 30,
): string {
  const tokens = tokenize(sentence, new Set(questionTerms), new Set(questionWords));
  const anchors = tokens.map((t, i) => (t.question ? i : -1)).filter((i) => i >= 0);
  if (anchors.length === 0) return sentence;
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
  let best: { start: number; end: number; score: number } | null = null;
  for (const run of runs) {
    // Drop stopwords at the edges: "is 0.8" → "0.8". Distance counts from the untrimmed run,
    // so the stopwords between an answer and the question's words cost nothing.
    let s = run.start;
    let e = run.end;
    while (s < e && tokens[s].stop) s++;
    while (e > s && tokens[e - 1].stop) e--;
    if (s >= e) continue;
    e = Math.min(e, s + maxWords);
    const slice = tokens.slice(s, e);
    const distance = Math.min(...anchors.map((a) => (a < run.start ? run.start - a : a - run.end + 1)));
    let score = 1 / distance;
    // Statements put the answer after the words of the question ("the default is 0.8").
    if (anchors[0] < run.start) score += 0.1;
    if (type === 'number') score += hasNumber(slice) ? 1 : -0.5;
    if (type === 'entity') score += hasCapitalised(slice) ? 1 : -0.5;
    // Prefer substance over a lone connective word.
    score += Math.min(slice.filter((t) => !t.stop).length, 6) * 0.05;
    if (!best || score > best.score) best = { start: s, end: e, score };
  }
  if (!best) return sentence;
  const span = tokens
    .slice(best.start, best.end)
    .map((t) => t.text)
    .join(' ')
    .replace(TRIM, '');
  return span || sentence;
}
