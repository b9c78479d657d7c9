/**
 * One page through the visual-token stage: its stored crop PNGs (visual thumbnail, tiles) are
 * decoded once to raw RGB with sharp, encoded in one batch, and compressed by the pipeline
 * (models/visual/compress/pipeline.ts). The ledger's first stage records decode + encode time.
 */
import sharp from 'sharp';
import type { CropPlan } from '../../models/visual/crop-plan.ts';
import { compressPage, type PageTokens, type PageVisualInput, PIPELINE_DEFAULTS, type PipelineOptions, type VisualLedger } from '../../models/visual/compress/pipeline.ts';
import { patchFeatures } from '../../models/visual/encoders/patch-encoder.ts';
import type { RgbImage, VisionEncoder } from '../../models/visual/encoders/types.ts';

export async function decodeRgb(png: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(png).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected an RGB image, got ${info.channels} channels`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Decodes and encodes a page's crop images ([visual thumbnail, tiles…]). */
export async function encodePageImages(
  encoder: VisionEncoder,
  page: { width: number; height: number },
  plan: CropPlan,
  pngs: readonly Uint8Array[],
): Promise<{ input: PageVisualInput; decodeMs: number; encodeMs: number }> {
  if (pngs.length !== plan.tiles.length + 1) throw new Error(`the crop plan has ${plan.tiles.length} tiles but ${pngs.length} images were stored`);
  let t = performance.now();
  const images = await Promise.all(pngs.map(decodeRgb));
  const decodeMs = performance.now() - t;
  t = performance.now();
  const encoded = await encoder.encode(images);
  // The foreground scorer reads built-in pixel features on the encoder's own grid.
  const builtin = encoded[0].scoreSource === 'contrast';
  const pixel = builtin ? encoded.map((e) => e.patches) : images.map((im) => patchFeatures(im, encoder.grid.rows, encoder.grid.cols).features);
  const encodeMs = performance.now() - t;
  return {
    input: { page, plan, thumbnail: encoded[0], crops: encoded.slice(1), pixelFeatures: { thumbnail: pixel[0], crops: pixel.slice(1) } },
    decodeMs,
    encodeMs,
  };
}

export async function pageVisualTokens(
  encoder: VisionEncoder,
  page: { width: number; height: number },
  plan: CropPlan,
  pngs: readonly Uint8Array[],
  options: Partial<PipelineOptions> & Pick<PipelineOptions, 'foreground'>,
): Promise<{ tokens: PageTokens; ledger: VisualLedger }> {
  const { input, decodeMs, encodeMs } = await encodePageImages(encoder, page, plan, pngs);
  return compressPage(input, { ...PIPELINE_DEFAULTS, ...options }, [{ stage: 'encode', ms: decodeMs + encodeMs }]);
}
