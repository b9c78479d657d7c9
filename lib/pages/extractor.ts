/**
 * Main-thread side of PDF work: a small pool of long-lived extraction threads
 * (`extract-thread.ts`), so pdf.js loads once per thread rather than once per activity. The
 * runner enforces the per-page time limit (a stuck page's thread is terminated and replaced,
 * the page is recorded as failed and the rest of the request goes on) and hands each page to
 * the caller in order.
 */
import { ThreadCrashedError, ThreadHost, ThreadOutOfMemoryError, ThreadStoppedError } from '../threads/host.ts';
import type { PageContent } from './pipeline.ts';
import type { PageSettings } from './settings.ts';
import { PdfInputError } from '../pdf/errors.ts';
import type { PageMessage, ThreadReply, ThreadRequest } from './extract-thread.ts';

const THREAD_URL = new URL('./extract-thread.ts', import.meta.url);

export interface PageResult extends PageContent {
  /** Set when the page could not be read at all or only partly (no thumbnail). */
  error: string | null;
}

export interface ExtractorLimits {
  maxPages: number;
  pageTimeoutMs: number;
  pageSettings: PageSettings;
  /** Heap limit of one extraction thread, so a hostile file cannot exhaust the worker. */
  threadHeapMb: number;
  /** Extraction threads in the pool (one per core is the natural choice). */
  threads: number;
}

type ExtractionThreads = ThreadHost<ThreadRequest, ThreadReply, PageMessage>;

// Threads are shared by every activity of the process; requests wait for a free one.
let pool: ExtractionThreads | null = null;
let poolShape = '';

function poolFor(limits: ExtractorLimits): ExtractionThreads {
  const shape = `${limits.threads}/${limits.threadHeapMb}`;
  if (!pool || poolShape !== shape) {
    pool = new ThreadHost({ name: 'PDF extraction', entry: THREAD_URL, threads: Math.max(1, limits.threads), heapMb: limits.threadHeapMb, errors: [PdfInputError] });
    poolShape = shape;
  }
  return pool;
}

/**
 * Ends the extraction threads that are idle: a document's index build, which comes after its
 * last page, need not share the machine's memory with the parsed PDF its threads still hold.
 * Threads busy with another document's pages go on.
 */
export async function releaseIdleExtractionThreads(): Promise<void> {
  await pool?.closeIdle();
}

/** Running out of heap is the file's fault (a hostile or absurd PDF); anything else is ours. */
function asInputError(error: unknown): unknown {
  if (error instanceof ThreadOutOfMemoryError) {
    return new PdfInputError('too_large', `Reading the PDF needed more memory than allowed: ${(error.cause as Error).message}`, { cause: error });
  }
  return error;
}

function emptyPage(page: number, error: string): PageResult {
  return { page, width: 0, height: 0, paragraphs: [], thumbnailPng: null, cropPlan: null, cropCanvasPng: null, visualTokens: null, figureCrops: [], ocr: false, error };
}

/** Opens the PDF in a thread and reports its page count and title. */
export async function inspectInThread(pdfPath: string, limits: ExtractorLimits): Promise<{ pageCount: number; title: string | null }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const inspection = await poolFor(limits).request(
      { task: 'inspect', pdfPath, pages: [], maxPages: limits.maxPages, pageSettings: limits.pageSettings },
      {
        onStart: (stop) => {
          timer = setTimeout(stop, limits.pageTimeoutMs);
        },
      },
    );
    if (!inspection) throw new Error('extraction thread ended without an answer');
    return { pageCount: inspection.pageCount, title: inspection.title };
  } catch (error) {
    if (error instanceof ThreadStoppedError) throw new PdfInputError('corrupt', `Opening the PDF took longer than ${limits.pageTimeoutMs} ms.`, { cause: error });
    throw asInputError(error);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Extracts `pages` in order, calling `onPage` for each (awaited, one at a time). Pages that
 * fail or time out are reported with `error` set and no paragraphs; the run goes on.
 */
export async function extractPagesInThreads(
  pdfPath: string,
  pages: number[],
  limits: ExtractorLimits,
  onPage: (result: PageResult) => Promise<void> | void,
  options: { signal?: AbortSignal; onPageStart?: (page: number) => Promise<void> | void } = {},
): Promise<void> {
  const { signal, onPageStart } = options;
  let remaining = [...pages];
  while (remaining.length > 0) {
    if (signal?.aborted) throw signal.reason ?? new Error('extraction cancelled');
    let current: number | null = null;
    let timer: NodeJS.Timeout | undefined;
    const finished = new Set<number>();
    let chain: Promise<void> = Promise.resolve();
    const deliver = (result: PageResult) => {
      finished.add(result.page);
      chain = chain.then(() => onPage(result));
    };
    let stopThread: (() => void) | null = null;
    const onAbort = () => stopThread?.();
    signal?.addEventListener('abort', onAbort, { once: true });
    // Why the thread ended before finishing the request (stopped or crashed), else null.
    let lost: Error | null = null;
    let failure: unknown = null;
    try {
      await poolFor(limits).request(
        { task: 'extract', pdfPath, pages: remaining, maxPages: limits.maxPages, pageSettings: limits.pageSettings },
        {
          onStart: (stop) => {
            stopThread = stop;
          },
          onMessage: (message) => {
            if (message.type === 'page-started') {
              current = message.page;
              // Queued behind the pages before it, since a store's writes may be asynchronous.
              const started = message.page;
              chain = chain.then(() => onPageStart?.(started));
              clearTimeout(timer);
              timer = setTimeout(() => {
                if (current !== null) deliver(emptyPage(current, `Page ${current} took longer than ${limits.pageTimeoutMs} ms and was skipped.`));
                stopThread?.();
              }, limits.pageTimeoutMs);
            } else if (message.type === 'page') {
              clearTimeout(timer);
              current = null;
              const { type: _type, renderError, ...content } = message;
              deliver({ ...content, error: renderError ? `thumbnail: ${renderError}` : null });
            } else {
              clearTimeout(timer);
              current = null;
              deliver(emptyPage(message.page, message.message));
            }
          },
        },
      );
    } catch (error) {
      if (error instanceof ThreadStoppedError || error instanceof ThreadCrashedError) lost = error;
      else failure = error;
    }
    signal?.removeEventListener('abort', onAbort);
    clearTimeout(timer);
    await chain;
    if (signal?.aborted) throw signal.reason ?? new Error('extraction cancelled');
    if (failure) throw failure;
    // The thread's own error, when it crashed with one (not when it was stopped).
    const crashed = lost instanceof ThreadCrashedError && lost.cause instanceof Error ? lost.cause : null;
    if (crashed && current === null) {
      // Not inside any page: the thread itself failed (an infrastructure fault, or memory
      // exhausted while opening the file). Let the activity's retry policy decide.
      throw asInputError(lost);
    }
    if (lost && current !== null && !finished.has(current)) {
      const reason = crashed ? `Reading page ${current} crashed its parser: ${crashed.message}` : `Page ${current} could not be read.`;
      await onPage(emptyPage(current, reason));
      finished.add(current);
    }
    const before = remaining.length;
    remaining = remaining.filter((page) => !finished.has(page));
    if (remaining.length === before && remaining.length > 0) {
      // The thread ended before finishing any page: give up on the first rather than loop.
      const page = remaining[0];
      await onPage(emptyPage(page, `Page ${page} could not be read.`));
      remaining = remaining.slice(1);
    }
  }
}
