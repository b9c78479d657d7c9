/**
 * Batch ingestion throughput: one batch of N documents (default 50, cut from a corpus manual
 * into distinct PDFs of a few pages each, so every one is a new document) through the real
 * ingestBatch workflow on a real Temporal dev server, with one worker process and then with two
 * polling the same task queue, each over a fresh data directory. Prints documents/minute,
 * pages/s and the workers' peak RSS for each, and the two-worker/one-worker ratio.
 *
 * `--storage shared` runs the same batches over PostgreSQL + an S3 server (s3rver), started the
 * way the tests start them; `--storage both` runs local (SQLite + folder) and shared and prints
 * shared/local ratios. After each batch it times answers: the first question per document on a
 * fresh API over an empty data folder (cold: the index is read from the bucket, or the folder),
 * then the same questions again on that API (warm), p50/p99.
 *
 *   npm run bench:batch [-- --docs 50] [--pages-per-doc 6] [--source file.pdf] [--storage local|shared|both] [--json]
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { startApi } from '../bin/api.ts';
import { loadConfig } from '../lib/config.ts';
import { postgresBinDir, startPostgres } from '../test/helpers/postgres.ts';
import { startS3 } from '../test/helpers/s3.ts';
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
const storage = option('storage', 'local');
if (!['local', 'shared', 'both'].includes(storage)) throw new Error(`--storage local|shared|both, not ${storage}`);
if (storage !== 'local' && !postgresBinDir()) throw new Error('--storage shared needs PostgreSQL server binaries (apt-get install postgresql)');
const QUESTIONS = ['What does the plot command do?', 'How do I set the range of an axis?', 'Which options does this section describe?'];

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return Number(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)].toFixed(1));
}

async function timedAnswer(url: string, id: string, question: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/documents/${id}/answers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question }) });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`answer ${id}: HTTP ${response.status}`);
  return performance.now() - started;
}

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
  storage: 'local' | 'shared';
  workers: number;
  seconds: number;
  ready: number;
  failed: number;
  docsPerMinute: number;
  pagesPerSecond: number;
  peakRssMb: number[];
  /** Answer latency in ms: first question per document on a fresh API (cold), then repeats (warm). */
  coldP50: number;
  coldP99: number;
  warmP50: number;
  warmP99: number;
}

async function runBatch(pdfs: Uint8Array[], workers: number, kind: 'local' | 'shared'): Promise<Run> {
  const postgres = kind === 'shared' ? await startPostgres() : null;
  const s3 = kind === 'shared' ? await startS3() : null;
  const shared: Record<string, string> = postgres && s3 ? { FOLIO_DATABASE_URL: postgres.url, FOLIO_BLOB_URL: `s3://${s3.bucket}/folio`, ...s3.env } : {};
  const stack = await startStack(shared);
  const extra: ChildProcess[] = [];
  const freshDir = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-bench-api-'));
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
    let readyIds: string[] = [];
    let phase = '';
    for (;;) {
      const view = (await (await fetch(`${stack.api.url}/v1/batches/${created.id}`)).json()) as {
        phase: string;
        counts: { ready: number; failed: number };
        documents: { id: string; outcome: string | null; reason: string | null }[];
      };
      counts = view.counts;
      phase = view.phase;
      readyIds = view.documents.filter((doc) => doc.outcome === 'ready').map((doc) => doc.id);
      for (const doc of view.documents.filter((d) => d.outcome && d.outcome !== 'ready')) console.error(`not ready: ${doc.id} ${doc.outcome} ${doc.reason}`);
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
    // Answers on a fresh API: shared storage, over an empty folder (so an empty blob cache, the
    // index read from the bucket); local, over the same folder (the index read from disk).
    const fresh = await startApi(loadConfig({ ...stack.env, FOLIO_DATA_DIR: kind === 'shared' ? freshDir : stack.config.dataDir, PORT: '0', FOLIO_LOG_LEVEL: 'warn' }));
    const cold: number[] = [];
    const warm: number[] = [];
    try {
      if (readyIds.length < ids.length) console.error(`batch ${phase}: ${readyIds.length}/${ids.length} ready; answers timed on those`);
      for (const id of readyIds) cold.push(await timedAnswer(fresh.url, id, QUESTIONS[0]));
      for (let round = 0; round < 2; round++) for (const id of readyIds) for (const question of QUESTIONS) warm.push(await timedAnswer(fresh.url, id, question));
    } finally {
      await fresh.close();
    }
    return {
      storage: kind,
      workers,
      seconds: Number(seconds.toFixed(1)),
      ready: counts.ready,
      failed: counts.failed,
      docsPerMinute: Number(((counts.ready / seconds) * 60).toFixed(1)),
      pagesPerSecond: Number(((counts.ready * pagesPerDoc) / seconds).toFixed(2)),
      peakRssMb: peak,
      coldP50: percentile(cold, 50),
      coldP99: percentile(cold, 99),
      warmP50: percentile(warm, 50),
      warmP99: percentile(warm, 99),
    };
  } finally {
    await stack.stop();
    await s3?.stop();
    await postgres?.stop();
    fs.rmSync(freshDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const pdfs = await cutDocuments();
  const runs: Run[] = [];
  const kinds: ('local' | 'shared')[] = storage === 'both' ? ['local', 'shared'] : [storage as 'local' | 'shared'];
  for (const kind of kinds) {
    for (const workers of [1, 2]) {
      const run = await runBatch(pdfs, workers, kind);
      runs.push(run);
      console.log(
        `${kind}, ${workers} worker(s): ${run.ready}/${docs} ready, ${run.failed} failed in ${run.seconds} s: ${run.docsPerMinute} documents/min, ${run.pagesPerSecond} pages/s, peak RSS ${run.peakRssMb.join(' + ')} MB; answers cold p50 ${run.coldP50} ms p99 ${run.coldP99} ms, warm p50 ${run.warmP50} ms p99 ${run.warmP99} ms`,
      );
    }
  }
  const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
  const find = (kind: string, workers: number) => runs.find((run) => run.storage === kind && run.workers === workers) as Run;
  for (const kind of kinds) {
    console.log(`${kind}: two workers / one worker: ${ratio(find(kind, 2).pagesPerSecond, find(kind, 1).pagesPerSecond)}× pages/s (${docs} documents of ${pagesPerDoc} pages from ${path.basename(source)})`);
  }
  const shared: Record<string, number> = {};
  if (storage === 'both') {
    for (const workers of [1, 2]) {
      const [l, s] = [find('local', workers), find('shared', workers)];
      const r = {
        pagesPerSecond: ratio(s.pagesPerSecond, l.pagesPerSecond),
        coldP50: ratio(s.coldP50, l.coldP50),
        coldP99: ratio(s.coldP99, l.coldP99),
        warmP50: ratio(s.warmP50, l.warmP50),
        warmP99: ratio(s.warmP99, l.warmP99),
      };
      for (const [key, value] of Object.entries(r)) shared[`${key}@${workers}`] = value;
      console.log(
        `shared / local, ${workers} worker(s): ${r.pagesPerSecond}× pages/s (and documents/min); answers cold p50 ${r.coldP50}× p99 ${r.coldP99}×, warm p50 ${r.warmP50}× p99 ${r.warmP99}×`,
      );
    }
  }
  if (json) console.log(JSON.stringify({ docs, pagesPerDoc, source: path.basename(source), storage, runs, sharedOverLocal: shared }));
}

await main();
