/**
 * A statement that runs over a page break goes on, on the next page, with rows and numbers but
 * often no header: its columns' periods, its title and its unit are the ones printed on the page
 * before. A table with no header takes them from the last table of the previous page when their
 * columns line up (the same count, right edges within a few points), so its rows say which year
 * each number is for.
 */
import type { Paragraph, StatementTable } from '../document/types.ts';

/** How far apart (points) two pages' column edges may be and still be the same columns. */
const EDGE_TOLERANCE = 6;

function sameColumns(a: StatementTable, b: StatementTable): boolean {
  if (a.columns.length !== b.columns.length || a.columns.length === 0) return false;
  return a.columns.every((column, c) => Math.abs(column.box[2] - b.columns[c].box[2]) <= EDGE_TOLERANCE);
}

interface Placed {
  page: number;
  table: StatementTable;
}

/** The paragraphs, in document order, with continued tables given their predecessor's header. */
export function joinContinuedTables(paragraphs: readonly Paragraph[]): Paragraph[] {
  // The last table of the page before the current one, and the last table seen on this page.
  let previous: Placed | null = null;
  let lastOnPage: Placed | null = null;
  const out: Paragraph[] = [];
  for (const paragraph of paragraphs) {
    if (lastOnPage !== null && paragraph.page !== lastOnPage.page) {
      previous = lastOnPage;
      lastOnPage = null;
    }
    const own = paragraph.table;
    if (!own) {
      out.push(paragraph);
      continue;
    }
    const before: Placed | null = previous;
    const headerless = own.continued && own.columns.every((column) => !column.header && !column.period);
    let table = own;
    const headed = before?.table.columns.some((column) => column.header || column.period);
    if (headerless && headed && before !== null && before.page === paragraph.page - 1 && sameColumns(before.table, own)) {
      table = {
        ...own,
        title: own.title ?? before.table.title,
        labelHeader: own.labelHeader || before.table.labelHeader,
        unit: own.unit.source === null ? before.table.unit : own.unit,
        columns: own.columns.map((column, c) => ({ ...column, header: before.table.columns[c].header, period: before.table.columns[c].period })),
      };
    }
    out.push(table === own ? paragraph : { ...paragraph, table });
    lastOnPage = { page: paragraph.page, table };
  }
  return out;
}
