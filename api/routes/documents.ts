/** Documents: upload (stored before it is acknowledged; ingestion then runs on Temporal), list, one. */
import type { Client } from '@temporalio/client';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ApiSettings } from '../../lib/config.ts';
import { sha256Hex } from '../../lib/store/blobs.ts';
import type { Stores } from '../../lib/store/open.ts';
import { ApiError, errorResponse } from '../errors.ts';
import { type IngestionTarget, startIngestion } from '../ingestion.ts';
import { findDocument } from '../lookup.ts';
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

/** Routes under /v1/documents. */
export function documentRoutes({ settings, ingestion, store, blobs, client }: DocumentRouteDeps): Hono {
  const app = new Hono();

  app.post(
    '/',
    bodyLimit({
      maxSize: settings.maxUploadBytes,
      onError: (c) => {
        // The rest of the body is never read: close the connection rather than reuse it.
        c.header('connection', 'close');
        return errorResponse(c, 413, 'too_large', `The upload exceeds ${settings.maxUploadBytes} bytes.`);
      },
    }),
    async (c) => {
      const { bytes, filename } = await readUpload(c.req.raw);
      if (bytes.length === 0) throw new ApiError(400, 'empty_body', 'The upload is empty: send the PDF bytes.');
      if (!looksLikePdf(bytes)) throw new ApiError(415, 'not_a_pdf', 'The upload is not a PDF (no %PDF- header).');
      const id = sha256Hex(bytes);
      // Store first, acknowledge after: an accepted upload survives a crash right after 202.
      await blobs.put(bytes);
      const isNew = await store.insertDocument({ id, filename, bytes: bytes.length });
      // `?ingest=false` stores the PDF for a batch to ingest (POST /v1/batches) without starting it now.
      const deferred = new URL(c.req.url).searchParams.get('ingest') === 'false';
      if (!deferred && (isNew || (await store.getDocument(id))?.status === 'queued')) await startIngestion(client, ingestion, id, filename);
      const doc = await findDocument(store, id);
      const upload: UploadView = { id, status: doc.status, created: isNew };
      return c.json(upload, isNew ? 202 : 200);
    },
  );

  app.get('/', async (c) => c.json({ documents: (await store.listDocuments()).map(documentView) }));

  app.get('/:id', async (c) => c.json(documentView(await findDocument(store, c.req.param('id')))));

  return app;
}
