/**
 * Ingestion throughput: Folio's whole ingestion (layout paragraphs + thumbnails + index) of a
 * PDF through the real workflow on a real Temporal dev server, against `pdftotext` (poppler,
 * text only) on the same file in the same run. Prints pages/s for both, their ratio, and the
 * worker process's peak RSS (threads included).
 *
 *   npm run bench:ingest [-- file.pdf] [--json]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { corpus, startStack, uploadPdf, waitForDocument } from '../test/helpers/stack.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const file = args.find((arg) => !arg.startsWith('--')) ?? path.join(corpus, 'qa', 'pdfs', 'octave.pdf');

function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
}

/** User + system CPU seconds the process (all its threads) has used so far. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // Fields 14 and 15 of stat (utime, stime), counted after the command name's closing parenthesis.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function timePdftotext(pdf: string): number {
  if (spawnSync('pdftotext', ['-v']).error) {
    throw new Error('pdftotext is not installed (Debian: apt-get install poppler-utils); it is the baseline of this benchmark.');
  }
  const started = performance.now();
  execFileSync('pdftotext', ['-layout', pdf, '/dev/null']);
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file]).toString())?.[1]);
  const popplerSeconds = timePdftotext(file);

  const stack = await startStack();
  try {
    const started = performance.now();
    const { body } = await uploadPdf(stack.api.url, fs.readFileSync(file));
    // When each status was first seen (polled every 250 ms): extraction ends where indexing starts.
    const firstSeen: Record<string, number> = {};
    const doc = await waitForDocument(stack.api.url, body.id, 3_600_000, (view) => {
      firstSeen[view.status] ??= performance.now();
      return view.status === 'ready' || view.status === 'failed';
    });
    const folioSeconds = (performance.now() - started) / 1000;
    const indexingAt = firstSeen.indexing ?? firstSeen.ready;
    const workerCpuSeconds = cpuSeconds(stack.worker.pid as number);
    if (doc.status !== 'ready') throw new Error(`ingestion failed: ${doc.failureReason}`);
    const workerPeakRssMb = peakRssMb(stack.worker.pid as number);
    const result = {
      file: path.basename(file),
      pages,
      folio_seconds: Number(folioSeconds.toFixed(2)),
      folio_pages_per_s: Number((pages / folioSeconds).toFixed(1)),
      pdftotext_seconds: Number(popplerSeconds.toFixed(2)),
      pdftotext_pages_per_s: Number((pages / popplerSeconds).toFixed(1)),
      extraction_seconds: Number(((indexingAt - started) / 1000).toFixed(2)),
      index_seconds: Number(((firstSeen.ready - indexingAt) / 1000).toFixed(2)),
      worker_cpu_seconds: Number(workerCpuSeconds.toFixed(1)),
      ratio_folio_to_pdftotext: Number((popplerSeconds / folioSeconds).toFixed(3)),
      worker_peak_rss_mb: workerPeakRssMb,
      batch_size: stack.config.ingest.pageBatchSize,
      batch_parallelism: stack.config.ingest.batchParallelism,
      thumbnail_side: stack.config.pages.images.thumbnailMaxSide,
    };
    console.log(`${result.file}: ${pages} pages`);
    console.log(`  folio ingestion (layout + thumbnails + index): ${result.folio_seconds} s, ${result.folio_pages_per_s} pages/s`);
    console.log(`    extraction (pages, images, visual tokens):   ${result.extraction_seconds} s; index build ${result.index_seconds} s`);
    console.log(`    worker CPU (all threads):                    ${result.worker_cpu_seconds} s (${(workerCpuSeconds / folioSeconds).toFixed(2)} cores busy on average)`);
    console.log(`  pdftotext -layout (text only):                 ${result.pdftotext_seconds} s, ${result.pdftotext_pages_per_s} pages/s`);
    console.log(`  ratio (folio rate / pdftotext rate):           ${result.ratio_folio_to_pdftotext}`);
    console.log(`  worker peak RSS:                               ${workerPeakRssMb} MB`);
    if (json) console.log(JSON.stringify(result));
  } finally {
    await stack.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
