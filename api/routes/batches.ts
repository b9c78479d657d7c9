/**
 * Batches: create one over stored documents or over several uploaded files, list them, read one
 * (progress and every document's outcome), and pause, resume or cancel it. A batch is the
 * `ingestBatch` workflow whose id is the batch id; its list and outcomes are in the batch store.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ApiSettings } from '../../lib/config.ts';
import type { BatchRecord } from '../../lib/store/batches.ts';
import { sha256Hex } from '../../lib/store/blobs.ts';
import type { Stores } from '../../lib/store/open.ts';
import type { BatchProgress, BatchResult } from '../../workflows/batch.ts';
import { ApiError, errorResponse } from '../errors.ts';
import { type BatchOptions, type IngestionTarget, startBatch } from '../ingestion.ts';
import {
  type BatchCountsView,
  type BatchCreatedView,
  type BatchPhaseView,
  type BatchSummaryView,
  type BatchView,
  batchDocumentView,
} from '../views.ts';
import { looksLikePdf } from './documents.ts';

export interface BatchRouteDeps extends Stores {
  settings: Pick<ApiSettings, 'maxUploadBytes'>;
  ingestion: IngestionTarget;
  client: Client;
}

const DOC_ID = /^[0-9a-f]{64}$/;
const SIGNALS = ['cancel', 'pause', 'resume'] as const;

function optionalCount(name: string, raw: unknown): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new ApiError(400, 'invalid_option', `"${name}" must be a whole number of at least 1, got ${JSON.stringify(raw)}.`);
  return value;
}

/** The phase and live counts of a batch's workflow; the store's view when the workflow cannot say. */
async function workflowState(client: Client, id: string): Promise<{ phase: BatchPhaseView; progress: BatchProgress | null }> {
  const handle = client.workflow.getHandle(id);
  let status: string;
  try {
    status = (await handle.describe()).status.name;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { phase: 'unknown', progress: null };
    // Temporal is down or restarting: the store still knows the outcomes so far.
    console.error(`folio api: cannot describe batch ${id}:`, (error as Error).message);
    return { phase: 'unreachable', progress: null };
  }
  if (status === 'RUNNING') {
    // The query needs a worker; without one the batch is still running, only less is known.
    const progress = await handle.query<BatchProgress>('progress').catch(() => null);
    return { phase: progress?.phase ?? 'running', progress };
  }
  if (status === 'COMPLETED') {
    const result = (await handle.result()) as BatchResult;
    return { phase: result.cancelled ? 'cancelled' : 'done', progress: null };
  }
  const closed: Record<string, BatchPhaseView> = { CANCELLED: 'cancelled', FAILED: 'failed', TERMINATED: 'terminated', TIMED_OUT: 'timed_out' };
  return { phase: closed[status] ?? 'unknown', progress: null };
}

async function summaryOf(deps: BatchRouteDeps, batch: BatchRecord): Promise<BatchSummaryView> {
  const { phase, progress } = await workflowState(deps.client, batch.id);
  const stored = await deps.batches.counts(batch.id);
  const counts: BatchCountsView = progress
    ? {
        total: batch.total,
        queued: progress.queued,
        running: progress.running,
        ready: progress.ready,
        failed: progress.failed,
        cancelled: progress.cancelled,
        alreadyReady: progress.alreadyReady,
      }
    : { total: batch.total, ...stored };
  return { id: batch.id, phase, createdAt: batch.createdAt, counts, pages: await deps.batches.pages(batch.id), runs: progress?.runs ?? null };
}

async function findBatch(deps: BatchRouteDeps, id: string): Promise<BatchRecord> {
  const batch = await deps.batches.getBatch(id);
  if (!batch) throw new ApiError(404, 'batch_not_found', `No batch with id ${id}.`);
  return batch;
}

/** The documents of a multipart request's `file` parts, stored (not yet ingested). */
async function storeUploads(deps: BatchRouteDeps, form: FormData): Promise<BatchCreatedView['documents']> {
  const files = form.getAll('file').filter((part) => typeof part !== 'string');
  if (files.length === 0) throw new ApiError(400, 'missing_file', 'The multipart body needs one or more "file" parts holding PDFs.');
  const checked: { bytes: Uint8Array; filename: string | null }[] = [];
  // Every part is judged before any is stored, so a rejected request leaves nothing behind.
  for (const file of files) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const name = file.name || null;
    if (bytes.length === 0) throw new ApiError(400, 'empty_body', `The file ${name ?? '(unnamed)'} is empty.`);
    if (!looksLikePdf(bytes)) throw new ApiError(415, 'not_a_pdf', `The file ${name ?? '(unnamed)'} is not a PDF (no %PDF- header).`);
    checked.push({ bytes, filename: name });
  }
  const stored: BatchCreatedView['documents'] = [];
  for (const { bytes, filename } of checked) {
    const id = sha256Hex(bytes);
    await deps.blobs.put(bytes);
    const created = await deps.store.insertDocument({ id, filename, bytes: bytes.length });
    stored.push({ id, filename, created });
  }
  return stored;
}

/** Routes under /v1/batches. */
export function batchRoutes(deps: BatchRouteDeps): Hono {
  const app = new Hono();

  app.post(
    '/',
    bodyLimit({
      maxSize: deps.settings.maxUploadBytes,
      onError: (c) => {
        c.header('connection', 'close');
        return errorResponse(c, 413, 'too_large', `The request exceeds ${deps.settings.maxUploadBytes} bytes.`);
      },
    }),
    async (c) => {
      const type = c.req.header('content-type') ?? '';
      let documents: BatchCreatedView['documents'];
      let options: BatchOptions;
      if (type.startsWith('multipart/form-data')) {
        const form = await c.req.raw.formData();
        options = { window: optionalCount('window', form.get('window')), continueAsNewAfter: optionalCount('continueAsNewAfter', form.get('continueAsNewAfter')) };
        documents = await storeUploads(deps, form);
      } else {
        let body: { documents?: unknown; window?: unknown; continueAsNewAfter?: unknown };
        try {
          body = (await c.req.json()) as typeof body;
        } catch (error) {
          throw new ApiError(400, 'invalid_json', 'The body must be JSON {"documents": [ids]} or multipart with "file" parts.', { cause: error });
        }
        const ids = body?.documents;
        if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string' && DOC_ID.test(id))) {
          throw new ApiError(400, 'invalid_documents', '"documents" must be a non-empty list of document ids (64 hex digits).');
        }
        const found = await Promise.all(ids.map((id) => deps.store.getDocument(id)));
        const unknown = ids.filter((_id, i) => !found[i]);
        if (unknown.length > 0) {
          throw new ApiError(404, 'document_not_found', `${unknown.length} document(s) are not stored (upload them first): ${unknown.slice(0, 5).join(', ')}.`);
        }
        options = { window: optionalCount('window', body.window), continueAsNewAfter: optionalCount('continueAsNewAfter', body.continueAsNewAfter) };
        documents = ids.map((id, i) => ({ id, filename: found[i]?.filename ?? null, created: false }));
      }
      const id = await startBatch(
        deps.client,
        deps.ingestion,
        deps.batches,
        documents.map((doc) => doc.id),
        options,
      );
      const created: BatchCreatedView = { id, total: (await deps.batches.getBatch(id))?.total ?? documents.length, documents };
      return c.json(created, 202);
    },
  );

  app.get('/', async (c) => {
    const batches = await Promise.all((await deps.batches.listBatches()).map((batch) => summaryOf(deps, batch)));
    return c.json({ batches });
  });

  app.get('/:id', async (c) => {
    const batch = await findBatch(deps, c.req.param('id'));
    const offset = Math.max(0, Number(c.req.query('offset') ?? 0) || 0);
    const limit = Math.min(10_000, Math.max(1, Number(c.req.query('limit') ?? 1000) || 1000));
    const view: BatchView = { ...(await summaryOf(deps, batch)), documents: (await deps.batches.documents(batch.id, offset, limit)).map(batchDocumentView) };
    return c.json(view);
  });

  for (const signal of SIGNALS) {
    app.post(`/:id/${signal}`, async (c) => {
      const batch = await findBatch(deps, c.req.param('id'));
      try {
        await deps.client.workflow.getHandle(batch.id).signal(signal);
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) throw new ApiError(409, 'batch_closed', `Batch ${batch.id} has finished; there is nothing to ${signal}.`, { cause: error });
        throw error;
      }
      return c.json({ id: batch.id, signal }, 202);
    });
  }

  return app;
}
