/**
 * Runs the figure detector (and, with --crop, the cropper at 72 dpi) over every PDF of the
 * robustness corpus, to check that nothing throws or hangs on damaged, hostile or odd files.
 * Not a test: run it by hand. Files that pdf.js cannot open are counted, not errors of ours.
 *
 *   node --import tsx bench/figures-robustness.ts [--crop] [--json] [--verbose] [corpus-dir]
 */
import fs from 'node:fs';
import path from 'node:path';
import { cropRegion } from '../lib/pdf/crop.ts';
import { openPdf, type PDFDocumentProxy } from '../lib/pdf/document.ts';
import { findPageFigures } from '../lib/pdf/figures.ts';
import { corpus } from '../test/helpers/stack.ts';

const args = process.argv.slice(2);
const crop = args.includes('--crop');
const json = args.includes('--json');
const verbose = args.includes('--verbose');
const dir = args.find((arg) => !arg.startsWith('--')) ?? path.join(corpus, 'robustness');
const PAGE_TIMEOUT_MS = 20_000;
const OPEN_TIMEOUT_MS = 20_000;

class Timeout extends Error {}

async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Timeout(`${what} took over ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const totals = {
  files: 0,
  unopenable: 0,
  pages: 0,
  pageErrors: 0,
  pageTimeouts: 0,
  truncatedPages: 0,
  pagesWithFigures: 0,
  figures: { raster: 0, vector: 0, mixed: 0 },
  rules: 0,
  crops: 0,
  cropErrors: 0,
  slowestPageMs: 0,
  slowestPage: '',
};
const problems: string[] = [];

async function runFile(file: string): Promise<void> {
  const bytes = new Uint8Array(fs.readFileSync(path.join(dir, file)));
  let doc: PDFDocumentProxy;
  try {
    doc = await withTimeout(openPdf(bytes, { maxPages: 5000 }), OPEN_TIMEOUT_MS, `opening ${file}`);
  } catch {
    totals.unopenable++;
    return;
  }
  try {
    const optional = await doc.getOptionalContentConfig().catch(() => null);
    for (let n = 1; n <= doc.numPages; n++) {
      totals.pages++;
      const started = performance.now();
      let page: Awaited<ReturnType<PDFDocumentProxy['getPage']>> | null = null;
      try {
        page = await withTimeout(doc.getPage(n), PAGE_TIMEOUT_MS, `${file} p${n} getPage`);
        const found = await withTimeout(
          findPageFigures(page, { isOptionalContentVisible: optional ? (p) => optional.isVisible(p as never) : undefined }),
          PAGE_TIMEOUT_MS,
          `${file} p${n} figures`,
        );
        if (found.stats.truncated) totals.truncatedPages++;
        if (found.figures.length > 0) totals.pagesWithFigures++;
        for (const figure of found.figures) totals.figures[figure.kind]++;
        totals.rules += found.rules.length;
        if (crop) {
          for (const figure of found.figures.slice(0, 3)) {
            try {
              await withTimeout(cropRegion(doc, page, figure.box, { dpi: 72, compressionLevel: 1 }), PAGE_TIMEOUT_MS, `${file} p${n} crop`);
              totals.crops++;
            } catch (error) {
              totals.cropErrors++;
              problems.push(`${file} p${n} crop: ${(error as Error).message} (${(error as Error).cause ?? ''})`);
            }
          }
        }
      } catch (error) {
        if (error instanceof Timeout) totals.pageTimeouts++;
        else totals.pageErrors++;
        const cause = (error as Error).cause as Error | undefined;
        problems.push(`${file} p${n}: ${(error as Error).message}${cause ? ` (${cause.message ?? cause})` : ''}`);
      } finally {
        page?.cleanup();
      }
      const ms = performance.now() - started;
      if (ms > totals.slowestPageMs) {
        totals.slowestPageMs = Math.round(ms);
        totals.slowestPage = `${file} p${n}`;
      }
    }
  } finally {
    await doc.destroy();
  }
}

async function main(): Promise<void> {
  const manifest = fs.readFileSync(path.join(dir, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1);
  const started = performance.now();
  for (const row of manifest) {
    const file = row.split('\t')[0];
    totals.files++;
    if (verbose) process.stderr.write(`${file}\n`);
    await runFile(file);
  }
  const seconds = (performance.now() - started) / 1000;
  if (json) console.log(JSON.stringify({ ...totals, seconds, problems }));
  else {
    console.log(`${totals.files} files (${totals.unopenable} pdf.js cannot open), ${totals.pages} pages in ${seconds.toFixed(1)} s`);
    console.log(`page errors ${totals.pageErrors}, page timeouts ${totals.pageTimeouts}, truncated pages ${totals.truncatedPages}`);
    console.log(`figures ${JSON.stringify(totals.figures)} on ${totals.pagesWithFigures} pages; rules ${totals.rules}`);
    if (crop) console.log(`crops ${totals.crops}, crop errors ${totals.cropErrors}`);
    console.log(`slowest page ${totals.slowestPage}: ${totals.slowestPageMs} ms`);
    for (const problem of problems) console.log(`  ${problem}`);
  }
}

await main();
