/**
 * A stored page's crop images, whichever way the page stored them: cut from the plan's canvas
 * PNG, or (pages stored before the canvas was) one PNG per crop.
 */
import type { RgbImage } from '../../models/visual/encoders/types.ts';
import type { BlobStore } from '../store/blobs.ts';
import type { PageCrops } from '../store/records.ts';
import { cropImageFromCanvas, cropImagesFromCanvas, decodeRgb, pngOf } from './page-images.ts';

/** How many crop images the page has (visual thumbnail + tiles). */
const cropCount = (crops: PageCrops): number => crops.plan.tiles.length + 1;

/** The PNG bytes a page's crops come from: its canvas, or its crop images. */
export async function storedCropSource(crops: PageCrops, blobs: BlobStore): Promise<CropSource> {
  if (crops.canvasKey) return { canvasPng: new Uint8Array(await blobs.get(crops.canvasKey)) };
  return { cropPngs: await Promise.all((crops.keys ?? []).map(async (key) => new Uint8Array(await blobs.get(key)))) };
}

export type CropSource = { canvasPng: Uint8Array } | { cropPngs: Uint8Array[] };

/** Decodes a crop source into the crop images ([visual thumbnail, tiles…]). */
export async function cropImagesOf(source: CropSource, crops: Pick<PageCrops, 'plan'>): Promise<RgbImage[]> {
  if ('canvasPng' in source) return cropImagesFromCanvas(await decodeRgb(source.canvasPng), crops.plan);
  return Promise.all(source.cropPngs.map(decodeRgb));
}

/** Crop `k` of a stored page as PNG (0: the visual thumbnail), or null when it has no such crop. */
export async function storedCropPng(crops: PageCrops, k: number, blobs: BlobStore): Promise<Buffer | null> {
  if (!Number.isInteger(k) || k < 0 || k >= cropCount(crops)) return null;
  if (!crops.canvasKey) {
    const key = crops.keys?.[k];
    return key ? blobs.get(key) : null;
  }
  return pngOf(await cropImageFromCanvas(await decodeRgb(await blobs.get(crops.canvasKey)), crops.plan, k));
}
