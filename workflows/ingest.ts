/**
 * ingestDocument: inspect → page batches with bounded parallelism → index → ready.
 * Deterministic workflow code only: no I/O, no clocks, no randomness. Any failure of the
 * input fails the document (with its reason) rather than the workflow task.
 */
import { ActivityFailure, ApplicationFailure, defineQuery, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { IngestActivities } from '../activities/ingest.ts';
import type { VisualTokenActivities } from '../activities/visual-tokens.ts';
import { NON_RETRYABLE_TYPES, PDF_INPUT_ERROR } from '../lib/temporal/failures.ts';

export interface IngestInput {
  docId: string;
  pageBatchSize: number;
  batchParallelism: number;
  /** Upper bound for one page's extraction, used to size the batch activity's timeout. */
  pageTimeoutMs: number;
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

  const batchActivities = proxyActivities<IngestActivities & VisualTokenActivities>({
    startToCloseTimeout: input.pageBatchSize * input.pageTimeoutMs + 60_000,
    // A killed worker is noticed within this long; its batch then resumes on another worker.
    heartbeatTimeout: '10 seconds',
    retry: { initialInterval: '1 second', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
  });

  try {
    const { pageCount } = await quick.inspectDocument(input.docId, input.pageTimeoutMs);
    progress.pageCount = pageCount;
    progress.phase = 'extracting';

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
        const summary = await batchActivities.extractPageBatch({ docId: input.docId, ...batch, pageTimeoutMs: input.pageTimeoutMs });
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
    const { units } = await quick.buildIndex(input.docId);
    progress.phase = 'ready';
    return { status: 'ready', pageCount, units, failureReason: null };
  } catch (error) {
    const reason = failureReason(error);
    progress.phase = 'failed';
    progress.failureReason = reason;
    await quick.markFailed(input.docId, reason);
    return { status: 'failed', pageCount: progress.pageCount, units: 0, failureReason: reason };
  }
}
