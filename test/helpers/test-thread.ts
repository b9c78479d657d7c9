/**
 * A thread entry for the thread-host tests: each request names how the thread should behave
 * (answer, stream, fail, die, spin, exhaust its heap).
 */
import { PdfInputError } from '../../lib/pdf/errors.ts';
import { threadId } from 'node:worker_threads';
import { serveThread } from '../../lib/threads/serve.ts';

export type TestRequest =
  | { kind: 'echo'; value: string }
  | { kind: 'thread-id'; afterMs?: number }
  | { kind: 'count'; upTo: number }
  | { kind: 'fail' }
  | { kind: 'throw-outside' }
  | { kind: 'exit' }
  | { kind: 'spin' }
  | { kind: 'exhaust-heap' };

serveThread<TestRequest, string, number>(async (request, post) => {
  switch (request.kind) {
    case 'echo':
      return request.value;
    case 'thread-id':
      await new Promise((resolve) => setTimeout(resolve, request.afterMs ?? 0));
      return String(threadId);
    case 'count':
      for (let n = 1; n <= request.upTo; n++) post(n);
      return `counted to ${request.upTo}`;
    case 'fail': {
      const deepest = Object.assign(new Error('no such file'), { code: 'ENOENT' });
      throw new PdfInputError('encrypted', 'The PDF is locked.', { cause: new TypeError('could not open', { cause: deepest }) });
    }
    case 'throw-outside':
      // Outside the handler: nothing catches it, so it ends the thread.
      setTimeout(() => {
        throw new Error('thrown at the top level');
      });
      return new Promise<string>(() => {});
    case 'exit':
      process.exit(3);
      break;
    case 'spin':
      post(0);
      for (;;);
    case 'exhaust-heap': {
      const hoard: number[][] = [];
      for (;;) hoard.push(Array.from({ length: 100_000 }, (_, i) => i));
    }
  }
});
