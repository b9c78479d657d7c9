/**
 * The extractive reader: picks the sentence (or, in sentence-less text such as table rows, the
 * word window) of the retrieved units that covers the question's terms best, weighted by IDF,
 * and cites where it came from. No model weights; deterministic.
 *
 * A sentence is judged with its context: the terms of its paragraph and section titles count
 * too (at a lower weight), because the sentence that answers often says "it" where the question
 * names the thing ("It requires 3, 4, or 5 columns" under "boxerrorbars"). A sentence that
 * cannot hold the kind of answer asked for (no number for "how many") loses ground, and when
 * the question names a figure or table, the units that are that figure or table come first.
 */
import type { Box, Citation, UnitKind } from '../document/types.ts';
import { captionLabel, referencedLabels } from '../document/labels.ts';
import { conceptSynonyms, withSynonyms } from '../finance/concepts.ts';
import { sentences } from '../text/sentences.ts';
import { STOPWORDS, terms as termsOf, words } from '../text/tokenize.ts';
import { judgeAnswerability } from './answerability.ts';
import { analyseQuestion, FIGURE_PARTS, fitsAnswerType, questionCore } from './question.ts';
import { extractSpan } from './span.ts';
import { statementRowPassage, tableRowPassages } from './table-cells.ts';
import type { RowRef } from '../retrieval/row-units.ts';

export interface CandidateUnit {
  page: number;
  bbox: Box;
  text: string;
  /** Retrieval score; higher is better. */
  score: number;
  /** For tables: cells row by row, and the linked caption. */
  cells?: string[][];
  caption?: string | null;
  kind?: UnitKind;
  /** Titles of the enclosing headings, outermost first. */
  section?: string[];
  /** For a row unit: the statement table and row it reads (cells, values, periods, boxes). */
  row?: RowRef;
}

export interface ExtractiveAnswer {
  /** The short answer: a span of the best sentence. */
  answer: string;
  /** The sentence (or window) the answer was taken from; also the first citation's quote. */
  evidence: string;
  found: boolean;
  citations: Citation[];
  /** Best passage's share of the question's IDF mass it covers, in [0, 1]. */
  coverage: number;
  /** Why the reader declined to answer, when it did. */
  notFoundReason: string | null;
  passagesScored: number;
  /**
   * With `options.candidates` > 0 and an answer found: the answers of the best-scoring passages,
   * best first, one per distinct answer text; the first is `answer` itself. A judge (a language
   * model, lib/answer/judge.ts) may pick another.
   */
  candidates?: AnswerCandidate[];
}

export interface AnswerCandidate {
  /** The short answer this passage gives (its span, or the table cell the question points at). */
  answer: string;
  /** The passage (sentence, window or table row) it was taken from. */
  evidence: string;
  /** Where that passage is. */
  citation: Citation;
  /** The passage's rank among the reader's passages (0 = the reader's own answer). */
  rank: number;
  /** The rules' score of the passage. */
  score: number;
}

export interface ExtractiveOptions {
  /** At most this many citations, the answer's own first. */
  maxCitations: number;
  /** Passages longer than this many words are cut to their best window. */
  maxQuoteWords: number;
  /** Also return up to this many candidate answers (default 0: none). */
  candidates?: number;
}

export const DEFAULT_EXTRACTIVE: ExtractiveOptions = { maxCitations: 3, maxQuoteWords: 60 };

export const NOT_FOUND = 'Not found in this document.';

/** Words that say "this is the name of": they answer "what name" as surely as the word itself. */
const NAMING = /\b(called|named|termed|known as|referred to as)\b/i;

/** Stems of the words that name figures and tables ("fig", "tabl", …) and of the verbs that ask what they show. */
const LABEL_TERMS = new Set(['figur', 'fig', 'tabl', 'tab', 'listing', 'chart', 'show', 'plot', 'depict', 'illustr', 'displai', 'present', 'contain', 'describ']);

const POINTER = /\b(see|as in|in|from|described in|shown in)\s+(the\s+)?(section|chapter|appendix|table|figure|fig\.)\s*\d/i;

/** Whether two different question terms stand within three words of each other. */
function closePair(textTerms: readonly string[], question: ReadonlySet<string>): boolean {
  let lastTerm: string | null = null;
  let lastAt = -10;
  for (let i = 0; i < textTerms.length; i++) {
    const term = textTerms[i];
    if (!question.has(term) || STOPWORDS.has(term)) continue;
    if (lastTerm !== null && term !== lastTerm && i - lastAt <= 3) return true;
    lastTerm = term;
    lastAt = i;
  }
  return false;
}

/** Share of the question's focus terms the text contains. */
function focusCoverage(focus: readonly string[], text: string, present: ReadonlySet<string>): number {
  if (focus.length === 0) return 0;
  const naming = NAMING.test(text);
  return focus.filter((term) => present.has(term) || (term === 'name' && naming)).length / focus.length;
}

interface Passage {
  unit: number;
  text: string;
  coverage: number;
  score: number;
  /** For a table row: the cell at the row and the column the question names. */
  cell?: string | null;
  /** The passage is itself the answer (a named figure's own text, asked for its parts). */
  whole?: boolean;
}

/** The `maxWords`-word window of `text` whose words weigh most for the query. */
export function bestWindow(text: string, weightOf: (term: string) => number, maxWords: number): string {
  const tokens = text.split(/\s+/).filter(Boolean);
  if (tokens.length <= maxWords) return tokens.join(' ');
  const weights = tokens.map((token) => termsOf(token).reduce((sum, term) => sum + weightOf(term), 0));
  let windowSum = weights.slice(0, maxWords).reduce((a, b) => a + b, 0);
  let best = windowSum;
  let bestStart = 0;
  for (let start = 1; start + maxWords <= tokens.length; start++) {
    windowSum += weights[start + maxWords - 1] - weights[start - 1];
    if (windowSum > best) {
      best = windowSum;
      bestStart = start;
    }
  }
  return tokens.slice(bestStart, bestStart + maxWords).join(' ');
}

/**
 * @param question the question as asked (for the answer type and its literal words)
 * @param queryTerms stemmed, stopword-free question terms
 * @param idf weight of a term (BM25 IDF over the document's units)
 */
export function readExtractive(
  question: string,
  queryTerms: readonly string[],
  idf: (term: string) => number,
  units: readonly CandidateUnit[],
  inDocument: (term: string) => boolean,
  options: ExtractiveOptions = DEFAULT_EXTRACTIVE,
): ExtractiveAnswer {
  const weights = new Map(queryTerms.map((term) => [term, idf(term)]));
  const totalWeight = [...weights.values()].reduce((a, b) => a + b, 0);
  const weightOf = (term: string) => weights.get(term) ?? 0;
  const topUnitScore = units.reduce((max, unit) => Math.max(max, unit.score), 0) || 1;

  const analysis = analyseQuestion(question);
  const passages: Passage[] = [];
  // Financial concepts the question names in analyst words ("capex"): a passage printing one of
  // their statement labels ("Purchases of property and equipment") covers those words.
  const synonyms = conceptSynonyms(question);
  const expand = (present: Set<string>) => (synonyms.length > 0 ? withSynonyms(present, synonyms) : present);
  const coverageOf = (given: Set<string>) => {
    const present = expand(given);
    let covered = 0;
    for (const [term, weight] of weights) if (present.has(term)) covered += weight;
    return totalWeight > 0 ? covered / totalWeight : 0;
  };
  // The sentence is judged on the question's core; the locator's words belong to its context.
  const core = new Set(termsOf(questionCore(question)));
  const coreWeight = [...weights].reduce((sum, [term, weight]) => sum + (core.has(term) ? weight : 0), 0);
  const coreCoverageOf = (given: Set<string>) => {
    if (coreWeight === 0) return coverageOf(given);
    const present = expand(given);
    let covered = 0;
    for (const [term, weight] of weights) if (core.has(term) && present.has(term)) covered += weight;
    return covered / coreWeight;
  };
  // The question names a figure or table and asks little else ("What does Figure 4 plot?").
  const aboutWholeLabel = analysis.labels.length > 0 && queryTerms.filter((term) => !LABEL_TERMS.has(term) && !/^\d/.test(term)).length <= 2;
  // "What are the axis labels of Figure 1?": the parts are printed in the figure, not its caption.
  const asksForParts = analysis.labels.some((label) => label.startsWith('fig')) && analysis.focus.some((term) => FIGURE_PARTS.has(term));
  // The figure or table label each unit is (a caption) or belongs to (its linked caption).
  const unitLabels = units.map((unit) => captionLabel(unit.kind === 'caption' ? unit.text : (unit.caption ?? '')));
  units.forEach((unit, index) => {
    const prior = 0.25 * (unit.score / topUnitScore);
    const label = unitLabels[index];
    // The figure or table the question names: its caption, cells and text are the evidence.
    const named = label !== null && analysis.labels.includes(label);
    // A table's rows hold its answers, so its caption gets less of a lift than a figure's.
    // "What does Figure 4 show?" asks about the figure as a whole: its caption is the answer.
    const figurePartsHere = named && asksForParts && unit.kind === 'figure';
    const labelFit = !named ? 0 : figurePartsHere ? 0.6 : unit.kind !== 'caption' ? 0.3 : aboutWholeLabel ? 0.6 : label?.startsWith('table') ? 0.05 : 0.3;
    // Headings name a topic; they rarely state an answer.
    const kindFit = unit.kind === 'heading' ? -0.15 : 0;
    if (unit.row) {
      // A row unit: one passage, the row with its headings and headers, answering with a cell.
      const row = statementRowPassage(unit.row.table, unit.row.row, unit.text, unit.caption ?? null, weightOf);
      const coverage = coverageOf(row.rowTerms);
      const score = coverage + prior + 0.1 * coverageOf(row.captionTerms) + labelFit;
      passages.push({ unit: index, text: row.text, coverage, score, cell: row.cell });
      return;
    }
    if (unit.cells && unit.cells.length > 0) {
      // A table is read row by row, each row with its header and caption as context.
      // The row and its header must carry the match; the caption only breaks ties between rows.
      for (const row of tableRowPassages(unit.cells, unit.caption ?? null, weightOf)) {
        const coverage = coverageOf(row.rowTerms);
        const score = coverage + prior + 0.1 * coverageOf(row.captionTerms) + labelFit;
        passages.push({ unit: index, text: row.text, coverage, score, cell: row.cell });
      }
      return;
    }
    if (figurePartsHere) {
      // The figure's text (its axis titles, legend, panel names) read as one passage, the answer whole.
      const text = bestWindow(unit.text.replace(/\s+/g, ' '), weightOf, options.maxQuoteWords);
      const coverage = coverageOf(new Set(termsOf([unit.caption ?? '', text].join('\n'))));
      passages.push({ unit: index, text, coverage, score: coverage + prior + labelFit, whole: true });
      return;
    }
    const context = new Set(termsOf([...(unit.section ?? []), unit.caption ?? '', unit.text].join('\n')));
    const contextCoverage = coverageOf(context);
    let previous = new Set<string>();
    // A paragraph's first sentence names what the rest is about ("The boxerrorbars style is …
    // It requires 3, 4, or 5 columns"): a later sentence reads with it as well as with the one before.
    let topic: Set<string> | null = null;
    for (const sentence of sentences(unit.text)) {
      const text = bestWindow(sentence, weightOf, options.maxQuoteWords);
      // The sentence's terms, computed once for every signal below.
      const textTerms = termsOf(text);
      const own = new Set(textTerms);
      const coverage = coverageOf(own);
      const coreCoverage = coreCoverageOf(own);
      // "Such plots are called …": the sentence before says which plots.
      const localCoverage = coreCoverageOf(new Set([...own, ...previous, ...(topic ?? [])]));
      previous = own;
      topic ??= own;
      // A long sentence collects question words by chance; a short one that has them means it.
      const length = text.split(/\s+/).length;
      const lengthFit = -0.004 * Math.max(0, length - 20);
      const typeFit = fitsAnswerType(text, analysis.type) ? 0 : -0.15;
      // "as in Section 3.2", "see Table 5": a signpost to the answer, not the answer.
      const pointerFit = POINTER.test(text) && !referencedLabels(text).some((label) => analysis.labels.includes(label)) ? -0.15 : 0;
      // Question words close together ("experiments were run on") say more than the same words apart.
      const proximityFit = closePair(textTerms, core) ? 0.08 : 0;
      // The focus is what is asked for ("the default bar width"): a sentence that names it is about it.
      const focusFit = 0.15 * focusCoverage(analysis.focus, text, own);
      // Coverage decides; the context, the answer type, the named label and the unit's
      // retrieval score break near-ties.
      const score = 0.55 * coreCoverage + 0.2 * localCoverage + 0.25 * contextCoverage + lengthFit + proximityFit + prior + typeFit + pointerFit + focusFit + labelFit + kindFit;
      passages.push({ unit: index, text, coverage, score });
    }
  });
  passages.sort((a, b) => b.score - a.score || a.unit - b.unit);
  const best = passages[0];
  // Answerability asks whether any evidence covers the question, whichever passage reads best.
  // A concept's analyst word the document never prints ("capex") is there when one of its labels is.
  const synonymInDocument = (term: string) => synonyms.some((s) => s.phraseTerms.includes(term) && s.labelTerms.some((terms) => terms.every(inDocument)));
  const namedLabelPresent = unitLabels.some((label) => label !== null && analysis.labels.includes(label));
  const verdict = judgeAnswerability(question, (term) => inDocument(term) || synonymInDocument(term), passages.reduce((max, p) => Math.max(max, p.coverage), 0), { namedLabelPresent });
  if (!best || !verdict.answerable) {
    return {
      answer: NOT_FOUND,
      evidence: '',
      found: false,
      citations: [],
      coverage: best?.coverage ?? 0,
      notFoundReason: verdict.reason ?? 'nothing in the document matches the question',
      passagesScored: passages.length,
    };
  }
  const citations: Citation[] = [];
  const citedUnits = new Set<number>();
  for (const passage of passages) {
    if (citations.length >= options.maxCitations) break;
    if (citedUnits.has(passage.unit) || passage.coverage === 0) continue;
    citedUnits.add(passage.unit);
    const unit = units[passage.unit];
    citations.push({ page: unit.page, bbox: unit.bbox, quote: passage.text });
  }
  const spanOf = (passage: Passage) => (passage.cell ? passage.cell : passage.whole ? passage.text : extractSpan(passage.text, queryTerms, words(question), analysis, 30, question));
  const answer = spanOf(best);
  const read: ExtractiveAnswer = { answer, evidence: best.text, found: true, citations, coverage: best.coverage, notFoundReason: null, passagesScored: passages.length };
  const wanted = options.candidates ?? 0;
  if (wanted <= 0) return read;
  const candidates: AnswerCandidate[] = [];
  const seen = new Set<string>();
  for (let rank = 0; rank < passages.length && candidates.length < wanted; rank++) {
    const passage = passages[rank];
    // The reader's own answer always stands; a passage sharing nothing with the question does not.
    if (rank > 0 && passage.coverage === 0) continue;
    const text = rank === 0 ? answer : spanOf(passage);
    const key = text.toLowerCase().replace(/\s+/g, ' ').trim();
    if (!key || seen.has(key)) continue;
    seen.add(key);
    const unit = units[passage.unit];
    candidates.push({ answer: text, evidence: passage.text, citation: { page: unit.page, bbox: unit.bbox, quote: passage.text }, rank, score: passage.score });
  }
  return { ...read, candidates };
}
