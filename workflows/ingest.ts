/**
 * ingestDocument: inspect → page batches with bounded parallelism → index → ready.
 * Deterministic workflow code only: no I/O, no clocks, no randomness. Any failure of the
 * input fails the document (with its reason) rather than the workflow task.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  defineQuery,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { IngestActivities } from '../activities/ingest.ts';
import type { VisualTokenActivities } from '../activities/visual-tokens.ts';
import { NON_RETRYABLE_TYPES, PDF_INPUT_ERROR } from '../lib/temporal/failures.ts';
import { FOLIO_PAGES, FOLIO_STATUS } from './search-attributes.ts';

export interface IngestInput {
  docId: string;
  pageBatchSize: number;
  batchParallelism: number;
  /** Upper bound for one page's extraction, used to size the batch activity's timeout. */
  pageTimeoutMs: number;
  /**
   * Keep the Folio search attributes current (FolioStatus, FolioPages). Only the starter knows
   * whether the server has them registered, and setting an unregistered one fails the workflow
   * task, so it is off unless the starter says so.
   */
  searchAttributes?: boolean;
}

export type IngestPhase = 'inspecting' | 'extracting' | 'indexing' | 'ready' | 'failed';

export interface IngestProgress {
  phase: IngestPhase;
  pageCount: number | null;
  /** Pages in finished batches (the API's page count from the store is finer-grained). */
  pagesDone: number;
  failureReason: string | null;
}

export interface IngestResult {
  status: 'ready' | 'failed';
  pageCount: number | null;
  units: number;
  failureReason: string | null;
}

export const progressQuery = defineQuery<IngestProgress>('progress');

const quick = proxyActivities<IngestActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

/** The deepest readable message of a failure chain: what went wrong with the document. */
export function failureReason(error: unknown): string {
  let current: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure || !(current instanceof ActivityFailure)) message = current.message || message;
    current = (current as { cause?: unknown }).cause;
  }
  return message;
}

export async function ingestDocument(input: IngestInput): Promise<IngestResult> {
  const progress: IngestProgress = { phase: 'inspecting', pageCount: null, pagesDone: 0, failureReason: null };
  setHandler(progressQuery, () => progress);
  // patched(): histories recorded before the workflow kept search attributes replay unchanged.
  const keepAttributes = input.searchAttributes === true && patched('search-attributes');
  const mark = (status: string, pages?: number) => {
    if (!keepAttributes) return;
    upsertSearchAttributes(pages === undefined ? [{ key: FOLIO_STATUS, value: status }] : [{ key: FOLIO_STATUS, value: status }, { key: FOLIO_PAGES, value: pages }]);
  };
  mark('ingesting');

  const batchActivities = proxyActivities<IngestActivities & VisualTokenActivities>({
    startToCloseTimeout: input.pageBatchSize * input.pageTimeoutMs + 60_000,
    // A killed worker is noticed within this long; its batch then resumes on another worker.
    heartbeatTimeout: '10 seconds',
    retry: { initialInterval: '1 second', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
  });

  try {
    // The page time limit the timeouts above were sized with goes to the activities, so the
    // worker enforces that one rather than its own; histories recorded before it did replay.
    const pageTimeoutMs = patched('page-time-limit-in-input') ? input.pageTimeoutMs : undefined;
    const { pageCount } = await quick.inspectDocument(input.docId, pageTimeoutMs);
    progress.pageCount = pageCount;
    progress.phase = 'extracting';
    mark('ingesting', pageCount);

    const batches: { firstPage: number; lastPage: number }[] = [];
    for (let first = 1; first <= pageCount; first += input.pageBatchSize) {
      batches.push({ firstPage: first, lastPage: Math.min(pageCount, first + input.pageBatchSize - 1) });
    }
    let next = 0;
    let pagesFailed = 0;
    let firstFailure: string | null = null;
    const lane = async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        const summary = await batchActivities.extractPageBatch({ docId: input.docId, ...batch, pageTimeoutMs });
        // Visual tokens of the batch's stored crops (a no-op when FOLIO_VISION_ENCODER=off);
        // patched() keeps histories recorded before this step replayable.
        if (patched('visual-tokens')) await batchActivities.encodeVisualTokens({ docId: input.docId, ...batch });
        pagesFailed += summary.pagesFailed;
        firstFailure ??= summary.firstFailure;
        progress.pagesDone += batch.lastPage - batch.firstPage + 1;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, input.batchParallelism) }, lane));
    if (pagesFailed === pageCount) {
      throw ApplicationFailure.nonRetryable(`None of the ${pageCount} pages could be read (${firstFailure}).`, PDF_INPUT_ERROR);
    }

    progress.phase = 'indexing';
    mark('indexing');
    const { units } = await quick.buildIndex(input.docId);
    progress.phase = 'ready';
    mark('ready');
    return { status: 'ready', pageCount, units, failureReason: null };
  } catch (error) {
    if (isCancellation(error)) {
      // Cancelled (by its batch): the document is not failed, so the store is left as it is
      // and the next batch takes it up again.
      mark('cancelled');
      throw error;
    }
    const reason = failureReason(error);
    progress.phase = 'failed';
    progress.failureReason = reason;
    mark('failed');
    await quick.markFailed(input.docId, reason);
    return { status: 'failed', pageCount: progress.pageCount, units: 0, failureReason: reason };
  }
}
