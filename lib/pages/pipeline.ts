/**
 * One page through extraction, as a list of stages: figures, text runs (OCR when the page has
 * no text layer), paragraphs and tables, figure crops, and the page's images (thumbnail and
 * crop plan), and the visual tokens when the encoder runs at extraction. Each stage reads its own part of `PageSettings` (`settings.ts`).
 */
import type { Paragraph } from '../../models/document/types.ts';
import type { CropPlan } from '../../models/visual/crop-plan.ts';
import type { PDFDocumentProxy } from '../pdf/pdfjs.ts';
import { reportedFailure, runStages, type StageEntry } from './run-stages.ts';
import type { PageSettings } from './settings.ts';
import {
  figureCropStage,
  figureStage,
  imageStage,
  layoutStage,
  ocrStage,
  type PageState,
  type PageVisualTokens,
  pageState,
  paragraphStage,
  textRunStage,
  visualTokenStage,
} from './stages.ts';

/** The stages, in the order they run. */
export const pageStages: readonly StageEntry<PageState, PageSettings>[] = [
  // Before the text runs: reading the operator list loads the fonts that say which runs are bold.
  { stage: figureStage, settings: 'figures' },
  { stage: textRunStage },
  { stage: ocrStage, settings: 'ocr' },
  { stage: layoutStage, settings: 'layout' },
  { stage: paragraphStage },
  { stage: figureCropStage, settings: 'figureCrops' },
  { stage: imageStage, settings: 'images' },
  { stage: visualTokenStage, settings: 'visualTokens' },
];

/**
 * What a page yields, whichever side of the thread boundary holds it: the extraction thread,
 * its message, and the page handed to the activity (images as bytes).
 */
export interface PageContent {
  page: number;
  width: number;
  height: number;
  paragraphs: Paragraph[];
  thumbnailPng: Uint8Array | null;
  cropPlan: CropPlan | null;
  /** The crop plan's canvas as PNG, which the crops are cut from. */
  cropCanvasPng: Uint8Array | null;
  /** The kept visual tokens (blob and ledger), when extraction encoded them. */
  visualTokens: { blob: Uint8Array; ledger: PageVisualTokens['ledger'] } | null;
  /** Full-resolution crops of the page's figure units, by unit index. */
  figureCrops: { index: number; png: Uint8Array }[];
  /** The text came from OCR (no usable text layer). */
  ocr: boolean;
}

export interface ExtractedPage extends PageContent {
  /** Why the thumbnail (or a figure crop) is missing, when rendering failed but text survived. */
  renderError: string | null;
}

/** Extracts one page through `pageStages`. Frees the page's resources after. */
export async function extractPage(doc: PDFDocumentProxy, pageNumber: number, settings: PageSettings): Promise<ExtractedPage> {
  const page = await doc.getPage(pageNumber);
  try {
    const viewport = page.getViewport({ scale: 1 });
    const state = pageState(doc, page, pageNumber);
    const failures = await runStages(pageStages, state, settings);
    return {
      page: pageNumber,
      width: viewport.width,
      height: viewport.height,
      paragraphs: state.paragraphs,
      thumbnailPng: state.images?.thumbnailPng ?? null,
      cropPlan: state.images?.plan ?? null,
      cropCanvasPng: state.images?.canvasPng ?? null,
      visualTokens: state.visualTokens,
      figureCrops: state.figureCrops,
      ocr: state.ocr,
      renderError: reportedFailure(failures)?.message ?? null,
    };
  } finally {
    page.cleanup();
  }
}
