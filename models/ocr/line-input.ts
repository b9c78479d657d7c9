/**
 * Recognition and angle-classifier inputs: each text quad is sampled straight from the page into
 * its slot of a batch tensor [N, 3, 48, W] (planar B, G, R), resized to the model's height with its
 * aspect kept and zero-padded on the right. One pass per line, no intermediate crop images: this
 * replaces @gutenye's perspective warp + sharp resize + per-pixel JS arrays.
 */
import type { ChannelTables } from './normalize.ts';
import { quadSize } from './geometry.ts';
import type { OcrImage, Quad } from './types.ts';

/** PP-OCR recognition and classification models take 48-pixel-high lines. */
export const LINE_HEIGHT = 48;

/**
 * Width a quad takes at `LINE_HEIGHT` with its aspect kept and then multiplied by `squeeze`,
 * clamped to [minWidth, maxWidth].
 */
export function lineInputWidth(quad: Quad, minWidth: number, maxWidth: number, squeeze = 1): number {
  const { width, height } = quadSize(quad);
  const scaled = height > 0 ? Math.round((squeeze * width * LINE_HEIGHT) / height) : maxWidth;
  return Math.min(maxWidth, Math.max(minWidth, scaled));
}

export interface LineSlot {
  /** The batch tensor, length N·3·LINE_HEIGHT·batchWidth. */
  tensor: Float32Array;
  batchWidth: number;
  /** Index of this line in the batch. */
  index: number;
  /** Columns this line fills; columns from here to batchWidth stay as padding. */
  width: number;
  /** Sample the quad turned by 180° (the angle classifier found the page upside down). */
  flip: boolean;
}

/**
 * Writes `quad` of `image` into `slot`, bilinear, normalised through `tables`. Along an axis where
 * the line shrinks by more than 1.5×, each output pixel averages several bilinear samples so thin
 * strokes do not alias away. Columns past `slot.width` are left as they are: a fresh tensor's
 * zeros, which is PaddleOCR's padding (measured: padding with the paper's colour instead read
 * slightly worse).
 */
export function writeLine(image: OcrImage, quad: Quad, slot: LineSlot, tables: ChannelTables): void {
  const { data, width: iw, height: ih, channels } = image;
  const { tensor, batchWidth, index, width: ow, flip } = slot;
  const size = quadSize(quad);
  const oh = LINE_HEIGHT;
  // Unit steps along the reading direction and down the glyphs, per output pixel.
  let ox = quad[0];
  let oy = quad[1];
  let ux = size.width > 0 ? (quad[2] - quad[0]) / ow : 0;
  let uy = size.width > 0 ? (quad[3] - quad[1]) / ow : 0;
  let vx = size.height > 0 ? (quad[6] - quad[0]) / oh : 0;
  let vy = size.height > 0 ? (quad[7] - quad[1]) / oh : 0;
  if (flip) {
    // Start from the opposite corner and walk backwards: the same line turned by 180°.
    ox = quad[4];
    oy = quad[5];
    ux = -ux;
    uy = -uy;
    vx = -vx;
    vy = -vy;
  }
  // Samples per output pixel along each axis (up to 4).
  const taps = (shrink: number) => (shrink > 1.5 ? Math.min(4, Math.ceil(shrink)) : 1);
  const kx = taps(size.width / ow);
  const ky = taps(size.height / oh);
  const inv = 1 / (kx * ky);
  const plane = oh * batchWidth;
  const base = index * 3 * plane;
  const { b: tb, g: tg, r: tr } = tables;
  const maxX = iw - 1;
  const maxY = ih - 1;
  for (let v = 0; v < oh; v++) {
    for (let u = 0; u < ow; u++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sj = 0; sj < ky; sj++) {
        const fv = v + (sj + 0.5) / ky;
        for (let si = 0; si < kx; si++) {
          const fu = u + (si + 0.5) / kx;
          // Continuous image coordinates → pixel-centre coordinates (−0.5), clamped (replicate border).
          const x = Math.min(Math.max(ox + fu * ux + fv * vx - 0.5, 0), maxX);
          const y = Math.min(Math.max(oy + fu * uy + fv * vy - 0.5, 0), maxY);
          const x0 = x | 0;
          const y0 = y | 0;
          const wx = x - x0;
          const wy = y - y0;
          const x1 = x0 < maxX ? x0 + 1 : x0;
          const y1 = y0 < maxY ? y0 + 1 : y0;
          const a = (y0 * iw + x0) * channels;
          const bb = (y0 * iw + x1) * channels;
          const c = (y1 * iw + x0) * channels;
          const d = (y1 * iw + x1) * channels;
          const w00 = (1 - wx) * (1 - wy);
          const w01 = wx * (1 - wy);
          const w10 = (1 - wx) * wy;
          const w11 = wx * wy;
          r += data[a] * w00 + data[bb] * w01 + data[c] * w10 + data[d] * w11;
          g += data[a + 1] * w00 + data[bb + 1] * w01 + data[c + 1] * w10 + data[d + 1] * w11;
          b += data[a + 2] * w00 + data[bb + 2] * w01 + data[c + 2] * w10 + data[d + 2] * w11;
        }
      }
      const o = base + v * batchWidth + u;
      tensor[o] = tb[(b * inv + 0.5) | 0];
      tensor[plane + o] = tg[(g * inv + 0.5) | 0];
      tensor[2 * plane + o] = tr[(r * inv + 0.5) | 0];
    }
  }
}
