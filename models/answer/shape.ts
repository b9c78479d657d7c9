/**
 * Answer shapes: what the sentence that answers a question must look like, read from the
 * question's wording. A question asking for a count ("How many employees…", "the headcount",
 * "the number of stores") is answered by a sentence that writes a quantity right before the
 * thing counted ("approximately 760 full-time employees"); one asking for a date ("On what
 * date…", "When did…") by a sentence that writes a date. Retrieval ranks the units that hold
 * the shape by their own lexical score (lib/retrieval/retrieve.ts, scorer `shape`): in a long
 * document the words of such a question ("employees", "as of December 31, 2015") are on
 * hundreds of units, and the shape is what sets the answering one apart.
 */
import { STOPWORDS, stem } from '../text/tokenize.ts';
import { isQuantity, questionCore } from './question.ts';

export type AnswerShape = { kind: 'count'; nouns: ReadonlySet<string> } | { kind: 'date' };

/** The question asks for a count ("how many units", "headcount", "the number of stores"), not money. */
export function asksCount(question: string): boolean {
  if (/\bhow many (dollars|usd)\b/i.test(question)) return false;
  return /\bhow many\b|\bhead\s*count\b|\bnumber of \w+/i.test(question);
}

/**
 * The question's own ask is a count: "How many …", "What was the number of …", "… headcount?"
 * after any locator ("According to Table 6, how many …"). Not a count word inside another ask:
 * "Which function sets the limit on the number of times …", "by how much … the number of …".
 */
function asksForCount(question: string): boolean {
  const core = questionCore(question).replace(/^\s*(?:on average|in total|overall|approximately|roughly)\s*,\s*/i, '');
  if (/\bhow many (dollars|usd)\b/i.test(core)) return false;
  return /^\s*(?:how many\b|what (?:is|was|were|are) (?:the )?(?:total )?(?:number of|headcount)\b)/i.test(core) || /^\s*what\b[^?]*\bhead\s*count\b/i.test(core);
}

/** "On what date …", "When did …" (not "When Octave runs as root, which …": a clause, not the ask). */
const DATE_QUESTION = /\b(on|by|as of) what (date|day)\b|^\s*what (date|day)\b|^\s*when (did|was|were|is|will|does|do|has|had)\b/i;

/** Content words that name no thing counted ("the number of", "how many total"); function words never do. */
const NOT_COUNTED = new Set(['number', 'total', 'approximate', 'approximately', 'about'].map(stem));

/** The stem of a word that can name the thing counted, or null. */
function countedNoun(word: string): string | null {
  if (STOPWORDS.has(word)) return null;
  const s = stem(word);
  return s.length > 2 && !NOT_COUNTED.has(s) ? s : null;
}

/**
 * The shape the answer must have, or null when the question's wording asks for none of them.
 * `synonyms`: other words for the thing counted (a concept vocabulary's labels: "headcount" is
 * written "employees"); they join the nouns the question names.
 */
export function answerShape(question: string, synonyms: readonly string[] = []): AnswerShape | null {
  if (asksForCount(question)) {
    const nouns = new Set<string>();
    // The thing counted: up to three words after "how many" or "number of", ending at the
    // first function word ("columns of data" counts columns).
    const after = /\bhow many\s+([\p{L}\s-]+)|\bnumber of\s+([\p{L}\s-]+)/iu.exec(question);
    for (const word of (after?.[1] ?? after?.[2] ?? '').toLowerCase().split(/\s+/).filter(Boolean).slice(0, 3)) {
      if (STOPWORDS.has(word)) break;
      const noun = countedNoun(word);
      if (noun) nouns.add(noun);
    }
    // A synonym's head noun: "full-time employees" counts employees.
    for (const synonym of synonyms) {
      const noun = countedNoun(synonym.trim().split(/[\s-]+/).pop()?.toLowerCase() ?? '');
      if (noun) nouns.add(noun);
    }
    return nouns.size > 0 ? { kind: 'count', nouns } : null;
  }
  return DATE_QUESTION.test(question) ? { kind: 'date' } : null;
}

const MONTH = '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\\.?';
const DATE = new RegExp(`\\b${MONTH}\\s+\\d{1,2}(?:st|nd|rd|th)?,?\\s+(?:19|20)\\d{2}\\b|\\b\\d{1,2}\\s+${MONTH}\\s+(?:19|20)\\d{2}\\b|\\b\\d{4}-\\d{2}-\\d{2}\\b|\\b\\d{1,2}/\\d{1,2}/(?:19|20)?\\d{2}\\b`, 'i');

/** A year standing alone ("2015 Employee Stock Purchase Plan") names a plan or a period, not a count. */
const YEAR = /^(?:19|20)\d{2}$/;

/** Money is not a count: "$683 million relates to employee severance". */
const MONEY = /^[(]?[$€£¥]/;

/** "million" in "$683 million" scales the number before it; the count is that number. */
const SCALE_WORD = /^(hundred|thousand|million|billion|trillion)$/i;

/** Words allowed between a count and the thing counted ("760 full-time employees", "12 new retail stores"). */
const GAP = 2;

/** Whether `text` holds the shape: a quantity at most GAP words before a counted noun, or a date. */
export function holdsShape(text: string, shape: AnswerShape): boolean {
  if (shape.kind === 'date') return DATE.test(text);
  const tokens = text.split(/\s+/);
  for (let i = 0; i < tokens.length; i++) {
    const bare = tokens[i].replace(/^[([~≈]+|[)\].,;:]+$/g, '');
    if (!isQuantity(bare) || YEAR.test(bare) || bare.endsWith('%') || SCALE_WORD.test(bare) || MONEY.test(tokens[i])) continue;
    if (/^(percent|per)\b/i.test(tokens[i + 1] ?? '')) continue;
    // A count ends its clause no earlier than the noun: "760 employees", not "760. Employees".
    if (/[.;:]$/.test(tokens[i])) continue;
    for (let k = i + 1; k <= i + 1 + GAP && k < tokens.length; k++) {
      const word = tokens[k].toLowerCase().replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');
      if (shape.nouns.has(stem(word))) return true;
      if (/[.;:]$/.test(tokens[k])) break;
    }
  }
  return false;
}

/**
 * Whether a statement row can hold the shape: a count is a row whose label names the thing
 * counted and whose values are not money ("Number of employees — 2023: 79,390"); no row holds
 * a date. A whole table's text runs one row's numbers into the next row's label, so tables are
 * judged by their rows, never as one text.
 */
export function rowHoldsShape(label: string, currency: string | null, shape: AnswerShape): boolean {
  if (shape.kind !== 'count' || currency) return false;
  return label.split(/[^\p{L}]+/u).some((word) => shape.nouns.has(stem(word.toLowerCase())));
}
