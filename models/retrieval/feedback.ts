/**
 * Training-free query expansion by pseudo-relevance feedback (RM3-style, Lavrenko & Croft;
 * Abdul-Jaleel et al.): the best units of a first ranking are taken as relevant, the words
 * they share are weighted like a relevance model, P(w|R) ≈ Σ_d score(d) · tf(w, d)/|d|, times
 * idf so that words common everywhere do not dominate, and the strongest few join the query
 * at a weight below the question's own terms.
 *
 * Units are paragraphs, far shorter than the documents RM3 was designed on, so one unit's
 * rare word would top P(w|R) by itself; a term must therefore occur in `minUnits` of the
 * feedback units. Numbers never expand a query: in the top passages they are answer
 * candidates, not topic words, and would pull in any passage quoting the same figure.
 */
import { STOPWORDS, stem, words } from '../text/tokenize.ts';

export interface FeedbackOptions {
  /** Best units of the first ranking taken as relevant. */
  units: number;
  /** Expansion terms added to the query. */
  terms: number;
  /** Weight of the strongest expansion term; a question term weighs 1. */
  weight: number;
  /** Feedback units an expansion term must occur in. */
  minUnits: number;
}

export const DEFAULT_FEEDBACK: FeedbackOptions = { units: 5, terms: 10, weight: 0.3, minUnits: 2 };

export interface FeedbackUnit {
  text: string;
  /** The unit's first-pass score (any positive scale: only ratios matter). */
  score: number;
}

const NUMBER = /^[\p{N}.,]+$/u;

/**
 * Expansion terms (stemmed, as the sparse index spells them) with their query weights, best
 * first; none of `questionTerms` is among them. `idf` gives a term's inverse document
 * frequency over the document's units.
 */
export function feedbackTerms(
  feedback: readonly FeedbackUnit[],
  questionTerms: readonly string[],
  idf: (term: string) => number,
  options: FeedbackOptions = DEFAULT_FEEDBACK,
): Map<string, number> {
  const asked = new Set(questionTerms);
  const top = Math.max(0, ...feedback.map((unit) => unit.score));
  if (!(top > 0)) return new Map();
  const relevance = new Map<string, number>();
  const unitsWith = new Map<string, number>();
  for (const unit of feedback.slice(0, options.units)) {
    if (!(unit.score > 0)) continue;
    const all = words(unit.text);
    const counts = new Map<string, number>();
    for (const word of all) {
      if (STOPWORDS.has(word) || NUMBER.test(word)) continue;
      const term = stem(word);
      if (!asked.has(term)) counts.set(term, (counts.get(term) ?? 0) + 1);
    }
    for (const [term, tf] of counts) {
      unitsWith.set(term, (unitsWith.get(term) ?? 0) + 1);
      relevance.set(term, (relevance.get(term) ?? 0) + (unit.score / top) * (tf / all.length));
    }
  }
  const ranked = [...relevance.entries()]
    .filter(([term]) => (unitsWith.get(term) ?? 0) >= options.minUnits)
    .map(([term, p]): [string, number] => [term, p * idf(term)])
    .filter(([, w]) => w > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, options.terms);
  const strongest = ranked[0]?.[1] ?? 0;
  return new Map(ranked.map(([term, w]) => [term, (options.weight * w) / strongest]));
}
