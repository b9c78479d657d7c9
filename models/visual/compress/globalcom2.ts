/**
 * GlobalCom², after its paper and its authors' code: the thumbnail's CLS→patch scores decide
 * how much each crop keeps (softmax over crop importance, τ = 10, retention ratios averaging
 * to r), and inside a crop the kept tokens are the top of local score + the thumbnail score
 * resized onto the crop (each L2-normalised).
 *
 * Where Folio departs from it: Folio's visual thumbnail is letterboxed (the page fitted into a square,
 * centred), so the thumbnail map is first cut to the page's own patches (the same unpad rule
 * as the canvas) and crop importance S_i is summed over the resized map on crop i's valid
 * tokens (rescaled to thumbnail patch units), instead of over a fixed ⌊24/H⌋×⌊24/W⌋ cell of the
 * padded thumbnail. Both put the same page area under the same crop.
 */
import { topk } from './topk.ts';

export type Band = [number, number];

/** Bilinear resize with align_corners=false (pixel centres at (i+0.5)·scale−0.5, clamped). */
export function bilinearResize(map: ArrayLike<number>, inRows: number, inCols: number, outRows: number, outCols: number): Float32Array {
  const out = new Float32Array(outRows * outCols);
  const sy = inRows / outRows;
  const sx = inCols / outCols;
  for (let i = 0; i < outRows; i++) {
    const y = Math.min(Math.max((i + 0.5) * sy - 0.5, 0), inRows - 1);
    const y0 = Math.floor(y);
    const y1 = Math.min(y0 + 1, inRows - 1);
    const wy = y - y0;
    for (let j = 0; j < outCols; j++) {
      const x = Math.min(Math.max((j + 0.5) * sx - 0.5, 0), inCols - 1);
      const x0 = Math.floor(x);
      const x1 = Math.min(x0 + 1, inCols - 1);
      const wx = x - x0;
      const top = map[y0 * inCols + x0] * (1 - wx) + map[y0 * inCols + x1] * wx;
      const bottom = map[y1 * inCols + x0] * (1 - wx) + map[y1 * inCols + x1] * wx;
      out[i * outCols + j] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

/** The sub-map rows [r0,r1) × cols [c0,c1) of a rows×cols map. */
export function cutBand(map: ArrayLike<number>, cols: number, rows: Band, bandCols: Band): Float32Array {
  const h = rows[1] - rows[0];
  const w = bandCols[1] - bandCols[0];
  const out = new Float32Array(h * w);
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) out[i * w + j] = map[(rows[0] + i) * cols + bandCols[0] + j];
  return out;
}

export interface CropGeometry {
  /** Tile grid of the crop plan. */
  grid: { rows: number; cols: number };
  /** Patches per crop side (the encoder's grid on one tile). */
  patches: number;
  /** Valid (not padding) rows and columns of the token canvas (grid·patches per side). */
  validRows: Band;
  validCols: Band;
}

/** Crop k's valid patch indices (row-major inside the crop, ascending) and its valid rows/cols on the canvas. */
export function cropValidPatches(geometry: CropGeometry, k: number): { indices: Int32Array; rows: Band; cols: Band } {
  const P = geometry.patches;
  const row = Math.floor(k / geometry.grid.cols);
  const col = k % geometry.grid.cols;
  const rows: Band = [Math.max(row * P, geometry.validRows[0]), Math.min((row + 1) * P, geometry.validRows[1])];
  const cols: Band = [Math.max(col * P, geometry.validCols[0]), Math.min((col + 1) * P, geometry.validCols[1])];
  const indices: number[] = [];
  for (let y = rows[0]; y < rows[1]; y++) for (let x = cols[0]; x < cols[1]; x++) indices.push((y - row * P) * P + (x - col * P));
  return { indices: Int32Array.from(indices), rows, cols };
}

/**
 * The thumbnail score map (its page band only) resized onto the valid canvas and cut per crop:
 * g_i over crop i's valid patches, in the order of `cropValidPatches`.
 */
export function globalViews(thumbnail: { scores: ArrayLike<number>; rows: number; cols: number; validRows: Band; validCols: Band }, geometry: CropGeometry): Float32Array[] {
  const page = cutBand(thumbnail.scores, thumbnail.cols, thumbnail.validRows, thumbnail.validCols);
  const vr = geometry.validRows;
  const vc = geometry.validCols;
  const H = vr[1] - vr[0];
  const W = vc[1] - vc[0];
  const resized = bilinearResize(page, thumbnail.validRows[1] - thumbnail.validRows[0], thumbnail.validCols[1] - thumbnail.validCols[0], H, W);
  const views: Float32Array[] = [];
  for (let k = 0; k < geometry.grid.rows * geometry.grid.cols; k++) {
    const { rows, cols } = cropValidPatches(geometry, k);
    const g = new Float32Array(Math.max(0, rows[1] - rows[0]) * Math.max(0, cols[1] - cols[0]));
    let at = 0;
    for (let y = rows[0]; y < rows[1]; y++) for (let x = cols[0]; x < cols[1]; x++) g[at++] = resized[(y - vr[0]) * W + (x - vc[0])];
    views.push(g);
  }
  return views;
}

/**
 * Per-crop retention ratios from crop importances S_i: p = softmax((S − max S)/τ), optionally
 * reweighted by densities (p_i·d_i renormalised: Folio's way of combining GlobalCom² with
 * the correlation densities of correlation.ts), then
 * r_i = min(1, r·(1 + p_i − 1/n)). Without clipping, mean r_i = r exactly.
 */
export function retentionRatios(importance: ArrayLike<number>, retention: number, tau = 10, densities?: ArrayLike<number>): Float64Array {
  const n = importance.length;
  const p = new Float64Array(n);
  if (n === 0) return p;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) max = Math.max(max, importance[i]);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    p[i] = Math.exp((importance[i] - max) / tau);
    sum += p[i];
  }
  for (let i = 0; i < n; i++) p[i] /= sum;
  if (densities) {
    let weighted = 0;
    for (let i = 0; i < n; i++) weighted += p[i] * densities[i];
    if (weighted > 0) for (let i = 0; i < n; i++) p[i] = (p[i] * densities[i]) / weighted;
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.min(1, retention * (1 + p[i] - 1 / n));
  return out;
}

/** x/‖x‖₂ (ε = 1e-12). */
export function l2Normalized(x: ArrayLike<number>): Float32Array {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
  return Float32Array.from({ length: x.length }, (_, i) => x[i] * inv);
}

/** score_i = l_i/‖l_i‖ + g_i/‖g_i‖ over the crop's valid tokens. */
export function cropSelectionScores(local: ArrayLike<number>, global: ArrayLike<number>): Float32Array {
  const l = l2Normalized(local);
  const g = l2Normalized(global);
  for (let i = 0; i < l.length; i++) l[i] += g[i];
  return l;
}

export interface GlobalCom2Input {
  thumbnail: { scores: Float32Array; rows: number; cols: number; validRows: Band; validCols: Band };
  geometry: CropGeometry;
  /** Each crop's own CLS→patch scores over all patches×patches tokens. */
  crops: Float32Array[];
  retention: number;
  tau?: number;
  /** Per-crop information densities (correlation.ts) multiplied into the crop weights. */
  densities?: ArrayLike<number>;
}

export interface CropPlanScores {
  ratios: Float64Array;
  /** Per crop: valid patch indices (ascending) and their selection scores. */
  valid: Int32Array[];
  scores: Float32Array[];
}

/** Importance, ratios and in-crop scores: everything GlobalCom² decides before the top-k. */
export function globalCom2Scores(input: GlobalCom2Input): CropPlanScores {
  const { geometry, thumbnail } = input;
  const views = globalViews(thumbnail, geometry);
  const thumbValid = (thumbnail.validRows[1] - thumbnail.validRows[0]) * (thumbnail.validCols[1] - thumbnail.validCols[0]);
  const canvasValid = (geometry.validRows[1] - geometry.validRows[0]) * (geometry.validCols[1] - geometry.validCols[0]);
  // The resized map has canvasValid entries for thumbValid patches: rescale its sums to thumbnail units.
  const unit = canvasValid > 0 ? thumbValid / canvasValid : 0;
  const importance = views.map((g) => g.reduce((a, b) => a + b, 0) * unit);
  const ratios = retentionRatios(importance, input.retention, input.tau ?? 10, input.densities);
  const valid: Int32Array[] = [];
  const scores: Float32Array[] = [];
  views.forEach((g, k) => {
    const { indices } = cropValidPatches(geometry, k);
    const local = Float32Array.from(indices, (i) => input.crops[k][i]);
    valid.push(indices);
    scores.push(cropSelectionScores(local, g));
  });
  return { ratios, valid, scores };
}

export interface GlobalCom2Result {
  /** Kept thumbnail patch indices, ascending: raster order, not score order, as topk returns them. */
  thumbnail: Int32Array;
  /** Kept patch indices per crop (inside the crop, ascending). */
  crops: Int32Array[];
  ratios: Float64Array;
}

/**
 * The operator: thumbnail keeps ⌊N·r⌋ by score, crop i keeps ⌊n_i·r_i⌋ of its valid tokens.
 * r ≥ 1 short-circuits to the uncompressed (unpadded) sequence: the formula alone would not,
 * since at r = 1 a crop less important than the average still gets r_i < 1.
 */
export function globalCom2(input: GlobalCom2Input): GlobalCom2Result {
  const thumbN = input.thumbnail.rows * input.thumbnail.cols;
  if (input.retention >= 1) {
    return {
      thumbnail: Int32Array.from({ length: thumbN }, (_, i) => i),
      crops: input.crops.map((_, k) => cropValidPatches(input.geometry, k).indices),
      ratios: new Float64Array(input.crops.length).fill(1),
    };
  }
  const plan = globalCom2Scores(input);
  const thumbnail = topk(input.thumbnail.scores, Math.floor(thumbN * input.retention));
  const crops = plan.scores.map((score, k) => {
    const chosen = topk(score, Math.floor(score.length * plan.ratios[k]));
    return Int32Array.from(chosen, (i) => plan.valid[k][i]).sort();
  });
  return { thumbnail, crops, ratios: plan.ratios };
}
