import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PdfInputError } from '../../lib/pdf/errors.ts';
import { errorFromData, errorToData } from '../../lib/threads/errors.ts';
import { ThreadCrashedError, ThreadHost, ThreadOutOfMemoryError, ThreadStoppedError } from '../../lib/threads/host.ts';
import type { TestRequest } from '../helpers/test-thread.ts';

const ENTRY = new URL('../helpers/test-thread.ts', import.meta.url);

function hostOf(options: { heapMb?: number; threads?: number } = {}): ThreadHost<TestRequest, string, number> {
  const host = new ThreadHost<TestRequest, string, number>({ name: 'test', entry: ENTRY, errors: [PdfInputError], ...options });
  after(() => host.close());
  return host;
}

/** The error a promise rejects with. */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected the request to fail');
}

function assertLockedPdfError(error: Error): void {
  assert.ok(error instanceof PdfInputError, `a PdfInputError, not ${error.name}`);
  assert.equal(error.name, 'PdfInputError');
  assert.equal(error.code, 'encrypted');
  assert.equal(error.message, 'The PDF is locked.');
  const cause = error.cause as Error;
  assert.ok(cause instanceof Error);
  assert.ok(!(cause instanceof PdfInputError));
  assert.deepEqual([cause.name, cause.message], ['TypeError', 'could not open']);
  const deepest = cause.cause as Error & { code?: string };
  assert.deepEqual([deepest.name, deepest.message, deepest.code, deepest.cause], ['Error', 'no such file', 'ENOENT', undefined]);
}

describe('errors across threads', () => {
  it('keep class, code and the cause chain through a structured clone', () => {
    const deepest = Object.assign(new Error('no such file'), { code: 'ENOENT' });
    const original = new PdfInputError('encrypted', 'The PDF is locked.', { cause: new TypeError('could not open', { cause: deepest }) });
    const rebuilt = errorFromData(structuredClone(errorToData(original)), [PdfInputError]);
    assertLockedPdfError(rebuilt);
    assert.equal(rebuilt.stack, original.stack);
  });

  it('arrive as plain Errors with their name when the class is not known', () => {
    const rebuilt = errorFromData(errorToData(new PdfInputError('corrupt', 'damaged')));
    assert.ok(!(rebuilt instanceof PdfInputError));
    assert.deepEqual([rebuilt.name, rebuilt.message, (rebuilt as { code?: string }).code], ['PdfInputError', 'damaged', 'corrupt']);
    assert.deepEqual(errorToData('a thrown string'), { name: 'Error', message: 'a thrown string' });
  });
});

describe('thread host', () => {
  it('starts its threads on warm, no more than the pool holds, and serves requests on them', async () => {
    const one = hostOf({ threads: 1 });
    one.warm();
    one.warm();
    const queued = await Promise.all([one.request({ kind: 'thread-id', afterMs: 50 }), one.request({ kind: 'thread-id', afterMs: 50 })]);
    assert.equal(queued[0], queued[1], 'a pool of one warmed twice still has one thread');
    const two = hostOf({ threads: 2 });
    two.warm();
    const both = await Promise.all([two.request({ kind: 'thread-id', afterMs: 50 }), two.request({ kind: 'thread-id', afterMs: 50 })]);
    assert.equal(new Set(both).size, 2, 'a pool of two warms two threads');
  });

  it('ends its idle threads on closeIdle, lets a busy one finish, and starts fresh ones after', async () => {
    const host = hostOf({ threads: 2 });
    const both = await Promise.all([host.request({ kind: 'thread-id', afterMs: 100 }), host.request({ kind: 'thread-id', afterMs: 100 })]);
    assert.notEqual(both[0], both[1], 'two threads');
    const busy = host.request({ kind: 'thread-id', afterMs: 300 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await host.closeIdle();
    const busyThread = await busy;
    assert.ok(both.includes(busyThread), 'the busy request finishes on its thread');
    // The thread that was busy is the one left: it answers next.
    assert.equal(await host.request({ kind: 'thread-id' }), busyThread);
    await host.closeIdle();
    const fresh = await host.request({ kind: 'thread-id' });
    assert.ok(!both.includes(fresh), `a fresh thread (${fresh}) once both (${both.join(', ')}) were closed`);
  });

  it('answers a request with one reply, and streams messages before the reply of another', async () => {
    const host = hostOf();
    assert.equal(await host.request({ kind: 'echo', value: 'hello' }), 'hello');
    const seen: number[] = [];
    assert.equal(await host.request({ kind: 'count', upTo: 5 }, { onMessage: (n) => seen.push(n) }), 'counted to 5');
    assert.deepEqual(seen, [1, 2, 3, 4, 5]);
  });

  it('rejects with the thread’s error, rebuilt as its class, and keeps the thread', async () => {
    const host = hostOf();
    assertLockedPdfError(await rejectionOf(host.request({ kind: 'fail' })));
    assert.equal(await host.request({ kind: 'echo', value: 'still here' }), 'still here');
  });

  it('reports a thread that throws at the top level as crashed, and replaces it', async () => {
    const host = hostOf();
    const error = await rejectionOf(host.request({ kind: 'throw-outside' }));
    assert.ok(error instanceof ThreadCrashedError && !(error instanceof ThreadOutOfMemoryError), error.name);
    assert.equal(error.message, 'The test thread crashed: thrown at the top level');
    assert.equal((error.cause as Error).message, 'thrown at the top level');
    assert.equal(await host.request({ kind: 'echo', value: 'next' }), 'next');
  });

  it('reports a thread that calls process.exit as crashed, and replaces it', async () => {
    const host = hostOf();
    const error = await rejectionOf(host.request({ kind: 'exit' }));
    assert.ok(error instanceof ThreadCrashedError, error.name);
    assert.equal(error.message, 'The test thread exited (code 3).');
    assert.equal(await host.request({ kind: 'echo', value: 'next' }), 'next');
  });

  it('reports a thread that exhausts its heap limit as out of memory', async () => {
    const host = hostOf({ heapMb: 64 });
    const error = await rejectionOf(host.request({ kind: 'exhaust-heap' }));
    assert.ok(error instanceof ThreadOutOfMemoryError, error.name);
    assert.equal((error.cause as { code?: string }).code, 'ERR_WORKER_OUT_OF_MEMORY');
    assert.match(error.message, /^The test thread ran out of memory: /);
    assert.equal(await host.request({ kind: 'echo', value: 'next' }), 'next');
  });

  it('stops a thread in the middle of a request', async () => {
    const host = hostOf();
    let stop: (() => void) | null = null;
    const spinning = host.request({ kind: 'spin' }, { onStart: (s) => (stop = s), onMessage: () => stop?.() });
    const error = await rejectionOf(spinning);
    assert.ok(error instanceof ThreadStoppedError, error.name);
    assert.equal(await host.request({ kind: 'echo', value: 'after the stop' }), 'after the stop');
  });

  it('queues requests beyond the pool size until a thread is free', async () => {
    const host = hostOf({ threads: 2 });
    const replies = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((value) => host.request({ kind: 'echo', value })));
    assert.deepEqual(replies, ['a', 'b', 'c', 'd', 'e']);
  });
});
