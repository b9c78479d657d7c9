/**
 * Worker-thread entry: a long-lived loop that opens PDFs with pdf.js and either inspects them
 * or extracts lists of pages, posting one message per page. Running here keeps pdf.js's CPU
 * work off the activity worker's event loop (heartbeats keep flowing) and lets pages parse on
 * every core; a page that hangs or exhausts memory takes down only this thread, which the pool
 * replaces. The thread keeps its last document open, since consecutive requests usually
 * continue the same file (the next page batch).
 */
import fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { type ExtractedPage, extractPage } from './pipeline.ts';
import type { PageSettings } from './settings.ts';
import { inspectPdf, openPdf } from '../pdf/open.ts';
import type { PDFDocumentProxy } from '../pdf/pdfjs.ts';
import { PdfInputError } from '../pdf/errors.ts';

export interface ThreadRequest {
  task: 'inspect' | 'extract';
  pdfPath: string;
  pages: number[];
  maxPages: number;
  pageSettings: PageSettings;
}

export type ThreadMessage =
  | { type: 'inspected'; pageCount: number; title: string | null; encrypted: boolean }
  | { type: 'page-started'; page: number }
  | ({ type: 'page' } & ExtractedPage)
  | { type: 'page-failed'; page: number; message: string }
  | { type: 'failed'; inputError: boolean; code: string | null; message: string }
  | { type: 'done' };

/** What crosses the thread boundary: a message of one request. */
export interface Envelope {
  id: number;
  message: ThreadMessage;
}

const IDLE_CLOSE_MS = 30_000;

// pdf.js inflates a Flate stream through the global DecompressionStream when there is one: web
// streams plus a round trip to libuv's thread pool per stream, and every page's content stream
// is inflated twice (operator list, text content). Without the global, pdf.js falls back to its
// own synchronous inflater, which is faster for the small streams that make up most pages
// (octave.pdf, 400 pages on one thread: 14.0–16.8 ms per page with the global, 10.5–10.8
// without; same bytes either way). This thread runs nothing but pdf.js, so the change stays here.
delete (globalThis as { DecompressionStream?: unknown }).DecompressionStream;

let open: { path: string; maxPages: number; doc: PDFDocumentProxy } | null = null;
let idleTimer: NodeJS.Timeout | undefined;

async function closeOpen(): Promise<void> {
  const current = open;
  open = null;
  await current?.doc.destroy().catch(() => {});
}

async function documentFor(request: ThreadRequest): Promise<PDFDocumentProxy> {
  if (open && open.path === request.pdfPath && open.maxPages === request.maxPages) return open.doc;
  await closeOpen();
  const bytes = new Uint8Array(fs.readFileSync(request.pdfPath));
  const doc = await openPdf(bytes, { maxPages: request.maxPages });
  open = { path: request.pdfPath, maxPages: request.maxPages, doc };
  return doc;
}

async function run(id: number, request: ThreadRequest): Promise<void> {
  const post = (message: ThreadMessage, transfer: ArrayBuffer[] = []) => parentPort?.postMessage({ id, message } satisfies Envelope, transfer);
  const doc = await documentFor(request);
  if (request.task === 'inspect') {
    post({ type: 'inspected', ...(await inspectPdf(doc)) });
    return;
  }
  for (const pageNumber of request.pages) {
    post({ type: 'page-started', page: pageNumber });
    try {
      const page = await extractPage(doc, pageNumber, request.pageSettings);
      // Copies into fresh buffers that can be transferred (sharp's may share a pool).
      const png = page.thumbnailPng ? new Uint8Array(page.thumbnailPng) : null;
      const crops = page.cropPngs.map((crop) => new Uint8Array(crop));
      const figureCrops = page.figureCrops.map((crop) => ({ index: crop.index, png: new Uint8Array(crop.png) }));
      const transfer = [...(png ? [png] : []), ...crops, ...figureCrops.map((crop) => crop.png)].map((a) => a.buffer as ArrayBuffer);
      post({ type: 'page', ...page, thumbnailPng: png, cropPngs: crops, figureCrops }, transfer);
    } catch (error) {
      post({ type: 'page-failed', page: pageNumber, message: (error as Error)?.message ?? String(error) });
    }
  }
}

// Requests arrive one at a time: the pool sends the next only after `done` or `failed`.
parentPort?.on('message', ({ id, request }: { id: number; request: ThreadRequest }) => {
  clearTimeout(idleTimer);
  const post = (message: ThreadMessage) => parentPort?.postMessage({ id, message } satisfies Envelope);
  run(id, request)
    .then(() => post({ type: 'done' }))
    .catch(async (error: unknown) => {
      await closeOpen();
      const inputError = error instanceof PdfInputError;
      post({
        type: 'failed',
        inputError,
        code: inputError ? error.code : null,
        message: (error as Error)?.message ?? String(error),
      });
    })
    .finally(() => {
      // Let go of the document when no more work comes for it.
      idleTimer = setTimeout(() => void closeOpen(), IDLE_CLOSE_MS);
      idleTimer.unref();
    });
});
