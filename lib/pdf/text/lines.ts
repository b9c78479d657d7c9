/**
 * Text runs into line segments: runs on a shared baseline join into segments, split at gaps
 * wider than an em so columns and table cells stay apart; after reading order, segments left
 * side by side on one baseline join into lines. Pure functions over plain data.
 */
import type { Box } from '../../../models/document/types.ts';

/** One text run, already in page space: top-left origin, PDF points. */
export interface TextRun {
  text: string;
  /** Box of the run's glyphs. */
  box: Box;
  /** Font size in points (glyph height). */
  size: number;
  /** pdf.js marks runs that end a line in the source. */
  endsLine: boolean;
  /** Set in a bold face (known when the page's fonts were loaded). */
  bold?: boolean;
}

export interface Line {
  text: string;
  box: Box;
  size: number;
  /** Characters set in a bold face. */
  boldChars?: number;
}

/** Joins two boxes into the smallest box holding both. */
export function unionBox(a: Box, b: Box): Box {
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];
}

const WHITESPACE = /\s+/g;

export function normalizeSpace(text: string): string {
  return text.replace(WHITESPACE, ' ').trim();
}

const SEGMENT_GAP_EMS = 1.0;

function sameLine(line: Line, run: TextRun): boolean {
  const size = Math.max(Math.min(line.size, run.size), 1);
  const lineMid = (line.box[1] + line.box[3]) / 2;
  const runMid = (run.box[1] + run.box[3]) / 2;
  if (Math.abs(lineMid - runMid) > 0.5 * size) return false;
  // A run that starts well to the left of where the line ends begins a new line (or
  // column); a gap wider than 1.5 em is a column gutter or a table cell boundary, which the
  // reading-order step must see as separate segments.
  const gap = run.box[0] - line.box[2];
  return gap > -0.5 * size && gap < SEGMENT_GAP_EMS * size;
}

/** Groups runs (in stream order) into line segments. Empty runs only end lines. */
export function runsToLines(runs: TextRun[]): Line[] {
  const lines: Line[] = [];
  let current: Line | null = null;
  let pendingBreak = false;
  for (const run of runs) {
    const text = run.text;
    if (normalizeSpace(text) === '') {
      if (run.endsLine) pendingBreak = true;
      else if (current && !current.text.endsWith(' ')) current.text += ' ';
      continue;
    }
    if (current && !pendingBreak && sameLine(current, run)) {
      const gap = run.box[0] - current.box[2];
      const needsSpace = gap > 0.15 * Math.min(current.size, run.size) && !current.text.endsWith(' ') && !text.startsWith(' ');
      current.text += (needsSpace ? ' ' : '') + text;
      current.box = unionBox(current.box, run.box);
      current.size = Math.max(current.size, run.size);
      current.boldChars = (current.boldChars ?? 0) + (run.bold ? text.replace(/\s/g, '').length : 0);
    } else {
      if (current) lines.push(current);
      current = { text, box: [...run.box], size: run.size, boldChars: run.bold ? text.replace(/\s/g, '').length : 0 };
    }
    pendingBreak = run.endsLine;
  }
  if (current) lines.push(current);
  for (const line of lines) line.text = normalizeSpace(line.text);
  return lines.filter((line) => line.text !== '');
}

/** Joins segments that reading order left next to each other on one baseline into lines. */
export function joinLineSegments(segments: readonly Line[]): Line[] {
  const lines: Line[] = [];
  for (const segment of segments) {
    const last = lines[lines.length - 1];
    const size = Math.min(segment.size, last?.size ?? segment.size);
    const sameBaseline = last && Math.abs((last.box[1] + last.box[3]) / 2 - (segment.box[1] + segment.box[3]) / 2) < 0.4 * size;
    if (last && sameBaseline && segment.box[0] >= last.box[2] - 0.5 * size) {
      last.text = `${last.text} ${segment.text}`;
      last.box = unionBox(last.box, segment.box);
      last.size = Math.max(last.size, segment.size);
      last.boldChars = (last.boldChars ?? 0) + (segment.boldChars ?? 0);
    } else {
      lines.push({ ...segment, box: [...segment.box] });
    }
  }
  return lines;
}
