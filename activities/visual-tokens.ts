/**
 * The visual-token activity: for each page of a batch whose crops are stored and whose tokens
 * extraction did not already make (lib/visual/encoder-of.ts says which encoders it runs), encode the
 * visual thumbnail and tiles, compress them (models/visual/compress/pipeline.ts) and store the kept
 * tokens as one blob plus the page's ledger. Idempotent: a page already encoded with the same
 * encoder and retention is skipped, and blobs are content-addressed. Heartbeats every page.
 */
import { Context } from '@temporalio/activity';
import type { BlobStore } from '../lib/store/blobs.ts';
import type { MetadataStore } from '../lib/store/metadata.ts';
import { EncoderLoadError, encodesAtExtraction, type VisualSettings, visionEncoderOf } from '../lib/visual/encoder-of.ts';
import { storedCropSource } from '../lib/visual/stored-crops.ts';
import { VisualTokenThread } from '../lib/visual/token-worker.ts';
import { serializePageTokens } from '../models/visual/compress/token-blob.ts';

export interface VisualTokenDeps {
  settings: VisualSettings;
  store: MetadataStore;
  blobs: BlobStore;
  /** Where the CPU-bound work runs (one thread per worker process). */
  thread: VisualTokenThread;
}

export interface VisualBatch {
  docId: string;
  firstPage: number;
  lastPage: number;
}

export interface VisualBatchSummary {
  pagesEncoded: number;
  pagesSkipped: number;
  /** Pages whose images could not be encoded (the reason is logged; the document goes on). */
  pagesFailed: number;
  tokensIn: number;
  tokensOut: number;
  /** The configured encoder could not be loaded (the stage is skipped; the document goes on). */
  encoderError: string | null;
}

/**
 * The activity's work, apart from Temporal: `heartbeat` is called before every page (and
 * every 2 s while one page takes long).
 */
export async function encodeBatchVisualTokens(
  { settings, store, blobs, thread }: VisualTokenDeps,
  batch: VisualBatch,
  heartbeat: (details: { page: number }) => void,
): Promise<VisualBatchSummary> {
  const summary: VisualBatchSummary = { pagesEncoded: 0, pagesSkipped: 0, pagesFailed: 0, tokensIn: 0, tokensOut: 0, encoderError: null };
  let encoderName: string | null;
  try {
    // The built-in encoder's name is known here, so a batch whose tokens extraction already
    // made starts no thread at all; other encoders are loaded (and named) on the thread.
    encoderName = encodesAtExtraction(settings) ? ((await visionEncoderOf(settings))?.name ?? null) : await thread.describe(settings.encoder);
  } catch (error) {
    if (!(error instanceof EncoderLoadError)) throw error;
    // A misconfigured encoder must not fail documents whose text is fine: skip the optional stage, loudly.
    summary.encoderError = error.message;
    console.error(`folio visual tokens: encoder ${settings.encoder} could not be loaded: ${error.message}`);
    encoderName = null;
  }
  if (!encoderName) {
    summary.pagesSkipped = batch.lastPage - batch.firstPage + 1;
    return summary;
  }
  // An ONNX encoder can take seconds per page: keep the heartbeat alive between pages too.
  let current = batch.firstPage;
  const timer = setInterval(() => heartbeat({ page: current }), 2000);
  try {
    for (let page = batch.firstPage; page <= batch.lastPage; page++) {
      current = page;
      heartbeat({ page });
      const stored = await store.getPage(batch.docId, page);
      const done = await store.visualTokens(batch.docId, page);
      if (!stored?.crops || (done && done.ledger.encoder === encoderName && done.ledger.retention === settings.retention && (await blobs.has(done.key)))) {
        summary.pagesSkipped++;
        continue;
      }
      try {
        const crops = stored.crops;
        const source = await storedCropSource(crops, blobs);
        // Decoding, encoding and compressing run on the stage's own thread.
        const { tokens, ledger } = await thread.encodePage(settings.encoder, settings.retention, { width: stored.width, height: stored.height }, crops.plan, source);
        const key = await blobs.put(serializePageTokens(tokens, encoderName, ledger));
        await store.setVisualTokens(batch.docId, page, key, { encoder: encoderName, ...ledger });
        summary.pagesEncoded++;
        summary.tokensIn += ledger.images.reduce((n, im) => n + im.tokens, 0);
        summary.tokensOut += tokens.count;
      } catch (error) {
        summary.pagesFailed++;
        console.error(`folio visual tokens: page ${page} of ${batch.docId} failed:`, error);
      }
    }
  } finally {
    clearInterval(timer);
  }
  return summary;
}

export function createVisualTokenActivities(deps: Omit<VisualTokenDeps, 'thread'> & { thread?: VisualTokenThread }) {
  const withThread: VisualTokenDeps = { ...deps, thread: deps.thread ?? new VisualTokenThread() };
  return {
    /** Encodes and compresses the visual tokens of pages [firstPage, lastPage]. */
    async encodeVisualTokens(batch: VisualBatch): Promise<VisualBatchSummary> {
      const context = Context.current();
      return encodeBatchVisualTokens(withThread, batch, (details) => context.heartbeat(details));
    },
  };
}

export type VisualTokenActivities = ReturnType<typeof createVisualTokenActivities>;
