/**
 * The built-in, weight-free vision encoder: deterministic statistics per patch on the same
 * patch grid a ViT uses (24×24 patches of 14 px for a 336-px tile), so the whole visual-token
 * pipeline runs without a model download. The features are the cues a page's foreground shows
 * in pixels: luminance statistics, ink density, colour, edge strength and orientation (text
 * lines are dense in horizontal transitions, rules in one orientation), ink coverage of rows
 * and columns, and the low-frequency DCT of the luminance (the coarse layout inside the patch).
 *
 * One pass over the pixels per image, typed arrays only: no per-pixel allocation. The same
 * features run in Folio's native addon when it is built (native/patch-features.c, 2.7–3.0× faster
 * on octave.pdf's tiles); this file is their definition and the fallback.
 */
import { nativeAddon } from '../../native/addon.ts';
import type { EncodedImage, RgbImage, VisionEncoder } from './types.ts';

export const PATCH_FEATURES = [
  'lum_mean',
  'lum_std',
  'lum_min',
  'lum_max',
  'ink',
  'dark',
  'chroma',
  'gradient',
  'edge_0',
  'edge_45',
  'edge_90',
  'edge_135',
  'transitions_h',
  'transitions_v',
  'ink_rows',
  'ink_cols',
  'dct_01',
  'dct_02',
  'dct_10',
  'dct_11',
  'dct_12',
  'dct_20',
  'dct_21',
  'dct_22',
] as const;

export const PATCH_FEATURE_DIM = PATCH_FEATURES.length;

/** A pixel darker than this (luminance in [0,1]) is ink; darker than DARK it is dark ink. */
const INK = 0.8;
const DARK = 0.4;
/** tan(67.5°): beyond this ratio of |gx| to |gy| an edge counts as axis-aligned. */
const TAN_67 = 2.414;

/** cos(π(2x+1)u / 2n) for u = 0..2, x = 0..n-1: the DCT-II basis of one patch side. */
function dctBasis(n: number): Float32Array {
  const basis = new Float32Array(3 * n);
  for (let u = 0; u < 3; u++) {
    for (let x = 0; x < n; x++) basis[u * n + x] = Math.cos((Math.PI * (2 * x + 1) * u) / (2 * n));
  }
  return basis;
}

/** Patch boundaries along one side: patch p covers [edges[p], edges[p+1]). */
function patchEdges(size: number, patches: number): Int32Array {
  const edges = new Int32Array(patches + 1);
  for (let p = 0; p <= patches; p++) edges[p] = Math.floor((p * size) / patches);
  return edges;
}

/** Luminance and chroma in [0,1] of every pixel. */
function luminanceAndChroma(image: RgbImage): { lum: Float32Array; chroma: Float32Array } {
  const n = image.width * image.height;
  const lum = new Float32Array(n);
  const chroma = new Float32Array(n);
  const d = image.data;
  for (let p = 0, q = 0; p < n; p++, q += 3) {
    const r = d[q];
    const g = d[q + 1];
    const b = d[q + 2];
    lum[p] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    chroma[p] = (max - min) / 255;
  }
  return { lum, chroma };
}

export interface PatchFeatures {
  /** rows·cols × PATCH_FEATURE_DIM, row-major. */
  features: Float32Array;
  /** Per patch: luminance deviation + mean gradient, zero on any flat patch. */
  contrast: Float32Array;
}

/**
 * Patch features of one image on a rows×cols grid, in the native addon when it is built and in
 * TypeScript (`patchFeaturesTs`) otherwise; the two agree to float rounding.
 */
export function patchFeatures(image: RgbImage, rows: number, cols: number): PatchFeatures {
  const addon = nativeAddon();
  if (!addon) return patchFeaturesTs(image, rows, cols);
  checkImage(image);
  const features = new Float32Array(rows * cols * PATCH_FEATURE_DIM);
  const contrast = new Float32Array(rows * cols);
  addon.patchFeatures(image.data, image.width, image.height, rows, cols, features, contrast);
  return { features, contrast };
}

function checkImage({ width, height, data }: RgbImage): void {
  if (data.length < width * height * 3) throw new Error(`an RGB image of ${width}×${height} needs ${width * height * 3} bytes, got ${data.length}`);
}

/** The features' definition, in TypeScript: what runs when the native addon is not built. */
export function patchFeaturesTs(image: RgbImage, rows: number, cols: number, blankShortcut = true): PatchFeatures {
  const { width, height } = image;
  checkImage(image);
  const { lum, chroma } = luminanceAndChroma(image);
  const ys = patchEdges(height, rows);
  const xs = patchEdges(width, cols);
  const D = PATCH_FEATURE_DIM;
  const features = new Float32Array(rows * cols * D);
  const contrast = new Float32Array(rows * cols);
  const bases = new Map<number, Float32Array>();
  const basisOf = (n: number) => {
    const known = bases.get(n);
    if (known) return known;
    const basis = dctBasis(n);
    bases.set(n, basis);
    return basis;
  };
  const dct = new Float64Array(9);
  const inkCols = new Uint8Array(width);
  for (let i = 0; i < rows; i++) {
    const y0 = ys[i];
    const y1 = ys[i + 1];
    const ph = y1 - y0;
    const by = basisOf(ph);
    for (let j = 0; j < cols; j++) {
      const x0 = xs[j];
      const x1 = xs[j + 1];
      const pw = x1 - x0;
      // Blank paper (the patch and the pixels around it all white) has known features: copy them.
      if (blankShortcut && isWhite(lum, width, height, x0 - 1, x1 + 1, y0 - 1, y1 + 1)) {
        const blank = blankPatch(pw, ph);
        features.set(blank.features, (i * cols + j) * D);
        contrast[i * cols + j] = blank.contrast[0];
        continue;
      }
      const bx = basisOf(pw);
      let sum = 0;
      let sumSq = 0;
      let min = 1;
      let max = 0;
      let ink = 0;
      let dark = 0;
      let chromaSum = 0;
      let gradSum = 0;
      let e0 = 0;
      let e45 = 0;
      let e90 = 0;
      let e135 = 0;
      let transH = 0;
      let transV = 0;
      let inkRows = 0;
      dct.fill(0);
      inkCols.fill(0, x0, x1);
      for (let y = y0; y < y1; y++) {
        const row = y * width;
        const up = (y > 0 ? y - 1 : y) * width;
        const down = (y < height - 1 ? y + 1 : y) * width;
        const yy = y - y0;
        // DCT row sums Σ_x lum·cos_u(x); the y basis is applied once per row below.
        let r0 = 0;
        let r1 = 0;
        let r2 = 0;
        let rowInk = false;
        let prevInk = lum[row + x0] < INK;
        for (let x = x0; x < x1; x++) {
          const v = lum[row + x];
          sum += v;
          sumSq += v * v;
          if (v < min) min = v;
          if (v > max) max = v;
          const isInk = v < INK;
          if (isInk) {
            ink++;
            rowInk = true;
            inkCols[x] = 1;
            if (v < DARK) dark++;
          }
          if (isInk !== prevInk) transH++;
          prevInk = isInk;
          if (y > y0 && isInk !== lum[up + x] < INK) transV++;
          chromaSum += chroma[row + x];
          const gx = lum[row + (x < width - 1 ? x + 1 : x)] - lum[row + (x > 0 ? x - 1 : x)];
          const gy = lum[down + x] - lum[up + x];
          const ax = gx < 0 ? -gx : gx;
          const ay = gy < 0 ? -gy : gy;
          const mag = ax + ay;
          gradSum += mag;
          if (mag > 0) {
            // Unsigned gradient orientation in four bins: 0° (vertical edges), 45°, 90°, 135°.
            if (ax > TAN_67 * ay) e0 += mag;
            else if (ay > TAN_67 * ax) e90 += mag;
            else if (gx * gy > 0) e45 += mag;
            else e135 += mag;
          }
          const xx = x - x0;
          r0 += v * bx[xx];
          r1 += v * bx[pw + xx];
          r2 += v * bx[2 * pw + xx];
        }
        const c0 = by[yy];
        const c1 = by[ph + yy];
        const c2 = by[2 * ph + yy];
        dct[0] += r0 * c0;
        dct[1] += r1 * c0;
        dct[2] += r2 * c0;
        dct[3] += r0 * c1;
        dct[4] += r1 * c1;
        dct[5] += r2 * c1;
        dct[6] += r0 * c2;
        dct[7] += r1 * c2;
        dct[8] += r2 * c2;
        if (rowInk) inkRows++;
      }
      let inkColCount = 0;
      for (let x = x0; x < x1; x++) inkColCount += inkCols[x];
      const n = Math.max(1, pw * ph);
      const mean = sum / n;
      const std = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
      const f = (i * cols + j) * D;
      features[f] = mean;
      features[f + 1] = std;
      features[f + 2] = min;
      features[f + 3] = max;
      features[f + 4] = ink / n;
      features[f + 5] = dark / n;
      features[f + 6] = chromaSum / n;
      features[f + 7] = gradSum / n;
      features[f + 8] = e0 / n;
      features[f + 9] = e45 / n;
      features[f + 10] = e90 / n;
      features[f + 11] = e135 / n;
      features[f + 12] = transH / n;
      features[f + 13] = transV / n;
      features[f + 14] = inkRows / Math.max(1, ph);
      features[f + 15] = inkColCount / Math.max(1, pw);
      // DCT coefficients (v along x, u along y) without the DC term, which is lum_mean;
      // scaled by 2/n so a full-amplitude cosine pattern gives about 1.
      for (let k = 1; k < 9; k++) features[f + 15 + k] = (2 * dct[k]) / n;
      contrast[i * cols + j] = std + gradSum / n;
    }
  }
  return { features, contrast };
}

/** Luminance of a white pixel as the encoder stores it. */
const WHITE_LUM = Math.fround((0.299 * 255 + 0.587 * 255 + 0.114 * 255) / 255);

/** All pixels of [x0,x1)×[y0,y1) (clipped to the image) are white. */
function isWhite(lum: Float32Array, width: number, height: number, x0: number, x1: number, y0: number, y1: number): boolean {
  const xa = Math.max(0, x0);
  const xb = Math.min(width, x1);
  for (let y = Math.max(0, y0); y < Math.min(height, y1); y++) {
    const row = y * width;
    for (let x = xa; x < xb; x++) if (lum[row + x] !== WHITE_LUM) return false;
  }
  return true;
}

/**
 * Features of a white pw×ph patch, computed by the same code on a white image (so they are
 * bit-identical to what the full computation gives a blank patch), cached per size.
 */
const blankPatches = new Map<string, PatchFeatures>();

function blankPatch(pw: number, ph: number): PatchFeatures {
  const key = `${pw}x${ph}`;
  let blank = blankPatches.get(key);
  if (!blank) {
    blank = patchFeaturesTs({ width: pw, height: ph, data: new Uint8Array(pw * ph * 3).fill(255) }, 1, 1, false);
    blankPatches.set(key, blank);
  }
  return blank;
}

export interface PatchEncoderOptions {
  /** Patches per side (24 matches CLIP ViT-L/14 at 336 px). */
  rows?: number;
  cols?: number;
}

/** The mean of the patch vectors: the built-in encoder's [CLS]-like global token. */
export function meanToken(patches: Float32Array, n: number, dim: number): Float32Array {
  const global = new Float32Array(dim);
  for (let p = 0; p < n; p++) for (let d = 0; d < dim; d++) global[d] += patches[p * dim + d];
  for (let d = 0; d < dim; d++) global[d] /= Math.max(1, n);
  return global;
}

export function encodePatches(image: RgbImage, rows: number, cols: number): EncodedImage {
  const { features, contrast } = patchFeatures(image, rows, cols);
  return {
    rows,
    cols,
    dim: PATCH_FEATURE_DIM,
    patches: features,
    global: meanToken(features, rows * cols, PATCH_FEATURE_DIM),
    clsScores: contrast,
    scoreSource: 'contrast',
  };
}

export function createPatchEncoder(options: PatchEncoderOptions = {}): VisionEncoder {
  const rows = options.rows ?? 24;
  const cols = options.cols ?? rows;
  return {
    name: `builtin-patch-${rows}x${cols}`,
    grid: { rows, cols },
    async encode(images) {
      return images.map((image) => encodePatches(image, rows, cols));
    },
  };
}
