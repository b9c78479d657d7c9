/** Starting ingestion workflows from the API: one workflow per document, id `ingest-<docId>`. */
import type { Client } from '@temporalio/client';
import type { FolioConfig } from '../lib/config.ts';
import type { MetadataStore } from '../lib/store/metadata.ts';
import type { IngestInput, IngestResult } from '../workflows/ingest.ts';

export function ingestWorkflowId(docId: string): string {
  return `ingest-${docId}`;
}

/** Starts (or joins) the document's ingestion workflow. Safe to call again. */
export async function startIngestion(client: Client, config: FolioConfig, docId: string): Promise<void> {
  const input: IngestInput = {
    docId,
    pageBatchSize: config.pageBatchSize,
    batchParallelism: config.batchParallelism,
    pageTimeoutMs: config.pageTimeoutMs,
  };
  await client.workflow.start<(input: IngestInput) => Promise<IngestResult>>('ingestDocument', {
    taskQueue: config.taskQueue,
    workflowId: ingestWorkflowId(docId),
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

/**
 * Documents accepted but never handed to Temporal (the server died between storing the PDF and
 * starting the workflow) are started now, so no accepted upload is lost.
 */
export async function resumeQueued(client: Client, config: FolioConfig, store: MetadataStore): Promise<number> {
  const queued = store.documentsWithStatus('queued');
  for (const docId of queued) await startIngestion(client, config, docId);
  return queued.length;
}
