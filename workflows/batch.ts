/**
 * ingestBatch: one child ingestDocument per document of a batch, a sliding window of them in
 * flight, pause/resume/cancel signals, a `progress` query, and continueAsNew so a batch of any
 * size stays far below Temporal's history limits.
 *
 * The document list and the outcomes live in the batch store (activities/batch.ts); the
 * workflow carries a cursor, counts and flags, so its state stays small whatever the size.
 * Deterministic workflow code only.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  isCancellation,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { BatchActivities, BatchDocumentRecord, BatchOutcome, BatchOutcomeUpdate, BatchSliceItem } from '../activities/batch.ts';
import { NON_RETRYABLE_TYPES } from '../lib/temporal/failures.ts';
import { failureReason, type IngestInput, ingestDocument } from './ingest.ts';
import { FOLIO_BATCH_ID, FOLIO_DOC_ID, FOLIO_FILENAME, FOLIO_STATUS } from './search-attributes.ts';

export interface BatchInput {
  batchId: string;
  /** Distinct documents in the batch (the store holds the list). */
  total: number;
  /** Child workflows in flight at most. */
  window: number;
  /** Documents one run takes up before it continues as new (Temporal may suggest it sooner). */
  continueAsNewAfter: number;
  /** How each document's ingestion is cut up, as for a single upload. */
  ingest: Pick<IngestInput, 'pageBatchSize' | 'batchParallelism' | 'pageTimeoutMs'>;
  /** Set the Folio search attributes on the children (they must be registered on the server). */
  searchAttributes: boolean;
  /** Carried by continueAsNew; absent on the first run. */
  state?: BatchState;
}

export interface BatchCounts {
  ready: number;
  failed: number;
  cancelled: number;
  /** Of `ready`: documents that were ready before the batch reached them and were not ingested again. */
  alreadyReady: number;
}

export interface BatchState {
  /** Position of the first document the batch has not taken up yet. */
  next: number;
  counts: BatchCounts;
  /** Pages stored and known over the batch's documents, as last read from the store. */
  pages: { done: number; total: number };
  paused: boolean;
  /** How many times the batch continued as new. */
  runs: number;
}

export type BatchPhase = 'running' | 'paused' | 'cancelling' | 'cancelled' | 'done';

export interface BatchProgress {
  batchId: string;
  phase: BatchPhase;
  total: number;
  queued: number;
  running: number;
  ready: number;
  failed: number;
  cancelled: number;
  alreadyReady: number;
  pages: { done: number; total: number };
  runs: number;
  /** Document ids in flight now. */
  inFlight: string[];
}

export interface BatchResult {
  batchId: string;
  total: number;
  counts: BatchCounts;
  pages: { done: number; total: number };
  cancelled: boolean;
  runs: number;
  /** Every document with outcome and reason; null for a batch over RESULT_LIST_LIMIT (read it from the API). */
  documents: BatchDocumentRecord[] | null;
}

export const batchProgressQuery = defineQuery<BatchProgress>('progress');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const cancelSignal = defineSignal('cancel');

/** Documents read from the store per activity call. */
const SLICE = 100;
/** Above this many documents the result leaves the list out: a payload must stay under 2 MB. */
export const RESULT_LIST_LIMIT = 1000;
/** How often a document that another run is ingesting is looked at again. */
const WATCH_INTERVAL = '3 seconds';
/** While children run, the page counts are refreshed from the store this often for the query. */
const PAGES_REFRESH = '15 seconds';

const acts = proxyActivities<BatchActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

export function emptyBatchState(): BatchState {
  return { next: 0, counts: { ready: 0, failed: 0, cancelled: 0, alreadyReady: 0 }, pages: { done: 0, total: 0 }, paused: false, runs: 0 };
}

export async function ingestBatch(input: BatchInput): Promise<BatchResult> {
  const state: BatchState = input.state ?? emptyBatchState();
  const window = Math.max(1, input.window);
  const share = Math.max(1, input.continueAsNewAfter);
  const running = new Map<string, BatchSliceItem>();
  const pending: BatchOutcomeUpdate[] = [];
  /** Our own children that were cancelled: the store is told so at the end. */
  const cancelledChildren: string[] = [];
  let cancelRequested = false;
  let done = false;
  let buffer: BatchSliceItem[] = [];
  let takenThisRun = 0;

  const children = new CancellationScope();
  const requestCancel = () => {
    if (cancelRequested) return;
    cancelRequested = true;
    children.cancel();
  };
  setHandler(pauseSignal, () => {
    state.paused = true;
  });
  setHandler(resumeSignal, () => {
    state.paused = false;
  });
  setHandler(cancelSignal, requestCancel);
  // A cancellation request on the workflow itself (the Web UI's "Request Cancellation") is
  // handled like the signal: the batch still records every outcome and returns its result.
  CancellationScope.current().cancelRequested.catch(requestCancel);
  setHandler(batchProgressQuery, (): BatchProgress => ({
    batchId: input.batchId,
    phase: done ? (cancelRequested ? 'cancelled' : 'done') : cancelRequested ? 'cancelling' : state.paused ? 'paused' : 'running',
    total: input.total,
    queued: Math.max(0, input.total - state.next),
    running: running.size,
    ready: state.counts.ready,
    failed: state.counts.failed,
    cancelled: state.counts.cancelled,
    alreadyReady: state.counts.alreadyReady,
    pages: state.pages,
    runs: state.runs,
    inFlight: [...running.keys()],
  }));

  const settle = (item: BatchSliceItem, outcome: BatchOutcome, reason: string | null, ourChild: boolean) => {
    running.delete(item.docId);
    state.counts[outcome]++;
    pending.push({ docId: item.docId, outcome, reason });
    if (outcome === 'cancelled' && ourChild) cancelledChildren.push(item.docId);
  };

  const runOne = async (item: BatchSliceItem): Promise<void> => {
    const childInput: IngestInput = { docId: item.docId, ...input.ingest, searchAttributes: input.searchAttributes };
    let ourChild = false;
    try {
      for (;;) {
        try {
          const handle = await startChild(ingestDocument, {
            // The same id as a single upload's, so a document is one workflow whoever starts it.
            workflowId: `ingest-${item.docId}`,
            args: [childInput],
            memo: { filename: item.filename },
            typedSearchAttributes: input.searchAttributes
              ? [
                  { key: FOLIO_DOC_ID, value: item.docId },
                  { key: FOLIO_BATCH_ID, value: input.batchId },
                  { key: FOLIO_STATUS, value: 'queued' },
                  ...(item.filename ? [{ key: FOLIO_FILENAME, value: item.filename }] : []),
                ]
              : [],
            // A closed run of the same document (failed, cancelled, or ready but since lost from
            // the store) may be run again; a ready document never reaches here.
            workflowIdReusePolicy: 'ALLOW_DUPLICATE',
            // Should the batch be terminated, its children are asked to stop rather than left running.
            parentClosePolicy: 'REQUEST_CANCEL',
          });
          ourChild = true;
          const result = await handle.result();
          settle(item, result.status, result.failureReason, true);
          return;
        } catch (error) {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        }
        // Another run is ingesting this document (its upload, or another batch): follow it in
        // the store, and take over with a child of our own if that run ends without settling it.
        await sleep(WATCH_INTERVAL);
        const now = await acts.documentState(item.docId);
        if (now.status === 'ready' || now.status === 'failed') {
          settle(item, now.status, now.failureReason, false);
          return;
        }
      }
    } catch (error) {
      if (isCancellation(error)) settle(item, 'cancelled', 'The batch was cancelled while this document was ingesting.', ourChild);
      else settle(item, 'failed', failureReason(error), ourChild);
    }
  };

  const mayStart = () =>
    !cancelRequested && !state.paused && running.size < window && state.next < input.total && takenThisRun < share && !workflowInfo().continueAsNewSuggested;

  // Outcomes and cleanup are written even when the workflow itself is asked to cancel.
  return CancellationScope.nonCancellable(async () => {
    for (;;) {
      while (mayStart()) {
        if (buffer.length === 0) buffer = await acts.batchSlice(input.batchId, state.next, SLICE);
        const item = buffer.shift();
        if (!item) {
          // The store lists fewer documents than the batch was started with: nothing more to take.
          state.next = input.total;
          break;
        }
        state.next = item.position + 1;
        takenThisRun++;
        if (item.status === 'ready') {
          state.counts.ready++;
          state.counts.alreadyReady++;
          pending.push({ docId: item.docId, outcome: 'ready', reason: null, alreadyReady: true });
          continue;
        }
        running.set(item.docId, item);
        void children.run(() => runOne(item));
      }
      if (pending.length > 0) {
        state.pages = await acts.recordBatchOutcomes(input.batchId, pending.splice(0));
        continue;
      }
      if (running.size === 0) {
        if (cancelRequested || state.next >= input.total) break;
        if (state.paused) {
          await condition(() => !state.paused || cancelRequested);
          continue;
        }
        // This run took its share and every child it started has finished (children never
        // outlive the run that started them): the rest goes on in a fresh history.
        buffer = [];
        return continueAsNew<typeof ingestBatch>({ ...input, state: { ...state, runs: state.runs + 1 } });
      }
      const woke = await condition(() => pending.length > 0 || mayStart(), PAGES_REFRESH);
      if (!woke) state.pages = await acts.batchPages(input.batchId);
    }

    if (cancelRequested) {
      if (cancelledChildren.length > 0) await acts.markCancelled(cancelledChildren.splice(0));
      state.counts.cancelled += await acts.cancelRemaining(input.batchId, state.next);
    }
    state.pages = await acts.batchPages(input.batchId);
    const documents = await acts.batchOutcomes(input.batchId, RESULT_LIST_LIMIT);
    done = true;
    return { batchId: input.batchId, total: input.total, counts: state.counts, pages: state.pages, cancelled: cancelRequested, runs: state.runs, documents };
  });
}
