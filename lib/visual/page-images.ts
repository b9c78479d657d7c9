/**
 * Everything a page contributes as pictures, from one render: the stored thumbnail and the
 * AnyRes crop plan's images (a square visual thumbnail, then the grid tiles in row-major
 * order), ready for the visual-token stage. Rendering once at the plan's scale and cutting
 * with sharp costs far less than rendering per image.
 */
import sharp from 'sharp';
import { type CropPlan, planCrops } from '../../models/visual/crop-plan.ts';
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
  /** [visual thumbnail (tile × tile), tile 0, tile 1, …] */
  cropPngs: Buffer[];
}

const WHITE = { r: 255, g: 255, b: 255 };

export async function renderPageImages(doc: PDFDocumentProxy, page: PDFPageProxy, options: PageImageOptions): Promise<PageImages> {
  const base = page.getViewport({ scale: 1 });
  const plan = options.tile > 0 ? planCrops(base.width, base.height, { tile: options.tile }) : null;
  const scale = plan ? plan.scale : options.thumbnailMaxSide / Math.max(base.width, base.height, 1);
  const image = await renderPagePixels(doc, page, { dpi: 72 * scale, maxPixels: options.maxPixels });
  const rgb = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 4 }, limitInputPixels: options.maxPixels }).removeAlpha();
  const side = options.thumbnailMaxSide;
  const thumbnailPng = await rgb
    .clone()
    .resize(image.width >= image.height ? { width: side } : { height: side })
    .png({ compressionLevel: 6 })
    .toBuffer();
  if (!plan) return { thumbnailPng, plan: null, cropPngs: [] };

  const resized = await rgb
    .clone()
    .resize(plan.resized.width, plan.resized.height, { fit: 'fill' })
    .extend({
      top: plan.offset.y,
      bottom: plan.canvas.height - plan.resized.height - plan.offset.y,
      left: plan.offset.x,
      right: plan.canvas.width - plan.resized.width - plan.offset.x,
      background: WHITE,
    })
    .raw()
    .toBuffer();
  const canvas = { raw: { width: plan.canvas.width, height: plan.canvas.height, channels: 3 as const } };
  const visualThumbnail = await rgb.clone().resize(plan.tile, plan.tile, { fit: 'contain', background: WHITE }).png({ compressionLevel: 6 }).toBuffer();
  const tiles = await Promise.all(
    plan.tiles.map((tile) =>
      sharp(resized, canvas).extract({ left: tile.x, top: tile.y, width: tile.size, height: tile.size }).png({ compressionLevel: 6 }).toBuffer(),
    ),
  );
  return { thumbnailPng, plan, cropPngs: [visualThumbnail, ...tiles] };
}
