/**
 * The financial concept vocabulary (concepts.json beside this file): analysts say "capex",
 * "D&A", "top line" where statements print "Purchases of property and equipment",
 * "Depreciation and amortization", "Total net sales". This module finds the concepts a
 * question names, gives retrieval the label words to add to the query, and scores how well a
 * statement row's label prints a concept. Pure: the vocabulary file is read once.
 */
import { readFileSync } from 'node:fs';
import { isPair, queryTermsWithPairs, STOPWORDS, stem, words } from '../text/tokenize.ts';

export interface Concept {
  id: string;
  /** US-GAAP taxonomy element names the concept corresponds to (provenance). */
  gaap: string[];
  /** What analysts and questions call it. */
  terms: string[];
  /** What statements print as the row label. */
  labels: string[];
  /** For derived measures: an expression over other concepts' ids ("operating_cash_flow - capex"). */
  formula?: string;
  /** The measure is a percentage. */
  percent?: boolean;
  /** Cash paid out: printed negative in a cash-flow statement, meant as a positive amount. */
  outflow?: boolean;
}

export interface Vocabulary {
  concepts: Concept[];
  byId: Map<string, Concept>;
  /** Normalised phrase tokens of every term and label, by their first token. */
  phrases: Map<string, { tokens: string[]; concept: Concept }[]>;
}

export interface ConceptMatch {
  concept: Concept;
  /** Token positions [start, end) in the normalised question. */
  start: number;
  end: number;
  /** The words matched, normalised. */
  phrase: string;
}

/**
 * Lower case, curly quotes straightened, possessives and punctuation gone, "&" kept inside
 * abbreviations ("R&D", "PP&E"), hyphens as spaces ("top-line" = "top line").
 */
export function normalizePhrase(text: string): string {
  return text
    .toLowerCase()
    .replace(/[’‘`]/g, "'")
    .replace(/'s\b/g, '')
    .replace(/\s*&\s*/g, '&')
    .replace(/[^\p{L}\p{N}&]+/gu, ' ')
    .replace(/(^|\s)&|&(\s|$)/g, ' ')
    .trim()
    .replace(/\s+/g, ' ');
}

export function phraseTokens(text: string): string[] {
  const normal = normalizePhrase(text);
  return normal ? normal.split(' ') : [];
}

/** Builds the lookup tables of a vocabulary; throws when a formula names an unknown concept. */
export function makeVocabulary(concepts: Concept[]): Vocabulary {
  const byId = new Map(concepts.map((concept) => [concept.id, concept]));
  const phrases: Vocabulary['phrases'] = new Map();
  for (const concept of concepts) {
    for (const ref of concept.formula?.match(/[a-z_]+/g) ?? []) {
      if (!byId.has(ref)) throw new Error(`concept ${concept.id}: its formula names an unknown concept "${ref}"`);
    }
    const seen = new Set<string>();
    for (const phrase of [...concept.terms, ...concept.labels]) {
      const tokens = phraseTokens(phrase);
      const key = tokens.join(' ');
      if (tokens.length === 0 || seen.has(key)) continue;
      seen.add(key);
      const list = phrases.get(tokens[0]) ?? [];
      list.push({ tokens, concept });
      phrases.set(tokens[0], list);
    }
  }
  return { concepts, byId, phrases };
}

let shipped: Vocabulary | null = null;

/** The committed vocabulary (models/finance/concepts.json). */
export function financeVocabulary(): Vocabulary {
  if (!shipped) {
    const url = new URL('./concepts.json', import.meta.url);
    let parsed: { concepts: Concept[] };
    try {
      parsed = JSON.parse(readFileSync(url, 'utf8')) as { concepts: Concept[] };
    } catch (error) {
      throw new Error(`cannot read the financial concept vocabulary at ${url.pathname}`, { cause: error });
    }
    shipped = makeVocabulary(parsed.concepts);
  }
  return shipped;
}

/**
 * The concepts a text names, left to right; where phrases overlap the longest wins
 * ("gross margin percentage" over "gross margin", "effective tax rate" over "tax rate").
 */
export function findConcepts(text: string, vocabulary: Vocabulary = financeVocabulary()): ConceptMatch[] {
  const tokens = phraseTokens(text);
  const candidates: ConceptMatch[] = [];
  for (let i = 0; i < tokens.length; i++) {
    for (const { tokens: phrase, concept } of vocabulary.phrases.get(tokens[i]) ?? []) {
      if (i + phrase.length > tokens.length) continue;
      let same = true;
      for (let k = 1; k < phrase.length && same; k++) same = tokens[i + k] === phrase[k];
      if (same) candidates.push({ concept, start: i, end: i + phrase.length, phrase: phrase.join(' ') });
    }
  }
  candidates.sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
  const taken = new Uint8Array(tokens.length);
  const kept: ConceptMatch[] = [];
  for (const match of candidates) {
    let free = true;
    for (let k = match.start; k < match.end && free; k++) free = taken[k] === 0;
    if (!free) continue;
    taken.fill(1, match.start, match.end);
    if (!kept.some((other) => other.concept === match.concept)) kept.push(match);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/**
 * The statement labels to add to a query for the concepts it names: the labels of each named
 * concept, and for a derived measure those of the concepts its formula uses (one level), so
 * "free cash flow" also looks for the operating cash flow and capex rows.
 */
export function expansionLabels(matches: readonly ConceptMatch[], vocabulary: Vocabulary = financeVocabulary()): string[] {
  const out = new Set<string>();
  for (const { concept } of matches) {
    for (const label of concept.labels) out.add(label);
    for (const ref of concept.formula?.match(/[a-z_]+/g) ?? []) {
      for (const label of vocabulary.byId.get(ref)?.labels ?? []) out.add(label);
    }
  }
  return [...out];
}

/**
 * How well a row label prints a concept, in [0, 1]: 1 when it is one of the concept's labels
 * (after normalisation), 0.8 when it starts with one ("Net cash provided by operating
 * activities of continuing operations"), 0.6 when it contains one of its labels or terms of
 * two words or more as a phrase; else 0.
 */
export function labelFit(rowLabel: string, concept: Concept): number {
  const label = normalizePhrase(rowLabel);
  if (!label) return 0;
  let best = 0;
  for (const printed of concept.labels) {
    const normal = normalizePhrase(printed);
    if (!normal) continue;
    if (label === normal) return 1;
    if (label.startsWith(`${normal} `)) best = Math.max(best, 0.8);
    else if (normal.includes(' ') && ` ${label} `.includes(` ${normal} `)) best = Math.max(best, 0.6);
  }
  if (best < 0.6) {
    for (const term of concept.terms) {
      const normal = normalizePhrase(term);
      if (normal.includes(' ') && ` ${label} `.includes(` ${normal} `)) best = Math.max(best, 0.6);
    }
  }
  return best;
}

/**
 * Query terms for the statement labels of the concepts a question names, each at `weight`
 * (below the question's own words, which weigh 1): stemmed words and adjacent-word pairs, as
 * the sparse scorers index them. Terms the question already has are left out. With
 * `inDocument`, a concept whose words in the question are printed nowhere in the document
 * ("headcount" in a filing that only says "employees") has its labels weigh 1: they are then
 * the only way the question's subject can match, and at a lower weight the question's dates and
 * the issuer's name, which match everywhere, outvote them.
 */
export function conceptQueryTerms(question: string, weight: number, vocabulary: Vocabulary = financeVocabulary(), inDocument?: (term: string) => boolean): Map<string, number> {
  const own = new Set(queryTermsWithPairs(question));
  const out = new Map<string, number>();
  for (const match of findConcepts(question, vocabulary)) {
    const phrase = queryTermsWithPairs(match.phrase).filter((term) => !isPair(term));
    const absent = inDocument !== undefined && phrase.length > 0 && phrase.every((term) => !inDocument(term));
    const termWeight = absent ? 1 : weight;
    for (const label of expansionLabels([match], vocabulary)) {
      for (const term of queryTermsWithPairs(label)) if (!own.has(term)) out.set(term, Math.max(out.get(term) ?? 0, termWeight));
    }
  }
  return out;
}

/** A concept a question names: the question's stemmed words for it, and each label's stemmed content words. */
export interface ConceptSynonym {
  concept: string;
  phraseTerms: string[];
  labelTerms: string[][];
}

/**
 * For the sentence reader: the question's analyst words ("capex") and the statement labels
 * that mean the same ("Purchases of property and equipment"), as index terms, so a passage
 * that prints a label covers the question's words for it.
 */
export function conceptSynonyms(question: string, vocabulary: Vocabulary = financeVocabulary()): ConceptSynonym[] {
  const content = (text: string) => words(text).filter((word) => !STOPWORDS.has(word)).map(stem);
  return findConcepts(question, vocabulary).map((match) => ({
    concept: match.concept.id,
    phraseTerms: content(match.phrase.replaceAll('&', ' ')),
    labelTerms: match.concept.labels.map(content).filter((terms) => terms.length > 0),
  }));
}

/** `present` with the question's words for each concept added when a label of it is all there. */
export function withSynonyms(present: ReadonlySet<string>, synonyms: readonly ConceptSynonym[]): Set<string> {
  const out = new Set(present);
  for (const synonym of synonyms) {
    if (synonym.labelTerms.some((terms) => terms.every((term) => present.has(term)))) for (const term of synonym.phraseTerms) out.add(term);
  }
  return out;
}
