/** Documents: upload (stored before it is acknowledged; ingestion then runs on Temporal), list, one. */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import { bodyLimit } from 'hono/body-limit';
import type { ApiSettings } from '../../lib/config.ts';
import { sha256Hex } from '../../lib/store/blobs.ts';
import type { Stores } from '../../lib/store/open.ts';
import { ApiError, errorResponse, formDataOf, validationHook } from '../errors.ts';
import { type IngestionTarget, startIngestion } from '../ingestion.ts';
import { findDocument } from '../lookup.ts';
import { bearer, DocParams, DocumentListSchema, DocumentSchema, errors, json, pdfBinary, UploadQuery, UploadSchema } from '../schemas.ts';
import { documentView, type UploadView } from '../views.ts';

export interface DocumentRouteDeps extends Stores {
  settings: Pick<ApiSettings, 'maxUploadBytes'>;
  ingestion: IngestionTarget;
  client: Client;
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
    const form = await formDataOf(req);
    const file = form.get('file');
    if (!file || typeof file === 'string') {
      throw new ApiError(400, 'missing_file', 'The multipart body needs a "file" part holding the PDF.');
    }
    return { bytes: new Uint8Array(await file.arrayBuffer()), filename: file.name || null };
  }
  const url = new URL(req.url);
  return { bytes: new Uint8Array(await req.arrayBuffer()), filename: url.searchParams.get('filename') };
}

const upload = (maxUploadBytes: number) =>
  createRoute({
    method: 'post',
    path: '/',
    tags: ['documents'],
    summary: 'Upload a PDF',
    description:
      'The PDF as the raw body (Content-Type: application/pdf) or as the "file" part of a multipart form. It is stored before the reply; ingestion then runs on Temporal. The same PDF again is the same document (200, created: false).',
    security: bearer,
    middleware: [
      bodyLimit({
        maxSize: maxUploadBytes,
        onError: (c) => {
          // The rest of the body is never read: close the connection rather than reuse it.
          c.header('connection', 'close');
          return errorResponse(c, 413, 'too_large', `The upload exceeds ${maxUploadBytes} bytes.`);
        },
      }),
    ] as const,
    request: {
      query: UploadQuery,
      body: {
        required: true,
        content: {
          'application/pdf': { schema: pdfBinary },
          'multipart/form-data': { schema: { type: 'object', properties: { file: pdfBinary }, required: ['file'] } },
        },
      },
    },
    responses: {
      202: json(UploadSchema, 'Stored, and its ingestion started (or deferred with ingest=false).'),
      200: json(UploadSchema, 'The same PDF was uploaded before.'),
      ...errors(413, 415),
    },
  });

const list = createRoute({
  method: 'get',
  path: '/',
  tags: ['documents'],
  summary: 'List documents',
  security: bearer,
  responses: { 200: json(DocumentListSchema, 'Every stored document.'), ...errors() },
});

const one = createRoute({
  method: 'get',
  path: '/{id}',
  tags: ['documents'],
  summary: 'One document and its ingestion status',
  security: bearer,
  request: { params: DocParams },
  responses: { 200: json(DocumentSchema, 'The document.'), ...errors(404) },
});

/** Routes under /v1/documents. */
export function documentRoutes({ settings, ingestion, store, blobs, client }: DocumentRouteDeps): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: validationHook });

  app.openapi(
    upload(settings.maxUploadBytes),
    async (c) => {
      const { bytes, filename } = await readUpload(c.req.raw);
      if (bytes.length === 0) throw new ApiError(400, 'empty_body', 'The upload is empty: send the PDF bytes.');
      if (!looksLikePdf(bytes)) throw new ApiError(415, 'not_a_pdf', 'The upload is not a PDF (no %PDF- header).');
      const id = sha256Hex(bytes);
      // Store first, acknowledge after: an accepted upload survives a crash right after 202.
      await blobs.put(bytes);
      // `?ingest=false` stores the PDF for a batch to ingest (POST /v1/batches) without starting
      // it now: it is `stored`, which a restarted API leaves alone (it resumes only `queued`).
      const deferred = new URL(c.req.url).searchParams.get('ingest') === 'false';
      const isNew = await store.insertDocument({ id, filename, bytes: bytes.length, status: deferred ? 'stored' : 'queued' });
      if (!deferred && !isNew) {
        // The same PDF again, now to ingest: a stored one is queued first, so a crash before
        // its workflow starts still leaves it to be resumed.
        const status = (await store.getDocument(id))?.status;
        if (status === 'stored') await store.setStatus(id, 'queued');
        if (status === 'stored' || status === 'queued') await startIngestion(client, ingestion, id, filename);
      } else if (!deferred) await startIngestion(client, ingestion, id, filename);
      const doc = await findDocument(store, id);
      const upload: UploadView = { id, status: doc.status, created: isNew };
      return c.json(upload, isNew ? 202 : 200);
    },
  );

  app.openapi(list, async (c) => c.json({ documents: (await store.listDocuments()).map(documentView) }, 200));

  app.openapi(one, async (c) => c.json(documentView(await findDocument(store, c.req.param('id'))), 200));

  return app;
}
