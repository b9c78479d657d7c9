/**
 * Super tokens (the super token sampling of SViT/STViT), used training-free as a
 * merger: tokens on an H×W grid are softly associated with the super tokens of the 3×3 cells
 * around their own cell, super tokens are re-estimated as association-weighted means, 1–3
 * times. Initial super tokens are cell averages. Only the clustering and map-back steps are
 * used (the attention among super tokens is the LLM's job).
 *
 * Folio's additions: a mask says which tokens take part (the pipeline merges the tokens
 * selection dropped); similarity is the dot product scaled by 1/√C as in SViT's code, or the
 * cosine divided by a temperature when `temperature` is given.
 */
import { nativeAddon } from '../../native/addon.ts';

export interface SuperTokenOptions {
  /** Cell size in tokens (h × w). 1×1 with 0 iterations is the identity. */
  cellRows: number;
  cellCols: number;
  iterations: number;
  /** Cosine / temperature instead of the 1/√C-scaled dot product. */
  temperature?: number;
}

export interface SuperTokens {
  /** Super-token grid (cells, row-major) and their vectors: rows·cols × dim. */
  rows: number;
  cols: number;
  dim: number;
  tokens: Float32Array;
  /** Per input token, the 9 neighbouring cells (−1 outside the grid) and association weights (0 for tokens outside the mask). */
  neighbours: Int32Array;
  association: Float32Array;
  /** Per super token: total association mass it received from participating tokens. */
  mass: Float32Array;
  /** Per super token: participating tokens whose strongest association is this super token (near-ties: their own cell). */
  members: Int32Array;
  /** Per input token: the super token it is counted in (−1 when it does not take part). */
  assignment: Int32Array;
}

function dot(a: Float32Array, ai: number, b: Float32Array, bi: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) s += a[ai + d] * b[bi + d];
  return s;
}

function norm(a: Float32Array, ai: number, dim: number): number {
  return Math.sqrt(dot(a, ai, a, ai, dim));
}

/** Cells of h × w tokens over a rows×cols map: a gr × gc grid of m cells, over n tokens. */
function cellGrid(rows: number, cols: number, options: SuperTokenOptions) {
  const h = Math.max(1, options.cellRows);
  const w = Math.max(1, options.cellCols);
  const gr = Math.ceil(rows / h);
  const gc = Math.ceil(cols / w);
  return { h, w, gr, gc, m: gr * gc, n: rows * cols };
}

/**
 * Super tokens of a rows×cols token map x (rows·cols × dim). The grid is ⌈rows/h⌉ × ⌈cols/w⌉;
 * cells past the map's edge hold only real tokens (padding never enters an average).
 */
export function superTokens(x: Float32Array, rows: number, cols: number, dim: number, options: SuperTokenOptions, mask?: Uint8Array): SuperTokens {
  const addon = nativeAddon();
  if (!addon) return superTokensTs(x, rows, cols, dim, options, mask);
  const { h, w, gr, gc, m, n } = cellGrid(rows, cols, options);
  const s: SuperTokens = {
    rows: gr,
    cols: gc,
    dim,
    tokens: new Float32Array(m * dim),
    neighbours: new Int32Array(n * 9),
    association: new Float32Array(n * 9),
    mass: new Float32Array(m),
    members: new Int32Array(m),
    assignment: new Int32Array(n),
  };
  addon.superTokens(x, rows, cols, dim, h, w, options.iterations, options.temperature ?? 0, mask ?? null, s.tokens, s.neighbours, s.association, s.mass, s.members, s.assignment);
  return s;
}

/** The definition, in TypeScript; `superTokens` runs it in the native addon when that is built (native/visual-compress.c). */
export function superTokensTs(x: Float32Array, rows: number, cols: number, dim: number, options: SuperTokenOptions, mask?: Uint8Array): SuperTokens {
  const { h, w, gr, gc, m, n } = cellGrid(rows, cols, options);
  const takes = (p: number) => !mask || mask[p] === 1;
  const cellOf = (p: number) => Math.floor(Math.floor(p / cols) / h) * gc + Math.floor((p % cols) / w);

  // S⁰: average of each cell's participating tokens; a cell with none averages all of its tokens.
  const tokens = new Float32Array(m * dim);
  const counts = new Float64Array(m);
  const allCounts = new Float64Array(m);
  const allSums = new Float64Array(m * dim);
  const sums = new Float64Array(m * dim);
  for (let p = 0; p < n; p++) {
    const c = cellOf(p);
    allCounts[c]++;
    for (let d = 0; d < dim; d++) allSums[c * dim + d] += x[p * dim + d];
    if (!takes(p)) continue;
    counts[c]++;
    for (let d = 0; d < dim; d++) sums[c * dim + d] += x[p * dim + d];
  }
  for (let c = 0; c < m; c++) {
    const useAll = counts[c] === 0;
    const count = useAll ? allCounts[c] : counts[c];
    for (let d = 0; d < dim; d++) tokens[c * dim + d] = count > 0 ? (useAll ? allSums : sums)[c * dim + d] / count : 0;
  }

  const neighbours = new Int32Array(n * 9).fill(-1);
  for (let p = 0; p < n; p++) {
    const cr = Math.floor(Math.floor(p / cols) / h);
    const cc = Math.floor((p % cols) / w);
    let at = 0;
    for (let dr = -1; dr <= 1; dr++) {
      for (let dc = -1; dc <= 1; dc++, at++) {
        const r = cr + dr;
        const c = cc + dc;
        if (r >= 0 && r < gr && c >= 0 && c < gc) neighbours[p * 9 + at] = r * gc + c;
      }
    }
  }

  const association = new Float32Array(n * 9);
  const xNorms = new Float64Array(n).fill(1);
  if (options.temperature) for (let p = 0; p < n; p++) xNorms[p] = Math.max(norm(x, p * dim, dim), 1e-12);
  const logits = new Float64Array(9);
  const scale = 1 / Math.sqrt(dim);
  const associate = () => {
    const superNorms = new Float64Array(m);
    if (options.temperature) for (let c = 0; c < m; c++) superNorms[c] = Math.max(norm(tokens, c * dim, dim), 1e-12);
    for (let p = 0; p < n; p++) {
      // Tokens outside the mask take no part: their association rows stay 0.
      if (!takes(p)) continue;
      let max = Number.NEGATIVE_INFINITY;
      const xNorm = xNorms[p];
      for (let k = 0; k < 9; k++) {
        const c = neighbours[p * 9 + k];
        if (c < 0) {
          logits[k] = Number.NEGATIVE_INFINITY;
          continue;
        }
        const s = dot(x, p * dim, tokens, c * dim, dim);
        logits[k] = options.temperature ? s / (xNorm * superNorms[c] * options.temperature) : s * scale;
        if (logits[k] > max) max = logits[k];
      }
      let sum = 0;
      for (let k = 0; k < 9; k++) {
        const e = logits[k] === Number.NEGATIVE_INFINITY ? 0 : Math.exp(logits[k] - max);
        association[p * 9 + k] = e;
        sum += e;
      }
      for (let k = 0; k < 9; k++) association[p * 9 + k] /= sum;
    }
  };

  const mass = new Float32Array(m);
  for (let it = 0; it < options.iterations; it++) {
    associate();
    sums.fill(0);
    const weights = new Float64Array(m);
    for (let p = 0; p < n; p++) {
      if (!takes(p)) continue;
      for (let k = 0; k < 9; k++) {
        const c = neighbours[p * 9 + k];
        const q = association[p * 9 + k];
        if (c < 0 || q === 0) continue;
        weights[c] += q;
        for (let d = 0; d < dim; d++) sums[c * dim + d] += q * x[p * dim + d];
      }
    }
    // A super token no participating token associates with keeps its previous value.
    for (let c = 0; c < m; c++) if (weights[c] > 0) for (let d = 0; d < dim; d++) tokens[c * dim + d] = sums[c * dim + d] / weights[c];
  }
  // Final association against the final super tokens: what map-back and provenance use.
  associate();
  const members = new Int32Array(m);
  const assignment = new Int32Array(n).fill(-1);
  for (let p = 0; p < n; p++) {
    if (!takes(p)) continue;
    // Strongest association; near-ties go to the token's own cell (slot 4), then the lower slot.
    let best = 4;
    for (let k = 0; k < 9; k++) if (association[p * 9 + k] > association[p * 9 + best] + 1e-6) best = k;
    assignment[p] = neighbours[p * 9 + best];
    members[assignment[p]]++;
    for (let k = 0; k < 9; k++) {
      const c = neighbours[p * 9 + k];
      if (c >= 0) mass[c] += association[p * 9 + k];
    }
  }
  return { rows: gr, cols: gc, dim, tokens, neighbours, association, mass, members, assignment };
}

/** Map-back: x'_p = Σ_j Q_pj S_j over the 3×3 neighbourhood, for every participating token (0 for the others). */
export function mapBack(s: SuperTokens): Float32Array {
  const n = s.neighbours.length / 9;
  const out = new Float32Array(n * s.dim);
  for (let p = 0; p < n; p++) {
    for (let k = 0; k < 9; k++) {
      const c = s.neighbours[p * 9 + k];
      const q = s.association[p * 9 + k];
      if (c < 0 || q === 0) continue;
      for (let d = 0; d < s.dim; d++) out[p * s.dim + d] += q * s.tokens[c * s.dim + d];
    }
  }
  return out;
}

/**
 * The operator's keep-everything path: with 1×1 cells and no iterations each super token is its
 * own token, so the output is the input.
 */
export function isIdentity(options: SuperTokenOptions): boolean {
  return options.cellRows <= 1 && options.cellCols <= 1 && options.iterations === 0;
}
