/**
 * Main-thread side of PDF work: a small pool of long-lived extraction threads
 * (`extract-thread.ts`), so pdf.js loads once per thread rather than once per activity. The
 * runner enforces the per-page time limit (a stuck page's thread is terminated and replaced,
 * the page is recorded as failed and the rest of the request goes on) and hands each page to
 * the caller in order.
 */
import { Worker } from 'node:worker_threads';
import { threadEntry } from '../threads/entry.ts';
import type { PageContent } from './pipeline.ts';
import type { PageSettings } from './settings.ts';
import { PdfInputError } from '../pdf/errors.ts';
import type { Envelope, ThreadMessage, ThreadRequest } from './extract-thread.ts';

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

interface Slot {
  worker: Worker;
  listener: ((envelope: Envelope) => void) | null;
  exited: Promise<void>;
  crashed: Error | null;
}

/** Threads are shared by every activity of the process; requests wait for a free one. */
class ExtractionPool {
  private readonly idle: Slot[] = [];
  private readonly waiting: ((slot: Slot) => void)[] = [];
  private live = 0;

  constructor(
    private readonly size: number,
    private readonly heapMb: number,
  ) {}

  private spawn(): Slot {
    const worker = new Worker(threadEntry(THREAD_URL), {
      argv: [THREAD_URL.href],
      resourceLimits: { maxOldGenerationSizeMb: this.heapMb },
    });
    const slot: Slot = { worker, listener: null, crashed: null, exited: Promise.resolve() };
    slot.exited = new Promise((resolve) => {
      worker.on('message', (envelope: Envelope) => slot.listener?.(envelope));
      worker.on('error', (error) => {
        slot.crashed = error;
      });
      worker.on('exit', () => resolve());
    });
    // An idle thread must not keep the process alive.
    worker.unref();
    this.live++;
    return slot;
  }

  acquire(): Promise<Slot> {
    const slot = this.idle.pop();
    if (slot) return Promise.resolve(slot);
    if (this.live < this.size) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(slot: Slot): void {
    slot.listener = null;
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.idle.push(slot);
  }

  /** Ends a thread (stuck or crashed); a waiting request gets a fresh one. */
  async discard(slot: Slot): Promise<void> {
    slot.listener = null;
    await slot.worker.terminate().catch(() => {});
    await slot.exited;
    this.live--;
    const next = this.waiting.shift();
    if (next) next(this.spawn());
  }
}

let pool: ExtractionPool | null = null;
let poolShape = '';

function poolFor(limits: ExtractorLimits): ExtractionPool {
  const shape = `${limits.threads}/${limits.threadHeapMb}`;
  if (!pool || poolShape !== shape) {
    pool = new ExtractionPool(Math.max(1, limits.threads), limits.threadHeapMb);
    poolShape = shape;
  }
  return pool;
}

let nextRequestId = 1;

interface RunOutcome {
  /** The thread ended (crashed or was terminated) before finishing the request. */
  crashed: Error | null;
  threadLost: boolean;
}

/**
 * Sends one request to a pooled thread and feeds its messages to `onMessage` until it is done.
 * `control.stop()` terminates the thread mid-request (its replacement is spawned on demand).
 */
async function runRequest(
  limits: ExtractorLimits,
  request: ThreadRequest,
  onMessage: (message: ThreadMessage, control: { stop: () => void }) => void,
  onStarted?: (control: { stop: () => void }) => void,
): Promise<RunOutcome> {
  const owner = poolFor(limits);
  const slot = await owner.acquire();
  const id = nextRequestId++;
  let stopped = false;
  const finished = new Promise<'done' | 'lost'>((resolve) => {
    const control = {
      stop: () => {
        stopped = true;
        resolve('lost');
      },
    };
    slot.listener = (envelope) => {
      if (envelope.id !== id) return;
      onMessage(envelope.message, control);
      if (envelope.message.type === 'done' || envelope.message.type === 'failed') resolve('done');
    };
    slot.exited.then(() => resolve('lost'));
    onStarted?.(control);
  });
  slot.worker.ref();
  slot.worker.postMessage({ id, request });
  const result = await finished;
  slot.worker.unref();
  if (result === 'done' && !stopped) {
    owner.release(slot);
    return { crashed: null, threadLost: false };
  }
  const crashed = slot.crashed;
  await owner.discard(slot);
  return { crashed, threadLost: true };
}

function inputErrorFrom(message: Extract<ThreadMessage, { type: 'failed' }>): Error {
  if (message.inputError) return new PdfInputError((message.code ?? 'corrupt') as PdfInputError['code'], message.message);
  return new Error(message.message);
}

/** Running out of heap is the file's fault (a hostile or absurd PDF); anything else is ours. */
function crashError(crashed: Error): Error {
  if ((crashed as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new PdfInputError('too_large', `Reading the PDF needed more memory than allowed: ${crashed.message}`, { cause: crashed });
  }
  return new Error(`The PDF extraction thread crashed: ${crashed.message}`, { cause: crashed });
}

function emptyPage(page: number, error: string): PageResult {
  return { page, width: 0, height: 0, paragraphs: [], thumbnailPng: null, cropPlan: null, cropPngs: [], figureCrops: [], ocr: false, error };
}

/** Opens the PDF in a thread and reports its page count and title. */
export async function inspectInThread(pdfPath: string, limits: ExtractorLimits): Promise<{ pageCount: number; title: string | null }> {
  let result: { pageCount: number; title: string | null } | null = null;
  let failure: Error | null = null;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await runRequest(
    limits,
    { task: 'inspect', pdfPath, pages: [], maxPages: limits.maxPages, pageSettings: limits.pageSettings },
    (message) => {
      if (message.type === 'inspected') result = { pageCount: message.pageCount, title: message.title };
      if (message.type === 'failed') failure = inputErrorFrom(message);
    },
    (control) => {
      timer = setTimeout(() => {
        failure = new PdfInputError('corrupt', `Opening the PDF took longer than ${limits.pageTimeoutMs} ms.`);
        control.stop();
      }, limits.pageTimeoutMs);
    },
  ).finally(() => clearTimeout(timer));
  if (failure) throw failure;
  if (outcome.threadLost) throw outcome.crashed ? crashError(outcome.crashed) : new Error('extraction thread lost');
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
    let stopThread: (() => void) | null = null;
    const onAbort = () => stopThread?.();
    signal?.addEventListener('abort', onAbort, { once: true });
    const outcome = await runRequest(
      limits,
      { task: 'extract', pdfPath, pages: remaining, maxPages: limits.maxPages, pageSettings: limits.pageSettings },
      (message, control) => {
        if (message.type === 'page-started') {
          current = message.page;
          onPageStart?.(message.page);
          clearTimeout(timer);
          timer = setTimeout(() => {
            if (current !== null) deliver(emptyPage(current, `Page ${current} took longer than ${limits.pageTimeoutMs} ms and was skipped.`));
            control.stop();
          }, limits.pageTimeoutMs);
        } else if (message.type === 'page') {
          clearTimeout(timer);
          current = null;
          const { type: _type, renderError, ...content } = message;
          deliver({ ...content, error: renderError ? `thumbnail: ${renderError}` : null });
        } else if (message.type === 'page-failed') {
          clearTimeout(timer);
          current = null;
          deliver(emptyPage(message.page, message.message));
        } else if (message.type === 'failed') {
          failure = inputErrorFrom(message);
        }
      },
      (control) => {
        stopThread = control.stop;
      },
    );
    signal?.removeEventListener('abort', onAbort);
    clearTimeout(timer);
    await chain;
    if (signal?.aborted) throw signal.reason ?? new Error('extraction cancelled');
    if (failure) throw failure;
    if (outcome.threadLost && outcome.crashed && current === null) {
      // Not inside any page: the thread itself failed (an infrastructure fault, or memory
      // exhausted while opening the file). Let the activity's retry policy decide.
      throw crashError(outcome.crashed);
    }
    if (outcome.threadLost && current !== null && !finished.has(current)) {
      const reason = outcome.crashed ? `Reading page ${current} crashed its parser: ${outcome.crashed.message}` : `Page ${current} could not be read.`;
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
