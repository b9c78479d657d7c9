/**
 * Every render of a pdf.js page to pixels goes through `renderPixels`: whole pages for OCR and
 * for the page's images, regions for figure crops. Canvases come from pdf.js's own
 * `doc.canvasFactory` (a second copy of @napi-rs/canvas in the process crashes), get a white
 * background, and go back to the factory once their pixels are copied out. No PNG round trip
 * here: callers want pixels, and encoding a PNG costs more than rendering the page.
 */
import type { PDFDocumentProxy, PDFPageProxy } from '../pdfjs.ts';
import { PdfInputError } from '../errors.ts';

/**
 * The most pixels one render may need unless told otherwise: a Letter page at 600 dpi is 34 Mpx,
 * while a hostile 4000×4000 pt page at 300 dpi would be 277 Mpx.
 */
export const DEFAULT_MAX_RENDER_PIXELS = 40_000_000;

/** RGBA pixels, row-major, top-left origin; `dpi` says how to map pixels back to PDF points (72/in). */
export interface RgbaImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 4;
  dpi: number;
}

export interface RenderPixelsOptions {
  dpi: number;
  /** Refuse pages that would need more pixels than this. */
  maxPixels: number;
}

/** What to render: a `width` × `height` pixel window onto the page drawn at `scale` pixels per point. */
export interface PixelWindow {
  scale: number;
  width: number;
  height: number;
  /** The window's top-left corner in page points (top-left origin); the page's corner when left out. */
  origin?: readonly [x: number, y: number];
  /** Refuse windows of more pixels than this. */
  maxPixels: number;
  /** The reason given (a PdfInputError, code too_large) when the window is over `maxPixels`. */
  tooLarge: () => string;
}

interface CanvasLike {
  width: number;
  height: number;
  /** @napi-rs/canvas: the raw pixel buffer, one copy, no un-premultiplying pass. */
  data?: () => Uint8Array;
}
interface ContextLike {
  fillStyle: string;
  fillRect(x: number, y: number, w: number, h: number): void;
  getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
}
interface CanvasPair {
  canvas: CanvasLike;
  context: ContextLike;
}
interface CanvasFactory {
  create(width: number, height: number): CanvasPair;
  destroy(pair: CanvasPair): void;
}

/**
 * Renders the window `view` of `page` on a white background and returns its RGBA pixels (a copy the
 * caller owns). Throws PdfInputError (too_large) before allocating anything when the window is
 * over its pixel limit; rendering failures come through as pdf.js raised them.
 */
export async function renderPixels(doc: PDFDocumentProxy, page: PDFPageProxy, view: PixelWindow): Promise<Uint8Array> {
  const { scale, width, height } = view;
  if (width * height > view.maxPixels) throw new PdfInputError('too_large', view.tooLarge());
  const viewport = page.getViewport({ scale });
  const factory = (doc as unknown as { canvasFactory: CanvasFactory }).canvasFactory;
  const pair = factory.create(width, height);
  const { canvas, context } = pair;
  try {
    // Transparent pixels would read as black to the OCR detector and the encoders; paper is white.
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, width, height);
    // `transform` applies before the viewport's, in canvas pixels: it shifts the window to the origin.
    const shift = view.origin ? { transform: [1, 0, 0, 1, -view.origin[0] * scale, -view.origin[1] * scale] } : {};
    await page.render({ canvas: canvas as never, canvasContext: context as never, viewport, ...shift }).promise;
    const raw = typeof canvas.data === 'function' ? canvas.data() : null;
    // The canvas is opaque, so its premultiplied buffer equals straight RGBA; copy it because the
    // canvas's memory goes back to the factory below.
    return raw && raw.byteLength === width * height * 4 ? new Uint8Array(raw) : new Uint8Array(context.getImageData(0, 0, width, height).data.buffer);
  } finally {
    factory.destroy(pair);
  }
}

/** Renders the whole of `page` of `doc` on a white background at `options.dpi`. */
export async function renderPagePixels(doc: PDFDocumentProxy, page: PDFPageProxy, options: RenderPixelsOptions): Promise<RgbaImage> {
  const scale = options.dpi / 72;
  const viewport = page.getViewport({ scale });
  const width = Math.max(1, Math.round(viewport.width));
  const height = Math.max(1, Math.round(viewport.height));
  try {
    const data = await renderPixels(doc, page, {
      scale,
      width,
      height,
      maxPixels: options.maxPixels,
      tooLarge: () => `Page ${page.pageNumber} would render to ${width}×${height} pixels.`,
    });
    return { data, width, height, channels: 4, dpi: options.dpi };
  } catch (error) {
    if (error instanceof PdfInputError) throw error;
    throw new Error(`Rendering page ${page.pageNumber} at ${options.dpi} dpi failed`, { cause: error });
  }
}
