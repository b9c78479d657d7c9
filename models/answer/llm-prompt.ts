/**
 * The LLM reader's side of the conversation: the prompt that hands the model the sampler's
 * units, each tagged with its page, and the check of what the model says it used. A model may
 * cite a page it was never shown or none at all; only citations of units it was actually given
 * survive, each quoting the sentence of that unit closest to the answer.
 */
import type { Box, Citation } from '../document/types.ts';
import { terms as termsOf } from '../text/tokenize.ts';
import { sentences } from '../text/sentences.ts';

export interface PromptUnit {
  page: number;
  bbox: Box;
  text: string;
}

export interface ChatTurn {
  role: 'system' | 'user';
  content: string;
}

export const READER_INSTRUCTIONS =
  'You answer questions about a PDF document using only the numbered excerpts given. ' +
  'Answer briefly. After each claim, cite the page it comes from as [p. N]. ' +
  'If the excerpts do not contain the answer, reply exactly: Not found in this document.';

/** Excerpts longer than this many characters are cut, so one unit cannot crowd out the rest. */
const MAX_EXCERPT_CHARS = 1200;

export function excerptBlock(units: readonly PromptUnit[]): string {
  return units
    .map((unit, i) => {
      const text = unit.text.length > MAX_EXCERPT_CHARS ? `${unit.text.slice(0, MAX_EXCERPT_CHARS)}…` : unit.text;
      return `[${i + 1}] (p. ${unit.page}) ${text.replace(/\s+/g, ' ').trim()}`;
    })
    .join('\n');
}

export function readerMessages(question: string, units: readonly PromptUnit[]): ChatTurn[] {
  return [
    { role: 'system', content: READER_INSTRUCTIONS },
    { role: 'user', content: `Excerpts:\n${excerptBlock(units)}\n\nQuestion: ${question.trim()}` },
  ];
}

/** The same prompt for a model without a chat template. */
export function readerPlainPrompt(question: string, units: readonly PromptUnit[]): string {
  const [system, user] = readerMessages(question, units);
  return `${system.content}\n\n${user.content}\nAnswer:`;
}

const PAGE_CITATION = /\[\s*(?:p(?:age|p)?\.?\s*)(\d+(?:\s*[,;–-]\s*(?:p(?:age)?\.?\s*)?\d+)*)\s*\]/gi;

/** Page numbers the text cites as "[p. 12]", "[pp. 3, 4]", "[page 7]", in order of first mention. */
export function citedPages(text: string): number[] {
  const pages: number[] = [];
  for (const match of text.matchAll(PAGE_CITATION)) {
    for (const n of match[1].split(/[^\d]+/).filter(Boolean)) {
      const page = Number(n);
      if (!pages.includes(page)) pages.push(page);
    }
  }
  return pages;
}

/** The answer without its citation marks, for display next to the separate citation list. */
export function stripCitations(text: string): string {
  return text.replace(PAGE_CITATION, '').replace(/\s+([.,;:])/g, '$1').replace(/\s+/g, ' ').trim();
}

export interface CheckedCitations {
  citations: Citation[];
  /** Pages the model cited that none of its excerpts came from. */
  rejectedPages: number[];
}

/**
 * Keeps the citations of pages the model was given; each becomes the unit on that page that
 * shares most words with the answer, quoting its sentence that shares most.
 */
export function checkCitations(answer: string, units: readonly PromptUnit[]): CheckedCitations {
  const answerTerms = new Set(termsOf(stripCitations(answer)));
  const overlap = (text: string) => termsOf(text).filter((term) => answerTerms.has(term)).length;
  const citations: Citation[] = [];
  const rejectedPages: number[] = [];
  for (const page of citedPages(answer)) {
    const onPage = units.filter((unit) => unit.page === page);
    if (onPage.length === 0) {
      rejectedPages.push(page);
      continue;
    }
    const unit = onPage.reduce((best, candidate) => (overlap(candidate.text) > overlap(best.text) ? candidate : best));
    const parts = sentences(unit.text);
    const quote = parts.reduce((best, sentence) => (overlap(sentence) > overlap(best) ? sentence : best), parts[0] ?? unit.text);
    citations.push({ page, bbox: unit.bbox, quote });
  }
  return { citations, rejectedPages };
}
