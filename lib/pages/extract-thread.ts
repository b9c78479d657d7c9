/**
 * Worker-thread entry: a long-lived loop that opens PDFs with pdf.js and either inspects them
 * or extracts lists of pages, posting one message per page. Running here keeps pdf.js's CPU
 * work off the activity worker's event loop (heartbeats keep flowing) and lets pages parse on
 * every core; a page that hangs or exhausts memory takes down only this thread, which the pool
 * replaces. The thread keeps its last document open, since consecutive requests usually
 * continue the same file (the next page batch).
 */
import fs from 'node:fs';
import { type ExtractedPage, extractPage } from './pipeline.ts';
import type { PageSettings } from './settings.ts';
import { inspectPdf, openPdf, type PdfInspection } from '../pdf/open.ts';
import type { PDFDocumentProxy } from '../pdf/pdfjs.ts';
import { type PostMessage, serveThread } from '../threads/serve.ts';

export interface ThreadRequest {
  task: 'inspect' | 'extract';
  pdfPath: string;
  pages: number[];
  maxPages: number;
  pageSettings: PageSettings;
}

/** The reply: the inspection, or null once every page of an extraction has been posted. */
export type ThreadReply = PdfInspection | null;

/** Posted for each page of an extraction, before the reply. */
export type PageMessage =
  | { type: 'page-started'; page: number }
  | ({ type: 'page' } & ExtractedPage)
  | { type: 'page-failed'; page: number; message: string };

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

async function run(request: ThreadRequest, post: PostMessage<PageMessage>): Promise<ThreadReply> {
  const doc = await documentFor(request);
  if (request.task === 'inspect') return inspectPdf(doc);
  for (const pageNumber of request.pages) {
    post({ type: 'page-started', page: pageNumber });
    try {
      const page = await extractPage(doc, pageNumber, request.pageSettings);
      // Copies into fresh buffers that can be transferred (sharp's may share a pool).
      const png = page.thumbnailPng ? new Uint8Array(page.thumbnailPng) : null;
      const canvas = page.cropCanvasPng ? new Uint8Array(page.cropCanvasPng) : null;
      const tokens = page.visualTokens ? { ...page.visualTokens, blob: new Uint8Array(page.visualTokens.blob) } : null;
      const figureCrops = page.figureCrops.map((crop) => ({ index: crop.index, png: new Uint8Array(crop.png) }));
      const transfer = [png, canvas, tokens?.blob, ...figureCrops.map((crop) => crop.png)].flatMap((a) => (a ? [a.buffer as ArrayBuffer] : []));
      post({ type: 'page', ...page, thumbnailPng: png, cropCanvasPng: canvas, visualTokens: tokens, figureCrops }, transfer);
    } catch (error) {
      post({ type: 'page-failed', page: pageNumber, message: (error as Error)?.message ?? String(error) });
    }
  }
  return null;
}

serveThread<ThreadRequest, ThreadReply, PageMessage>(async (request, post) => {
  clearTimeout(idleTimer);
  try {
    return await run(request, post);
  } catch (error) {
    await closeOpen();
    throw error;
  } finally {
    // Let go of the document when no more work comes for it.
    idleTimer = setTimeout(() => void closeOpen(), IDLE_CLOSE_MS);
    idleTimer.unref();
  }
});
