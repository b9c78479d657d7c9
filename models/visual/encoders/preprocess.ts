/**
 * Image preprocessing as a Hugging Face image processor's preprocessor_config.json describes
 * it (ViTImageProcessor, CLIPImageProcessor, SiglipImageProcessor): resize (to a fixed size, or
 * shortest edge then centre crop), rescale (1/255), normalise with image_mean/image_std, and lay
 * out as NCHW float32 `pixel_values`.
 *
 * Deviation: the resize here is bilinear without antialiasing (HF uses PIL's bilinear or bicubic
 * filter); tiles are downscaled at most ~1.5× so the difference is small, and the tests compare
 * against this same function.
 */
import type { RgbImage } from './types.ts';

export interface ImageProcessorConfig {
  doResize: boolean;
  /** Exact output size, or the shortest edge to resize to (aspect kept). */
  size: { height: number; width: number } | { shortestEdge: number };
  doCenterCrop: boolean;
  cropSize: { height: number; width: number } | null;
  doRescale: boolean;
  rescaleFactor: number;
  doNormalize: boolean;
  mean: [number, number, number];
  std: [number, number, number];
}

type Json = Record<string, unknown>;

function triple(value: unknown, fallback: [number, number, number]): [number, number, number] {
  if (typeof value === 'number') return [value, value, value];
  if (Array.isArray(value) && value.length === 3 && value.every((v) => typeof v === 'number')) return value as [number, number, number];
  return fallback;
}

function sizeOf(value: unknown): { height: number; width: number } | { shortestEdge: number } | null {
  if (typeof value === 'number') return { height: value, width: value };
  if (value && typeof value === 'object') {
    const v = value as Json;
    if (typeof v.height === 'number' && typeof v.width === 'number') return { height: v.height, width: v.width };
    if (typeof v.shortest_edge === 'number') return { shortestEdge: v.shortest_edge };
  }
  return null;
}

/** Reads preprocessor_config.json's fields; `imageSize` (from config.json) fills a missing size. */
export function parseImageProcessorConfig(json: Json, imageSize?: number): ImageProcessorConfig {
  const size = sizeOf(json.size) ?? (imageSize ? { height: imageSize, width: imageSize } : null);
  if (!size) throw new Error('preprocessor_config.json has no usable "size" and config.json no image_size');
  const crop = sizeOf(json.crop_size);
  return {
    doResize: json.do_resize !== false,
    size,
    doCenterCrop: json.do_center_crop === true,
    cropSize: crop && 'height' in crop ? crop : null,
    doRescale: json.do_rescale !== false,
    rescaleFactor: typeof json.rescale_factor === 'number' ? json.rescale_factor : 1 / 255,
    doNormalize: json.do_normalize !== false,
    // ViTImageProcessor's defaults (IMAGENET_STANDARD_MEAN/STD) when the file leaves them out.
    mean: triple(json.image_mean, [0.5, 0.5, 0.5]),
    std: triple(json.image_std, [0.5, 0.5, 0.5]),
  };
}

/** The model's input size (height × width) for an image of the given size. */
export function outputSize(config: ImageProcessorConfig, width: number, height: number): { width: number; height: number } {
  let w = width;
  let h = height;
  if (config.doResize) {
    if ('shortestEdge' in config.size) {
      const s = config.size.shortestEdge / Math.min(width, height);
      w = Math.round(width * s);
      h = Math.round(height * s);
    } else {
      w = config.size.width;
      h = config.size.height;
    }
  }
  if (config.doCenterCrop && config.cropSize) return { width: config.cropSize.width, height: config.cropSize.height };
  return { width: w, height: h };
}

/**
 * Bilinear sample of channel c (align_corners=false) of an RGB image resized to outW×outH, then
 * cropped at (cropX, cropY): writes into `out` (one H×W plane per channel).
 */
function resizeInto(image: RgbImage, outW: number, outH: number, cropX: number, cropY: number, w: number, h: number, out: Float32Array, offset: number, transform: (v: number, c: number) => number): void {
  const sx = image.width / outW;
  const sy = image.height / outH;
  const plane = w * h;
  for (let i = 0; i < h; i++) {
    const y = Math.min(Math.max((i + cropY + 0.5) * sy - 0.5, 0), image.height - 1);
    const y0 = Math.floor(y);
    const y1 = Math.min(y0 + 1, image.height - 1);
    const wy = y - y0;
    for (let j = 0; j < w; j++) {
      const x = Math.min(Math.max((j + cropX + 0.5) * sx - 0.5, 0), image.width - 1);
      const x0 = Math.floor(x);
      const x1 = Math.min(x0 + 1, image.width - 1);
      const wx = x - x0;
      const a = (y0 * image.width + x0) * 3;
      const b = (y0 * image.width + x1) * 3;
      const c = (y1 * image.width + x0) * 3;
      const d = (y1 * image.width + x1) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const top = image.data[a + ch] * (1 - wx) + image.data[b + ch] * wx;
        const bottom = image.data[c + ch] * (1 - wx) + image.data[d + ch] * wx;
        out[offset + ch * plane + i * w + j] = transform(top * (1 - wy) + bottom * wy, ch);
      }
    }
  }
}

/** `pixel_values` for a batch: every image is resized/cropped to the same size, NCHW float32. */
export function toPixelValues(images: readonly RgbImage[], config: ImageProcessorConfig): { data: Float32Array; dims: [number, number, number, number] } {
  if (images.length === 0) throw new Error('no images to preprocess');
  const sizes = images.map((im) => outputSize(config, im.width, im.height));
  const { width: w, height: h } = sizes[0];
  if (sizes.some((s) => s.width !== w || s.height !== h)) throw new Error('images of one batch must preprocess to one size');
  const data = new Float32Array(images.length * 3 * w * h);
  const rescale = config.doRescale ? config.rescaleFactor : 1;
  const transform = (v: number, c: number) => {
    const x = v * rescale;
    return config.doNormalize ? (x - config.mean[c]) / config.std[c] : x;
  };
  images.forEach((image, b) => {
    let rw = image.width;
    let rh = image.height;
    if (config.doResize) ({ width: rw, height: rh } = outputSize({ ...config, doCenterCrop: false }, image.width, image.height));
    const cropX = Math.max(0, Math.floor((rw - w) / 2));
    const cropY = Math.max(0, Math.floor((rh - h) / 2));
    resizeInto(image, rw, rh, cropX, cropY, w, h, data, b * 3 * w * h, transform);
  });
  return { data, dims: [images.length, 3, h, w] };
}
