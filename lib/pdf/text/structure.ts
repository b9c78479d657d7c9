/**
 * Document-level structure, decided once all pages are extracted (a page alone cannot tell a
 * running header from a title): running headers, footers and page numbers; headings with their
 * level; captions; list items; and the section path of every unit.
 */
import { captionLabel, referencedLabels } from '../../../models/document/labels.ts';
import type { Paragraph, UnitKind } from '../../../models/document/types.ts';

export interface PageGeometry {
  page: number;
  height: number;
}

export interface StructuredUnit {
  kind: UnitKind;
  /** Heading level (1 = top) for headings, else null. */
  level: number | null;
  /** Titles of the enclosing headings, outermost first (a heading's path includes itself). */
  section: string[];
  /** For a table or figure: the text of its caption ("Table 2: …"), when one is found next to it. */
  caption: string | null;
  /** For a captioned figure or table: sentences elsewhere that refer to its label. */
  references: string[];
}

/** A caption belongs to the nearest table on its page within this many points. */
const CAPTION_REACH = 72;

/**
 * For each table and figure unit, a caption of its kind ("Table N" for tables, any other label
 * for figures) above or below it on the same page; each caption goes to one unit and each unit
 * takes one caption. Pairs are made closest first over the whole page, so a caption set just
 * below one table and just above the next goes to the one it is nearer, and the other table
 * keeps its own caption.
 */
function linkCaptions(units: readonly Paragraph[], kinds: readonly UnitKind[]): (string | null)[] {
  const pairs: { unit: number; caption: number; distance: number }[] = [];
  units.forEach((unit, i) => {
    if (kinds[i] !== 'table' && kinds[i] !== 'figure') return;
    const wantTable = kinds[i] === 'table';
    units.forEach((other, j) => {
      const label = kinds[j] === 'caption' ? captionLabel(other.text) : null;
      if (other.page !== unit.page || !label || label.startsWith('table') !== wantTable) return;
      const distance = other.bbox[1] >= unit.bbox[3] ? other.bbox[1] - unit.bbox[3] : unit.bbox[1] - other.bbox[3];
      if (distance < -1 || distance > CAPTION_REACH) return;
      pairs.push({ unit: i, caption: j, distance });
    });
  });
  pairs.sort((a, b) => a.distance - b.distance || a.unit - b.unit || a.caption - b.caption);
  const captions: (string | null)[] = units.map(() => null);
  const taken = new Set<number>();
  for (const pair of pairs) {
    if (captions[pair.unit] !== null || taken.has(pair.caption)) continue;
    captions[pair.unit] = units[pair.caption].text;
    taken.add(pair.caption);
  }
  return captions;
}

/** Sentences (of non-caption units) that mention a label, by label: "as Figure 3 shows, …". */
function referringSentences(units: readonly Paragraph[], kinds: readonly UnitKind[], labels: ReadonlySet<string>): Map<string, string[]> {
  const found = new Map<string, string[]>();
  if (labels.size === 0) return found;
  units.forEach((unit, i) => {
    if (kinds[i] !== 'text' && kinds[i] !== 'list') return;
    for (const sentence of unit.text.split(/(?<=[.!?])\s+/)) {
      for (const label of referencedLabels(sentence)) {
        if (!labels.has(label)) continue;
        const list = found.get(label) ?? [];
        if (list.length < MAX_REFERENCES) list.push(sentence.trim());
        found.set(label, list);
      }
    }
  });
  return found;
}

const MAX_REFERENCES = 3;

/** Top and bottom bands of the page where running headers and footers live. */
const MARGIN_SHARE = 0.1;
const PAGE_NUMBER = /^(page\s+)?(\d+|[ivxlcdm]+)(\s+(of|\/)\s+\d+)?$/i;
const NUMBERED_HEADING = /^((\d+(\.\d+)*)|([A-Z](\.\d+)+)|(chapter|appendix|part|section)\s+[\dA-Z]+[.:]?)\s+\S/i;
const BULLET = /^([•◦▪▸►‣⁃∙·*–—-]|\(?[a-z0-9]{1,2}[.)])\s+\S/i;

function marginKey(text: string): string {
  return text.toLowerCase().replace(/\d+/g, '#').replace(/\s+/g, ' ').trim();
}

function inMargin(unit: Paragraph, height: number): boolean {
  return unit.bbox[3] <= height * MARGIN_SHARE || unit.bbox[1] >= height * (1 - MARGIN_SHARE);
}

function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** Size most of the document's characters are set in: the body text size. */
export function bodySize(units: readonly Paragraph[]): number {
  const bySize = new Map<number, number>();
  for (const unit of units) {
    const size = Math.round((unit.size ?? 10) * 2) / 2;
    bySize.set(size, (bySize.get(size) ?? 0) + unit.text.length);
  }
  let best = 10;
  let most = -1;
  for (const [size, chars] of bySize) {
    if (chars > most) {
      best = size;
      most = chars;
    }
  }
  return best;
}

function headingDepth(text: string): number | null {
  const match = NUMBERED_HEADING.exec(text);
  if (!match) return null;
  if (match[2]) return match[2].split('.').length;
  if (match[4]) return match[4].split('.').length;
  return 1;
}

export function structureDocument(units: readonly Paragraph[], pages: readonly PageGeometry[]): StructuredUnit[] {
  const heightOf = new Map(pages.map((p) => [p.page, p.height]));
  const pagesWithText = new Set(units.map((u) => u.page)).size;

  // 1. Running headers/footers: margin text that recurs (digits ignored) on many pages.
  const pagesByKey = new Map<string, Set<number>>();
  units.forEach((unit) => {
    const height = heightOf.get(unit.page);
    if (!height || !inMargin(unit, height)) return;
    const key = marginKey(unit.text);
    const set = pagesByKey.get(key) ?? new Set<number>();
    set.add(unit.page);
    pagesByKey.set(key, set);
  });
  const recurring = Math.max(3, Math.ceil(0.05 * pagesWithText));
  const kinds: UnitKind[] = units.map((unit) => {
    if (unit.kind === 'table' || unit.kind === 'figure') return unit.kind;
    const height = heightOf.get(unit.page);
    if (!height || !inMargin(unit, height)) return 'text';
    const top = unit.bbox[3] <= height * MARGIN_SHARE;
    if (PAGE_NUMBER.test(unit.text.trim())) return top ? 'header' : 'footer';
    if ((pagesByKey.get(marginKey(unit.text))?.size ?? 0) >= recurring) return top ? 'header' : 'footer';
    return 'text';
  });

  // 2. Captions, list items and headings among the remaining units.
  const body = bodySize(units.filter((_, i) => kinds[i] === 'text'));
  const headingSizes = new Set<number>();
  const levels: (number | null)[] = units.map(() => null);
  units.forEach((unit, i) => {
    if (kinds[i] !== 'text') return;
    const text = unit.text.trim();
    if (captionLabel(text)) {
      kinds[i] = 'caption';
      return;
    }
    const size = unit.size ?? body;
    const short = (unit.lines ?? 1) <= 3 && words(text) <= 20 && !/[.:;,]$/.test(text);
    const depth = headingDepth(text);
    const larger = size >= body * 1.12;
    // Same size as the body but numbered ("3.2 Results") or set in bold throughout ("Results").
    const bodySized = size >= body * 0.98 && words(text) <= 12;
    if (short && (larger || (bodySized && (depth !== null || unit.bold === true)))) {
      kinds[i] = 'heading';
      if (larger) headingSizes.add(Math.round(size * 2) / 2);
      levels[i] = depth;
      return;
    }
    if (BULLET.test(text)) kinds[i] = 'list';
  });
  // Level from size where numbering does not say: the largest heading size is level 1.
  const sizeLevels = [...headingSizes].sort((a, b) => b - a);
  units.forEach((unit, i) => {
    if (kinds[i] !== 'heading' || levels[i] !== null) return;
    const rank = sizeLevels.indexOf(Math.round((unit.size ?? body) * 2) / 2);
    levels[i] = rank >= 0 ? rank + 1 : sizeLevels.length + 1;
  });

  // 3. Section paths: a stack of open headings, in reading order.
  const captions = linkCaptions(units, kinds);
  const captionLabels = captions.map((caption) => (caption ? captionLabel(caption) : null));
  const references = referringSentences(units, kinds, new Set(captionLabels.filter((label): label is string => label !== null)));
  const stack: { level: number; title: string }[] = [];
  return units.map((unit, i) => {
    if (kinds[i] === 'heading') {
      const level = levels[i] as number;
      while (stack.length > 0 && stack[stack.length - 1].level >= level) stack.pop();
      stack.push({ level, title: unit.text.trim() });
    }
    const label = captionLabels[i];
    return {
      kind: kinds[i],
      level: levels[i],
      section: stack.map((entry) => entry.title),
      caption: captions[i],
      references: label ? (references.get(label) ?? []) : [],
    };
  });
}
