/**
 * Small statement tables built by hand for unit tests: a title, a unit, one column per period
 * and rows of printed values, with boxes laid out on a grid so every cell has its own.
 */
import type { Box, Paragraph, Period, StatementTable, TableRow, ValueUnit } from '../../models/document/types.ts';

export const USD_MILLIONS: ValueUnit = { currency: 'USD', scale: 1e6, perShare: false, percent: false, source: 'in millions' };

export interface RowSpec {
  label: string;
  /** Printed cells, one per column; null for an empty cell. */
  cells?: (string | null)[];
  level?: number;
  heading?: boolean;
  total?: boolean;
  parents?: string[];
  unit?: ValueUnit | null;
}

/** A printed number's value the way a statement means it: "(1,197)" is −1197, "—" is empty. */
export function printedValue(text: string): number | null {
  const digits = text.replace(/[$,\s%]/g, '');
  const negative = /^\(.*\)$/.test(digits);
  const value = Number(digits.replace(/[()]/g, ''));
  return digits && Number.isFinite(value) ? (negative ? -value : value) : null;
}

export function yearPeriod(year: number, months: number | null = 12, quarter: number | null = null): Period {
  return { year, quarter, months, end: null, label: quarter ? `Quarter ${quarter} ${year}` : String(year) };
}

export function makeStatement(spec: { page?: number; title?: string | null; unit?: ValueUnit; periods: (Period | null)[]; headers?: string[]; rows: RowSpec[]; top?: number }): StatementTable {
  const page = spec.page ?? 1;
  const top = spec.top ?? 100;
  const columns = spec.periods.map((period, c) => ({
    header: spec.headers?.[c] ?? period?.label ?? '',
    period,
    box: [300 + 80 * c, top - 20, 370 + 80 * c, top - 8] as Box,
  }));
  const rows: TableRow[] = spec.rows.map((row, r) => {
    const y = top + 14 * r;
    const cells = (row.cells ?? [])
      .map((text, column) => ({ text, column }))
      .filter((cell): cell is { text: string; column: number } => cell.text !== null)
      .map(({ text, column }) => ({ text, value: printedValue(text), column, box: [300 + 80 * column, y, 370 + 80 * column, y + 10] as Box }));
    return {
      label: row.label,
      level: row.level ?? 0,
      heading: row.heading ?? false,
      total: row.total ?? false,
      parents: row.parents ?? [],
      cells,
      unit: row.unit ?? null,
      box: [50, y, 300 + 80 * spec.periods.length, y + 10] as Box,
    };
  });
  return {
    page,
    box: [50, top - 20, 300 + 80 * spec.periods.length, top + 14 * rows.length],
    title: spec.title ?? null,
    unit: spec.unit ?? USD_MILLIONS,
    columns,
    rows,
    continued: false,
  };
}

/** The table unit that carries a statement, its text the rows joined as a reader would see them. */
export function tableParagraph(table: StatementTable, index = 0, section?: string[]): Paragraph {
  return {
    page: table.page,
    index,
    bbox: table.box,
    text: table.rows.map((row) => [row.label, ...row.cells.map((cell) => cell.text)].join(' ')).join('\n'),
    kind: 'table',
    table,
    caption: table.title,
    section,
  };
}

export function textParagraph(page: number, index: number, text: string, section?: string[]): Paragraph {
  return { page, index, bbox: [50, 100 + 20 * index, 550, 115 + 20 * index], text, kind: 'text', section };
}
