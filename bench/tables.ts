/**
 * Table structure: does Folio read statement tables cell by cell the way they are printed?
 *
 * Every value of a statement table is one triple (row label, period of its column, number).
 * The gold (bench/tables-gold.jsonl) lists every triple of every statement table on 12 pages
 * of the finance corpus: income statements, balance sheets, cash-flow statements and notes or
 * segment tables, from 9 filings. It was made by hand from each page, not from Folio: a small
 * throwaway parser drafted rows from `pdftotext -layout` text, then every row was checked by eye
 * against the layout text, and against the rendered page where the text was ambiguous (the
 * segment note of Intel, whose subtotals have no label). Conventions: the label as printed
 * (multi-line labels joined, footnote markers dropped); rows without a label (bare subtotals)
 * are not in it; the period is the fiscal year of the column header ("2019"), "Q2 2023" for a
 * quarter column, "6M 2023" when a year has columns of several lengths; the value is the number
 * as printed in the table's own scale, parentheses negative; em-dash cells and columns that are
 * not periods (change, percent change) are left out.
 *
 * Folio: each page goes through ingestion's page extraction (`extractPage`, text layer only);
 * its triples are the cells with a value of every `StatementTable` on the page, keyed by the
 * row label and the column's `period`.
 *
 * Baseline, in the same run: pdfplumber's text-strategy tables on the same pages
 * (bench/tables_pdfplumber.py, installed by scripts/install-pdfplumber.sh), turned into triples
 * as fairly as we could: in each grid row the cells before the first value cell are the label
 * (cells joined, since pdfplumber cuts words across cells; a label-only row followed by a row
 * whose label starts in lower case is its first line); the latest row above holding two or
 * more years gives the columns their periods; "$" and "(" cells merge into their number and a
 * number cut inside a thousands group is glued back; values go to periods in order when a row
 * has one per headed column, else to the nearest headed column. These rules mirror the ones the
 * gold's draft parser used on the layout text, so the baseline is not penalised for conventions.
 *
 * Matching is the same for both: labels compared after case, whitespace, punctuation and
 * footnote markers are removed, period keys equal, values equal after parsing; each gold triple
 * matches at most once. Prints precision, recall and F1 per page and overall, and the ratio of
 * Folio's F1 to pdfplumber's.
 *
 *   npm run bench:tables [-- --gold file.jsonl --pdfs dir --verbose --json]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJsonLines } from '../lib/eval/questions.ts';
import { extractPage } from '../lib/pages/pipeline.ts';
import { textOnlyPageSettings } from '../lib/pages/settings.ts';
import { openPdf } from '../lib/pdf/open.ts';
import type { Period, StatementTable } from '../models/document/types.ts';
import { corpus } from '../test/helpers/stack.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const json = process.argv.includes('--json');
const verbose = process.argv.includes('--verbose');
const goldFile = option('gold', path.join(here, 'tables-gold.jsonl'));
export const pdfDir = option('pdfs', path.join(corpus, 'finance', 'pdfs'));

export interface Triple {
  label: string;
  period: string;
  value: number;
}

export interface GoldLine extends Triple {
  doc: string;
  page: number;
}

// ---- matching (the same for every tool) -----------------------------------------------------

/** Footnote markers printed after a label: "(1)", "[2]", "*", "†". */
const FOOTNOTE = /\(\d{1,2}\)|\[\d{1,2}\]|[*†‡]/g;

/** Letters and digits only, lower case: pdfplumber splits words across cells, Folio may keep "Total:" colons. */
function normaliseLabel(label: string): string {
  return label.normalize('NFKC').replace(FOOTNOTE, '').toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
}

const key = (t: Triple) => `${normaliseLabel(t.label)}|${t.period}|${String(t.value)}`;

export interface Score {
  gold: number;
  found: number;
  correct: number;
  missed: Triple[];
  spurious: Triple[];
}

export function score(gold: Triple[], found: Triple[]): Score {
  const left = new Map<string, number>();
  for (const t of gold) left.set(key(t), (left.get(key(t)) ?? 0) + 1);
  const spurious: Triple[] = [];
  let correct = 0;
  for (const t of found) {
    const n = left.get(key(t)) ?? 0;
    if (n > 0) {
      left.set(key(t), n - 1);
      correct++;
    } else spurious.push(t);
  }
  const missed = gold.filter((t) => {
    const n = left.get(key(t)) ?? 0;
    if (n === 0) return false;
    left.set(key(t), n - 1);
    return true;
  });
  return { gold: gold.length, found: found.length, correct, missed, spurious };
}

export const usable = (t: Triple) => normaliseLabel(t.label) !== '' && Number.isFinite(t.value);

// ---- Folio ----------------------------------------------------------------------------------

/** The gold's period key for a column's period: "2019", "Q2 2023", or "6M 2023" for a part-year. */
function periodKey(period: Period): string {
  if (period.quarter !== null) return `Q${period.quarter} ${period.year}`;
  // Three months ending in a month: the quarter by that month, the rule the baseline's reading uses too.
  if (period.months === 3 && period.end) return `Q${Math.ceil(Number(period.end.slice(5, 7)) / 3)} ${period.year}`;
  if (period.months !== null && period.months !== 12) return `${period.months}M ${period.year}`;
  return String(period.year);
}

export function folioTriples(table: StatementTable): Triple[] {
  const triples: Triple[] = [];
  for (const row of table.rows) {
    for (const cell of row.cells) {
      const period = table.columns[cell.column]?.period;
      if (cell.value === null || !period) continue;
      triples.push({ label: row.label, period: periodKey(period), value: cell.value });
    }
  }
  return triples;
}

async function folio(pdf: string, pages: number[]): Promise<Map<number, Triple[]>> {
  const doc = await openPdf(new Uint8Array(fs.readFileSync(pdf)), { maxPages: 100_000 });
  const byPage = new Map<number, Triple[]>();
  try {
    for (const page of pages) {
      const extracted = await extractPage(doc, page, textOnlyPageSettings);
      byPage.set(
        page,
        extracted.paragraphs.flatMap((p) => (p.table ? folioTriples(p.table) : [])),
      );
    }
  } finally {
    await doc.destroy();
  }
  return byPage;
}

// ---- pdfplumber -----------------------------------------------------------------------------

type Grid = (string | null)[][];

const pythonPath = path.join(root, '.tools', 'python');

function pdfplumberGrids(pdf: string, pages: number[]): Map<number, Grid[]> {
  const run = spawnSync('python3', [path.join(here, 'tables_pdfplumber.py'), pdf, ...pages.map(String)], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: pythonPath },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`pdfplumber failed on ${path.basename(pdf)}: ${run.stderr}`);
  const out = JSON.parse(run.stdout) as Record<string, Grid[]>;
  return new Map(Object.entries(out).map(([page, grids]) => [Number(page), grids]));
}

const NUMBER = /^\(?-?\d[\d,]*(\.\d+)?\)?%?$/;
const YEAR = /(?:19|20)\d\d/g;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** A printed number as the gold reads it: "(1,197)" → −1197, "16.7 %" → 16.7; anything else null. */
function parseNumber(text: string): number | null {
  const t = text.replace(/[$\s]/g, '').replace(/%$/, '');
  if (!NUMBER.test(t)) return null;
  const negative = t.startsWith('(') || t.startsWith('-');
  const n = Number(t.replace(/[(),%-]/g, ''));
  return Number.isFinite(n) ? (negative ? -n : n) : null;
}

/**
 * A header row's periods by column: the years in it, each at the cell its last digit falls in
 * (pdfplumber splits "2019" into "2" and "019" across cells), and null for the other headed
 * columns right of the first year ("Inc/ (Dec)"). Part-year words ("Quarters ended June 30",
 * "Six months") in it or the rows above turn a year into the gold's key.
 */
function headerPeriods(row: string[], context: string): Map<number, string | null> | null {
  const text = row.join('');
  const years = [...text.matchAll(YEAR)];
  if (years.length < 2) return null;
  const withoutYears = text.replace(YEAR, '').replace(/[^\p{L}\p{N}]/gu, '');
  if (/\d/.test(withoutYears.replace(/(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\d{1,2}/gi, ''))) return null;
  const starts: number[] = [];
  let at = 0;
  for (const c of row) {
    starts.push(at);
    at += c.length;
  }
  const cellAt = (offset: number) => {
    let i = 0;
    while (i + 1 < starts.length && starts[i + 1] <= offset) i++;
    return i;
  };
  const lower = `${context} ${text}`.toLowerCase();
  // The month of a date ("June 30"), not of a word such as "(Dec)" for decrease.
  const month = lower.match(/\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b/);
  const quarter = /quarter|three months/.test(lower) && month ? Math.ceil((MONTHS.indexOf(month[1]) + 1) / 3) : null;
  const months = /six months/.test(lower) ? 6 : /nine months/.test(lower) ? 9 : null;
  const periods = new Map<number, string | null>();
  const yearCells = new Set<number>();
  for (const y of years) {
    const first = cellAt(y.index ?? 0);
    const column = cellAt((y.index ?? 0) + y[0].length - 1);
    for (let c = first; c <= column; c++) yearCells.add(c);
    periods.set(column, quarter ? `Q${quarter} ${y[0]}` : months ? `${months}M ${y[0]}` : y[0]);
  }
  const firstYear = Math.min(...yearCells);
  row.forEach((cell, column) => {
    // Pieces of a date ("Dec 28,") belong to their year; only a header without digits heads its own column.
    if (column > firstYear && /\p{L}/u.test(cell) && !/\d|^(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?$/i.test(cell) && !yearCells.has(column))
      periods.set(column, null);
  });
  return periods;
}

/** One printed value of a grid row and the cell it came from; null value for an em-dash. */
interface Token {
  column: number;
  text: string;
}

/**
 * The value tokens of a row's cells after its label: split on spaces ("2,530 $" holds a number
 * and the next column's "$"), "$" dropped, "(" and "%" joined to their number, and a number cut
 * inside a thousands group ("116,91" then "4") glued back together.
 */
function valueTokens(cells: string[], from: number): Token[] {
  const tokens: Token[] = [];
  for (let column = from; column < cells.length; column++) {
    for (const part of cells[column].split(/\s+/)) {
      if (part === '' || part === '$') continue;
      const last = tokens.at(-1);
      const open = last && (last.text === '(' || last.text === '$(');
      const cut = last && /,\d{0,2}$/.test(last.text) && /^\d/.test(part);
      if (last && (open || cut || part === '%' || part === ')' || part === ')%')) last.text = (last.text + part).replace(/^\$/, '');
      else tokens.push({ column, text: part.replace(/^\$/, '') });
    }
  }
  return tokens;
}

/** A cell that holds a printed value or the start of one: "$ 2,202", "(1,103", "(", "—", "16.7 %". */
const isValueCell = (cell: string) => /^[$(\s]*-?\d[\d,.]*\)?\s*%?(\s*\$)?$|^—$|^\($/.test(cell);

/**
 * Triples from one pdfplumber grid: the label is the cells before the first number; each value
 * takes the period of the latest header row above, by order when the row has one value (or
 * em-dash) per headed column, else from the nearest headed column at most one cell away.
 */
function pdfplumberTriples(grid: Grid): Triple[] {
  const triples: Triple[] = [];
  let periods: Map<number, string | null> | null = null;
  let context: string[] = [];
  let pending = '';
  for (const row of grid) {
    const cells = row.map((c) => (c ?? '').trim());
    const header = headerPeriods(cells, context.join(' '));
    if (header) {
      periods = header;
      continue;
    }
    const first = cells.findIndex(isValueCell);
    let label = (first < 0 ? cells : cells.slice(0, first)).join('');
    if (first < 0) {
      // A label-only row: a heading, or the first line of a label the next row finishes.
      pending = label;
      if (label) context = [...context.slice(-3), label];
      continue;
    }
    if (pending && /^[a-z]/.test(label)) label = `${pending} ${label}`;
    pending = '';
    if (!periods || !label) continue;
    const tokens = valueTokens(cells, first);
    // "(" printed right after the label, its number in the next cell: "investments(" "25,282)".
    if (label.endsWith('(') && tokens[0]) {
      label = label.slice(0, -1);
      tokens[0].text = `(${tokens[0].text}`;
    }
    const headed = [...periods.entries()].sort((a, b) => a[0] - b[0]);
    const byOrder = tokens.length === headed.length;
    tokens.forEach((token, i) => {
      const value = parseNumber(token.text);
      if (value === null) return;
      let period: string | null;
      if (byOrder) period = headed[i][1];
      else {
        const [column, nearest] = headed.reduce((best, h) => (Math.abs(h[0] - token.column) < Math.abs(best[0] - token.column) ? h : best));
        // A value two or more cells from every headed column has no period the grid shows.
        period = Math.abs(column - token.column) > 1 ? null : nearest;
      }
      if (period) triples.push({ label, period, value });
    });
  }
  return triples;
}

// ---- run ------------------------------------------------------------------------------------

interface PageResult {
  doc: string;
  page: number;
  folio: Score;
  pdfplumber: Score;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
export const metrics = (s: { gold: number; found: number; correct: number }) => {
  const precision = ratio(s.correct, s.found);
  const recall = ratio(s.correct, s.gold);
  return { precision, recall, f1: ratio(2 * precision * recall, precision + recall) };
};

function total(results: PageResult[], tool: 'folio' | 'pdfplumber') {
  const sum = { gold: 0, found: 0, correct: 0 };
  for (const r of results) {
    sum.gold += r[tool].gold;
    sum.found += r[tool].found;
    sum.correct += r[tool].correct;
  }
  return { ...sum, ...metrics(sum) };
}

export function readGold(): GoldLine[] {
  return readJsonLines<GoldLine>(goldFile, 'gold triple');
}

async function main(): Promise<void> {
  const install = spawnSync('bash', [path.join(root, 'scripts', 'install-pdfplumber.sh')], { stdio: 'inherit' });
  if (install.status !== 0) throw new Error('could not install pdfplumber (scripts/install-pdfplumber.sh)');
  const gold = readGold();
  const pagesByDoc = new Map<string, number[]>();
  for (const g of gold) {
    const pages = pagesByDoc.get(g.doc) ?? [];
    if (!pages.includes(g.page)) pages.push(g.page);
    pagesByDoc.set(g.doc, pages);
  }
  const results: PageResult[] = [];
  for (const [doc, pages] of pagesByDoc) {
    const pdf = path.join(pdfDir, doc);
    const ours = await folio(pdf, pages);
    const grids = pdfplumberGrids(pdf, pages);
    for (const page of pages) {
      const expected = gold.filter((g) => g.doc === doc && g.page === page);
      results.push({
        doc,
        page,
        folio: score(expected, (ours.get(page) ?? []).filter(usable)),
        pdfplumber: score(expected, (grids.get(page) ?? []).flatMap(pdfplumberTriples).filter(usable)),
      });
    }
  }

  const f = (n: number) => n.toFixed(3);
  const cols = (s: Score) => {
    const m = metrics(s);
    return `${String(s.found).padStart(5)} ${f(m.precision)} ${f(m.recall)} ${f(m.f1)}`;
  };
  console.log(`${'page'.padEnd(36)} ${'gold'.padStart(5)} | folio: found  P     R     F1   | pdfplumber: found  P     R     F1`);
  for (const r of results) {
    console.log(`${`${r.doc} p${r.page}`.padEnd(36)} ${String(r.folio.gold).padStart(5)} |        ${cols(r.folio)} |             ${cols(r.pdfplumber)}`);
  }
  const ours = total(results, 'folio');
  const theirs = total(results, 'pdfplumber');
  console.log(
    `${'overall'.padEnd(36)} ${String(ours.gold).padStart(5)} |        ${cols({ ...ours, missed: [], spurious: [] })} |             ${cols({ ...theirs, missed: [], spurious: [] })}`,
  );
  console.log(`ratio folio / pdfplumber: precision ${f(ratio(ours.precision, theirs.precision))}, recall ${f(ratio(ours.recall, theirs.recall))}, F1 ${f(ratio(ours.f1, theirs.f1))}`);
  if (verbose) {
    for (const r of results) {
      for (const tool of ['folio', 'pdfplumber'] as const) {
        const s = r[tool];
        const show = (t: Triple) => `${JSON.stringify(t.label)} ${t.period} ${t.value}`;
        for (const t of s.missed) console.log(`  ${tool} ${r.doc} p${r.page} missed   ${show(t)}`);
        for (const t of s.spurious) console.log(`  ${tool} ${r.doc} p${r.page} spurious ${show(t)}`);
      }
    }
  }
  if (json) {
    const strip = ({ gold, found, correct, precision, recall, f1 }: ReturnType<typeof total>) => ({ gold, found, correct, precision, recall, f1 });
    console.log(
      JSON.stringify({
        pages: results.length,
        folio: strip(ours),
        pdfplumber: strip(theirs),
        ratioF1: ratio(ours.f1, theirs.f1),
        perPage: results.map((r) => ({ doc: r.doc, page: r.page, folioF1: metrics(r.folio).f1, pdfplumberF1: metrics(r.pdfplumber).f1 })),
      }),
    );
  }
}

// Run as a script; bench/layout-model.ts imports the scoring above without running this one.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
