/**
 * The HTTP API (hono). Routes under /v1 need a bearer key when FOLIO_API_KEYS is set.
 * Uploads are stored before they are acknowledged; ingestion then runs on Temporal.
 */
import type { Client } from '@temporalio/client';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import type { FolioConfig } from '../lib/config.ts';
import { deserializePageTokens } from '../models/visual/compress/token-blob.ts';
import type { Answer } from '../lib/answer/types.ts';
import { gatherEvidence } from '../lib/retrieval/evidence.ts';
import { readEvidenceExtractively } from '../lib/answer/extractive.ts';
import type { DocumentIndex, DocumentIndexCache } from '../lib/retrieval/document-index.ts';
import { embedderOf } from '../lib/embed/embedder-of.ts';
import type { LlmReader } from '../lib/answer/llm.ts';
import { sha256Hex } from '../lib/store/blobs.ts';
import type { Stores } from '../lib/store/open.ts';
import type { DocumentRecord } from '../lib/store/records.ts';
import { requireApiKey } from './auth.ts';
import { ApiError, errorResponse } from './errors.ts';
import { startIngestion } from './ingestion.ts';

export interface AppDeps extends Stores {
  config: FolioConfig;
  client: Client;
  indexes: DocumentIndexCache;
  /** The LLM reader when FOLIO_LLM_DIR is set; answers are extractive without it. */
  llm?: LlmReader | null;
}

const MAX_QUESTION_CHARS = 2000;
const DOC_ID = /^[0-9a-f]{64}$/;

function documentView(doc: DocumentRecord) {
  return {
    id: doc.id,
    status: doc.status,
    filename: doc.filename,
    bytes: doc.bytes,
    title: doc.title,
    pages: { done: doc.pagesDone, total: doc.pageCount, withErrors: doc.pagesWithErrors },
    failureReason: doc.failureReason,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

/**
 * A PDF starts with `%PDF-` within its first kilobyte (some files carry junk before it); a
 * few real files lack the header but open in every viewer, so PDF object syntax near the start
 * ("1 0 obj … endobj") is accepted too. The parser judges the rest.
 */
export function looksLikePdf(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 4096)).toString('latin1');
  if (head.slice(0, 1024).includes('%PDF-')) return true;
  return /\d+\s+\d+\s+obj\b/.test(head) && head.includes('endobj');
}

async function readUpload(req: Request): Promise<{ bytes: Uint8Array; filename: string | null }> {
  const type = req.headers.get('content-type') ?? '';
  if (type.startsWith('multipart/form-data')) {
    const form = await req.formData();
    const file = form.get('file');
    if (!file || typeof file === 'string') {
      throw new ApiError(400, 'missing_file', 'The multipart body needs a "file" part holding the PDF.');
    }
    return { bytes: new Uint8Array(await file.arrayBuffer()), filename: file.name || null };
  }
  const url = new URL(req.url);
  return { bytes: new Uint8Array(await req.arrayBuffer()), filename: url.searchParams.get('filename') };
}

export function createApp(deps: AppDeps): Hono {
  const { config, store, blobs, client, indexes, llm } = deps;
  const app = new Hono();

  app.onError((error, c) => {
    if (error instanceof ApiError) return errorResponse(c, error.status, error.code, error.message);
    console.error('folio api: unexpected error', error);
    return errorResponse(c, 500, 'internal', 'Something went wrong on the server.');
  });
  app.notFound((c) => errorResponse(c, 404, 'not_found', `No route for ${c.req.method} ${c.req.path}.`));

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.use('/v1/*', requireApiKey(config.apiKeys));

  /** The question's embedding when the document has unit embeddings from the configured embedder. */
  const questionVector = async (index: DocumentIndex, question: string): Promise<Float32Array | undefined> => {
    if (!index.dense) return undefined;
    const named = await embedderOf(config);
    if (!named || named.name !== index.dense.model) return undefined;
    return named.embedder.embed([question]);
  };

  const getDocument = (id: string): DocumentRecord => {
    const doc = DOC_ID.test(id) ? store.getDocument(id) : undefined;
    if (!doc) throw new ApiError(404, 'document_not_found', `No document with id ${id}.`);
    return doc;
  };

  app.post(
    '/v1/documents',
    bodyLimit({
      maxSize: config.maxUploadBytes,
      onError: (c) => {
        // The rest of the body is never read: close the connection rather than reuse it.
        c.header('connection', 'close');
        return errorResponse(c, 413, 'too_large', `The upload exceeds ${config.maxUploadBytes} bytes.`);
      },
    }),
    async (c) => {
      const { bytes, filename } = await readUpload(c.req.raw);
      if (bytes.length === 0) throw new ApiError(400, 'empty_body', 'The upload is empty: send the PDF bytes.');
      if (!looksLikePdf(bytes)) throw new ApiError(415, 'not_a_pdf', 'The upload is not a PDF (no %PDF- header).');
      const id = sha256Hex(bytes);
      // Store first, acknowledge after: an accepted upload survives a crash right after 202.
      blobs.put(bytes);
      const isNew = store.insertDocument({ id, filename, bytes: bytes.length });
      if (isNew || store.getDocument(id)?.status === 'queued') await startIngestion(client, config, id);
      const doc = getDocument(id);
      return c.json({ id, status: doc.status, created: isNew }, isNew ? 202 : 200);
    },
  );

  app.get('/v1/documents', (c) => c.json({ documents: store.listDocuments().map(documentView) }));

  app.get('/v1/documents/:id', (c) => c.json(documentView(getDocument(c.req.param('id')))));

  /**
   * Answers as JSON, or as server-sent events when the client asks for them (Accept:
   * text/event-stream or ?stream=true): `evidence` (what retrieval and the sampler kept), `token`
   * (answer text as the reader writes it), then `answer` (the whole answer with its citations)
   * or `error`. A client that disconnects cancels the generation.
   */
  app.post('/v1/documents/:id/answers', async (c) => {
    const doc = getDocument(c.req.param('id'));
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new ApiError(400, 'invalid_json', 'The body must be JSON: {"question": "..."}.');
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
    const index = indexes.get(doc.id);
    if (!index) throw new ApiError(409, 'document_not_ready', 'The document has no index yet.');
    const evidence = gatherEvidence(index, question, { queryVector: await questionVector(index, question) });
    const wantsStream = c.req.query('stream') === 'true' || (c.req.header('accept') ?? '').includes('text/event-stream');
    if (!wantsStream) {
      const answer: Answer = llm ? await llm.answer(evidence, { signal: c.req.raw.signal }) : readEvidenceExtractively(evidence);
      return c.json(answer);
    }
    return streamSSE(c, async (stream) => {
      const aborted = new AbortController();
      stream.onAbort(() => aborted.abort());
      await stream.writeSSE({ event: 'evidence', data: JSON.stringify({ ...evidence.ledger, pages: [...new Set(evidence.candidates.map((unit) => unit.page))] }) });
      try {
        let answer: Answer;
        if (llm) {
          answer = await llm.answer(evidence, {
            signal: aborted.signal,
            onText: (text) => void stream.writeSSE({ event: 'token', data: JSON.stringify({ text }) }),
          });
        } else {
          answer = readEvidenceExtractively(evidence);
          await stream.writeSSE({ event: 'token', data: JSON.stringify({ text: answer.answer }) });
        }
        await stream.writeSSE({ event: 'answer', data: JSON.stringify(answer) });
      } catch (error) {
        if (aborted.signal.aborted) return;
        console.error('folio api: answering failed', error);
        await stream.writeSSE({ event: 'error', data: JSON.stringify({ error: { code: 'reader_failed', message: (error as Error).message } }) });
      }
    });
  });

  app.get('/v1/documents/:id/pages/:n', (c) => {
    const doc = getDocument(c.req.param('id'));
    const n = Number(c.req.param('n'));
    const page = Number.isInteger(n) && n >= 1 ? store.getPage(doc.id, n) : undefined;
    if (!page) throw new ApiError(404, 'page_not_found', `Page ${c.req.param('n')} of ${doc.id} is not stored.`);
    return c.json({
      page: page.page,
      width: page.width,
      height: page.height,
      error: page.error,
      textSource: page.ocr ? 'ocr' : 'text-layer',
      thumbnail: page.thumbnailKey ? `/v1/documents/${doc.id}/pages/${page.page}/thumbnail.png` : null,
      crops: page.crops
        ? {
            grid: page.crops.plan.grid,
            tile: page.crops.plan.tile,
            canvas: page.crops.plan.canvas,
            images: page.crops.keys.map((_, k) => `/v1/documents/${doc.id}/pages/${page.page}/crops/${k}.png`),
          }
        : null,
      units: store.pageParagraphs(doc.id, page.page).map((unit) => ({
        readingOrder: unit.index,
        kind: unit.kind,
        text: unit.text,
        bbox: unit.bbox,
        section: unit.section ?? [],
        level: unit.level ?? null,
        fontSize: unit.size ?? null,
        ...(unit.cells ? { cells: unit.cells } : {}),
        ...(unit.caption ? { caption: unit.caption } : {}),
        ...(unit.references?.length ? { references: unit.references } : {}),
        ...(unit.kind === 'figure'
          ? { figureId: `${unit.page}-${unit.index}`, image: unit.imageKey ? `/v1/documents/${doc.id}/figures/${unit.page}-${unit.index}.png` : null }
          : {}),
      })),
    });
  });

  app.get('/v1/documents/:id/pages/:n/crops/:k{[0-9]+\\.png}', (c) => {
    const doc = getDocument(c.req.param('id'));
    const page = store.getPage(doc.id, Number(c.req.param('n')));
    const k = Number.parseInt(c.req.param('k'), 10);
    const key = page?.crops?.keys[k];
    if (!key) throw new ApiError(404, 'crop_not_found', `No crop ${k} on page ${c.req.param('n')}.`);
    return c.body(new Uint8Array(blobs.get(key)), 200, { 'content-type': 'image/png', 'cache-control': 'public, max-age=31536000, immutable' });
  });

  app.get('/v1/documents/:id/pages/:n/tokens', (c) => {
    const doc = getDocument(c.req.param('id'));
    const n = Number(c.req.param('n'));
    const page = Number.isInteger(n) && n >= 1 ? store.getPage(doc.id, n) : undefined;
    if (!page) throw new ApiError(404, 'page_not_found', `Page ${c.req.param('n')} of ${doc.id} is not stored.`);
    const stored = store.visualTokens(doc.id, n);
    if (!stored) throw new ApiError(404, 'tokens_not_found', `Page ${n} has no visual tokens (no crops, FOLIO_VISION_ENCODER=off, or not encoded yet).`);
    const { header, tokens } = deserializePageTokens(blobs.get(stored.key));
    return c.json({
      page: n,
      encoder: header.encoder,
      count: tokens.count,
      // crop k is the image at /crops/:k.png (0 = visual thumbnail); a super token has no patch.
      tokens: Array.from({ length: tokens.count }, (_, t) => ({
        crop: tokens.image[t],
        patch: tokens.patch[t] >= 0 ? tokens.patch[t] : null,
        superToken: tokens.patch[t] < 0,
        box: Array.from(tokens.box.subarray(t * 4, t * 4 + 4), (v) => Math.round(v * 100) / 100),
        score: tokens.score[t],
        mergedFrom: tokens.mergedFrom[t],
      })),
      ledger: stored.ledger,
    });
  });

  app.get('/v1/documents/:id/figures/:figure{[0-9]+-[0-9]+\\.png}', (c) => {
    const doc = getDocument(c.req.param('id'));
    const [page, index] = c.req.param('figure').replace('.png', '').split('-').map(Number);
    const figure = store.figure(doc.id, page, index);
    if (!figure?.imageKey) throw new ApiError(404, 'figure_not_found', `No figure ${page}-${index} in ${doc.id}.`);
    return c.body(new Uint8Array(blobs.get(figure.imageKey)), 200, { 'content-type': 'image/png', 'cache-control': 'public, max-age=31536000, immutable' });
  });

  app.get('/v1/documents/:id/pages/:n/thumbnail.png', (c) => {
    const doc = getDocument(c.req.param('id'));
    const n = Number(c.req.param('n'));
    const page = Number.isInteger(n) && n >= 1 ? store.getPage(doc.id, n) : undefined;
    if (!page) throw new ApiError(404, 'page_not_found', `Page ${c.req.param('n')} of ${doc.id} is not stored.`);
    if (!page.thumbnailKey) {
      throw new ApiError(404, 'thumbnail_missing', `Page ${n} has no thumbnail${page.error ? `: ${page.error}` : ''}.`);
    }
    return c.body(new Uint8Array(blobs.get(page.thumbnailKey)), 200, {
      'content-type': 'image/png',
      'cache-control': 'public, max-age=31536000, immutable',
    });
  });

  return app;
}
