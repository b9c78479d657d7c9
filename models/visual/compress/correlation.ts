/**
 * Token-level correlation-guided compression. Per image: how repetitive its patch tokens are,
 * from the cosine correlation of their keys, gives its information density
 * d = 1 − (redundant share); density sets how many tokens the image keeps, and the CLS→patch
 * score picks which. The method is described only in outline by its paper, so the details
 * below (the repeat test, the floor, the stride samples) and all constants are Folio's own
 * choices, open to tuning.
 */
import { nativeAddon } from '../../native/addon.ts';
import { allocate, strideIndices, topk } from './topk.ts';

export interface RedundancyResult {
  /** 1 where the token closely repeats another token of the same image. */
  redundant: Uint8Array;
  /** 1 − redundant share, in [0, 1]. */
  density: number;
}

/** Rows L2-normalised (ε = 1e-12). */
export function normalizeRows(x: Float32Array, n: number, dim: number): Float32Array {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += x[i * dim + d] ** 2;
    const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
    for (let d = 0; d < dim; d++) out[i * dim + d] = x[i * dim + d] * inv;
  }
  return out;
}

/**
 * Where to look for a repeat of each token: everywhere (exact, O(N²·D)), or — Folio's
 * shortcut — only in its (2·radius+1)² neighbourhood on a rows×cols grid plus every
 * `stride`-th token of the image: O(N·(radius² + N/stride)·D), which is what keeps the stage
 * within a page's time budget. Repeats are mostly local (blank paper, runs of text), and the
 * stride samples catch the distant ones.
 */
export interface RedundancyScope {
  rows: number;
  cols: number;
  radius: number;
  stride: number;
}

/**
 * Token i is redundant when max_{j≠i} cos(k_i, k_j) > θ. A row scan stops at the first match
 * (both tokens are then redundant), so repetitive images cost little; θ ≥ 1 marks nothing.
 */
export function redundancy(keys: Float32Array, n: number, dim: number, theta: number, scope?: RedundancyScope): RedundancyResult {
  const addon = nativeAddon();
  if (!addon) return redundancyTs(keys, n, dim, theta, scope);
  const redundant = new Uint8Array(n);
  addon.redundancy(keys, n, dim, theta, scope?.rows ?? 0, scope?.cols ?? 1, scope ? scope.radius : -1, scope?.stride ?? 1, redundant);
  return { redundant, density: densityOf(redundant) };
}

function densityOf(redundant: Uint8Array): number {
  let count = 0;
  for (let i = 0; i < redundant.length; i++) count += redundant[i];
  return redundant.length === 0 ? 0 : 1 - count / redundant.length;
}

/**
 * The definition, in TypeScript; `redundancy` runs it in the native addon when that is built
 * (native/visual-compress.c), with the same marks up to float rounding at the threshold.
 */
export function redundancyTs(keys: Float32Array, n: number, dim: number, theta: number, scope?: RedundancyScope): RedundancyResult {
  const redundant = new Uint8Array(n);
  if (n === 0) return { redundant, density: 0 };
  if (theta < 1) {
    const k = normalizeRows(keys, n, dim);
    const repeats = (i: number, j: number): boolean => {
      const a = i * dim;
      const b = j * dim;
      let c = 0;
      for (let d = 0; d < dim; d++) c += k[a + d] * k[b + d];
      return c > theta;
    };
    for (let i = 0; i < n; i++) {
      if (redundant[i]) continue;
      let match = -1;
      if (scope) {
        const r = Math.floor(i / scope.cols);
        const c = i % scope.cols;
        for (let y = Math.max(0, r - scope.radius); y <= Math.min(scope.rows - 1, r + scope.radius) && match < 0; y++) {
          for (let x = Math.max(0, c - scope.radius); x <= Math.min(scope.cols - 1, c + scope.radius); x++) {
            const j = y * scope.cols + x;
            if (j !== i && j < n && repeats(i, j)) {
              match = j;
              break;
            }
          }
        }
        for (let j = i % scope.stride; j < n && match < 0; j += scope.stride) if (j !== i && repeats(i, j)) match = j;
      } else {
        for (let j = 0; j < n; j++) {
          if (j !== i && repeats(i, j)) {
            match = j;
            break;
          }
        }
      }
      if (match >= 0) {
        redundant[i] = 1;
        redundant[match] = 1;
      }
    }
  }
  return { redundant, density: densityOf(redundant) };
}

export interface CorrelationOptions {
  /** Cosine above which two tokens repeat each other. */
  theta: number;
  /** Fewest tokens an image keeps (Folio's floor, so no image vanishes; e.g. 16). */
  kMin: number;
  /** Share of the kept tokens taken as uniform-stride samples, so the layout stays covered (Folio's addition). */
  strideShare: number;
}

export const CORRELATION_DEFAULTS: CorrelationOptions = { theta: 0.98, kMin: 16, strideShare: 0.1 };

/** k = max(kMin, ⌈d·N⌉), clamped to N. */
export function densityKeep(density: number, n: number, kMin: number): number {
  return Math.min(n, Math.max(Math.min(kMin, n), Math.ceil(density * n - 1e-9)));
}

/**
 * Picks k tokens of one image: a `strideShare` of k as evenly spaced samples, the rest by CLS
 * score among the others. Ascending indices; k ≥ n returns every index.
 */
export function pickByScore(clsScores: ArrayLike<number>, k: number, strideShare: number): Int32Array {
  const n = clsScores.length;
  if (k >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const strided = strideIndices(n, Math.floor(k * strideShare));
  const taken = new Uint8Array(n);
  for (const i of strided) taken[i] = 1;
  const rest: number[] = [];
  for (let i = 0; i < n; i++) if (!taken[i]) rest.push(i);
  const chosen = topk(clsScores, k - strided.length, rest);
  const out = new Int32Array(k);
  out.set(strided);
  out.set(chosen, strided.length);
  return out.sort();
}

/**
 * The operator on one image: density → k → top-k by CLS score. θ ≥ 1 (nothing redundant, so
 * d = 1 and k = N) returns every token.
 */
export function correlationCompress(
  keys: Float32Array,
  clsScores: Float32Array,
  dim: number,
  options: CorrelationOptions = CORRELATION_DEFAULTS,
): { kept: Int32Array; density: number } {
  const n = clsScores.length;
  const { density } = redundancy(keys, n, dim, options.theta);
  return { kept: pickByScore(clsScores, densityKeep(density, n, options.kMin), options.strideShare), density };
}

/**
 * The budgeted form: `total` tokens shared among images in proportion to density × size, each
 * image getting at least min(kMin, its size) when the budget allows. total ≥ Σ sizes keeps all.
 */
export function densityBudgets(densities: ArrayLike<number>, sizes: ArrayLike<number>, total: number, kMin: number): Int32Array {
  const m = sizes.length;
  let all = 0;
  for (let i = 0; i < m; i++) all += sizes[i];
  if (total >= all) return Int32Array.from(sizes);
  let floorSum = 0;
  for (let i = 0; i < m; i++) floorSum += Math.min(kMin, sizes[i]);
  // Floors only when the budget covers them all; otherwise density alone decides.
  const useFloors = floorSum <= total;
  const floors = new Int32Array(m);
  const weights = new Float64Array(m);
  const caps = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    floors[i] = useFloors ? Math.min(kMin, sizes[i]) : 0;
    weights[i] = densities[i] * sizes[i];
    caps[i] = sizes[i] - floors[i];
  }
  const extra = allocate(weights, caps, total - (useFloors ? floorSum : 0));
  for (let i = 0; i < m; i++) extra[i] += floors[i];
  return extra;
}
