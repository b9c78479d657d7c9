/**
 * Reading a table: a question about a table names a row ("Boston Housing, Rooms") and a column
 * ("Min-Max"); the answer is the cell where they cross. Rows and header cells are scored by the
 * IDF mass of the question terms they contain.
 */
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

/** The header row: the first row whose cells are mostly filled. */
export function headerRow(cells: readonly string[][]): number {
  const index = cells.findIndex((row) => row.filter((cell) => cell.trim()).length >= Math.max(2, row.length / 2));
  return Math.max(0, index);
}

export function tableRowPassages(cells: readonly string[][], caption: string | null, weightOf: (term: string) => number): TableRowPassage[] {
  if (cells.length === 0) return [];
  const header = headerRow(cells);
  const headerCells = cells[header];
  const headerText = headerCells.join(' ');
  const columnWeights = headerCells.map((cell) => weightOfText(cell, weightOf));
  const passages: TableRowPassage[] = [];
  cells.forEach((row, r) => {
    if (r <= header || row.every((cell) => !cell.trim())) return;
    const text = row.map((cell) => cell.trim()).join(' | ');
    const rowTerms = new Set(termsOf(`${text} ${headerText}`));
    const captionTerms = new Set(termsOf(caption ?? ''));
    // The matching column: the header cell with the most question weight, among columns this
    // row fills; a row label column (matched by the row's own words) is not the answer.
    let best = -1;
    for (let c = 0; c < row.length; c++) {
      if (!row[c].trim() || columnWeights[c] <= 0) continue;
      if (best < 0 || columnWeights[c] > columnWeights[best]) best = c;
    }
    passages.push({ row: r, text, rowTerms, captionTerms, cell: best >= 0 ? row[best].trim() : null });
  });
  return passages;
}
