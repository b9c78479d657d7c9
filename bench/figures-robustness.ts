/**
 * Runs the figure detector (and, with --crop, the cropper at 72 dpi) over every PDF of the
 * robustness corpus, to check that nothing of ours throws or hangs on damaged, hostile or odd
 * files. Not a test: run it by hand.
 *
 *   node --import tsx bench/figures-robustness.ts [--crop] [--json] [--verbose] [corpus-dir]
 *
 * Each file runs in a worker thread with a memory limit, and a page that makes no progress for
 * PAGE_TIMEOUT_MS is abandoned by terminating the thread (the file resumes at the next page in
 * a new one): pdf.js itself can loop on some files (operator_list_cycle.pdf never returns from
 * getOperatorList and grows without bound), and a promise race cannot stop a busy thread.
 * Files pdf.js cannot open are counted, not reported as problems.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { cropRegion } from '../lib/pdf/render/crop.ts';
import { openPdf } from '../lib/pdf/open.ts';
import { findPageFigures } from '../lib/pdf/figures/detect.ts';
import { threadEntry } from '../lib/threads/entry.ts';
import { corpus } from '../test/helpers/stack.ts';

const PAGE_TIMEOUT_MS = 20_000;
const THREAD_HEAP_MB = 1536;

interface Job {
  file: string;
  fromPage: number;
  crop: boolean;
}

type Report =
  | { type: 'opened'; pages: number }
  | { type: 'unopenable'; message: string }
  | { type: 'start'; page: number }
  | {
      type: 'page';
      page: number;
      ms: number;
      kinds: string[];
      rules: number;
      truncated: boolean;
      crops: number;
      cropErrors: string[];
    }
  | { type: 'page-error'; page: number; message: string }
  | { type: 'done' };

// ---- worker side ----------------------------------------------------------------------------

async function runJob(job: Job & { dir: string }, post: (report: Report) => void): Promise<void> {
  const bytes = new Uint8Array(fs.readFileSync(path.join(job.dir, job.file)));
  let doc: Awaited<ReturnType<typeof openPdf>>;
  try {
    doc = await openPdf(bytes, { maxPages: 5000 });
  } catch (error) {
    post({ type: 'unopenable', message: (error as Error).message });
    return;
  }
  post({ type: 'opened', pages: doc.numPages });
  const optional = await doc.getOptionalContentConfig().catch(() => null);
  const isOptionalContentVisible = optional ? (group: unknown) => optional.isVisible(group as never) : undefined;
  for (let n = job.fromPage; n <= doc.numPages; n++) {
    post({ type: 'start', page: n });
    const started = performance.now();
    let page: Awaited<ReturnType<typeof doc.getPage>> | null = null;
    try {
      page = await doc.getPage(n);
      const found = await findPageFigures(page, { isOptionalContentVisible });
      let crops = 0;
      const cropErrors: string[] = [];
      if (job.crop) {
        for (const figure of found.figures.slice(0, 3)) {
          try {
            await cropRegion(doc, page, figure.box, { dpi: 72, compressionLevel: 1 });
            crops++;
          } catch (error) {
            const cause = (error as Error).cause as Error | undefined;
            cropErrors.push(`${(error as Error).message}${cause ? ` (${cause.message ?? cause})` : ''}`);
          }
        }
      }
      post({
        type: 'page',
        page: n,
        ms: performance.now() - started,
        kinds: found.figures.map((f) => f.kind),
        rules: found.rules.length,
        truncated: found.stats.truncated,
        crops,
        cropErrors,
      });
    } catch (error) {
      const cause = (error as Error).cause as Error | undefined;
      post({ type: 'page-error', page: n, message: `${(error as Error).message}${cause ? ` (${cause.message ?? cause})` : ''}` });
    } finally {
      page?.cleanup();
    }
  }
  await doc.destroy();
}

if (!isMainThread && workerData?.figuresRobustness) {
  await runJob(workerData.job, (report) => parentPort!.postMessage(report));
  parentPort!.postMessage({ type: 'done' } satisfies Report);
}

// ---- main side ------------------------------------------------------------------------------

const totals = {
  files: 0,
  unopenable: 0,
  pages: 0,
  pageErrors: 0,
  pageTimeouts: 0,
  threadCrashes: 0,
  truncatedPages: 0,
  pagesWithFigures: 0,
  figures: { raster: 0, vector: 0, mixed: 0 } as Record<string, number>,
  rules: 0,
  crops: 0,
  cropErrors: 0,
  slowestPageMs: 0,
  slowestPage: '',
};
const problems: string[] = [];
/** Pages whose work hit a cap (operators or marks): detection ran on a prefix. */
const truncated: string[] = [];

/** Runs one file from `fromPage` in a fresh thread; resolves with the page to resume at, or null when finished. */
function runThread(dir: string, job: Job): Promise<number | null> {
  return new Promise((resolve) => {
    const entry = new URL(import.meta.url);
    const worker = new Worker(threadEntry(entry), {
      argv: [entry.href],
      workerData: { figuresRobustness: true, job: { ...job, dir } },
      resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB },
    });
    let current = 0;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (next: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(next);
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (settled) return;
        totals.pageTimeouts++;
        problems.push(`${job.file} p${current || '(open)'}: no progress in ${PAGE_TIMEOUT_MS} ms, thread terminated`);
        finish(current ? current + 1 : null);
      }, PAGE_TIMEOUT_MS);
    };
    arm();
    worker.on('message', (report: Report) => {
      // A thread may still speak after its file is settled ('done' follows 'unopenable').
      if (settled) return;
      arm();
      switch (report.type) {
        case 'unopenable':
          totals.unopenable++;
          finish(null);
          break;
        case 'start':
          current = report.page;
          totals.pages++;
          break;
        case 'page':
          if (report.truncated) {
            totals.truncatedPages++;
            truncated.push(`${job.file} p${report.page}`);
          }
          if (report.kinds.length > 0) totals.pagesWithFigures++;
          for (const kind of report.kinds) totals.figures[kind]++;
          totals.rules += report.rules;
          totals.crops += report.crops;
          totals.cropErrors += report.cropErrors.length;
          for (const message of report.cropErrors) problems.push(`${job.file} p${report.page} crop: ${message}`);
          if (report.ms > totals.slowestPageMs) {
            totals.slowestPageMs = Math.round(report.ms);
            totals.slowestPage = `${job.file} p${report.page}`;
          }
          break;
        case 'page-error':
          totals.pageErrors++;
          problems.push(`${job.file} p${report.page}: ${report.message}`);
          break;
        case 'done':
          finish(null);
          break;
      }
    });
    worker.on('error', (error) => {
      if (settled) return;
      totals.threadCrashes++;
      problems.push(`${job.file} p${current || '(open)'}: thread died: ${error.message}`);
      finish(current ? current + 1 : null);
    });
    worker.on('exit', () => finish(null));
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const crop = args.includes('--crop');
  const json = args.includes('--json');
  const verbose = args.includes('--verbose');
  const dir = args.find((arg) => !arg.startsWith('--')) ?? path.join(corpus, 'robustness');
  const manifest = fs.readFileSync(path.join(dir, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1);
  const started = performance.now();
  for (const row of manifest) {
    const file = row.split('\t')[0];
    totals.files++;
    if (verbose) process.stderr.write(`${file}\n`);
    let next: number | null = 1;
    while (next !== null) next = await runThread(dir, { file, fromPage: next, crop });
  }
  const seconds = (performance.now() - started) / 1000;
  if (json) {
    console.log(JSON.stringify({ ...totals, seconds, problems, truncated }));
    return;
  }
  console.log(`${totals.files} files (${totals.unopenable} pdf.js cannot open), ${totals.pages} pages in ${seconds.toFixed(1)} s`);
  console.log(
    `page errors ${totals.pageErrors}, page timeouts ${totals.pageTimeouts}, thread crashes ${totals.threadCrashes}, truncated pages ${totals.truncatedPages} ${truncated.join(', ')}`,
  );
  console.log(`figures ${JSON.stringify(totals.figures)} on ${totals.pagesWithFigures} pages; rules ${totals.rules}`);
  if (crop) console.log(`crops ${totals.crops}, crop errors ${totals.cropErrors}`);
  console.log(`slowest page ${totals.slowestPage}: ${totals.slowestPageMs} ms`);
  for (const problem of problems) console.log(`  ${problem}`);
}

if (isMainThread) await main();
