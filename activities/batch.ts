/**
 * Batch activities: the batch workflow's reads and writes of the batch store. The document list
 * and the outcomes stay in the store so the workflow carries only a cursor and counts.
 */
import type { BatchDocumentRecord, BatchOutcomeUpdate, BatchSliceItem, BatchStore } from '../lib/store/batches.ts';
import type { MetadataStore } from '../lib/store/metadata.ts';
import type { DocumentStatus } from '../lib/store/records.ts';

// The workflow reads these types through this file (workflows may import only activities' types).
export type { BatchDocumentRecord, BatchOutcome, BatchOutcomeUpdate, BatchSliceItem } from '../lib/store/batches.ts';

export interface BatchDeps {
  store: MetadataStore;
  batches: BatchStore;
}

/** What a cancelled document's failure reason says, so a reader knows nothing was wrong with the PDF. */
export const CANCELLED_REASON = 'Ingestion was cancelled with its batch.';

export function createBatchActivities({ store, batches }: BatchDeps) {
  return {
    /** The next documents of the batch from `from` on, each with its status now. */
    async batchSlice(batchId: string, from: number, count: number): Promise<BatchSliceItem[]> {
      return await batches.slice(batchId, from, count);
    },

    /** Writes outcomes; returns the pages stored and known over the whole batch. */
    async recordBatchOutcomes(batchId: string, updates: BatchOutcomeUpdate[]): Promise<{ done: number; total: number }> {
      await batches.recordOutcomes(batchId, updates);
      return await batches.pages(batchId);
    },

    async batchPages(batchId: string): Promise<{ done: number; total: number }> {
      return await batches.pages(batchId);
    },

    /** A document's status and failure reason in the store (null when it is not there). */
    async documentState(docId: string): Promise<{ status: DocumentStatus | null; failureReason: string | null; pageCount: number | null }> {
      const doc = await store.getDocument(docId);
      return { status: doc?.status ?? null, failureReason: doc?.failureReason ?? null, pageCount: doc?.pageCount ?? null };
    },

    /**
     * Documents whose ingestion the batch cancelled end `failed` with a reason saying so, rather
     * than `ingesting` for ever; a later batch ingests them again (only ready ones are skipped).
     * A document that became ready before the cancel reached it stays ready.
     */
    async markCancelled(docIds: string[]): Promise<void> {
      for (const docId of docIds) {
        const status = (await store.getDocument(docId))?.status;
        if (status && status !== 'ready' && status !== 'failed') await store.setStatus(docId, 'failed', CANCELLED_REASON);
      }
    },

    /** Every document the batch never reached is recorded as cancelled. */
    async cancelRemaining(batchId: string, from: number): Promise<number> {
      return await batches.cancelRemaining(batchId, from, 'The batch was cancelled before it reached this document.');
    },

    /** The batch's documents with outcomes, for the workflow's result (null above `limit`). */
    async batchOutcomes(batchId: string, limit: number): Promise<BatchDocumentRecord[] | null> {
      const total = (await batches.getBatch(batchId))?.total ?? 0;
      return total > limit ? null : await batches.documents(batchId, 0, limit);
    },
  };
}

export type BatchActivities = ReturnType<typeof createBatchActivities>;
