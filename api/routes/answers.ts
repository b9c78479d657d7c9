/** Questions about a ready document: POST /v1/documents/:id/answers. */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { streamSSE } from 'hono/streaming';
import { readEvidenceExtractively } from '../../lib/answer/extractive.ts';
import type { ModelReader } from '../../lib/answer/reader.ts';
import { type EmbedderSettings, embedderOf } from '../../lib/embed/embedder-of.ts';
import type { DocumentIndex, DocumentIndexCache } from '../../lib/retrieval/document-index.ts';
import { gatherEvidence } from '../../lib/retrieval/evidence.ts';
import type { MetadataStore } from '../../lib/store/metadata.ts';
import { ApiError, validationHook } from '../errors.ts';
import { findDocument } from '../lookup.ts';
import { AnswerQuery, AnswerSchema, bearer, DocParams, errors, QuestionBody } from '../schemas.ts';
import { log, type Metrics } from '../telemetry.ts';
import { type AnswerView, evidenceEventView, type TextEventView } from '../views.ts';

export interface AnswerRouteDeps {
  embedder: EmbedderSettings;
  store: MetadataStore;
  indexes: DocumentIndexCache;
  /** The LLM reader when FOLIO_LLM_DIR is set; answers are extractive without it. */
  llm?: ModelReader | null;
  metrics?: Metrics;
}

/** A body that is not declared JSON cannot be a question: a 400 that says how to send one. */
const jsonOnly: MiddlewareHandler = async (c, next) => {
  const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new ApiError(400, 'invalid_json', 'The body must be JSON (Content-Type: application/json): {"question": "..."}.');
  await next();
};

const ask = createRoute({
  method: 'post',
  path: '/{id}/answers',
  tags: ['answers'],
  summary: 'Ask a question of a ready document',
  description:
    'Answers as JSON, or as server-sent events with Accept: text/event-stream or ?stream=true. The events are `evidence` (an EvidenceEvent: what retrieval and the sampler kept), `token` (a TextEvent: the next piece of the answer), then `answer` (the whole Answer with its citations) or `error` (an Error). A client that disconnects cancels the generation.',
  security: bearer,
  middleware: [jsonOnly] as const,
  request: { params: DocParams, query: AnswerQuery, body: { required: true, content: { 'application/json': { schema: QuestionBody } } } },
  responses: {
    200: {
      description: 'The answer, with its citations and the ledger of every stage.',
      content: {
        'application/json': { schema: AnswerSchema },
        'text/event-stream': {
          // One event, as OpenAPI 3.2's itemSchema puts it and as schemathesis checks each event.
          schema: z
            .object({
              event: z.enum(['evidence', 'token', 'answer', 'error']),
              data: z.string().openapi({ description: "The event's JSON: an EvidenceEvent, a TextEvent, an Answer or an Error." }),
            })
            .openapi({
              description: 'One server-sent event: `evidence` (EvidenceEvent), `token` (TextEvent)…, then `answer` (Answer) or `error` (Error).',
              example: { event: 'token', data: '{"text":"…"}' },
            }),
        },
      },
    },
    ...errors(404, 409),
  },
});

/** Routes under /v1/documents. */
export function answerRoutes({ embedder, store, indexes, llm, metrics }: AnswerRouteDeps): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: validationHook });

  /** The question's embedding when the document has unit embeddings from the configured embedder. */
  const questionVector = async (index: DocumentIndex, question: string): Promise<Float32Array | undefined> => {
    if (!index.dense) return undefined;
    const named = await embedderOf(embedder);
    if (!named || named.name !== index.dense.model) return undefined;
    return named.embedder.embed([question]);
  };

  const textEvent = (text: string): string => JSON.stringify({ text } satisfies TextEventView);

  /**
   * Answers as JSON, or as server-sent events when the client asks for them (Accept:
   * text/event-stream or ?stream=true): `evidence` (what retrieval and the sampler kept), `token`
   * (answer text as the reader writes it), then `answer` (the whole answer with its citations)
   * or `error`. A client that disconnects cancels the generation.
   */
  app.openapi(ask, async (c) => {
    const started = performance.now();
    const doc = await findDocument(store, c.req.param('id'));
    const { question } = c.req.valid('json');
    if (doc.status !== 'ready') {
      throw new ApiError(409, 'document_not_ready', `The document is ${doc.status}; ask again when it is ready.`);
    }
    const index = await indexes.get(doc.id);
    if (!index) throw new ApiError(409, 'document_not_ready', 'The document has no index yet.');
    const evidence = gatherEvidence(index, question, { queryVector: await questionVector(index, question) });
    const wantsStream = c.req.query('stream') === 'true' || (c.req.header('accept') ?? '').includes('text/event-stream');
    if (!wantsStream) {
      const answer: AnswerView = llm ? await llm.answer(evidence, { signal: c.req.raw.signal }) : readEvidenceExtractively(evidence);
      metrics?.answered(answer, (performance.now() - started) / 1000);
      return c.json(answer, 200);
    }
    return streamSSE(c, async (stream) => {
      const aborted = new AbortController();
      stream.onAbort(() => aborted.abort());
      await stream.writeSSE({ event: 'evidence', data: JSON.stringify(evidenceEventView(evidence)) });
      try {
        let answer: AnswerView;
        if (llm) {
          answer = await llm.answer(evidence, {
            signal: aborted.signal,
            onText: (text) => void stream.writeSSE({ event: 'token', data: textEvent(text) }),
          });
        } else {
          answer = readEvidenceExtractively(evidence);
          await stream.writeSSE({ event: 'token', data: textEvent(answer.answer) });
        }
        metrics?.answered(answer, (performance.now() - started) / 1000);
        await stream.writeSSE({ event: 'answer', data: JSON.stringify(answer) });
      } catch (error) {
        if (aborted.signal.aborted) return;
        log().error({ err: error }, 'answering failed');
        await stream.writeSSE({ event: 'error', data: JSON.stringify({ error: { code: 'reader_failed', message: (error as Error).message } }) });
      }
    });
  });

  return app;
}
