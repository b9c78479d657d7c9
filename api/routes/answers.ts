/** Questions about a ready document: POST /v1/documents/:id/answers. */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { readEvidenceExtractively } from '../../lib/answer/extractive.ts';
import type { LlmReader } from '../../lib/answer/llm.ts';
import { type EmbedderSettings, embedderOf } from '../../lib/embed/embedder-of.ts';
import type { DocumentIndex, DocumentIndexCache } from '../../lib/retrieval/document-index.ts';
import { gatherEvidence } from '../../lib/retrieval/evidence.ts';
import type { MetadataStore } from '../../lib/store/metadata.ts';
import { ApiError } from '../errors.ts';
import { findDocument } from '../lookup.ts';
import { type AnswerView, evidenceEventView, type TextEventView } from '../views.ts';

export interface AnswerRouteDeps {
  embedder: EmbedderSettings;
  store: MetadataStore;
  indexes: DocumentIndexCache;
  /** The LLM reader when FOLIO_LLM_DIR is set; answers are extractive without it. */
  llm?: LlmReader | null;
}

const MAX_QUESTION_CHARS = 2000;

/** Routes under /v1/documents. */
export function answerRoutes({ embedder, store, indexes, llm }: AnswerRouteDeps): Hono {
  const app = new Hono();

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
  app.post('/:id/answers', async (c) => {
    const doc = await findDocument(store, c.req.param('id'));
    let body: unknown;
    try {
      body = await c.req.json();
    } catch (error) {
      throw new ApiError(400, 'invalid_json', 'The body must be JSON: {"question": "..."}.', { cause: error });
    }
    const question = (body as { question?: unknown })?.question;
    if (typeof question !== 'string' || question.trim() === '') {
      throw new ApiError(400, 'missing_question', 'The body needs a non-empty "question" string.');
    }
    if (question.length > MAX_QUESTION_CHARS) {
      throw new ApiError(400, 'question_too_long', `Questions are limited to ${MAX_QUESTION_CHARS} characters.`);
    }
    if (doc.status !== 'ready') {
      throw new ApiError(409, 'document_not_ready', `The document is ${doc.status}; ask again when it is ready.`);
    }
    const index = await indexes.get(doc.id);
    if (!index) throw new ApiError(409, 'document_not_ready', 'The document has no index yet.');
    const evidence = gatherEvidence(index, question, { queryVector: await questionVector(index, question) });
    const wantsStream = c.req.query('stream') === 'true' || (c.req.header('accept') ?? '').includes('text/event-stream');
    if (!wantsStream) {
      const answer: AnswerView = llm ? await llm.answer(evidence, { signal: c.req.raw.signal }) : readEvidenceExtractively(evidence);
      return c.json(answer);
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
        await stream.writeSSE({ event: 'answer', data: JSON.stringify(answer) });
      } catch (error) {
        if (aborted.signal.aborted) return;
        console.error('folio api: answering failed', error);
        await stream.writeSSE({ event: 'error', data: JSON.stringify({ error: { code: 'reader_failed', message: (error as Error).message } }) });
      }
    });
  });

  return app;
}
