/** Starting ingestion workflows from the API: one workflow per document, id `ingest-<docId>`. */
import type { Client } from '@temporalio/client';
import type { IngestSettings } from '../lib/config.ts';
import type { MetadataStore } from '../lib/store/metadata.ts';
import type { IngestInput, IngestResult } from '../workflows/ingest.ts';

/** Where ingestion workflows go and how each document's ingestion is cut up. */
export interface IngestionTarget {
  taskQueue: string;
  ingest: IngestSettings;
}

export function ingestWorkflowId(docId: string): string {
  return `ingest-${docId}`;
}

/** Starts (or joins) the document's ingestion workflow. Safe to call again. */
export async function startIngestion(client: Client, target: IngestionTarget, docId: string): Promise<void> {
  const input: IngestInput = {
    docId,
    pageBatchSize: target.ingest.pageBatchSize,
    batchParallelism: target.ingest.batchParallelism,
    pageTimeoutMs: target.ingest.pageTimeoutMs,
  };
  await client.workflow.start<(input: IngestInput) => Promise<IngestResult>>('ingestDocument', {
    taskQueue: target.taskQueue,
    workflowId: ingestWorkflowId(docId),
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

/**
 * Documents accepted but never handed to Temporal (the server died between storing the PDF and
 * starting the workflow) are started now, so no accepted upload is lost.
 */
export async function resumeQueued(client: Client, target: IngestionTarget, store: MetadataStore): Promise<number> {
  const queued = store.documentsWithStatus('queued');
  for (const docId of queued) await startIngestion(client, target, docId);
  return queued.length;
}
