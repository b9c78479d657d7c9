/**
 * One page through the visual-token stage: its crop images (visual thumbnail, tiles) are
 * encoded in one batch and compressed by the pipeline (models/visual/compress/pipeline.ts).
 * The ledger's first stage records the encode time (and the decode time, when the images came
 * from a stored PNG).
 */
import type { CropPlan } from '../../models/visual/crop-plan.ts';
import { compressPage, type PageTokens, type PageVisualInput, PIPELINE_DEFAULTS, type PipelineOptions, type VisualLedger } from '../../models/visual/compress/pipeline.ts';
import { shippedForegroundWeights } from '../../models/visual/compress/foreground.ts';
import { patchFeatures } from '../../models/visual/encoders/patch-encoder.ts';
import type { RgbImage, VisionEncoder } from '../../models/visual/encoders/types.ts';

/** Encodes a page's crop images ([visual thumbnail, tiles…]). */
export async function encodePageImages(
  encoder: VisionEncoder,
  page: { width: number; height: number },
  plan: CropPlan,
  images: readonly RgbImage[],
): Promise<{ input: PageVisualInput; encodeMs: number }> {
  if (images.length !== plan.tiles.length + 1) throw new Error(`the crop plan has ${plan.tiles.length} tiles but ${images.length} images were given`);
  const t = performance.now();
  const encoded = await encoder.encode([...images]);
  // The foreground scorer reads built-in pixel features on the encoder's own grid.
  const builtin = encoded[0].scoreSource === 'contrast';
  const pixel = builtin ? encoded.map((e) => e.patches) : images.map((im) => patchFeatures(im, encoder.grid.rows, encoder.grid.cols).features);
  const encodeMs = performance.now() - t;
  return {
    input: { page, plan, thumbnail: encoded[0], crops: encoded.slice(1), pixelFeatures: { thumbnail: pixel[0], crops: pixel.slice(1) } },
    encodeMs,
  };
}

export async function pageVisualTokens(
  encoder: VisionEncoder,
  page: { width: number; height: number },
  plan: CropPlan,
  images: readonly RgbImage[],
  options: Partial<PipelineOptions> & Pick<PipelineOptions, 'foreground'>,
  decodeMs = 0,
): Promise<{ tokens: PageTokens; ledger: VisualLedger }> {
  const { input, encodeMs } = await encodePageImages(encoder, page, plan, images);
  return compressPage(input, { ...PIPELINE_DEFAULTS, ...options }, [{ stage: 'encode', ms: decodeMs + encodeMs }]);
}

/** The pipeline's options for a retention, with the shipped foreground scorer: what every page is compressed with. */
export function shippedPipelineOptions(retention: number): Partial<PipelineOptions> & Pick<PipelineOptions, 'foreground'> {
  return { retention, foreground: { weights: shippedForegroundWeights() } };
}
