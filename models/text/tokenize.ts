/**
 * Word tokenizer shared by indexing and querying: Unicode letters and digits, lower-cased,
 * Porter-stemmed for English. Numbers keep their dots and commas inside ("1e-6" → "1e", "6";
 * "2.20" stays "2.20") so figures in a question can match figures on a page.
 */
import { stemmer } from 'stemmer';

const TOKEN = /[\p{L}\p{N}]+(?:[.,][\p{N}]+)*/gu;

/** Very common English words: they carry no evidence in a question. */
export const STOPWORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below ' +
    'between both but by can could did do does doing down during each few for from further had has have ' +
    'having he her here hers herself him himself his how i if in into is it its itself just me more most my ' +
    'myself no nor not now of off on once only or other our ours ourselves out over own same she should so ' +
    'some such than that the their theirs them themselves then there these they this those through to too ' +
    'under until up very was we were what when where which while who whom why will with would you your ' +
    'yours yourself yourselves according say says said s'
  ).split(' '),
);

/** A word broken across lines ("fea- tures") joins back up; a hyphen before a capital or a digit is real. */
const LINE_BREAK_HYPHEN = /(\p{Ll})-\s+(\p{Ll})/gu;

/** Raw lower-cased word tokens in order. */
export function words(text: string): string[] {
  return text.replace(LINE_BREAK_HYPHEN, '$1$2').toLowerCase().match(TOKEN) ?? [];
}

/**
 * Stems already computed: a document repeats a few thousand words hundreds of thousands of
 * times, and the index tokenizes each text more than once. Bounded, emptied when full.
 */
const STEMS = new Map<string, string>();
const STEM_CACHE_SIZE = 100_000;

export function stem(word: string): string {
  let stemmed = STEMS.get(word);
  if (stemmed === undefined) {
    stemmed = /^\p{L}+$/u.test(word) ? stemmer(word) : word;
    if (STEMS.size >= STEM_CACHE_SIZE) STEMS.clear();
    STEMS.set(word, stemmed);
  }
  return stemmed;
}

/** Index terms of a text: stemmed words, stopwords kept (BM25's IDF discounts them). */
export function terms(text: string): string[] {
  return words(text).map(stem);
}

/** Query terms: stemmed words without stopwords, each once, in first-seen order. */
export function queryTerms(text: string): string[] {
  const seen = new Set<string>();
  for (const word of words(text)) {
    if (STOPWORDS.has(word)) continue;
    seen.add(stem(word));
  }
  return [...seen];
}

/**
 * Index terms plus the pairs of adjacent content words ("spider plot"), which reward a unit
 * that contains the question's phrase over one that merely has its words. Pairs skip
 * stopwords on both sides, so "tolerance of quadgk" pairs "toler quadgk".
 */
export function termsWithPairs(text: string): string[] {
  const out: string[] = [];
  let previous: string | null = null;
  for (const word of words(text)) {
    const term = stem(word);
    out.push(term);
    if (STOPWORDS.has(word)) continue;
    if (previous !== null) out.push(`${previous} ${term}`);
    previous = term;
  }
  return out;
}

/** Query terms with their adjacent pairs, each once. */
export function queryTermsWithPairs(text: string): string[] {
  const seen = new Set<string>();
  let previous: string | null = null;
  for (const word of words(text)) {
    if (STOPWORDS.has(word)) continue;
    const term = stem(word);
    seen.add(term);
    if (previous !== null) seen.add(`${previous} ${term}`);
    previous = term;
  }
  return [...seen];
}

export function isPair(term: string): boolean {
  return term.includes(' ');
}
