/**
 * DB (differentiable binarisation) post-processing: the detector's per-pixel text probability map
 * becomes rotated line boxes in image pixels. Same steps and constants as @gutenye/ocr-common's
 * splitIntoLineImages (threshold, min side 3 before and 5 after unclip, unclip ratio 1.5), with
 * connected components in place of OpenCV contours.
 */
import { connectedComponents } from './components.ts';
import { convexHullSorted, minAreaRect, quadSize, unclipRect, uprightQuad } from './geometry.ts';
import type { Quad } from './types.ts';

export interface DbOptions {
  /** A map pixel is text when its probability exceeds this. */
  threshold: number;
  /** Drop boxes whose mean probability over their pixels is below this (0 keeps all, as @gutenye does). */
  boxThreshold: number;
  unclipRatio: number;
  /** Shorter side, in map pixels, below which a kernel (and `minSize + 2` for the grown box) is noise. */
  minSize: number;
}

export const DEFAULT_DB: DbOptions = { threshold: 0.03, boxThreshold: 0, unclipRatio: 1.5, minSize: 3 };

export interface DetectedBox {
  /** Upright quad in image pixels (continuous coordinates: pixel i covers [i, i + 1)). */
  quad: Quad;
  /** Mean detector probability over the kernel's pixels. */
  score: number;
}

/** Marks map pixels above `threshold` with 1. */
export function binarize(prob: Float32Array, threshold: number): Uint8Array {
  const out = new Uint8Array(prob.length);
  for (let i = 0; i < prob.length; i++) out[i] = prob[i] > threshold ? 1 : 0;
  return out;
}

/**
 * Boxes from a `mapWidth`×`mapHeight` probability map that was computed on an image resized from
 * `imageWidth`×`imageHeight` (each axis scaled on its own). Boxes too thin to hold text are dropped.
 */
export function boxesFromProbabilityMap(
  prob: Float32Array,
  mapWidth: number,
  mapHeight: number,
  imageWidth: number,
  imageHeight: number,
  options: DbOptions = DEFAULT_DB,
): DetectedBox[] {
  const map = binarize(prob, options.threshold);
  const components = connectedComponents(map, mapWidth, mapHeight, { scores: prob, minArea: options.minSize });
  const sx = imageWidth / mapWidth;
  const sy = imageHeight / mapHeight;
  const boxes: DetectedBox[] = [];
  for (const component of components) {
    if (component.meanScore < options.boxThreshold) continue;
    const kernel = minAreaRect(convexHullSorted(component.outline));
    if (Math.min(kernel.width, kernel.height) < options.minSize) continue;
    const grown = unclipRect(kernel, options.unclipRatio);
    if (Math.min(grown.width, grown.height) < options.minSize + 2) continue;
    const quad = scaleQuad(uprightQuad(grown), sx, sy);
    const size = quadSize(quad);
    if (size.width <= 3 || size.height <= 3) continue;
    boxes.push({ quad, score: component.meanScore });
  }
  return boxes;
}

/** Map pixel centres sit at integer coordinates; image coordinates are continuous, hence the +0.5. */
function scaleQuad(quad: Quad, sx: number, sy: number): Quad {
  const out = new Float64Array(8);
  for (let i = 0; i < 8; i += 2) {
    out[i] = (quad[i] + 0.5) * sx;
    out[i + 1] = (quad[i + 1] + 0.5) * sy;
  }
  return out;
}

