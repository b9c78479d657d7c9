/**
 * Main-thread side of PDF work: runs `extract-thread.ts` in a worker thread, enforces the
 * per-page time limit (a stuck page's thread is terminated, the page is recorded as failed
 * and a fresh thread carries on with the rest) and hands each page to the caller in order.
 */
import { Worker } from 'node:worker_threads';
import type { Paragraph } from '../types.ts';
import { PdfInputError, type ThumbnailOptions } from './document.ts';
import type { ThreadMessage, ThreadRequest } from './extract-thread.ts';
import { threadEntry } from '../threads/entry.ts';

const THREAD_URL = new URL('./extract-thread.ts', import.meta.url);

export interface PageResult {
  page: number;
  width: number;
  height: number;
  paragraphs: Paragraph[];
  thumbnailPng: Uint8Array | null;
  /** Set when the page could not be read at all or only partly (no thumbnail). */
  error: string | null;
}

export interface ExtractorLimits {
  maxPages: number;
  pageTimeoutMs: number;
  thumbnail: ThumbnailOptions;
  /** Heap limit of one extraction thread, so a hostile file cannot exhaust the worker. */
  threadHeapMb: number;
}

type Listener = (message: ThreadMessage) => void;

/** Runs one thread to completion; resolves when it ends for any reason. */
function runThread(
  request: ThreadRequest,
  limits: ExtractorLimits,
  onMessage: Listener,
): { done: Promise<{ crashed: Error | null }>; terminate: () => Promise<number> } {
  const worker = new Worker(threadEntry(THREAD_URL), {
    workerData: request,
    argv: [THREAD_URL.href],
    resourceLimits: { maxOldGenerationSizeMb: limits.threadHeapMb },
  });
  const done = new Promise<{ crashed: Error | null }>((resolve) => {
    let crashed: Error | null = null;
    worker.on('message', onMessage);
    worker.on('error', (error) => {
      crashed = error;
    });
    worker.on('exit', () => resolve({ crashed }));
  });
  return { done, terminate: () => worker.terminate() };
}

function inputErrorFrom(message: Extract<ThreadMessage, { type: 'failed' }>): Error {
  if (message.inputError) return new PdfInputError((message.code ?? 'corrupt') as PdfInputError['code'], message.message);
  return new Error(message.message);
}

/** Opens the PDF in a thread and reports its page count and title. */
export async function inspectInThread(
  pdfPath: string,
  limits: ExtractorLimits,
): Promise<{ pageCount: number; title: string | null }> {
  let result: { pageCount: number; title: string | null } | null = null;
  let failure: Error | null = null;
  const thread = runThread(
    { task: 'inspect', pdfPath, pages: [], maxPages: limits.maxPages, thumbnail: limits.thumbnail },
    limits,
    (message) => {
      if (message.type === 'inspected') result = { pageCount: message.pageCount, title: message.title };
      if (message.type === 'failed') failure = inputErrorFrom(message);
    },
  );
  const timer = setTimeout(() => {
    failure = new PdfInputError('corrupt', `Opening the PDF took longer than ${limits.pageTimeoutMs} ms.`);
    void thread.terminate();
  }, limits.pageTimeoutMs);
  const { crashed } = await thread.done;
  clearTimeout(timer);
  if (failure) throw failure;
  if (crashed) throw crashError(crashed);
  if (!result) throw new Error('extraction thread ended without an answer');
  return result;
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
  options: { signal?: AbortSignal; onPageStart?: (page: number) => void } = {},
): Promise<void> {
  const { signal, onPageStart } = options;
  let remaining = [...pages];
  while (remaining.length > 0) {
    if (signal?.aborted) throw signal.reason ?? new Error('extraction cancelled');
    let current: number | null = null;
    let timer: NodeJS.Timeout | undefined;
    let failure: Error | null = null;
    const finished = new Set<number>();
    let chain: Promise<void> = Promise.resolve();
    const deliver = (result: PageResult) => {
      finished.add(result.page);
      chain = chain.then(() => onPage(result));
    };
    const thread = runThread(
      { task: 'extract', pdfPath, pages: remaining, maxPages: limits.maxPages, thumbnail: limits.thumbnail },
      limits,
      (message) => {
        if (message.type === 'page-started') {
          current = message.page;
          onPageStart?.(message.page);
          clearTimeout(timer);
          timer = setTimeout(() => {
            if (current !== null) {
              deliver(emptyPage(current, `Page ${current} took longer than ${limits.pageTimeoutMs} ms and was skipped.`));
            }
            void thread.terminate();
          }, limits.pageTimeoutMs);
        } else if (message.type === 'page') {
          clearTimeout(timer);
          current = null;
          deliver({
            page: message.page,
            width: message.width,
            height: message.height,
            paragraphs: message.paragraphs,
            thumbnailPng: message.thumbnailPng,
            error: message.renderError ? `thumbnail: ${message.renderError}` : null,
          });
        } else if (message.type === 'page-failed') {
          clearTimeout(timer);
          current = null;
          deliver(emptyPage(message.page, message.message));
        } else if (message.type === 'failed') {
          failure = inputErrorFrom(message);
        }
      },
    );
    const onAbort = () => void thread.terminate();
    signal?.addEventListener('abort', onAbort, { once: true });
    const { crashed } = await thread.done;
    signal?.removeEventListener('abort', onAbort);
    clearTimeout(timer);
    if (crashed && current === null) {
      // Not inside any page: the thread itself failed (an infrastructure fault, or memory
      // exhausted while opening the file). Let the activity's retry policy decide.
      await chain;
      throw crashError(crashed);
    }
    if (crashed && current !== null && !finished.has(current)) {
      deliver(emptyPage(current, `Reading page ${current} crashed its parser: ${crashed.message}`));
    }
    await chain;
    if (failure) throw failure;
    const before = remaining.length;
    remaining = remaining.filter((page) => !finished.has(page));
    if (remaining.length === before && remaining.length > 0) {
      // The thread died before finishing any page: give up on the first rather than loop.
      const page = remaining[0];
      await onPage(emptyPage(page, `Page ${page} could not be read${crashed ? `: ${crashed.message}` : ''}.`));
      remaining = remaining.slice(1);
    }
  }
}

/** Running out of heap is the file's fault (a hostile or absurd PDF); anything else is ours. */
function crashError(crashed: Error): Error {
  if ((crashed as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new PdfInputError('too_large', `Reading the PDF needed more memory than allowed: ${crashed.message}`, { cause: crashed });
  }
  return new Error(`The PDF extraction thread crashed: ${crashed.message}`, { cause: crashed });
}

function emptyPage(page: number, error: string): PageResult {
  return { page, width: 0, height: 0, paragraphs: [], thumbnailPng: null, error };
}
