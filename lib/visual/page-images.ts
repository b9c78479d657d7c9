/**
 * Everything a page contributes as pictures, from one render: the stored thumbnail and the
 * AnyRes crop plan's images (a square visual thumbnail, then the grid tiles in row-major
 * order), ready for the visual-token stage. Rendering once at the plan's scale and cutting
 * with sharp costs far less than rendering per image.
 */
import sharp from 'sharp';
import { type CropPlan, planCrops } from '../../models/visual/crop-plan.ts';
import type { PDFDocumentProxy, PDFPageProxy } from '../pdf/pdfjs.ts';
import type { RgbImage } from '../../models/visual/encoders/types.ts';
import { cropSquare, onWhiteCanvas, rgbFromRgba } from '../../models/visual/pixels.ts';
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
  /** [visual thumbnail (tile × tile), tile 0, tile 1, …] */
  cropPngs: Buffer[];
}

const WHITE = { r: 255, g: 255, b: 255 };

/**
 * zlib level of the stored PNGs. Level 3 was 17% faster than 6 on octave.pdf's tiles for 0.7%
 * more bytes (tmp measurements in the 2026-12-04 note); the images are written once per page.
 */
const PNG_LEVEL = 3;

const pngOf = (image: RgbImage): Promise<Buffer> => rawImage(image).png({ compressionLevel: PNG_LEVEL }).toBuffer();
const rawImage = (image: RgbImage, maxPixels?: number) =>
  sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 }, ...(maxPixels ? { limitInputPixels: maxPixels } : {}) });

export async function renderPageImages(doc: PDFDocumentProxy, page: PDFPageProxy, options: PageImageOptions): Promise<PageImages> {
  const base = page.getViewport({ scale: 1 });
  const plan = options.tile > 0 ? planCrops(base.width, base.height, { tile: options.tile }) : null;
  const scale = plan ? plan.scale : options.thumbnailMaxSide / Math.max(base.width, base.height, 1);
  const image = await renderPagePixels(doc, page, { dpi: 72 * scale, maxPixels: options.maxPixels });
  const rgb = rgbFromRgba(image.data, image.width, image.height);
  const side = options.thumbnailMaxSide;
  // The resizes and PNG encodings run on sharp's threads; started together, they overlap.
  const thumbnailPng = rawImage(rgb, options.maxPixels)
    .resize(rgb.width >= rgb.height ? { width: side } : { height: side })
    .png({ compressionLevel: PNG_LEVEL })
    .toBuffer();
  if (!plan) return { thumbnailPng: await thumbnailPng, plan: null, cropPngs: [] };

  const visualThumbnail = rawImage(rgb, options.maxPixels)
    .resize(plan.tile, plan.tile, { fit: 'contain', background: WHITE })
    .png({ compressionLevel: PNG_LEVEL })
    .toBuffer();
  // The page is rendered at the plan's scale, so it usually has the plan's size already (the
  // rounding of the render's size may differ by a pixel; then it is resized to fit).
  const fitted =
    rgb.width === plan.resized.width && rgb.height === plan.resized.height
      ? rgb
      : { ...plan.resized, data: new Uint8Array(await rawImage(rgb, options.maxPixels).resize(plan.resized.width, plan.resized.height, { fit: 'fill' }).raw().toBuffer()) };
  const canvas = onWhiteCanvas(fitted, plan.canvas.width, plan.canvas.height, plan.offset.x, plan.offset.y);
  const tiles = plan.tiles.map((tile) => pngOf(cropSquare(canvas, tile.x, tile.y, tile.size)));
  const [thumbnail, visual, ...tilePngs] = await Promise.all([thumbnailPng, visualThumbnail, ...tiles]);
  return { thumbnailPng: thumbnail, plan, cropPngs: [visual, ...tilePngs] };
}
