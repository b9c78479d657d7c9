/**
 * `folio ingest <files or folders…>`: every PDF under the paths, stored through the API and
 * ingested as one batch. One progress line (documents, pages, rate, ETA) kept in place on a
 * terminal, a line per finished document, a summary table at the end. Documents already ready
 * are not ingested again, so a second run over the same folder finishes at once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type BatchCreatedView, type BatchDocumentView, type BatchView, batchIsClosed, type UploadView } from '../api/views.ts';

/** How the command line talks to the API (bin/folio.ts's `call`). */
export type ApiCall = <T>(method: string, route: string, body?: string | Uint8Array, type?: string) => Promise<T>;

export interface IngestManyOptions {
  /** Documents ingested at once (the batch's window); the server's default when absent. */
  concurrency?: number;
  /** Between polls of the batch. */
  pollMs?: number;
}

/** Every PDF under the paths (folders recursively), sorted, each once; a missing path is an error. */
export function collectPdfs(paths: string[]): string[] {
  const found = new Set<string>();
  const visit = (entry: string, named: boolean) => {
    const stat = fs.statSync(entry, { throwIfNoEntry: false });
    if (!stat) throw new Error(`No such file or folder: ${entry}`);
    if (stat.isDirectory()) {
      for (const child of fs.readdirSync(entry).sort()) visit(path.join(entry, child), false);
    } else if (stat.isFile() && (named || /\.pdf$/i.test(entry))) {
      // A file named on the command line is taken whatever its name; inside folders only *.pdf.
      found.add(path.resolve(entry));
    }
  };
  for (const p of paths) visit(p, true);
  return [...found].sort();
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * The progress line: documents settled of total, pages stored of known, pages per second since
 * the start, and an ETA from the rate at which documents settle.
 */
export function progressLine(view: Pick<BatchView, 'counts' | 'pages'>, elapsedSeconds: number, width = 24): string {
  const { counts, pages } = view;
  const settled = counts.ready + counts.failed + counts.cancelled;
  const share = counts.total > 0 ? settled / counts.total : 1;
  const filled = Math.round(share * width);
  const rate = elapsedSeconds > 0 ? pages.done / elapsedSeconds : 0;
  const docRate = elapsedSeconds > 0 ? settled / elapsedSeconds : 0;
  const eta = settled >= counts.total ? 0 : docRate > 0 ? (counts.total - settled) / docRate : Number.NaN;
  return (
    `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${settled}/${counts.total} documents` +
    ` (${counts.running} running, ${counts.failed} failed), ${pages.done}/${pages.total} pages, ${rate.toFixed(1)} pages/s, ETA ${formatDuration(eta)}`
  );
}

/** One line per finished document. */
export function finishedLine(doc: BatchDocumentView, name: string): string {
  const pages = doc.pages.total ?? doc.pages.done;
  if (doc.outcome === 'ready') return `ready      ${name} (${pages} pages${doc.alreadyReady ? ', already ready' : ''})`;
  return `${(doc.outcome ?? 'unknown').padEnd(10)} ${name}: ${doc.reason ?? 'no reason given'}`;
}

/** The summary table: outcome, pages, file and reason, one row per document, then the totals. */
export function summaryTable(docs: BatchDocumentView[], nameOf: (id: string) => string): string {
  const rows = docs.map((doc) => [doc.outcome ?? '-', String(doc.pages.total ?? doc.pages.done), nameOf(doc.id), doc.alreadyReady ? 'already ready' : (doc.reason ?? '')]);
  const header = ['outcome', 'pages', 'file', 'reason'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 1 ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const count = (outcome: string) => docs.filter((doc) => doc.outcome === outcome).length;
  return [
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `${docs.length} documents: ${count('ready')} ready, ${count('failed')} failed, ${count('cancelled')} cancelled`,
  ].join('\n');
}

/** Returns the exit status: 0 when every document is ready, 1 otherwise. */
export async function ingestMany(
  call: ApiCall,
  paths: string[],
  options: IngestManyOptions,
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream },
): Promise<number> {
  const files = collectPdfs(paths);
  if (files.length === 0) throw new Error(`No PDF files under ${paths.join(', ')}.`);
  const tty = (io.err as { isTTY?: boolean }).isTTY === true;
  const names = new Map<string, string>();
  const ids: string[] = [];
  for (const [k, file] of files.entries()) {
    if (tty) io.err.write(`\r\x1b[Kstoring ${k + 1}/${files.length} ${path.basename(file)}`);
    // Stored only: the batch below starts the ingestion, within its window.
    const upload = await call<UploadView>('POST', `/v1/documents?ingest=false&filename=${encodeURIComponent(path.basename(file))}`, fs.readFileSync(file), 'application/pdf');
    if (!names.has(upload.id)) names.set(upload.id, path.relative(process.cwd(), file) || file);
    ids.push(upload.id);
  }
  const body: Record<string, unknown> = { documents: ids };
  if (options.concurrency) body.window = options.concurrency;
  const created = await call<BatchCreatedView>('POST', '/v1/batches', JSON.stringify(body), 'application/json');
  io.err.write(`${tty ? '\r\x1b[K' : ''}batch ${created.id}: ${created.total} documents\n`);

  const started = Date.now();
  const reported = new Set<string>();
  let lastLine = '';
  let lastPrinted = 0;
  const nameOf = (id: string) => names.get(id) ?? id;
  for (;;) {
    const view = await call<BatchView>('GET', `/v1/batches/${created.id}?limit=${created.total}`);
    const closed = batchIsClosed(view.phase);
    for (const doc of view.documents) {
      if (doc.outcome && !reported.has(doc.id)) {
        reported.add(doc.id);
        io.err.write(`${tty ? '\r\x1b[K' : ''}${finishedLine(doc, nameOf(doc.id))}\n`);
        lastLine = '';
      }
    }
    const line = progressLine(view, (Date.now() - started) / 1000);
    if (tty) {
      io.err.write(`\r\x1b[K${line}`);
    } else if (line !== lastLine && (closed || Date.now() - lastPrinted > 5000)) {
      // Without a terminal the line cannot be redrawn: print it now and then, not every poll.
      io.err.write(`${line}\n`);
      lastPrinted = Date.now();
    }
    lastLine = line;
    if (closed) {
      if (tty) io.err.write('\n');
      io.out.write(`${summaryTable(view.documents, nameOf)}\n`);
      const allReady = view.documents.length === view.counts.total && view.documents.every((doc) => doc.outcome === 'ready');
      return view.phase === 'done' && allReady ? 0 : 1;
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
  }
}
