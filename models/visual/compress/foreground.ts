/**
 * Focus-DETR-style foreground scoring for page images: a tiny MLP over the built-in patch
 * features predicts whether a patch holds text or figure. Like Focus-DETR's MaskPredictor the
 * input has a local part (the patch and its 3×3 neighbourhood) and a global part (the image
 * mean). Folio trains it (bench/train-foreground.ts) on labels the PDFs give
 * for free — the text and figure boxes of extraction — and ships the weights in
 * foreground-weights.json.
 */
import { readFileSync } from 'node:fs';
import { nativeAddon } from '../../native/addon.ts';
import { PATCH_FEATURE_DIM, PATCH_FEATURES } from '../encoders/patch-encoder.ts';
import { topk } from './topk.ts';

export interface ForegroundWeights {
  format: 'folio-foreground/1';
  features: string[];
  /** Standardisation of the patch features (from the training pages). */
  mean: number[];
  std: number[];
  hidden: number;
  /** (3·dim) × hidden, row = input unit; then hidden → 1. */
  w1: number[];
  b1: number[];
  w2: number[];
  b2: number;
  /** How it was trained and how it did on held-out pages (for the record). */
  training?: Record<string, unknown>;
}

export const FOREGROUND_INPUTS = 3 * PATCH_FEATURE_DIM;

let shipped: ForegroundWeights | null = null;

/** The committed weights (models/visual/compress/foreground-weights.json). */
export function shippedForegroundWeights(): ForegroundWeights {
  if (!shipped) {
    const url = new URL('./foreground-weights.json', import.meta.url);
    let parsed: ForegroundWeights;
    try {
      parsed = JSON.parse(readFileSync(url, 'utf8')) as ForegroundWeights;
    } catch (error) {
      throw new Error(`cannot read the foreground scorer weights at ${url.pathname}`, { cause: error });
    }
    checkWeights(parsed);
    shipped = parsed;
  }
  return shipped;
}

export function checkWeights(w: ForegroundWeights): void {
  const D = PATCH_FEATURE_DIM;
  if (w.format !== 'folio-foreground/1') throw new Error(`foreground weights: unknown format ${w.format}`);
  if (w.features.join(',') !== PATCH_FEATURES.join(',')) throw new Error('foreground weights: trained on other patch features');
  if (w.mean.length !== D || w.std.length !== D || w.w1.length !== 3 * D * w.hidden || w.b1.length !== w.hidden || w.w2.length !== w.hidden) {
    throw new Error('foreground weights: shapes do not match the patch features');
  }
}

/** (x − mean)/std per feature: the standardised features, also the correlation keys of the built-in encoder. */
export function standardize(features: Float32Array, n: number, mean: ArrayLike<number>, std: ArrayLike<number>): Float32Array {
  const D = mean.length;
  const out = new Float32Array(n * D);
  for (let p = 0; p < n; p++) for (let d = 0; d < D; d++) out[p * D + d] = (features[p * D + d] - mean[d]) / (std[d] || 1);
  return out;
}

/** Scorer inputs per patch: [z_p, mean of z over the 3×3 neighbourhood, mean of z over the image]. */
export function scorerInputs(z: Float32Array, rows: number, cols: number): Float32Array {
  const D = PATCH_FEATURE_DIM;
  const n = rows * cols;
  const out = new Float32Array(n * 3 * D);
  const global = new Float64Array(D);
  for (let p = 0; p < n; p++) for (let d = 0; d < D; d++) global[d] += z[p * D + d] / n;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const p = i * cols + j;
      const o = p * 3 * D;
      let count = 0;
      for (let di = -1; di <= 1; di++) {
        for (let dj = -1; dj <= 1; dj++) {
          const y = i + di;
          const x = j + dj;
          if (y < 0 || y >= rows || x < 0 || x >= cols) continue;
          count++;
          const q = (y * cols + x) * D;
          for (let d = 0; d < D; d++) out[o + D + d] += z[q + d];
        }
      }
      for (let d = 0; d < D; d++) {
        out[o + d] = z[p * D + d];
        out[o + D + d] /= count;
        out[o + 2 * D + d] = global[d];
      }
    }
  }
  return out;
}

/** The weights as typed arrays, w1 transposed (hidden × inputs) for contiguous dot products; converted once. */
const typed = new WeakMap<ForegroundWeights, { w1t: Float32Array; b1: Float32Array; w2: Float32Array }>();

function typedWeights(w: ForegroundWeights): { w1t: Float32Array; b1: Float32Array; w2: Float32Array } {
  let t = typed.get(w);
  if (!t) {
    const I = FOREGROUND_INPUTS;
    const H = w.hidden;
    const w1t = new Float32Array(H * I);
    for (let i = 0; i < I; i++) for (let h = 0; h < H; h++) w1t[h * I + i] = w.w1[i * H + h];
    t = { w1t, b1: Float32Array.from(w.b1), w2: Float32Array.from(w.w2) };
    typed.set(w, t);
  }
  return t;
}

/**
 * Foreground probability of each input row (n × 3·dim) under the MLP (ReLU hidden layer,
 * sigmoid out); with `only`, just those rows (the others stay 0).
 */
export function scoreInputs(w: ForegroundWeights, inputs: Float32Array, n: number, only?: ArrayLike<number>): Float32Array {
  const I = FOREGROUND_INPUTS;
  const H = w.hidden;
  const { w1t, b1, w2 } = typedWeights(w);
  const out = new Float32Array(n);
  const count = only ? only.length : n;
  for (let q = 0; q < count; q++) {
    const p = only ? only[q] : q;
    const base = p * I;
    let s = w.b2;
    for (let h = 0; h < H; h++) {
      let a = b1[h];
      const row = h * I;
      for (let i = 0; i < I; i++) a += inputs[base + i] * w1t[row + i];
      if (a > 0) s += a * w2[h];
    }
    out[p] = 1 / (1 + Math.exp(-s));
  }
  return out;
}

/**
 * Foreground probabilities of a rows×cols grid of built-in patch features (of the `only`
 * patches, if given; the others stay 0). The same function as scoreInputs(scorerInputs(…)),
 * computed without materialising the inputs: the image-mean part of the input is the same for
 * every patch, so its contribution to the hidden layer is folded into the bias once.
 */
export function foregroundScores(w: ForegroundWeights, features: Float32Array, rows: number, cols: number, only?: ArrayLike<number>): Float32Array {
  const addon = nativeAddon();
  if (!addon) return foregroundScoresTs(w, features, rows, cols, only);
  const n = rows * cols;
  const z = standardize(features, n, w.mean, w.std);
  const { w1t, b1, w2 } = typedWeights(w);
  const out = new Float32Array(n);
  const subset = only === undefined ? null : only instanceof Int32Array ? only : Int32Array.from(only);
  addon.foregroundScores(z, rows, cols, PATCH_FEATURE_DIM, w1t, b1, w2, w.b2, subset, out);
  return out;
}

/** The definition, in TypeScript; `foregroundScores` runs it in the native addon when that is built (native/visual-compress.c). */
export function foregroundScoresTs(w: ForegroundWeights, features: Float32Array, rows: number, cols: number, only?: ArrayLike<number>): Float32Array {
  const D = PATCH_FEATURE_DIM;
  const I = FOREGROUND_INPUTS;
  const H = w.hidden;
  const n = rows * cols;
  const z = standardize(features, n, w.mean, w.std);
  const { w1t, b1, w2 } = typedWeights(w);
  const global = new Float64Array(D);
  for (let p = 0; p < n; p++) for (let d = 0; d < D; d++) global[d] += z[p * D + d] / n;
  const bias = new Float64Array(H);
  for (let h = 0; h < H; h++) {
    let a = b1[h];
    for (let d = 0; d < D; d++) a += global[d] * w1t[h * I + 2 * D + d];
    bias[h] = a;
  }
  const out = new Float32Array(n);
  const neighbours = new Float64Array(D);
  // Interior patches whose 3×3 neighbourhood repeats one feature vector (blank paper, flat
  // colour) get bit-identical inputs, hence the same score: compute it once per vector.
  const sameAs = (a: number, b: number) => {
    for (let d = 0; d < D; d++) if (features[a * D + d] !== features[b * D + d]) return false;
    return true;
  };
  let cached = -1;
  let cachedScore = 0;
  const count = only ? only.length : n;
  for (let q = 0; q < count; q++) {
    const p = only ? only[q] : q;
    const i = Math.floor(p / cols);
    const j = p - i * cols;
    let uniform = i > 0 && i < rows - 1 && j > 0 && j < cols - 1;
    for (let di = -1; di <= 1 && uniform; di++) for (let dj = -1; dj <= 1 && uniform; dj++) if (di !== 0 || dj !== 0) uniform = sameAs(p, p + di * cols + dj);
    if (uniform && cached >= 0 && sameAs(p, cached)) {
      out[p] = cachedScore;
      continue;
    }
    neighbours.fill(0);
    let k = 0;
    for (let y = Math.max(0, i - 1); y <= Math.min(rows - 1, i + 1); y++) {
      for (let x = Math.max(0, j - 1); x <= Math.min(cols - 1, j + 1); x++) {
        const b = (y * cols + x) * D;
        for (let d = 0; d < D; d++) neighbours[d] += z[b + d];
        k++;
      }
    }
    for (let d = 0; d < D; d++) neighbours[d] /= k;
    const zp = p * D;
    let s = w.b2;
    for (let h = 0; h < H; h++) {
      const row = h * I;
      let a = bias[h];
      for (let d = 0; d < D; d++) a += z[zp + d] * w1t[row + d] + neighbours[d] * w1t[row + D + d];
      if (a > 0) s += a * w2[h];
    }
    out[p] = 1 / (1 + Math.exp(-s));
    if (uniform) {
      cached = p;
      cachedScore = out[p];
    }
  }
  return out;
}

/** Focus-DETR's keep count K = ⌊ρ·N⌋ + 1 (clamped to N); ρ ≥ 1 keeps all. */
export function focusKeep(n: number, rho: number): number {
  return rho >= 1 ? n : Math.min(n, Math.floor(rho * n) + 1);
}

/** The operator: the top k tokens by foreground score (ascending indices); k ≥ n keeps all. */
export function foregroundSelect(scores: Float32Array, k: number, candidates?: ArrayLike<number>): Int32Array {
  return topk(scores, k, candidates);
}
