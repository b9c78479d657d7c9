/**
 * Row units: every row of a statement table is also a unit of its own, so a question about
 * one line item ("net income in 2019") finds that row instead of a whole page of numbers, and
 * an answer can cite the cell. A row unit reads as a sentence a person would write:
 *
 *   Net income — 2019: 11,588; 2018: 10,073; 2017: 3,033 (USD millions)
 *
 * with the table's title as its caption, the heading rows above it as its context, and a
 * reference back to its table and row (which carry every cell's box).
 */
import type { Paragraph, StatementTable, TableColumn, TableRow, ValueUnit } from '../document/types.ts';
import { joinContinuedTables } from '../tables/continued.ts';

export interface RowRef {
  table: StatementTable;
  /** Index into `table.rows`. */
  row: number;
}

/** A retrievable unit: a stored paragraph, or a row of a statement table. */
export interface IndexUnit extends Paragraph {
  /** Set on row units: the table and row the unit reads. */
  row?: RowRef;
}

const SCALE_NAMES: Record<number, string> = { 1e3: 'thousands', 1e6: 'millions', 1e9: 'billions' };

/** "USD millions", "USD per share", "percent", or "" for plain counts. */
export function unitName(unit: ValueUnit): string {
  if (unit.percent) return 'percent';
  const scale = SCALE_NAMES[unit.scale] ?? '';
  if (unit.perShare) return [unit.currency, 'per share'].filter(Boolean).join(' ');
  return [unit.currency, scale].filter(Boolean).join(' ');
}

/** A column's name in a row unit: its period ("2019", "Q2 2023"), else its header, else its position. */
export function columnName(column: TableColumn | undefined, index: number): string {
  const period = column?.period;
  if (period) return period.quarter ? `Q${period.quarter} ${period.year}` : String(period.year);
  const header = column?.header.trim();
  return header ? header : `column ${index + 1}`;
}

/** The sentence a row unit is indexed and read by. */
export function rowText(table: StatementTable, row: TableRow): string {
  const values = row.cells.map((cell) => `${columnName(table.columns[cell.column], cell.column)}: ${cell.text.trim()}`);
  const unit = unitName(row.unit ?? table.unit);
  const label = [...row.parents, row.label].filter(Boolean).join(' › ');
  return `${label} — ${values.join('; ')}${unit ? ` (${unit})` : ''}`;
}

/** The row units of one paragraph: none unless it carries a table; heading and empty rows are skipped. */
export function rowUnitsOf(paragraph: Paragraph): IndexUnit[] {
  const table = paragraph.table;
  if (!table) return [];
  const out: IndexUnit[] = [];
  table.rows.forEach((row, r) => {
    if (row.heading || row.cells.length === 0 || !row.label.trim()) return;
    out.push({
      page: paragraph.page,
      index: paragraph.index,
      bbox: row.box,
      text: rowText(table, row),
      kind: 'table',
      section: paragraph.section,
      // A caption that names the table ("Table 6: ...") comes first: questions cite tables by it.
      caption: [...new Set([paragraph.caption, table.title].filter(Boolean))].join(' - ') || null,
      row: { table, row: r },
    });
  });
  return out;
}

/**
 * The units an index is built over: the stored paragraphs in order, each table followed by
 * its rows (so a row's reading-order neighbours are the rows beside it). Linear in the rows.
 */
export function indexUnits(paragraphs: readonly Paragraph[]): IndexUnit[] {
  const out: IndexUnit[] = [];
  // A table continued from the page before reads with that page's header (its periods).
  for (const paragraph of joinContinuedTables(paragraphs)) {
    out.push(paragraph);
    if (paragraph.table) out.push(...rowUnitsOf(paragraph));
  }
  return out;
}
