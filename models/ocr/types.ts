/**
 * Shared shapes of Folio's OCR: the image it reads, the lines it returns, and the rotated text
 * boxes that travel between detection and recognition.
 */

/** Interleaved 8-bit pixels, row-major, top-left origin. Channels are RGB or RGBA (alpha ignored). */
export interface OcrImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 3 | 4;
}

/** One recognised line: `box` is [x0, y0, x1, y1] in image pixels, top-left origin. */
export interface OcrLine {
  text: string;
  box: [number, number, number, number];
  /** Mean probability of the characters the decoder kept, 0..1. */
  confidence: number;
}

/**
 * A rotated rectangle as four corners in image pixels, ordered top-left, top-right,
 * bottom-right, bottom-left of the text (so p0→p1 runs along the reading direction).
 * Stored flat as [x0, y0, x1, y1, x2, y2, x3, y3].
 */
export type Quad = Float64Array;

/** Per-channel normalisation applied as `(value / 255 - mean) / std`, channels in B, G, R order. */
export interface Normalization {
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}
