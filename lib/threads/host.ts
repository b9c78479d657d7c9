/**
 * The main-thread side of work that runs on worker threads: a pool of long-lived threads
 * started from one entry (which answers through serveThread, serve.ts). A thread works on one
 * request at a time and later requests wait for a free one. A thread that dies (an uncaught
 * error, exhausted heap, process.exit, or `stop`) fails its request with a typed error and is
 * replaced when a request next needs it.
 */
import { type Transferable, Worker } from 'node:worker_threads';
import { threadEntry } from './entry.ts';
import { type ErrorClass, errorFromData } from './errors.ts';
import type { ReplyEnvelope } from './serve.ts';

/** The thread died during the request; `cause` is the thread's own error when it had one. */
export class ThreadCrashedError extends Error {
  override name = 'ThreadCrashedError';
}

/** The thread reached its heap limit (`heapMb`). */
export class ThreadOutOfMemoryError extends ThreadCrashedError {
  override name = 'ThreadOutOfMemoryError';
}

/** The request's caller stopped the thread before it replied. */
export class ThreadStoppedError extends Error {
  override name = 'ThreadStoppedError';
}

export interface ThreadHostOptions {
  /** Names the thread in errors: "The PDF extraction thread crashed: …". */
  name: string;
  /** The entry module (TypeScript or JavaScript); it calls serveThread. */
  entry: URL;
  /** Threads in the pool (1 unless told). */
  threads?: number;
  /** Heap limit of one thread, so one bad input cannot exhaust the whole process. */
  heapMb?: number;
  /** Classes that a request's error is rebuilt as; other errors arrive as Errors with their name. */
  errors?: readonly ErrorClass[];
}

export interface RequestOptions<Message> {
  /** Each message the thread posts before its reply. */
  onMessage?: (message: Message) => void;
  /** Called once a thread has the request: `stop` terminates it, failing the request with ThreadStoppedError. */
  onStart?: (stop: () => void) => void;
  /** Buffers the request hands over rather than copies. */
  transfer?: Transferable[];
}

interface Slot {
  worker: Worker;
  /** The request in progress, if any. */
  requestId: number | null;
  receive: ((envelope: ReplyEnvelope<unknown, unknown>) => void) | null;
  /** Fails the request in progress when the thread ends. */
  lost: ((error: Error) => void) | null;
  /** Why the thread ended, once known. */
  end: Error | null;
}

export class ThreadHost<Request, Reply, Message = never> {
  private readonly slots = new Set<Slot>();
  private readonly idle: Slot[] = [];
  private readonly waiting: ((slot: Slot) => void)[] = [];
  private nextId = 1;

  constructor(private readonly options: ThreadHostOptions) {}

  async request(request: Request, { onMessage, onStart, transfer = [] }: RequestOptions<Message> = {}): Promise<Reply> {
    const slot = await this.acquire();
    const id = this.nextId++;
    slot.requestId = id;
    try {
      return await new Promise<Reply>((resolve, reject) => {
        slot.receive = (envelope) => {
          if (envelope.id !== id) return;
          if ('message' in envelope) onMessage?.(envelope.message as Message);
          else if ('reply' in envelope) resolve(envelope.reply as Reply);
          else reject(errorFromData(envelope.error, this.options.errors));
        };
        slot.lost = reject;
        // A busy thread keeps the process alive; an idle one must not.
        slot.worker.ref();
        slot.worker.postMessage({ id, request }, transfer);
        onStart?.(() => this.stop(slot, id));
      });
    } finally {
      slot.requestId = null;
      slot.receive = slot.lost = null;
      slot.worker.unref();
      if (this.slots.has(slot)) this.release(slot);
    }
  }

  /**
   * Starts the pool's threads now rather than at the first request, so that loading their code
   * overlaps whatever the caller does before it asks.
   */
  warm(): void {
    while (this.slots.size < (this.options.threads ?? 1)) this.release(this.spawn());
  }

  /** Terminates every thread; requests in progress fail, later ones start fresh threads. */
  async close(): Promise<void> {
    await Promise.all([...this.slots].map((slot) => slot.worker.terminate()));
  }

  /**
   * Terminates the threads that have no request, giving their memory back; busy threads go on,
   * and the next request starts a fresh thread when none is idle.
   */
  async closeIdle(): Promise<void> {
    const idle = this.idle.splice(0);
    await Promise.all(idle.map((slot) => slot.worker.terminate()));
  }

  /** Ends the thread; its request fails once the thread has exited (so it no longer runs). */
  private stop(slot: Slot, id: number): void {
    if (slot.requestId !== id) return;
    slot.end ??= new ThreadStoppedError(`The ${this.options.name} thread was stopped.`);
    slot.receive = null;
    void slot.worker.terminate();
  }

  private acquire(): Promise<Slot> {
    const slot = this.idle.pop();
    if (slot) return Promise.resolve(slot);
    if (this.slots.size < (this.options.threads ?? 1)) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(slot: Slot): void {
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.idle.push(slot);
  }

  private spawn(): Slot {
    const { name, entry, heapMb } = this.options;
    const worker = new Worker(threadEntry(entry), { argv: [entry.href], resourceLimits: { maxOldGenerationSizeMb: heapMb } });
    const slot: Slot = { worker, requestId: null, receive: null, lost: null, end: null };
    worker.on('message', (envelope: ReplyEnvelope<unknown, unknown>) => slot.receive?.(envelope));
    worker.on('error', (error: Error & { code?: string }) => {
      slot.end ??=
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new ThreadOutOfMemoryError(`The ${name} thread ran out of memory: ${error.message}`, { cause: error })
          : new ThreadCrashedError(`The ${name} thread crashed: ${error.message}`, { cause: error });
    });
    worker.on('exit', (code) => {
      this.slots.delete(slot);
      const at = this.idle.indexOf(slot);
      if (at >= 0) this.idle.splice(at, 1);
      slot.lost?.(slot.end ?? new ThreadCrashedError(`The ${name} thread exited (code ${code}).`));
      const next = this.waiting.shift();
      if (next) next(this.spawn());
    });
    worker.unref();
    this.slots.add(slot);
    return slot;
  }
}
