/**
 * Everything a page contributes as pictures, from one render: the stored thumbnail, and the
 * AnyRes crop plan's canvas (the page resized into the plan's grid on white) with the images
 * cut from it for the visual-token stage (a square visual thumbnail, then the grid tiles in
 * row-major order). Rendering once at the plan's scale and cutting costs far less than
 * rendering per image. The canvas is stored as one PNG and the crops are cut from it again
 * where they are needed later (`cropImagesFromCanvas`: the API's crop images, an ONNX encoder's
 * activity), so a page pays for one PNG rather than one per crop, and no crop is decoded back
 * when the built-in encoder reads the pixels at extraction.
 */
import sharp from 'sharp';
import { type CropPlan, planCrops } from '../../models/visual/crop-plan.ts';
import type { RgbImage } from '../../models/visual/encoders/types.ts';
import { cropSquare, onWhiteCanvas, rgbFromRgba } from '../../models/visual/pixels.ts';
import type { PDFDocumentProxy, PDFPageProxy } from '../pdf/pdfjs.ts';
import { renderPagePixels } from '../pdf/render/canvas.ts';

export interface PageImageOptions {
  thumbnailMaxSide: number;
  maxPixels: number;
  /** Tile side of the crop plan in pixels (336 for CLIP ViT-L/14-336); 0 disables crops. */
  tile: number;
}

export interface PageImages {
  thumbnailPng: Buffer;
  plan: CropPlan | null;
  /** The plan's canvas as PNG (null without a plan). */
  canvasPng: Buffer | null;
  /** [visual thumbnail (tile × tile), tile 0, tile 1, …], as raw RGB. */
  crops: RgbImage[];
}

const WHITE = { r: 255, g: 255, b: 255 };

/**
 * zlib level of the stored PNGs. Level 3 was 17% faster than 6 on octave.pdf's tiles for 0.7%
 * more bytes; the thumbnail is written once per page and read by every viewer.
 */
const PNG_LEVEL = 3;
/** The canvas PNG is read only to cut crops again (rarely): the fastest level. */
const CANVAS_PNG_LEVEL = 1;

const rawImage = (image: RgbImage, maxPixels?: number) =>
  sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 }, ...(maxPixels ? { limitInputPixels: maxPixels } : {}) });

/**
 * The plan's crops from its canvas: the page's region of the canvas resized into a white
 * tile × tile square (the visual thumbnail), then the tiles. Extraction and every later reader
 * of a stored canvas cut them here, so they see the same pixels.
 */
export async function cropImagesFromCanvas(canvas: RgbImage, plan: CropPlan): Promise<RgbImage[]> {
  return Promise.all(Array.from({ length: plan.tiles.length + 1 }, (_, k) => cropImageFromCanvas(canvas, plan, k)));
}

/** Crop `k` of the plan (0: the visual thumbnail, then the tiles) cut from its canvas. */
export async function cropImageFromCanvas(canvas: RgbImage, plan: CropPlan, k: number): Promise<RgbImage> {
  if (canvas.width !== plan.canvas.width || canvas.height !== plan.canvas.height) {
    throw new Error(`the crop plan's canvas is ${plan.canvas.width}×${plan.canvas.height}, the stored one ${canvas.width}×${canvas.height}`);
  }
  if (k > 0) {
    const tile = plan.tiles[k - 1];
    if (!tile) throw new Error(`the crop plan has ${plan.tiles.length} tiles, not ${k}`);
    return cropSquare(canvas, tile.x, tile.y, tile.size);
  }
  const region = { left: plan.offset.x, top: plan.offset.y, width: plan.resized.width, height: plan.resized.height };
  const visual = await rawImage(canvas).extract(region).resize(plan.tile, plan.tile, { fit: 'contain', background: WHITE }).raw().toBuffer();
  return { width: plan.tile, height: plan.tile, data: new Uint8Array(visual.buffer, visual.byteOffset, visual.byteLength) };
}

/** A raw RGB image as PNG, at the stored images' compression level. */
export const pngOf = (image: RgbImage): Promise<Buffer> => rawImage(image).png({ compressionLevel: PNG_LEVEL }).toBuffer();

/** Raw RGB of a PNG (any colour type), for a stored canvas or crop. */
export async function decodeRgb(png: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(png).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected an RGB image, got ${info.channels} channels`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export async function renderPageImages(doc: PDFDocumentProxy, page: PDFPageProxy, options: PageImageOptions): Promise<PageImages> {
  const base = page.getViewport({ scale: 1 });
  const plan = options.tile > 0 ? planCrops(base.width, base.height, { tile: options.tile }) : null;
  const scale = plan ? plan.scale : options.thumbnailMaxSide / Math.max(base.width, base.height, 1);
  const image = await renderPagePixels(doc, page, { dpi: 72 * scale, maxPixels: options.maxPixels });
  const rgb = rgbFromRgba(image.data, image.width, image.height);
  const side = options.thumbnailMaxSide;
  // The resize and PNG encodings run on sharp's threads; started together, they overlap.
  const thumbnailPng = rawImage(rgb, options.maxPixels)
    .resize(rgb.width >= rgb.height ? { width: side } : { height: side })
    .png({ compressionLevel: PNG_LEVEL })
    .toBuffer();
  if (!plan) return { thumbnailPng: await thumbnailPng, plan: null, canvasPng: null, crops: [] };

  // The page is rendered at the plan's scale, so it usually has the plan's size already (the
  // rounding of the render's size may differ by a pixel; then it is resized to fit).
  const fitted =
    rgb.width === plan.resized.width && rgb.height === plan.resized.height
      ? rgb
      : { ...plan.resized, data: new Uint8Array(await rawImage(rgb, options.maxPixels).resize(plan.resized.width, plan.resized.height, { fit: 'fill' }).raw().toBuffer()) };
  const canvas = onWhiteCanvas(fitted, plan.canvas.width, plan.canvas.height, plan.offset.x, plan.offset.y);
  const canvasPng = rawImage(canvas).png({ compressionLevel: CANVAS_PNG_LEVEL }).toBuffer();
  const [thumbnail, canvasBytes, crops] = await Promise.all([thumbnailPng, canvasPng, cropImagesFromCanvas(canvas, plan)]);
  return { thumbnailPng: thumbnail, plan, canvasPng: canvasBytes, crops };
}
