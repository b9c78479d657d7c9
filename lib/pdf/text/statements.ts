/**
 * Statement tables of a page (models/tables/statement.ts) from its text runs. Runs are split
 * into words, each given its share of the run's box by character count, because pdf.js often
 * hands "$ 118,573" or "2019 2018" over as one run while the table needs every number on its
 * own edge. A vector drawing whose text is mostly such a table is row shading or rules, not a
 * figure, and is dropped; a raster image stays a figure.
 *
 * Table regions from a layout model (lib/layout), when given, add one thing: a region the
 * page-wide search found no table in is searched again on its own words only, so prose, headers
 * or a second table beside it cannot break the column and row evidence inside it. Tables found
 * there join the page's; the region never makes words a table without that evidence.
 */
import type { Box, StatementTable } from '../../../models/document/types.ts';
import { findStatementTables, type StatementFound, type Word } from '../../../models/tables/statement.ts';
import type { TextRun } from './lines.ts';

function wordsOf(runs: readonly TextRun[]): { words: Word[]; runOf: number[] } {
  const words: Word[] = [];
  const runOf: number[] = [];
  runs.forEach((run, r) => {
    const text = run.text;
    const width = run.box[2] - run.box[0];
    const length = text.length || 1;
    for (const match of text.matchAll(/\S+/g)) {
      const start = match.index ?? 0;
      const x0 = run.box[0] + (width * start) / length;
      const x1 = run.box[0] + (width * (start + match[0].length)) / length;
      words.push({ text: match[0], box: [x0, run.box[1], x1, run.box[3]], size: run.size });
      runOf.push(r);
    }
  });
  return { words, runOf };
}

function inside(box: Box, region: Box): boolean {
  const cx = (box[0] + box[2]) / 2;
  const cy = (box[1] + box[3]) / 2;
  return cx >= region[0] && cx <= region[2] && cy >= region[1] && cy <= region[3];
}

export interface PageStatements<Figure> {
  tables: StatementTable[];
  /** The runs the tables did not take. */
  rest: TextRun[];
  /** The figures that are still figures. */
  figures: Figure[];
  /** Median font size of the tables' words. */
  size: number;
}

/** Share of a region's words already in a page-wide table above which it is not searched again. */
const REGION_COVERED = 0.5;

function tablesInRegions(words: readonly Word[], page: number, found: StatementFound[], regions: readonly Box[]): StatementFound[] {
  const added: StatementFound[] = [];
  for (const region of regions) {
    const taken = new Set([...found, ...added].flatMap((table) => table.words));
    const inRegion = words.map((w, i) => (inside(w.box, region) ? i : -1)).filter((i) => i >= 0);
    if (inRegion.length === 0 || inRegion.filter((i) => taken.has(i)).length > REGION_COVERED * inRegion.length) continue;
    const free = inRegion.filter((i) => !taken.has(i));
    for (const table of findStatementTables(
      free.map((i) => words[i]),
      page,
    )) {
      added.push({ ...table, words: table.words.map((w) => free[w]) });
    }
  }
  return added;
}

export function statementTablesOf<Figure extends { box: Box; kind: string }>(
  runs: readonly TextRun[],
  page: number,
  figures: readonly Figure[],
  tableRegions: readonly Box[] = [],
): PageStatements<Figure> {
  const { words, runOf } = wordsOf(runs);
  const pageWide = findStatementTables(words, page);
  const found = [...pageWide, ...tablesInRegions(words, page, pageWide, tableRegions)].sort((a, b) => a.table.box[1] - b.table.box[1]);
  if (found.length === 0) return { tables: [], rest: [...runs], figures: [...figures], size: 10 };
  const taken = new Set<number>();
  for (const table of found) for (const w of table.words) taken.add(runOf[w]);
  const keptFigures = figures.filter((figure) => {
    if (figure.kind === 'raster') return true;
    const inFigure = runs.map((run, r) => (inside(run.box, figure.box) ? r : -1)).filter((r) => r >= 0);
    const inTables = inFigure.filter((r) => taken.has(r)).length;
    return inFigure.length === 0 || inTables < 0.5 * inFigure.length;
  });
  const sizes = found.flatMap((table) => table.words.map((w) => words[w].size)).sort((a, b) => a - b);
  return {
    tables: found.map((table) => table.table),
    rest: runs.filter((_, r) => !taken.has(r)),
    figures: keptFigures,
    size: sizes[sizes.length >> 1] ?? 10,
  };
}
