/**
 * Table regions from aligned text: rows are segments sharing a baseline, columns are x
 * positions where cells of many rows start. A run of rows whose short cells line up in two or
 * more columns is a table; it becomes one unit with rows and cells, so a question about a cell
 * finds the whole table (with its header row) rather than a stray number.
 *
 * Text columns of a multi-column page also "line up", so cells must be short (table cells are
 * words and numbers, not lines of prose).
 */
import type { Box } from '../../../models/document/types.ts';
import type { Line } from './lines.ts';

export interface TableRegion {
  box: Box;
  /** Indices of the segments the table is made of. */
  segments: number[];
  /** Cell texts, row by row; '' for an empty cell. */
  rows: string[][];
}

/** A cell longer than this many ems is prose, not a table cell. */
const MAX_CELL_EMS = 14;
/** Rows further apart than this many ems end a table. */
const MAX_ROW_GAP_EMS = 2.5;
const MIN_ROWS = 3;
const MIN_COLUMNS = 2;

interface Row {
  segments: number[];
  top: number;
  bottom: number;
  size: number;
}

function groupRows(segments: readonly Line[]): Row[] {
  const order = segments.map((_, i) => i).sort((a, b) => mid(segments[a]) - mid(segments[b]) || segments[a].box[0] - segments[b].box[0]);
  const rows: Row[] = [];
  for (const i of order) {
    const s = segments[i];
    const last = rows[rows.length - 1];
    if (last && Math.abs(mid(s) - (last.top + last.bottom) / 2) < 0.5 * Math.min(s.size, last.size)) {
      last.segments.push(i);
      last.top = Math.min(last.top, s.box[1]);
      last.bottom = Math.max(last.bottom, s.box[3]);
    } else {
      rows.push({ segments: [i], top: s.box[1], bottom: s.box[3], size: s.size });
    }
  }
  for (const row of rows) row.segments.sort((a, b) => segments[a].box[0] - segments[b].box[0]);
  return rows;
}

function mid(s: Line): number {
  return (s.box[1] + s.box[3]) / 2;
}

function isCellRow(row: Row, segments: readonly Line[]): boolean {
  return row.segments.length >= MIN_COLUMNS && row.segments.every((i) => segments[i].box[2] - segments[i].box[0] <= MAX_CELL_EMS * segments[i].size);
}

/** Column starts: x positions (clustered within an em) where cells of at least two rows start. */
function columnAnchors(rows: readonly Row[], segments: readonly Line[]): number[] {
  const starts = rows.flatMap((row) => row.segments.map((i) => ({ x: segments[i].box[0], em: segments[i].size })));
  starts.sort((a, b) => a.x - b.x);
  const clusters: { x: number; count: number; em: number }[] = [];
  for (const start of starts) {
    const last = clusters[clusters.length - 1];
    if (last && start.x - last.x <= last.em) {
      last.count++;
    } else {
      clusters.push({ x: start.x, count: 1, em: start.em });
    }
  }
  return clusters.filter((c) => c.count >= 2).map((c) => c.x);
}

function columnOf(x: number, anchors: readonly number[]): number {
  let best = 0;
  for (let c = 0; c < anchors.length; c++) if (anchors[c] <= x + 2) best = c;
  return best;
}

export function findTables(segments: readonly Line[]): TableRegion[] {
  const rows = groupRows(segments);
  const tables: TableRegion[] = [];
  let start = 0;
  while (start < rows.length) {
    if (!isCellRow(rows[start], segments)) {
      start++;
      continue;
    }
    // Extend over rows that are close and either cell rows or short single cells (a cell that
    // wraps, a group label such as "Auto-MPG").
    let end = start + 1;
    while (end < rows.length) {
      const row = rows[end];
      const gap = row.top - rows[end - 1].bottom;
      if (gap > MAX_ROW_GAP_EMS * row.size) break;
      const short = row.segments.every((i) => segments[i].box[2] - segments[i].box[0] <= MAX_CELL_EMS * segments[i].size);
      if (!short) break;
      end++;
    }
    // Trailing single-cell rows belong to what follows (a caption, a paragraph), not the table.
    while (end > start && rows[end - 1].segments.length < MIN_COLUMNS) end--;
    const region = rows.slice(start, end);
    const cellRows = region.filter((row) => isCellRow(row, segments));
    const anchors = columnAnchors(cellRows, segments);
    if (region.length >= MIN_ROWS && cellRows.length >= 2 && anchors.length >= MIN_COLUMNS) {
      const cells = region.map((row) => {
        const texts: string[] = anchors.map(() => '');
        for (const i of row.segments) {
          const c = columnOf(segments[i].box[0], anchors);
          texts[c] = texts[c] ? `${texts[c]} ${segments[i].text}` : segments[i].text;
        }
        return texts;
      });
      const members = region.flatMap((row) => row.segments);
      const box = members.reduce<Box>(
        (acc, i) => [Math.min(acc[0], segments[i].box[0]), Math.min(acc[1], segments[i].box[1]), Math.max(acc[2], segments[i].box[2]), Math.max(acc[3], segments[i].box[3])],
        [Infinity, Infinity, -Infinity, -Infinity],
      );
      tables.push({ box, segments: members, rows: cells });
      start = end;
    } else {
      start++;
    }
  }
  return tables;
}

/** A table as text for retrieval and reading: one row per line, cells separated by " | ". */
export function tableText(rows: readonly string[][]): string {
  return rows.map((row) => row.map((cell) => cell.trim()).join(' | ')).join('\n');
}
