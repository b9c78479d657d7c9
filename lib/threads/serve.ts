/**
 * The thread side of lib/threads/host.ts: a thread entry calls `serveThread` with its handler,
 * which receives each request and may post messages on the way before its reply. A thrown
 * error travels back as data (errors.ts) and is rebuilt for the caller.
 */
import { parentPort, type Transferable } from 'node:worker_threads';
import { type ErrorData, errorToData } from './errors.ts';

/** What the host posts: one request. */
export interface RequestEnvelope<Request> {
  id: number;
  request: Request;
}

/** What a thread posts for a request: a message on the way, then its reply or its error. */
export type ReplyEnvelope<Reply, Message> = { id: number } & ({ message: Message } | { reply: Reply } | { error: ErrorData });

export type PostMessage<Message> = (message: Message, transfer?: Transferable[]) => void;

/**
 * Answers requests with `handle`. `transferOf` names the buffers a reply hands over rather
 * than copies. The host sends a thread one request at a time.
 */
export function serveThread<Request, Reply, Message = never>(
  handle: (request: Request, post: PostMessage<Message>) => Promise<Reply>,
  transferOf: (reply: Reply) => Transferable[] = () => [],
): void {
  const port = parentPort;
  if (!port) throw new Error('serveThread runs inside a worker thread');
  const send = (envelope: ReplyEnvelope<Reply, Message>, transfer: Transferable[] = []) => port.postMessage(envelope, transfer);
  port.on('message', ({ id, request }: RequestEnvelope<Request>) => {
    handle(request, (message, transfer) => send({ id, message }, transfer))
      .then((reply) => send({ id, reply }, transferOf(reply)))
      .catch((error: unknown) => send({ id, error: errorToData(error) }));
  });
}
