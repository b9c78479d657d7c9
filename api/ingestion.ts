/** Starting ingestion workflows from the API: one workflow per document, id `ingest-<docId>`; batches. */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { BatchSettings, IngestSettings } from '../lib/config.ts';
import type { BatchStore } from '../lib/store/batches.ts';
import type { MetadataStore } from '../lib/store/metadata.ts';
import type { BatchInput, BatchResult } from '../workflows/batch.ts';
import type { IngestInput, IngestResult } from '../workflows/ingest.ts';
import { FOLIO_DOC_ID, FOLIO_FILENAME, FOLIO_STATUS } from '../workflows/search-attributes.ts';

/** Where ingestion workflows go and how each document's ingestion is cut up. */
export interface IngestionTarget {
  taskQueue: string;
  ingest: IngestSettings;
  /** Batch defaults (a batch request may override them). Absent: the built-in defaults. */
  batch?: BatchSettings;
  /** Set Folio's search attributes on the workflows (they must be registered on the server). */
  searchAttributes?: boolean;
}

export const DEFAULT_BATCH: BatchSettings = { window: 4, continueAsNewAfter: 500 };

export function ingestWorkflowId(docId: string): string {
  return `ingest-${docId}`;
}

/** Starts (or joins) the document's ingestion workflow. Safe to call again. */
export async function startIngestion(client: Client, target: IngestionTarget, docId: string, filename: string | null = null): Promise<void> {
  const input: IngestInput = {
    docId,
    pageBatchSize: target.ingest.pageBatchSize,
    batchParallelism: target.ingest.batchParallelism,
    pageTimeoutMs: target.ingest.pageTimeoutMs,
    ...(target.searchAttributes ? { searchAttributes: true } : {}),
  };
  await client.workflow.start<(input: IngestInput) => Promise<IngestResult>>('ingestDocument', {
    taskQueue: target.taskQueue,
    workflowId: ingestWorkflowId(docId),
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    memo: { filename },
    ...(target.searchAttributes
      ? {
          typedSearchAttributes: [
            { key: FOLIO_DOC_ID, value: docId },
            { key: FOLIO_STATUS, value: 'queued' },
            ...(filename ? [{ key: FOLIO_FILENAME, value: filename }] : []),
          ],
        }
      : {}),
  });
}

/**
 * Documents accepted but never handed to Temporal (the server died between storing the PDF and
 * starting the workflow) are started now, so no accepted upload is lost.
 */
export async function resumeQueued(client: Client, target: IngestionTarget, store: MetadataStore): Promise<number> {
  const queued = await store.documentsWithStatus('queued');
  for (const docId of queued) await startIngestion(client, target, docId);
  return queued.length;
}

export interface BatchOptions {
  window?: number;
  continueAsNewAfter?: number;
}

/**
 * Records a batch of stored documents and starts its workflow (id = batch id). The list goes to
 * the store first, so the workflow's input stays small whatever the batch's size.
 */
export async function startBatch(client: Client, target: IngestionTarget, batches: BatchStore, docIds: string[], options: BatchOptions = {}): Promise<string> {
  const batchId = `batch-${randomUUID()}`;
  const total = await batches.createBatch(batchId, docIds);
  const defaults = target.batch ?? DEFAULT_BATCH;
  const input: BatchInput = {
    batchId,
    total,
    window: Math.max(1, options.window ?? defaults.window),
    continueAsNewAfter: Math.max(1, options.continueAsNewAfter ?? defaults.continueAsNewAfter),
    ingest: { pageBatchSize: target.ingest.pageBatchSize, batchParallelism: target.ingest.batchParallelism, pageTimeoutMs: target.ingest.pageTimeoutMs },
    searchAttributes: target.searchAttributes === true,
  };
  await client.workflow.start<(input: BatchInput) => Promise<BatchResult>>('ingestBatch', {
    taskQueue: target.taskQueue,
    workflowId: batchId,
    args: [input],
  });
  return batchId;
}
