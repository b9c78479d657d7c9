/**
 * Ingestion activities: thin adapters between the workflow and lib/. Each is idempotent:
 * pages are upserted by (doc, page), blobs are content-addressed, and a retried page batch
 * skips the pages a previous attempt already stored.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { IngestSettings, WorkerSettings } from '../lib/config.ts';
import { type EmbedderSettings, embedderOf } from '../lib/embed/embedder-of.ts';
import { type ExtractorLimits, extractPagesInThreads, inspectInThread, releaseIdleExtractionThreads } from '../lib/pages/extractor.ts';
import type { PageSettings } from '../lib/pages/settings.ts';
import { PdfInputError } from '../lib/pdf/errors.ts';
import { buildDocumentIndex } from '../lib/retrieval/document-index.ts';
import type { BlobStore } from '../lib/store/blobs.ts';
import type { MetadataStore } from '../lib/store/metadata.ts';
import { DOCUMENT_MISSING, PDF_INPUT_ERROR } from '../lib/temporal/failures.ts';

/** The worker's slices of the configuration that ingestion reads. */
export interface IngestActivitySettings {
  worker: WorkerSettings;
  pages: PageSettings;
  embedder: EmbedderSettings;
  /**
   * Only for workflows started before the page time limit travelled in their input: the limit
   * is the one the API sized the workflow's timeouts with, so it comes from the workflow.
   */
  ingest: Pick<IngestSettings, 'pageTimeoutMs'>;
}

export interface IngestDeps {
  settings: IngestActivitySettings;
  store: MetadataStore;
  blobs: BlobStore;
}

export interface PageBatch {
  docId: string;
  firstPage: number;
  lastPage: number;
  /** Time limit for one page, from the workflow's input (absent in workflows started before it was). */
  pageTimeoutMs?: number;
}

export interface BatchSummary {
  pagesExtracted: number;
  pagesSkipped: number;
  pagesFailed: number;
  /** The first unreadable page's reason, for a document where no page could be read. */
  firstFailure: string | null;
}

/** Heartbeat details of a page batch: the next page the batch has not stored yet. */
interface BatchProgress {
  nextPage: number;
}

function limitsOf(settings: IngestActivitySettings, pageTimeoutMs: number | undefined): ExtractorLimits {
  return {
    maxPages: settings.worker.maxPages,
    pageTimeoutMs: pageTimeoutMs ?? settings.ingest.pageTimeoutMs,
    pageSettings: settings.pages,
    threadHeapMb: 2048,
    threads: settings.worker.extractionThreads,
  };
}

function asFailure(error: unknown): unknown {
  if (error instanceof PdfInputError) {
    return ApplicationFailure.create({ type: PDF_INPUT_ERROR, message: error.message, nonRetryable: true, details: [error.code] });
  }
  return error;
}

/** Keeps the activity's heartbeat alive while a thread does the work (proves the worker lives). */
function heartbeatWhile<T>(work: Promise<T>, details: () => unknown, everyMs = 2000): Promise<T> {
  const timer = setInterval(() => Context.current().heartbeat(details()), everyMs);
  return work.finally(() => clearInterval(timer));
}

export function createIngestActivities({ settings, store, blobs }: IngestDeps) {

  /** The PDF as a file on this machine (from the blob store's local cache when blobs are remote). */
  async function pdfPathOf(docId: string): Promise<string> {
    if (!(await blobs.has(docId))) {
      throw ApplicationFailure.create({ type: DOCUMENT_MISSING, message: `No stored PDF for document ${docId}.`, nonRetryable: true });
    }
    return await blobs.localPath(docId);
  }

  return {
    /** Opens the PDF, records page count and title. Fails non-retryably on bad input. */
    async inspectDocument(docId: string, pageTimeoutMs?: number): Promise<{ pageCount: number }> {
      await store.setStatus(docId, 'ingesting');
      try {
        const info = await heartbeatWhile(inspectInThread(await pdfPathOf(docId), limitsOf(settings, pageTimeoutMs)), () => ({ phase: 'inspect' }));
        await store.setInspection(docId, info);
        return { pageCount: info.pageCount };
      } catch (error) {
        throw asFailure(error);
      }
    },

    /** Extracts and stores pages [firstPage, lastPage], resuming after a crash. */
    async extractPageBatch(batch: PageBatch): Promise<BatchSummary> {
      const context = Context.current();
      const resumeFrom = (context.info.heartbeatDetails as BatchProgress | undefined)?.nextPage ?? batch.firstPage;
      const stored = new Set(await store.storedPages(batch.docId));
      const todo: number[] = [];
      for (let page = Math.max(batch.firstPage, resumeFrom); page <= batch.lastPage; page++) {
        if (!stored.has(page)) todo.push(page);
      }
      const summary: BatchSummary = { pagesExtracted: 0, pagesSkipped: batch.lastPage - batch.firstPage + 1 - todo.length, pagesFailed: 0, firstFailure: null };
      let progress: BatchProgress = { nextPage: todo[0] ?? batch.lastPage + 1 };
      try {
        const pdfPath = await pdfPathOf(batch.docId);
        await heartbeatWhile(
          extractPagesInThreads(
            pdfPath,
            todo,
            limitsOf(settings, batch.pageTimeoutMs),
            async (result) => {
              const thumbnailKey = result.thumbnailPng ? await blobs.put(result.thumbnailPng) : null;
              const crops = result.cropPlan && result.cropCanvasPng ? { plan: result.cropPlan, canvasKey: await blobs.put(result.cropCanvasPng) } : null;
              const tokensKey = result.visualTokens ? await blobs.put(result.visualTokens.blob) : null;
              const imageKeys = new Map(await Promise.all(result.figureCrops.map(async (crop) => [crop.index, await blobs.put(crop.png)] as const)));
              const paragraphs = result.paragraphs.map((unit) => (imageKeys.has(unit.index) ? { ...unit, imageKey: imageKeys.get(unit.index) } : unit));
              await store.savePage(batch.docId, { ...result, paragraphs, thumbnailKey, crops });
              if (result.visualTokens && tokensKey) await store.setVisualTokens(batch.docId, result.page, tokensKey, result.visualTokens.ledger);
              summary.pagesExtracted++;
              if (result.error && result.paragraphs.length === 0 && !result.thumbnailPng) {
                summary.pagesFailed++;
                summary.firstFailure ??= `page ${result.page}: ${result.error}`;
              }
              progress = { nextPage: result.page + 1 };
              context.heartbeat(progress);
            },
            { signal: context.cancellationSignal, onPageStart: (page) => store.logExtractionStart(batch.docId, page) },
          ),
          () => progress,
        );
      } catch (error) {
        throw asFailure(error);
      }
      return summary;
    },

    /** Builds the document's search index (and unit embeddings, if configured) and marks it ready. */
    async buildIndex(docId: string): Promise<{ units: number }> {
      await store.setStatus(docId, 'indexing');
      await releaseIdleExtractionThreads();
      const embedder = await embedderOf(settings.embedder);
      const { units } = await heartbeatWhile(buildDocumentIndex(store, blobs, docId, embedder ?? undefined), () => ({ phase: 'index' }));
      await store.setStatus(docId, 'ready');
      return { units };
    },

    async markFailed(docId: string, reason: string): Promise<void> {
      await store.setStatus(docId, 'failed', reason);
    },
  };
}

export type IngestActivities = ReturnType<typeof createIngestActivities>;
