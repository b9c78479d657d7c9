/**
 * Batch ingestion throughput: one batch of N documents (default 50, cut from a corpus manual
 * into distinct PDFs of a few pages each, so every one is a new document) through the real
 * ingestBatch workflow on a real Temporal dev server, with one worker process and then with two
 * polling the same task queue, each over a fresh data directory. Prints documents/minute,
 * pages/s and the workers' peak RSS for each, and the two-worker/one-worker ratio.
 *
 *   npm run bench:batch [-- --docs 50] [--pages-per-doc 6] [--source file.pdf] [--json]
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { corpus, startStack, uploadPdf } from '../test/helpers/stack.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const json = args.includes('--json');
const docs = Number(option('docs', '50'));
const pagesPerDoc = Number(option('pages-per-doc', '6'));
const source = option('source', path.join(corpus, 'qa', 'pdfs', 'gnuplot.pdf'));

function peakRssMb(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
}

/** Distinct documents: consecutive page ranges of the source, each saved as its own PDF. */
async function cutDocuments(): Promise<Uint8Array[]> {
  const whole = await PDFDocument.load(fs.readFileSync(source));
  const total = whole.getPageCount();
  if (total < docs * pagesPerDoc) throw new Error(`${path.basename(source)} has ${total} pages, fewer than ${docs} × ${pagesPerDoc}`);
  const out: Uint8Array[] = [];
  for (let d = 0; d < docs; d++) {
    const part = await PDFDocument.create();
    const pages = await part.copyPages(whole, Array.from({ length: pagesPerDoc }, (_, k) => d * pagesPerDoc + k));
    for (const page of pages) part.addPage(page);
    out.push(await part.save());
  }
  return out;
}

interface Run {
  workers: number;
  seconds: number;
  ready: number;
  failed: number;
  docsPerMinute: number;
  pagesPerSecond: number;
  peakRssMb: number[];
}

async function runBatch(pdfs: Uint8Array[], workers: number): Promise<Run> {
  const stack = await startStack();
  const extra: ChildProcess[] = [];
  try {
    const first = stack.worker;
    for (let w = 1; w < workers; w++) extra.push(await stack.startWorker());
    // startWorker() makes the newest worker the one stop() ends; the first is ended here.
    const all = [first, ...extra];
    const ids: string[] = [];
    for (const pdf of pdfs) ids.push((await uploadPdf(stack.api.url, pdf)).body.id);
    const started = performance.now();
    const response = await fetch(`${stack.api.url}/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documents: ids }) });
    const created = (await response.json()) as { id: string };
    if (!response.ok) throw new Error(`POST /v1/batches: HTTP ${response.status} ${JSON.stringify(created)}`);
    let counts = { ready: 0, failed: 0 };
    for (;;) {
      const view = (await (await fetch(`${stack.api.url}/v1/batches/${created.id}`)).json()) as { phase: string; counts: { ready: number; failed: number } };
      counts = view.counts;
      if (['done', 'failed', 'cancelled', 'terminated', 'timed_out'].includes(view.phase)) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const seconds = (performance.now() - started) / 1000;
    const peak = all.map((child) => peakRssMb(child.pid));
    for (const child of all.slice(0, -1)) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    return {
      workers,
      seconds: Number(seconds.toFixed(1)),
      ready: counts.ready,
      failed: counts.failed,
      docsPerMinute: Number(((counts.ready / seconds) * 60).toFixed(1)),
      pagesPerSecond: Number(((counts.ready * pagesPerDoc) / seconds).toFixed(2)),
      peakRssMb: peak,
    };
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const pdfs = await cutDocuments();
  const runs: Run[] = [];
  for (const workers of [1, 2]) {
    const run = await runBatch(pdfs, workers);
    runs.push(run);
    console.log(`${workers} worker(s): ${run.ready}/${docs} ready, ${run.failed} failed in ${run.seconds} s: ${run.docsPerMinute} documents/min, ${run.pagesPerSecond} pages/s, peak RSS ${run.peakRssMb.join(' + ')} MB`);
  }
  const ratio = Number((runs[1].pagesPerSecond / runs[0].pagesPerSecond).toFixed(2));
  console.log(`two workers / one worker: ${ratio}× pages/s (${docs} documents of ${pagesPerDoc} pages from ${path.basename(source)})`);
  if (json) console.log(JSON.stringify({ docs, pagesPerDoc, source: path.basename(source), runs, ratio }));
}

await main();
