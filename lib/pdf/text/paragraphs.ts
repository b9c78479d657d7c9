/**
 * Text layout: pdf.js text items → lines → paragraphs with boxes. Pure functions over plain
 * data so they are unit-testable without a PDF.
 *
 * Runs on a shared baseline join into segments (split at gaps wider than 1.5 em, so columns
 * and table cells stay apart); reading-order.ts orders the segments (columns detected by their
 * gutter); segments left side by side on one baseline join into lines; paragraphs break on a
 * vertical gap, a change of font size, or a jump back up the page (a new column).
 */
import type { Box, Paragraph } from '../../../models/document/types.ts';
import { captionLabel } from '../../../models/document/labels.ts';
import { findGutter, readingOrder } from './reading-order.ts';
import { joinLineSegments, type Line, normalizeSpace, runsToLines, type TextRun, unionBox } from './lines.ts';
import { findTables, type TableRegion, tableText } from './tables.ts';
import { statementTablesOf } from './statements.ts';
import type { StatementTable } from '../../../models/document/types.ts';
import { tableCells } from '../../../models/tables/statement.ts';

/** A line (or paragraph) set in bold throughout, give or take a stray regular space or digit. */
function isBold(text: string, boldChars: number | undefined): boolean {
  return (boldChars ?? 0) >= 0.85 * text.replace(/\s/g, '').length && text.trim() !== '';
}

/**
 * The usual space between consecutive lines of the page (the median positive gap): a
 * paragraph break is a gap clearly larger than that, which adapts to tight (Texinfo) and loose
 * (double-spaced) settings alike.
 */
export function typicalLineGap(lines: readonly Line[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const gap = lines[i].box[1] - lines[i - 1].box[3];
    if (gap >= 0 && gap < 2 * lines[i].size) gaps.push(gap);
  }
  gaps.sort((a, b) => a - b);
  return gaps.length ? gaps[gaps.length >> 1] : 0;
}

interface ParagraphContext {
  typicalGap: number;
  /** Left and right edges of the paragraph so far. */
  left: number;
  right: number;
}

function startsNewParagraph(prev: Line, line: Line, context: ParagraphContext): boolean {
  const size = Math.max(prev.size, line.size, 1);
  if (Math.abs(prev.size - line.size) > 0.1 * size) return true;
  // A bold line above or below regular text at the same size: a run-in heading and its body.
  if (isBold(prev.text, prev.boldChars) !== isBold(line.text, line.boldChars)) return true;
  const gap = line.box[1] - prev.box[3];
  if (gap > Math.min(0.8 * size, context.typicalGap + 0.35 * size)) return true;
  // A short line followed by an indented one: the last line of a paragraph, then the first
  // of the next (paragraphs set without extra space between them).
  if (prev.box[2] < context.right - 3 * size && line.box[0] > context.left + 0.8 * size) return true;
  // Going back up the page means a new column or a new region.
  if (line.box[1] < prev.box[1] - 0.5 * size) return true;
  // No horizontal overlap: a different column or a side note.
  if (line.box[0] > prev.box[2] || line.box[2] < prev.box[0]) return true;
  return false;
}

/**
 * Joins a paragraph's lines with spaces; a word hyphenated across a line break ("fea-" +
 * "tures") is joined back without its hyphen, as pdftotext does.
 */
export function joinLines(lines: readonly string[]): string {
  let text = '';
  for (const line of lines) {
    if (text && /\p{L}-$/u.test(text) && /^\p{Ll}/u.test(line)) text = text.slice(0, -1) + line;
    else text = text ? `${text} ${line}` : line;
  }
  return text;
}

/** Groups lines into paragraphs in reading order. */
export function linesToParagraphs(lines: Line[], page: number): Paragraph[] {
  const paragraphs: Paragraph[] = [];
  let group: Line[] = [];
  const flush = () => {
    if (group.length > 0) {
      const box = group.slice(1).reduce<Box>((acc, line) => unionBox(acc, line.box), [...group[0].box]);
      // The size most of the paragraph's characters are set in.
      const bySize = [...group].sort((a, b) => a.size - b.size);
      const chars = group.reduce((n, line) => n + line.text.length, 0);
      let seen = 0;
      let size = bySize[0].size;
      for (const line of bySize) {
        seen += line.text.length;
        size = line.size;
        if (seen >= chars / 2) break;
      }
      const text = joinLines(group.map((line) => line.text));
      const boldChars = group.reduce((n, line) => n + (line.boldChars ?? 0), 0);
      paragraphs.push({
        page,
        index: paragraphs.length,
        bbox: roundBox(box),
        text,
        size: Math.round(size * 100) / 100,
        lines: group.length,
        ...(isBold(text, boldChars) ? { bold: true } : {}),
      });
    }
    group = [];
  };
  const typicalGap = typicalLineGap(lines);
  let prev: Line | null = null;
  let left = 0;
  let right = 0;
  for (const line of lines) {
    if (prev && startsNewParagraph(prev, line, { typicalGap, left, right })) flush();
    if (group.length === 0) {
      left = line.box[0];
      right = line.box[2];
    } else {
      left = Math.min(left, line.box[0]);
      right = Math.max(right, line.box[2]);
    }
    group.push(line);
    prev = line;
  }
  flush();
  return paragraphs;
}

function roundBox(box: Box): Box {
  return box.map((v) => Math.round(v * 100) / 100) as Box;
}

/** Tables are found within each column, so prose in the next column cannot break their rows. */
function detectTables(segments: Line[]): TableRegion[] {
  const gutter = findGutter(segments);
  if (gutter === null) return findTables(segments);
  const sides = [
    segments.map((s, i) => (s.box[2] <= gutter + s.size ? i : -1)).filter((i) => i >= 0),
    segments.map((s, i) => (s.box[0] >= gutter ? i : -1)).filter((i) => i >= 0),
  ];
  return sides.flatMap((side) =>
    findTables(side.map((i) => segments[i])).map((table) => ({ ...table, segments: table.segments.map((k) => side[k]) })),
  );
}

interface Item extends Line {
  table?: TableRegion;
  statement?: StatementTable;
  figure?: { region: FigureRegion; text: string };
}

/** A figure region found on the page (lib/pdf/figures/detect.ts), in page space. */
export interface FigureRegion {
  box: Box;
  kind: 'raster' | 'vector' | 'mixed';
}

/** How far outside a figure's drawing its labels (titles, tick labels, axis names) may sit, in ems. */
const LABEL_REACH_EMS = 3.5;
const MAX_LABEL_WORDS = 12;

function distance(a: Box, b: Box): number {
  const dx = Math.max(0, a[0] - b[2], b[0] - a[2]);
  const dy = Math.max(0, a[1] - b[3], b[1] - a[3]);
  return Math.max(dx, dy);
}

/**
 * Labels just outside a figure's drawing (a plot title above the frame, tick labels left of
 * the axis) belong to the figure: they move into its text and its box grows to hold them.
 * Labels are set smaller than the body text around them; prose beside a figure (wrapped text)
 * is body-sized and stays out, as do captions.
 */
function absorbFigureLabels(segments: Line[], regions: FigureRegion[], figureText: string[][]): Line[] {
  if (regions.length === 0) return segments;
  // Reach is measured from the drawing itself, so absorbed labels never pull in more text.
  const drawn = regions.map((region) => [...region.box] as Box);
  const sizes = segments.map((segment) => segment.size).sort((a, b) => a - b);
  const body = sizes[sizes.length >> 1] ?? 10;
  return segments.filter((segment) => {
    const text = segment.text.trim();
    if (segment.size >= 0.9 * body || text.split(/\s+/).length > MAX_LABEL_WORDS || captionLabel(text)) return true;
    const f = drawn.findIndex((box) => distance(segment.box, box) <= LABEL_REACH_EMS * segment.size);
    if (f < 0) return true;
    figureText[f].push(segment.text);
    regions[f].box = unionBox(regions[f].box, segment.box);
    return false;
  });
}

function inside(box: Box, region: Box): boolean {
  const cx = (box[0] + box[2]) / 2;
  const cy = (box[1] + box[3]) / 2;
  return cx >= region[0] && cx <= region[2] && cy >= region[1] && cy <= region[3];
}

/**
 * Runs → segments → tables → reading order → lines → paragraphs, with tables and figures as
 * single units. Text drawn inside a figure (axis labels, legends) stays with the figure.
 * `tableRegions` are a layout model's table boxes, searched for statement tables on their own.
 */
export function layoutParagraphs(pageRuns: TextRun[], page: number, pageFigures: readonly FigureRegion[] = [], tableRegions: readonly Box[] = []): Paragraph[] {
  // Statement tables first: their shaded row bands and rules must not make them figures.
  const statements = statementTablesOf(pageRuns, page, pageFigures, tableRegions);
  const allRuns = statements.rest;
  const figures = statements.figures;
  const figureText: string[][] = figures.map(() => []);
  const runs = allRuns.filter((run) => {
    const f = figures.findIndex((figure) => inside(run.box, figure.box));
    if (f < 0) return true;
    if (normalizeSpace(run.text)) figureText[f].push(run.text);
    return false;
  });
  const regions = figures.map((figure) => ({ ...figure, box: [...figure.box] as Box }));
  const segments = absorbFigureLabels(runsToLines(runs), regions, figureText);
  const tables = detectTables(segments);
  const tableOf = new Map<number, TableRegion>();
  for (const table of tables) for (const i of table.segments) tableOf.set(i, table);
  // A table stands in the stream where its first segment stood.
  const items: Item[] = [];
  const placed = new Set<TableRegion>();
  segments.forEach((segment, i) => {
    const table = tableOf.get(i);
    if (!table) {
      items.push(segment);
    } else if (!placed.has(table)) {
      placed.add(table);
      const sizes = table.segments.map((k) => segments[k].size).sort((a, b) => a - b);
      items.push({ text: tableText(table.rows), box: table.box, size: sizes[sizes.length >> 1], table });
    }
  });
  for (const table of statements.tables) {
    const cells = tableCells(table);
    items.push({ text: [table.title, tableText(cells)].filter(Boolean).join('\n'), box: table.box, size: statements.size, statement: table });
  }
  regions.forEach((region, f) => {
    const text = normalizeSpace(figureText[f].join(' '));
    items.push({ text, box: region.box, size: 10, figure: { region, text } });
  });
  const ordered = readingOrder(items).map((i) => items[i]);
  const paragraphs: Paragraph[] = [];
  let run: Line[] = [];
  const flushRun = () => {
    for (const paragraph of linesToParagraphs(joinLineSegments(run), page)) paragraphs.push({ ...paragraph, index: paragraphs.length });
    run = [];
  };
  for (const item of ordered) {
    if (item.figure) {
      flushRun();
      paragraphs.push({ page, index: paragraphs.length, bbox: roundBox(item.box), text: item.figure.text, kind: 'figure', lines: 0 });
      continue;
    }
    if (item.statement) {
      flushRun();
      const cells = tableCells(item.statement);
      paragraphs.push({ page, index: paragraphs.length, bbox: roundBox(item.box), text: item.text, size: item.size, lines: cells.length, kind: 'table', cells, table: item.statement });
      continue;
    }
    if (!item.table) {
      run.push(item);
      continue;
    }
    flushRun();
    paragraphs.push({
      page,
      index: paragraphs.length,
      bbox: roundBox(item.box),
      text: item.text,
      size: item.size,
      lines: item.table.rows.length,
      kind: 'table',
      cells: item.table.rows,
    });
  }
  flushRun();
  return paragraphs;
}
