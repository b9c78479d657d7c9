/**
 * Batches: create one over stored documents or over several uploaded files, list them, read one
 * (progress and every document's outcome), and pause, resume or cancel it. A batch is the
 * `ingestBatch` workflow whose id is the batch id; its list and outcomes are in the batch store.
 */
import { createRoute, OpenAPIHono, type z } from '@hono/zod-openapi';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ApiSettings } from '../../lib/config.ts';
import type { BatchRecord } from '../../lib/store/batches.ts';
import { sha256Hex } from '../../lib/store/blobs.ts';
import type { Stores } from '../../lib/store/open.ts';
import type { BatchProgress, BatchResult } from '../../workflows/batch.ts';
import { ApiError, errorResponse, formDataOf, validationHook } from '../errors.ts';
import { type BatchOptions, type IngestionTarget, startBatch } from '../ingestion.ts';
import {
  BatchBody,
  BatchCreatedSchema,
  BatchListQuery,
  BatchListSchema,
  BatchParams,
  BatchSchema,
  BatchSignalSchema,
  bearer,
  errors,
  json,
  pdfBinary,
} from '../schemas.ts';
import { log } from '../telemetry.ts';
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
    log().warn({ err: error, batch: id }, 'cannot describe batch');
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
    // `stored`: the batch ingests it; a restarted API must not start it on its own as well.
    const created = await deps.store.insertDocument({ id, filename, bytes: bytes.length, status: 'stored' });
    stored.push({ id, filename, created });
  }
  return stored;
}

/** The body is JSON or a multipart form; anything else is refused before it is read. */
const jsonOrMultipart: MiddlewareHandler = async (c, next) => {
  const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json' && type !== 'multipart/form-data') {
    throw new ApiError(400, 'invalid_json', 'The body must be JSON {"documents": [ids]} (Content-Type: application/json) or multipart with "file" parts.');
  }
  await next();
};

const create = (maxUploadBytes: number) =>
  createRoute({
    method: 'post',
    path: '/',
    tags: ['batches'],
    summary: 'Ingest many documents as one batch',
    description:
      'Over stored documents (JSON: their ids) or over uploaded files (multipart: one "file" part per PDF, and optional "window" and "continueAsNewAfter" fields). Every part is checked before any is stored.',
    security: bearer,
    middleware: [
      jsonOrMultipart,
      bodyLimit({
        maxSize: maxUploadBytes,
        onError: (c) => {
          c.header('connection', 'close');
          return errorResponse(c, 413, 'too_large', `The request exceeds ${maxUploadBytes} bytes.`);
        },
      }),
    ] as const,
    request: {
      body: {
        content: {
          'application/json': { schema: BatchBody },
          'multipart/form-data': {
            schema: {
              type: 'object',
              properties: {
                file: { type: 'array', items: pdfBinary },
                window: { type: 'integer', minimum: 1 },
                continueAsNewAfter: { type: 'integer', minimum: 1 },
              },
              required: ['file'],
            },
          },
        },
      },
    },
    responses: { 202: json(BatchCreatedSchema, 'The batch was recorded and its workflow started.'), ...errors(404, 413, 415) },
  });

const list = createRoute({
  method: 'get',
  path: '/',
  tags: ['batches'],
  summary: 'List batches',
  security: bearer,
  responses: { 200: json(BatchListSchema, 'Every batch, with its phase and counts.'), ...errors() },
});

const one = createRoute({
  method: 'get',
  path: '/{id}',
  tags: ['batches'],
  summary: "A batch's progress and its documents' outcomes",
  security: bearer,
  request: { params: BatchParams, query: BatchListQuery },
  responses: { 200: json(BatchSchema, 'The batch.'), ...errors(404) },
});

const signalRoute = (signal: (typeof SIGNALS)[number]) =>
  createRoute({
    method: 'post',
    path: `/{id}/${signal}`,
    tags: ['batches'],
    summary: `${signal[0].toUpperCase()}${signal.slice(1)} a batch`,
    security: bearer,
    request: { params: BatchParams },
    responses: { 202: json(BatchSignalSchema, 'The signal was sent to the batch workflow.'), ...errors(404, 409) },
  });

/** Routes under /v1/batches. */
export function batchRoutes(deps: BatchRouteDeps): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: validationHook });

  app.openapi(
    create(deps.settings.maxUploadBytes),
    async (c) => {
      const type = c.req.header('content-type') ?? '';
      let documents: BatchCreatedView['documents'];
      let options: BatchOptions;
      if (type.startsWith('multipart/form-data')) {
        const form = await formDataOf(c.req.raw);
        options = { window: optionalCount('window', form.get('window')), continueAsNewAfter: optionalCount('continueAsNewAfter', form.get('continueAsNewAfter')) };
        documents = await storeUploads(deps, form);
      } else {
        // Validated by BatchBody; its type is lost because the multipart alternative is not a zod schema.
        const body: z.output<typeof BatchBody> = c.req.valid('json' as never);
        const ids = body.documents;
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

  app.openapi(list, async (c) => {
    const batches = await Promise.all((await deps.batches.listBatches()).map((batch) => summaryOf(deps, batch)));
    return c.json({ batches }, 200);
  });

  app.openapi(one, async (c) => {
    const batch = await findBatch(deps, c.req.param('id'));
    const offset = Math.max(0, Number(c.req.query('offset') ?? 0) || 0);
    const limit = Math.min(10_000, Math.max(1, Number(c.req.query('limit') ?? 1000) || 1000));
    const view: BatchView = { ...(await summaryOf(deps, batch)), documents: (await deps.batches.documents(batch.id, offset, limit)).map(batchDocumentView) };
    return c.json(view, 200);
  });

  for (const signal of SIGNALS) {
    app.openapi(signalRoute(signal), async (c) => {
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
