/**
 * Worker-thread entry: opens a PDF with pdf.js and either inspects it or extracts a list of
 * pages, posting one message per page. Running here keeps pdf.js's CPU work off the activity
 * worker's event loop (heartbeats keep flowing) and lets two pages parse on two cores; a page
 * that hangs or exhausts memory takes down only this thread.
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { extractPage, inspectPdf, openPdf, PdfInputError, type ThumbnailOptions } from './document.ts';

export interface ThreadRequest {
  task: 'inspect' | 'extract';
  pdfPath: string;
  pages: number[];
  maxPages: number;
  thumbnail: ThumbnailOptions;
}

export type ThreadMessage =
  | { type: 'inspected'; pageCount: number; title: string | null; encrypted: boolean }
  | { type: 'page-started'; page: number }
  | {
      type: 'page';
      page: number;
      width: number;
      height: number;
      paragraphs: import('../types.ts').Paragraph[];
      thumbnailPng: Uint8Array | null;
      renderError: string | null;
    }
  | { type: 'page-failed'; page: number; message: string }
  | { type: 'failed'; inputError: boolean; code: string | null; message: string }
  | { type: 'done' };

function post(message: ThreadMessage, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(message, transfer);
}

async function run(request: ThreadRequest): Promise<void> {
  const bytes = new Uint8Array(fs.readFileSync(request.pdfPath));
  const doc = await openPdf(bytes, { maxPages: request.maxPages });
  try {
    if (request.task === 'inspect') {
      post({ type: 'inspected', ...(await inspectPdf(doc)) });
      return;
    }
    for (const pageNumber of request.pages) {
      post({ type: 'page-started', page: pageNumber });
      try {
        const page = await extractPage(doc, pageNumber, request.thumbnail);
        const png = page.thumbnailPng ? new Uint8Array(page.thumbnailPng) : null;
        post({ type: 'page', ...page, thumbnailPng: png }, png ? [png.buffer as ArrayBuffer] : []);
      } catch (error) {
        post({ type: 'page-failed', page: pageNumber, message: (error as Error)?.message ?? String(error) });
      }
    }
  } finally {
    await doc.destroy();
  }
}

run(workerData as ThreadRequest)
  .then(() => post({ type: 'done' }))
  .catch((error: unknown) => {
    const inputError = error instanceof PdfInputError;
    post({
      type: 'failed',
      inputError,
      code: inputError ? error.code : null,
      message: (error as Error)?.message ?? String(error),
    });
  });
