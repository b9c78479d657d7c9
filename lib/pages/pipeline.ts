/**
 * One page through extraction: figures, text runs (OCR when the page has no text layer),
 * paragraphs and tables, figure crops, and the page's images (thumbnail and crop plan).
 */
import type { Paragraph } from '../../models/document/types.ts';
import type { CropPlan } from '../../models/visual/crop-plan.ts';
import { needsOcr, ocrPageRuns } from '../ocr/page.ts';
import { type Figure, findPageFigures } from '../pdf/figures/detect.ts';
import type { PDFDocumentProxy } from '../pdf/pdfjs.ts';
import { cropRegion } from '../pdf/render/crop.ts';
import { layoutParagraphs } from '../pdf/text/paragraphs.ts';
import { pageTextRuns } from '../pdf/text/runs.ts';
import { type PageImages, renderPageImages } from '../visual/page-images.ts';

export interface ThumbnailOptions {
  maxSide: number;
  maxPixels: number;
  /** Tile side of the AnyRes crop plan (0: no crops). */
  tile: number;
  /** OCR of pages without a usable text layer. */
  ocr?: { enabled: boolean; dpi: number };
}

/** Figure crops are stored at this resolution (full resolution for a reader, 150 dpi). */
const FIGURE_DPI = 150;

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
  /** [visual thumbnail, tiles…] of the crop plan. */
  cropPngs: Uint8Array[];
  /** Full-resolution crops of the page's figure units, by unit index. */
  figureCrops: { index: number; png: Uint8Array }[];
  /** The text came from OCR (no usable text layer). */
  ocr: boolean;
}

export interface ExtractedPage extends PageContent {
  /** Why the thumbnail (or a figure crop) is missing, when rendering failed but text survived. */
  renderError: string | null;
}

/** Extracts one page: layout paragraphs and a thumbnail. Frees the page's resources after. */
export async function extractPage(
  doc: PDFDocumentProxy,
  pageNumber: number,
  thumbnail: ThumbnailOptions,
): Promise<ExtractedPage> {
  const page = await doc.getPage(pageNumber);
  try {
    const viewport = page.getViewport({ scale: 1 });
    // Figures: raster images and clustered vector drawing. A page whose operators cannot be
    // read keeps its text; the failure is reported with the page. Built before the text runs,
    // because the operator list is what loads the fonts whose names say which runs are bold.
    let figures: Figure[] = [];
    let figureError: string | null = null;
    try {
      figures = (await findPageFigures(page)).figures;
    } catch (error) {
      figureError = (error as Error)?.message ?? String(error);
    }
    let runs = await pageTextRuns(page);
    let ocr = false;
    if (thumbnail.ocr?.enabled && needsOcr(runs)) {
      const read = await ocrPageRuns(doc, page, { ...thumbnail.ocr, maxPixels: thumbnail.maxPixels });
      if (read) {
        runs = read;
        ocr = true;
      }
    }
    const paragraphs = layoutParagraphs(runs, pageNumber, figures);
    const figureCrops: { index: number; png: Buffer }[] = [];
    if (thumbnail.maxSide > 0) {
      for (const unit of paragraphs) {
        if (unit.kind !== 'figure') continue;
        try {
          figureCrops.push({ index: unit.index, png: (await cropRegion(doc, page, unit.bbox, { dpi: FIGURE_DPI, maxPixels: thumbnail.maxPixels })).png });
        } catch (error) {
          figureError ??= `figure crop: ${(error as Error)?.message ?? String(error)}`;
        }
      }
    }
    let images: PageImages | null = null;
    let renderError: string | null = null;
    try {
      // maxSide 0: text only (layout benchmarks, text-only ingestion).
      if (thumbnail.maxSide > 0) images = await renderPageImages(doc, page, { thumbnailMaxSide: thumbnail.maxSide, maxPixels: thumbnail.maxPixels, tile: thumbnail.tile });
    } catch (error) {
      // A page that will not render still has its text; keep the text and say why.
      renderError = (error as Error)?.message ?? String(error);
    }
    return {
      page: pageNumber,
      width: viewport.width,
      height: viewport.height,
      paragraphs,
      thumbnailPng: images?.thumbnailPng ?? null,
      cropPlan: images?.plan ?? null,
      cropPngs: images?.cropPngs ?? [],
      figureCrops,
      ocr,
      renderError: renderError ?? figureError,
    };
  } finally {
    page.cleanup();
  }
}
