/**
 * The activity side of the visual-token thread (token-thread.ts): one long-lived thread per
 * process, requests answered in order by id. A thread that dies (out of memory, a native crash)
 * fails the requests in flight with the reason and is replaced on the next request.
 */
import { Worker } from 'node:worker_threads';
import type { PageTokens, VisualLedger } from '../../models/visual/compress/pipeline.ts';
import type { CropPlan } from '../../models/visual/crop-plan.ts';
import { threadEntry } from '../threads/entry.ts';
import type { TokenThreadReply, TokenThreadRequest } from './token-thread.ts';

const THREAD_URL = new URL('./token-thread.ts', import.meta.url);

/** The encoder could not be loaded: the stage is skipped, not the document failed. */
export class EncoderLoadError extends Error {}

/** A request without its id, for each kind of request. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

type Pending = { resolve: (reply: TokenThreadReply & { ok: true }) => void; reject: (error: Error) => void };

export class VisualTokenThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(threadEntry(THREAD_URL), { argv: [THREAD_URL.href] });
    worker.on('message', (reply: TokenThreadReply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.ok) waiter.resolve(reply);
      else waiter.reject(reply.loadError ? new EncoderLoadError(reply.message) : new Error(reply.message));
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    worker.on('error', (error) => fail(new Error(`the visual-token thread failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => fail(new Error(`the visual-token thread exited (code ${code})`)));
    // An idle thread must not keep the process alive; a busy one must (see request()).
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private request(request: WithoutId<TokenThreadRequest>, transfer: ArrayBuffer[] = []): Promise<TokenThreadReply & { ok: true }> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const worker = this.thread();
      worker.ref();
      worker.postMessage({ ...request, id }, transfer);
    });
  }

  /** The encoder's name, or null when the stage is off; throws EncoderLoadError when it cannot load. */
  async describe(encoder: string): Promise<string | null> {
    return (await this.request({ task: 'describe', encoder })).name;
  }

  async encodePage(
    encoder: string,
    retention: number,
    page: { width: number; height: number },
    plan: CropPlan,
    pngs: Uint8Array[],
  ): Promise<{ tokens: PageTokens; ledger: VisualLedger }> {
    const reply = await this.request({ task: 'page', encoder, retention, page, plan, pngs });
    if (!reply.tokens || !reply.ledger) throw new Error('the visual-token thread sent no tokens');
    return { tokens: reply.tokens, ledger: reply.ledger };
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }
}
