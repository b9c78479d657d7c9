/**
 * Reading a table: a question about a table names a row ("Boston Housing, Rooms") and a column
 * ("Min-Max"); the answer is the cell where they cross. Rows and header cells are scored by the
 * IDF mass of the question terms they contain.
 */
import type { StatementTable } from '../document/types.ts';
import { columnName } from '../retrieval/row-units.ts';
import { terms as termsOf } from '../text/tokenize.ts';

export interface TableRowPassage {
  row: number;
  /** The row as text ("Rooms | 30.88±13.78 | …"). */
  text: string;
  /** Terms of the row and its header: what the row says. */
  rowTerms: Set<string>;
  /** Terms of the caption: what the table is about. */
  captionTerms: Set<string>;
  /** The cell the question points at, or null when no header matches the question. */
  cell: string | null;
}

function weightOfText(text: string, weightOf: (term: string) => number): number {
  return [...new Set(termsOf(text))].reduce((sum, term) => sum + weightOf(term), 0);
}

const NUMERIC = /^[\s\p{N}.,:;%±+\-–−()/×x*]+$/u;

/**
 * The header row: among the first rows, the first with at least two filled cells that are
 * mostly words, not numbers (a data row can be fuller than the header of a sparse table).
 */
export function headerRow(cells: readonly string[][]): number {
  const limit = Math.min(cells.length, 4);
  for (let r = 0; r < limit; r++) {
    const filled = cells[r].filter((cell) => cell.trim());
    const words = filled.filter((cell) => !NUMERIC.test(cell.trim()));
    if (filled.length >= 2 && words.length >= filled.length * 0.75) return r;
  }
  return 0;
}

/**
 * Tables set side by side on a page come out of layout as one grid whose header repeats
 * ("Dataset | Feature | … | Dataset | Feature | …"). Each repeat of the first header cell
 * starts another table; the column ranges are returned left to right.
 */
export function sideBySideParts(cells: readonly string[][]): [number, number][] {
  const width = Math.max(...cells.map((row) => row.length));
  const key = cells[0]?.find((cell) => cell.trim())?.trim().toLowerCase();
  const starts = [0];
  if (key) {
    for (let c = 1; c < width; c++) {
      if (cells.slice(0, 2).some((row) => (row[c] ?? '').trim().toLowerCase() === key)) starts.push(c);
    }
  }
  return starts.map((start, i) => [start, starts[i + 1] ?? width]);
}

export function tableRowPassages(cells: readonly string[][], caption: string | null, weightOf: (term: string) => number): TableRowPassage[] {
  if (cells.length === 0) return [];
  const captionTerms = new Set(termsOf(caption ?? ''));
  const passages: TableRowPassage[] = [];
  for (const [from, to] of sideBySideParts(cells)) {
    const part = cells.map((row) => row.slice(from, to)).filter((row) => row.some((cell) => cell.trim()));
    passages.push(...partRowPassages(part, captionTerms, weightOf));
  }
  return passages;
}

function partRowPassages(cells: readonly string[][], captionTerms: Set<string>, weightOf: (term: string) => number): TableRowPassage[] {
  if (cells.length === 0) return [];
  const header = headerRow(cells);
  const headerCells = cells[header];
  const headerText = headerCells.join(' ');
  const columnWeights = headerCells.map((cell) => weightOfText(cell, weightOf));
  const passages: TableRowPassage[] = [];
  cells.forEach((row, r) => {
    if (r <= header) return;
    const text = row.map((cell) => cell.trim()).join(' | ');
    // A group label set once for several rows ("Boston" beside "Rooms" and "Crime") sits in
    // the first column of a neighbouring row: a row without its own label borrows those.
    const groupLabels = row[0]?.trim() ? [] : [cells[r - 1]?.[0] ?? '', cells[r + 1]?.[0] ?? ''];
    const rowTerms = new Set(termsOf(`${text} ${headerText} ${groupLabels.join(' ')}`));
    // The matching column: the header cell with the most question weight, among columns this
    // row fills; a row label column (matched by the row's own words) is not the answer.
    let best = -1;
    for (let c = 0; c < row.length; c++) {
      // A cell the question itself names ("Heart", "Chol.") is the row's label, not its answer.
      if (!row[c].trim() || columnWeights[c] <= 0 || weightOfText(row[c], weightOf) > 0) continue;
      if (best < 0 || columnWeights[c] > columnWeights[best]) best = c;
    }
    passages.push({ row: r, text, rowTerms, captionTerms, cell: best >= 0 ? row[best].trim() : null });
  });
  return passages;
}

/**
 * One row of a statement table read as a passage: its label, the headings it sits under and
 * every column header are what the row says; the answer is the cell under the header the
 * question weighs most ("Test CGL" for "test ... after CGL").
 */
export function statementRowPassage(table: StatementTable, rowIndex: number, text: string, caption: string | null, weightOf: (term: string) => number): TableRowPassage {
  const row = table.rows[rowIndex];
  const headers = table.columns.map((column, c) => columnName(column, c));
  const labelText = [...row.parents, row.label].join(' ');
  const rowTerms = new Set(termsOf(`${labelText} ${headers.join(' ')} ${table.labelHeader ?? ''}`));
  let best: { text: string; weight: number } | null = null;
  for (const cell of row.cells) {
    const weight = weightOfText(headers[cell.column] ?? '', weightOf);
    if (weight > 0 && (!best || weight > best.weight)) best = { text: cell.text.trim(), weight };
  }
  return { row: rowIndex, text, rowTerms, captionTerms: new Set(termsOf(caption ?? '')), cell: best?.text ?? null };
}
