/** What the metadata store keeps per document and per page. */
import type { CropPlan } from '../../models/visual/crop-plan.ts';

/**
 * `stored`: the PDF is kept, waiting for a batch (or a later upload without `ingest=false`) to
 * ingest it; `queued`: accepted for ingestion, which a restarted API starts if it never did.
 */
export type DocumentStatus = 'stored' | 'queued' | 'ingesting' | 'indexing' | 'ready' | 'failed';

export interface DocumentRecord {
  id: string;
  filename: string | null;
  bytes: number;
  status: DocumentStatus;
  pageCount: number | null;
  pagesDone: number;
  /** Pages stored with a problem (unreadable, or no thumbnail); see each page's error. */
  pagesWithErrors: number;
  title: string | null;
  failureReason: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * A page's AnyRes crop plan (models/visual/crop-plan.ts) and where its images are: the blob
 * key of the plan's canvas as one PNG, from which the crops are cut (lib/visual/page-images.ts);
 * pages stored before that kept one PNG per crop instead (`keys`).
 */
export interface PageCrops {
  plan: CropPlan;
  canvasKey?: string;
  /** [visual thumbnail, tile 0, tile 1, …], on pages stored before the canvas was. */
  keys?: string[];
}

export interface PageRecord {
  page: number;
  width: number;
  height: number;
  thumbnailKey: string | null;
  paragraphCount: number;
  error: string | null;
  crops: PageCrops | null;
  /** The page's text was read by OCR (it had no usable text layer). */
  ocr: boolean;
}
