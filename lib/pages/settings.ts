/**
 * What each page stage (`stages.ts`) may be told, and its defaults, each written once. This
 * file imports only types and one constant, so the environment's configuration can take its
 * defaults from here without loading pdf.js, sharp or the OCR engine.
 */
import type { FigureOptions } from '../pdf/figures/detect.ts';
import { DEFAULT_MAX_RENDER_PIXELS, type RenderPixelsOptions } from '../pdf/render/canvas.ts';
import type { VisualSettings } from '../visual/encoder-of.ts';
import type { PageImageOptions } from '../visual/page-images.ts';

/** Overrides of the figure detector's defaults (`defaultFigureOptions`, beside the detector). */
export type FigureSettings = Partial<FigureOptions>;

export interface OcrSettings extends RenderPixelsOptions {
  /** Read pages without a usable text layer by OCR. */
  enabled: boolean;
}

/** OCR on, pages read from a 144 dpi render (twice the PDF's 72 units per inch). */
export const defaultOcrSettings: OcrSettings = { enabled: true, dpi: 144, maxPixels: DEFAULT_MAX_RENDER_PIXELS };

export interface FigureCropSettings {
  /** Off: no crops (text-only extraction). */
  enabled: boolean;
  dpi: number;
  maxPixels: number;
}

/** Figure crops are stored for a reader to look at: full resolution, 150 dpi. */
export const defaultFigureCropSettings: FigureCropSettings = { enabled: true, dpi: 150, maxPixels: DEFAULT_MAX_RENDER_PIXELS };

export interface PageImageSettings extends PageImageOptions {
  /** Off: no thumbnail and no crop plan (text-only extraction). */
  enabled: boolean;
}

/** A 512-pixel thumbnail; 336-pixel tiles, the input side of CLIP ViT-L/14-336. */
export const defaultPageImageSettings: PageImageSettings = {
  enabled: true,
  thumbnailMaxSide: 512,
  tile: 336,
  maxPixels: DEFAULT_MAX_RENDER_PIXELS,
};

/** The settings of a page's extraction: each stage's own, under its key in `pageStages`. */
/**
 * The layout model (lib/layout/cdla.ts): its ONNX file, or null for off. Off by default: on the
 * statement-table benchmark it did not pay for its cost (npm run bench:layout-model).
 */
export interface LayoutSettings {
  model: string | null;
}

export interface PageSettings {
  figures?: FigureSettings;
  /**
   * The visual-token stage's encoder and retention (the worker's FOLIO_VISION_ENCODER and
   * FOLIO_VISUAL_RETENTION); tokens are made at extraction only with an encoder that
   * `encodesAtExtraction`, and not at all when this is absent.
   */
  visualTokens?: VisualSettings;
  layout?: LayoutSettings;
  ocr: OcrSettings;
  figureCrops: FigureCropSettings;
  images: PageImageSettings;
}

export const defaultPageSettings: PageSettings = {
  ocr: defaultOcrSettings,
  figureCrops: defaultFigureCropSettings,
  images: defaultPageImageSettings,
};

/** The text layer only: no OCR, no figure crops, no images (layout benchmarks and tests). */
export const textOnlyPageSettings: PageSettings = {
  ocr: { ...defaultOcrSettings, enabled: false },
  figureCrops: { ...defaultFigureCropSettings, enabled: false },
  images: { ...defaultPageImageSettings, enabled: false },
};
