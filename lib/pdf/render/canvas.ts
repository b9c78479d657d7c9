/**
 * Renders one pdf.js page to raw RGBA pixels at a given DPI, for OCR. No PNG round trip: the
 * recogniser wants pixels, and encoding costs more than rendering (see ENVIRONMENT.md).
 */
import type { PDFDocumentProxy, PDFPageProxy } from '../pdfjs.ts';
import { PdfInputError } from '../errors.ts';

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
  /** Refuse pages that would need more pixels than this (a 4000×4000 pt page at 300 dpi is 277 Mpx). */
  maxPixels: number;
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
interface CanvasFactory {
  create(width: number, height: number): { canvas: CanvasLike; context: ContextLike };
  destroy(pair: { canvas: CanvasLike; context: ContextLike }): void;
}

/** Renders `page` of `doc` on a white background at `options.dpi`. */
export async function renderPagePixels(
  doc: PDFDocumentProxy,
  page: PDFPageProxy,
  options: RenderPixelsOptions,
): Promise<RgbaImage> {
  const viewport = page.getViewport({ scale: options.dpi / 72 });
  const width = Math.max(1, Math.round(viewport.width));
  const height = Math.max(1, Math.round(viewport.height));
  if (width * height > options.maxPixels) {
    throw new PdfInputError('too_large', `Page ${page.pageNumber} would render to ${width}×${height} pixels.`);
  }
  // Canvases must come from pdf.js's own factory: a second copy of @napi-rs/canvas crashes.
  const factory = (doc as unknown as { canvasFactory: CanvasFactory }).canvasFactory;
  const pair = factory.create(width, height);
  const { canvas, context } = pair;
  try {
    // Transparent pixels would read as black to the detector; paper is white.
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, width, height);
    await page.render({ canvas: canvas as never, canvasContext: context as never, viewport }).promise;
    const raw = typeof canvas.data === 'function' ? canvas.data() : null;
    // The canvas is opaque, so its premultiplied buffer equals straight RGBA; copy it because the
    // canvas's memory goes back to the factory below.
    const data =
      raw && raw.byteLength === width * height * 4
        ? new Uint8Array(raw)
        : new Uint8Array(context.getImageData(0, 0, width, height).data.buffer);
    return { data, width, height, channels: 4, dpi: options.dpi };
  } catch (error) {
    if (error instanceof PdfInputError) throw error;
    throw new Error(`Rendering page ${page.pageNumber} at ${options.dpi} dpi failed`, { cause: error });
  } finally {
    factory.destroy(pair);
  }
}
