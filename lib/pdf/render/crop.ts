/**
 * Crops a region of a PDF page (a figure, typically) to a PNG by rendering only that region at
 * the requested DPI: pdf.js draws the page shifted so the region's top-left corner lands at the
 * canvas origin, onto a canvas the size of the region (`renderPixels`), so the cost is the
 * region's pixels, not the page's. sharp encodes the PNG from raw pixels (canvas PNG encoding
 * is slow).
 */
import sharp from 'sharp';
import type { Box } from '../../../models/document/types.ts';
import type { PDFDocumentProxy, PDFPageProxy } from '../pdfjs.ts';
import { PdfInputError } from '../errors.ts';
import { DEFAULT_MAX_RENDER_PIXELS, renderPixels } from './canvas.ts';

export interface CropOptions {
  /** Output resolution; the PNG is box size × dpi / 72 pixels. */
  dpi: number;
  /** Refuse crops larger than this many pixels (`DEFAULT_MAX_RENDER_PIXELS` when left out). */
  maxPixels?: number;
  /** zlib level 0–9 (6 when left out): 1 is several times faster than 6 and about 20% bigger. */
  compressionLevel?: number;
}

export interface Crop {
  png: Buffer;
  width: number;
  height: number;
  dpi: number;
  /** The region rendered, top-left page space, points. */
  box: Box;
}

/** Pixel size of `box` at `dpi`: each side rounded, at least one pixel. */
export function cropSize(box: Box, dpi: number): { width: number; height: number } {
  const scale = dpi / 72;
  return {
    width: Math.max(1, Math.round((box[2] - box[0]) * scale)),
    height: Math.max(1, Math.round((box[3] - box[1]) * scale)),
  };
}

/**
 * Renders `box` (top-left page space, points) of `page` as a PNG. Parts of the box outside the
 * page come out white.
 */
export async function cropRegion(doc: PDFDocumentProxy, page: PDFPageProxy, box: Box, options: CropOptions): Promise<Crop> {
  const { dpi, maxPixels = DEFAULT_MAX_RENDER_PIXELS, compressionLevel = 6 } = options;
  if (!(dpi > 0 && Number.isFinite(dpi))) throw new RangeError(`Crop DPI must be a positive number, not ${dpi}.`);
  if (!box.every(Number.isFinite) || box[2] <= box[0] || box[3] <= box[1]) {
    throw new RangeError(`Cannot crop the empty or invalid box [${box.join(', ')}] on page ${page.pageNumber}.`);
  }
  const { width, height } = cropSize(box, dpi);
  try {
    const pixels = await renderPixels(doc, page, {
      scale: dpi / 72,
      width,
      height,
      origin: [box[0], box[1]],
      maxPixels,
      tooLarge: () =>
        `Cropping [${box.map((v) => Math.round(v)).join(', ')}] on page ${page.pageNumber} at ${dpi} dpi needs ${width}×${height} = ${width * height} pixels; the limit is ${maxPixels}.`,
    });
    const png = await sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), {
      raw: { width, height, channels: 4 },
      limitInputPixels: maxPixels,
    })
      .removeAlpha()
      .png({ compressionLevel })
      .toBuffer();
    return { png, width, height, dpi, box: [...box] };
  } catch (error) {
    // Too many pixels is the file's fault and says so; anything else is a rendering failure.
    if (error instanceof PdfInputError) throw error;
    throw new Error(`Cropping [${box.join(', ')}] on page ${page.pageNumber} at ${dpi} dpi failed`, { cause: error });
  }
}
