/**
 * The stages a page goes through. They read and write one `PageState`, each given its own
 * settings (`settings.ts`, with their defaults); `pipeline.ts` lists them in order and
 * `run-stages.ts` runs the list.
 */
import type { Box, Paragraph } from '../../models/document/types.ts';
import { detectLayout, layoutDetector } from '../layout/cdla.ts';
import { needsOcr, ocrPageRuns } from '../ocr/page.ts';
import { type Figure, findPageFigures } from '../pdf/figures/detect.ts';
import type { PDFDocumentProxy, PDFPageProxy } from '../pdf/pdfjs.ts';
import { cropRegion } from '../pdf/render/crop.ts';
import type { TextRun } from '../pdf/text/lines.ts';
import { layoutParagraphs } from '../pdf/text/paragraphs.ts';
import { pageTextRuns } from '../pdf/text/runs.ts';
import type { VisualLedger } from '../../models/visual/compress/pipeline.ts';
import { serializePageTokens } from '../../models/visual/compress/token-blob.ts';
import { encodesAtExtraction, visionEncoderOf, type VisualSettings } from '../visual/encoder-of.ts';
import { type PageImages, renderPageImages } from '../visual/page-images.ts';
import { pageVisualTokens, shippedPipelineOptions } from '../visual/page-tokens.ts';
import type { Stage } from './run-stages.ts';
import type { FigureCropSettings, FigureSettings, LayoutSettings, OcrSettings, PageImageSettings } from './settings.ts';

/** One page on its way through the stages: what they have found so far. */
export interface PageState {
  readonly doc: PDFDocumentProxy;
  readonly page: PDFPageProxy;
  readonly pageNumber: number;
  figures: Figure[];
  runs: TextRun[];
  /** The runs came from OCR (no usable text layer). */
  ocr: boolean;
  paragraphs: Paragraph[];
  /** Full-resolution crops of the page's figure units, by unit index. */
  figureCrops: { index: number; png: Buffer }[];
  images: PageImages | null;
  /** Table regions of the layout model, in page points (none when it is off). */
  tableRegions: Box[];
  /** The page's kept visual tokens as their stored blob, when extraction encoded them. */
  visualTokens: PageVisualTokens | null;
}

export interface PageVisualTokens {
  blob: Buffer;
  ledger: VisualLedger & { encoder: string };
}

/** An empty state for `page` of `doc`, before any stage. */
export function pageState(doc: PDFDocumentProxy, page: PDFPageProxy, pageNumber: number): PageState {
  return { doc, page, pageNumber, figures: [], runs: [], ocr: false, paragraphs: [], figureCrops: [], images: null, tableRegions: [], visualTokens: null };
}

// ---- figures ------------------------------------------------------------------------------

/**
 * Figures: raster images and clustered vector drawing. Must run before the text runs, because
 * the operator list it reads is what loads the fonts whose names say which runs are bold. A
 * page whose operators cannot be read keeps its text; the failure is reported with the page.
 */
export const figureStage: Stage<PageState, FigureSettings | undefined> = {
  name: 'figures',
  onFailure: { precedence: 0 },
  run: async (state, settings) => {
    state.figures = (await findPageFigures(state.page, settings)).figures;
  },
};

// ---- text ---------------------------------------------------------------------------------

/** The page's text layer as positioned runs. */
export const textRunStage: Stage<PageState> = {
  name: 'text runs',
  run: async (state) => {
    state.runs = await pageTextRuns(state.page);
  },
};

/** Replaces the runs by OCR's reading when the page has no usable text layer (and is not blank). */
export const ocrStage: Stage<PageState, OcrSettings> = {
  name: 'ocr',
  run: async (state, settings) => {
    if (!settings.enabled || !needsOcr(state.runs)) return;
    const read = await ocrPageRuns(state.doc, state.page, settings);
    if (read) {
      state.runs = read;
      state.ocr = true;
    }
  },
};

/**
 * The layout model's table regions, when a model file is set: the page is rendered and read by
 * the detector, loaded once per thread. A page the model fails on keeps the geometric reading.
 */
export const layoutStage: Stage<PageState, LayoutSettings | undefined> = {
  name: 'layout model',
  onFailure: { prefix: 'layout model: ', precedence: 0 },
  run: async (state, settings) => {
    if (!settings?.model) return;
    const { regions } = await detectLayout(await layoutDetector(settings.model), state.doc, state.page);
    state.tableRegions = regions.filter((r) => r.label === 'table').map((r) => r.box);
  },
};

/** Runs → paragraphs and tables, with the figures as units of their own. */
export const paragraphStage: Stage<PageState> = {
  name: 'paragraphs',
  run: (state) => {
    state.paragraphs = layoutParagraphs(state.runs, state.pageNumber, state.figures, state.tableRegions);
  },
};

// ---- figure crops -------------------------------------------------------------------------

/**
 * A PNG of every figure unit. A figure that will not crop does not keep the others from being
 * cropped: all are tried, and the first failure is then the stage's.
 */
export const figureCropStage: Stage<PageState, FigureCropSettings> = {
  name: 'figure crops',
  onFailure: { prefix: 'figure crop: ', precedence: 0 },
  run: async (state, settings) => {
    if (!settings.enabled) return;
    let failed: { error: unknown } | null = null;
    for (const unit of state.paragraphs) {
      if (unit.kind !== 'figure') continue;
      try {
        const crop = await cropRegion(state.doc, state.page, unit.bbox, { dpi: settings.dpi, maxPixels: settings.maxPixels });
        state.figureCrops.push({ index: unit.index, png: crop.png });
      } catch (error) {
        failed ??= { error };
      }
    }
    if (failed) throw failed.error;
  },
};

// ---- page images --------------------------------------------------------------------------

/**
 * The stored thumbnail and the AnyRes crop plan's images. A page that will not render still
 * has its text: the failure is reported with the page, ahead of any figure failure, since it
 * says why the thumbnail is missing.
 */
export const imageStage: Stage<PageState, PageImageSettings> = {
  name: 'images',
  onFailure: { precedence: 1 },
  run: async (state, settings) => {
    if (!settings.enabled) return;
    state.images = await renderPageImages(state.doc, state.page, settings);
  },
};

// ---- visual tokens ------------------------------------------------------------------------

/**
 * The page's visual tokens from the crops just rendered, with an encoder that runs at
 * extraction (`encodesAtExtraction`); other encoders leave it to the visual-token activity.
 * A page whose tokens fail keeps everything else, and the activity tries it again.
 */
export const visualTokenStage: Stage<PageState, VisualSettings | undefined> = {
  name: 'visual tokens',
  onFailure: { prefix: 'visual tokens: ', precedence: 0 },
  run: async (state, settings) => {
    const plan = state.images?.plan;
    if (!settings || !plan || !encodesAtExtraction(settings)) return;
    const encoder = await visionEncoderOf(settings);
    if (!encoder) return;
    const { width, height } = state.page.getViewport({ scale: 1 });
    const { tokens, ledger } = await pageVisualTokens(encoder, { width, height }, plan, state.images?.crops ?? [], shippedPipelineOptions(settings.retention));
    state.visualTokens = { blob: serializePageTokens(tokens, encoder.name, ledger), ledger: { encoder: encoder.name, ...ledger } };
  },
};
