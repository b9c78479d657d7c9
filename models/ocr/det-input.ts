/**
 * Detection input: the page resized so both sides are multiples of 32 (the DB network downsamples
 * by 32) and written as a planar 1×3×H×W float tensor in B, G, R order, as PaddleOCR models expect.
 */
import { type ChannelTables, channelTables } from './normalize.ts';
import type { Normalization, OcrImage } from './types.ts';

const BASE = 32;

export interface DetSizeOptions {
  /** Scale the page down so its longer side is at most this many pixels before rounding; 0 = never. */
  maxSide: number;
}

/**
 * Size of the detection input. Like @gutenye/ocr-common, sides round *up* to a multiple of 32 (so
 * small text is never shrunk by the rounding); unlike it, the image is stretched to that size
 * rather than letterboxed, so box coordinates map back by a plain per-axis scale.
 */
export function detInputSize(width: number, height: number, options: DetSizeOptions): { width: number; height: number } {
  let w = width;
  let h = height;
  const longer = Math.max(w, h);
  if (options.maxSide > 0 && longer > options.maxSide) {
    const ratio = options.maxSide / longer;
    w *= ratio;
    h *= ratio;
  }
  return {
    width: Math.max(BASE, Math.ceil(w / BASE) * BASE),
    height: Math.max(BASE, Math.ceil(h / BASE) * BASE),
  };
}

/**
 * Bilinear resize of `image` to `outWidth`×`outHeight`, normalised, into a new planar Float32Array
 * of length 3·outWidth·outHeight (B plane, then G, then R). Pixel centres are aligned
 * (`src = (dst + 0.5)·scale − 0.5`), matching sharp/OpenCV resizes.
 */
export function toDetTensor(image: OcrImage, outWidth: number, outHeight: number, norm: Normalization): Float32Array {
  return resizeToPlanar(image, outWidth, outHeight, channelTables(norm));
}

function resizeToPlanar(image: OcrImage, outW: number, outH: number, tables: ChannelTables): Float32Array {
  const { data, width, height, channels } = image;
  const plane = outW * outH;
  const out = new Float32Array(3 * plane);
  // Column taps are the same for every row: compute them once.
  const x0s = new Int32Array(outW);
  const x1s = new Int32Array(outW);
  const wxs = new Float32Array(outW);
  const sx = width / outW;
  for (let x = 0; x < outW; x++) {
    const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), width - 1);
    const ix = Math.floor(fx);
    x0s[x] = ix * channels;
    x1s[x] = Math.min(ix + 1, width - 1) * channels;
    wxs[x] = fx - ix;
  }
  const { b: tb, g: tg, r: tr } = tables;
  const sy = height / outH;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), height - 1);
    const iy = Math.floor(fy);
    const wy = fy - iy;
    const row0 = iy * width * channels;
    const row1 = Math.min(iy + 1, height - 1) * width * channels;
    let o = y * outW;
    for (let x = 0; x < outW; x++, o++) {
      const wx = wxs[x];
      const a = row0 + x0s[x];
      const b = row0 + x1s[x];
      const c = row1 + x0s[x];
      const d = row1 + x1s[x];
      const w00 = (1 - wx) * (1 - wy);
      const w01 = wx * (1 - wy);
      const w10 = (1 - wx) * wy;
      const w11 = wx * wy;
      // Round to the nearest 8-bit value so the lookup tables apply (as a resized 8-bit image would).
      const r = (data[a] * w00 + data[b] * w01 + data[c] * w10 + data[d] * w11 + 0.5) | 0;
      const g = (data[a + 1] * w00 + data[b + 1] * w01 + data[c + 1] * w10 + data[d + 1] * w11 + 0.5) | 0;
      const bl = (data[a + 2] * w00 + data[b + 2] * w01 + data[c + 2] * w10 + data[d + 2] * w11 + 0.5) | 0;
      out[o] = tb[bl];
      out[plane + o] = tg[g];
      out[2 * plane + o] = tr[r];
    }
  }
  return out;
}
