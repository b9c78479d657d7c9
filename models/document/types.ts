/** Folio's document model: the shapes that cross module boundaries. */

/** `[x0, y0, x1, y1]` in PDF points, origin at the top-left corner of the page. */
export type Box = [number, number, number, number];

/** What a unit is, decided by the document-level structure pass. */
export type UnitKind = 'text' | 'heading' | 'caption' | 'list' | 'table' | 'figure' | 'header' | 'footer';

/** A paragraph as extracted from one page, in reading order. */
export interface Paragraph {
  page: number;
  /** Reading-order index on its page, from 0. */
  index: number;
  bbox: Box;
  text: string;
  /** Font size (points) most of its characters are set in. */
  size?: number;
  /** Number of lines. */
  lines?: number;
  /** Set in a bold face throughout (from the font's name); a heading cue when the size is not. */
  bold?: boolean;
  kind?: UnitKind;
  /** Heading level, for headings. */
  level?: number | null;
  /** Titles of the enclosing headings, outermost first. */
  section?: string[];
  /** For tables: cell texts, row by row. */
  cells?: string[][];
  /** For tables: rows with labels, values, units, periods and the box of every cell. */
  table?: StatementTable;
  /** For tables and figures: the linked caption's text. */
  caption?: string | null;
  /** For figures: blob key of the full-resolution crop. */
  imageKey?: string | null;
  /** For figures: sentences elsewhere in the document that refer to it ("as Figure 3 shows"). */
  references?: string[];
}

export interface Citation {
  page: number;
  bbox: Box;
  quote: string;
}

// ---- tables as data ----------------------------------------------------------------------
// The shape table extraction produces, the store keeps with the table's unit, retrieval turns
// into one unit per row, the readers compute from and the API returns. Values are numbers in
// the table's printed unit (not scaled), so "11,588" in a table "in millions" is value 11588
// with scale 1e6: an answer is given the way the filing prints it.

/** How much one printed unit of a value is worth, and of what. */
export interface ValueUnit {
  /** ISO currency code ("USD") for money; null for counts, ratios and percentages. */
  currency: string | null;
  /** Multiplier of the printed number: 1, 1e3 (in thousands), 1e6 (in millions), 1e9. */
  scale: number;
  /** The value is per share (earnings per share, dividends per share). */
  perShare: boolean;
  /** The value is a percentage (printed with "%" or in a column of percentages). */
  percent: boolean;
  /** The words the unit was read from ("in millions, except per share data"), or null. */
  source: string | null;
}

/** The period a column's values belong to. */
export interface Period {
  /** Fiscal year the column reports (the year its period ends in, unless the filing says otherwise). */
  year: number;
  /** 1–4 for a quarter, null for a year or a point in time. */
  quarter: number | null;
  /** Length of the period in months (12, 6, 3, 9), or null for a point in time (a balance sheet date). */
  months: number | null;
  /** ISO date the period ends on or the balance is taken at, when the header prints it ("2019-12-31"). */
  end: string | null;
  /** The header words the period was read from, joined ("Year Ended December 31, 2019"). */
  label: string;
}

export interface TableColumn {
  /** Header text of the column, all header lines joined top to bottom. */
  header: string;
  period: Period | null;
  box: Box;
}

export interface TableCell {
  /** The cell as printed, "$" and parentheses included ("$ (1,197)"). */
  text: string;
  /** Its number: (1,197) is −1197; an em-dash or blank is null; footnote markers are not digits. */
  value: number | null;
  /** Index into the table's columns. */
  column: number;
  box: Box;
}

export interface TableRow {
  /** Row label, multi-line labels joined ("Net cash provided by operating activities"). */
  label: string;
  /** Indentation level: 0 at the left edge, 1 for items under a heading row, and so on. */
  level: number;
  /** A heading row: a label with no values that the rows below belong to. */
  heading: boolean;
  /** A total or subtotal row ("Total net sales", a row under a rule that sums the rows above). */
  total: boolean;
  /** Labels of the heading rows this row sits under, outermost first. */
  parents: string[];
  /** Cells with a value or text, one per filled column, in column order. */
  cells: TableCell[];
  /** The row's unit when it differs from the table's (per-share rows, percentage rows). */
  unit: ValueUnit | null;
  box: Box;
}

export interface StatementTable {
  page: number;
  box: Box;
  /** The statement or table title printed above it ("CONSOLIDATED STATEMENTS OF OPERATIONS"), or null. */
  title: string | null;
  /** The label column's own header ("Method"), or '' when it has none. */
  labelHeader?: string;
  /** Unit and scale of its values unless a row says otherwise. */
  unit: ValueUnit;
  columns: TableColumn[];
  rows: TableRow[];
  /** The table continues one from the page before (same columns, no header of its own). */
  continued: boolean;
}
