/**
 * The visual-token pipeline of one page (issue 4): thumbnail + crops, already encoded →
 * correlation density (how much each crop says) → GlobalCom² (thumbnail-guided per-crop
 * ratios, with the densities folded in as §3.2 suggests, and in-crop candidate choice) →
 * foreground rescoring (Focus-DETR-style cascade: GlobalCom² proposes `cascade`× the final
 * count, the foreground scorer keeps the final count) → super tokens (what selection dropped in
 * each crop is merged into SViT super tokens on a coarse grid). Output: the kept tokens with
 * their positions and boxes, and a ledger of tokens in/out and milliseconds per stage.
 *
 * Budget: B = round(r·N) tokens out of N (thumbnail patches + the crops' unpadded patches),
 * exactly, super tokens included; r ≥ 1 returns the N input tokens unchanged.
 *
 * Deviation from GlobalCom² [design]: its thumbnail keeps a fixed ⌊N_thumb·r⌋. Here the
 * thumbnail keeps every token the foreground scorer calls foreground (p ≥ thumbnailThreshold)
 * when that is more, up to thumbnailCap of the budget, so every text and figure region keeps
 * at least a coarse token; the crops share what is left for detail. This trades crop-level
 * detail for coverage (bench:visual reports both, and the GlobalCom² rule is thumbnailCap 0).
 */
import type { CropPlan } from '../crop-plan.ts';
import { validBand } from '../crop-plan.ts';
import type { EncodedImage } from '../encoders/types.ts';
import { CORRELATION_DEFAULTS, redundancy } from './correlation.ts';
import { type ForegroundWeights, foregroundScores, standardize } from './foreground.ts';
import { type Band, type CropGeometry, cropValidPatches, globalCom2Scores } from './globalcom2.ts';
import { superTokens } from './super-tokens.ts';
import { cropBoxes, type PageSize, thumbnailBoxes } from './token-boxes.ts';
import { allocate, topk } from './topk.ts';

export interface PipelineOptions {
  retention: number;
  /** GlobalCom²'s softmax temperature. */
  tau: number;
  /** Correlation: cosine threshold for a repeated token; 1 turns the density stage off. */
  theta: number;
  /** GlobalCom² proposes cascade × the final count per image; the foreground scorer keeps the final count. */
  cascade: number;
  /** Super-token cell side in patches (0 turns merging off) and association iterations. */
  superCell: number;
  superIterations: number;
  /** The foreground scorer; null skips the rescoring stage. */
  foreground: ForegroundWeights | null;
  /**
   * [design] The thumbnail keeps its foreground tokens (see thumbnailThreshold), up to this share of
   * the selection budget, when that is more than GlobalCom²'s ⌊N·r⌋: coarse coverage of every
   * text and figure region first, crop detail with the rest. 0 keeps GlobalCom²'s rule.
   */
  thumbnailCap: number;
  /** Foreground probability at which a thumbnail token counts as foreground for `thumbnailCap`. */
  thumbnailThreshold: number;
}

/** Density search scope ([design], see correlation.ts): 5×5 neighbourhood + every 16th token. */
const DENSITY_RADIUS = 2;
const DENSITY_STRIDE = 16;
/** Temperature of the cosine association of dropped tokens with super tokens. */
const SUPER_TEMPERATURE = 0.1;

export const PIPELINE_DEFAULTS: Omit<PipelineOptions, 'foreground'> = {
  retention: 0.25,
  tau: 10,
  theta: CORRELATION_DEFAULTS.theta,
  cascade: 2,
  // 12-patch cells: a 2×2 super-token grid per 24×24 crop (SViT's stage grids are 8 and 4).
  superCell: 12,
  superIterations: 1,
  // Chosen on training-document pages (bench/visual-corpus.ts TRAIN_SLICES), not on held-out ones.
  thumbnailCap: 0.6,
  thumbnailThreshold: 0.1,
};

export interface PageVisualInput {
  page: PageSize;
  plan: CropPlan;
  thumbnail: EncodedImage;
  /** Tiles in the plan's row-major order. */
  crops: EncodedImage[];
  /**
   * Built-in patch features of the same images on the same grid, for the foreground scorer
   * (for the built-in encoder these are its own patch vectors).
   */
  pixelFeatures: { thumbnail: Float32Array; crops: Float32Array[] };
}

export interface PageTokens {
  count: number;
  dim: number;
  /** 0 = visual thumbnail, k ≥ 1 = crop tile k − 1. */
  image: Uint8Array;
  /** Patch index in the image's grid; a super token has −1 − its cell index. */
  patch: Int32Array;
  /** [x0, y0, x1, y1] per token, PDF points, top-left origin. */
  box: Float32Array;
  score: Float32Array;
  /** 1 for a kept patch; for a super token, the dropped patches it merged (hard assignment). */
  mergedFrom: Int32Array;
  /** count × dim vectors in the encoder's space. */
  vectors: Float32Array;
}

export interface LedgerStage {
  stage: 'encode' | 'density' | 'globalcom2' | 'foreground' | 'super-tokens';
  tokensIn: number;
  tokensOut: number;
  ms: number;
}

export interface ImageLedger {
  image: number;
  tokens: number;
  kept: number;
  density: number;
  ratio: number;
}

export interface VisualLedger {
  retention: number;
  budget: number;
  /** Σ⌊n_i·r_i⌋ + ⌊N_thumb·r⌋ before Folio tops it up to the budget (§3.1.6: log both). */
  globalCom2Raw: number;
  superTokens: number;
  stages: LedgerStage[];
  images: ImageLedger[];
}

interface ImageState {
  enc: EncodedImage;
  /** Candidate patch indices (valid only) and the GlobalCom² selection score of each patch. */
  valid: Int32Array;
  gc2: Float32Array;
  boxes: Float32Array;
  /** Valid band inside the image (rows/cols), for super-token grids. */
  rows: Band;
  cols: Band;
  keep: number;
  kept: Int32Array;
  fg: Float32Array | null;
  density: number;
  ratio: number;
  finalScore: Float32Array;
}

function now(): number {
  return performance.now();
}

/** Rank of each entry among `values` scaled to (0, 1]: robust to the scale of any score. */
function rankNormalized(values: Float32Array, indices: ArrayLike<number>): Float32Array {
  const order = Array.from(indices).sort((a, b) => values[a] - values[b] || a - b);
  const out = new Float32Array(values.length);
  order.forEach((i, r) => {
    out[i] = (r + 1) / order.length;
  });
  return out;
}

function scatter(n: number, indices: Int32Array, values: Float32Array): Float32Array {
  const out = new Float32Array(n);
  indices.forEach((p, i) => {
    out[p] = values[i];
  });
  return out;
}

/** Keys for the correlation stage: standardised built-in features, or the encoder's vectors. */
export function correlationKeys(enc: EncodedImage, foreground: ForegroundWeights | null): Float32Array {
  const n = enc.rows * enc.cols;
  if (enc.scoreSource === 'contrast' && foreground) return standardize(enc.patches, n, foreground.mean, foreground.std);
  return enc.patches;
}

export function compressPage(input: PageVisualInput, options: PipelineOptions): { tokens: PageTokens; ledger: VisualLedger } {
  const { page, plan, thumbnail } = input;
  const dim = thumbnail.dim;
  const P = thumbnail.rows;
  const geometry: CropGeometry = { grid: plan.grid, patches: input.crops[0]?.rows ?? P, validRows: [0, 0], validCols: [0, 0] };
  const band = validBand(page.width, page.height, plan.grid.rows * geometry.patches, plan.grid.cols * geometry.patches);
  geometry.validRows = band.validRows;
  geometry.validCols = band.validCols;
  const thumbBand = validBand(page.width, page.height, thumbnail.rows, thumbnail.cols);

  const images: ImageState[] = [];
  const thumbN = thumbnail.rows * thumbnail.cols;
  images.push({
    enc: thumbnail,
    valid: Int32Array.from({ length: thumbN }, (_, i) => i),
    gc2: thumbnail.clsScores,
    boxes: thumbnailBoxes(page, plan.tile, thumbnail.rows, thumbnail.cols),
    rows: [0, thumbnail.rows],
    cols: [0, thumbnail.cols],
    keep: thumbN,
    kept: new Int32Array(0),
    fg: null,
    density: 1,
    ratio: 1,
    finalScore: thumbnail.clsScores,
  });
  input.crops.forEach((enc, k) => {
    const v = cropValidPatches(geometry, k);
    const row = Math.floor(k / plan.grid.cols) * geometry.patches;
    const col = (k % plan.grid.cols) * geometry.patches;
    images.push({
      enc,
      valid: v.indices,
      gc2: enc.clsScores,
      boxes: cropBoxes(page, plan, k, enc.rows, enc.cols),
      rows: [v.rows[0] - row, v.rows[1] - row],
      cols: [v.cols[0] - col, v.cols[1] - col],
      keep: v.indices.length,
      kept: new Int32Array(0),
      fg: null,
      density: 1,
      ratio: 1,
      finalScore: enc.clsScores,
    });
  });
  const total = images.reduce((n, im) => n + im.valid.length, 0);
  const retention = options.retention;
  const stages: LedgerStage[] = [];
  const ledger: VisualLedger = { retention, budget: total, globalCom2Raw: total, superTokens: 0, stages, images: [] };

  if (retention >= 1) {
    for (const im of images) im.kept = im.valid;
    for (const stage of ['density', 'globalcom2', 'foreground', 'super-tokens'] as const) stages.push({ stage, tokensIn: total, tokensOut: total, ms: 0 });
    return { tokens: assemble(images, dim, []), ledger: finish(ledger, images) };
  }

  const budget = Math.round(retention * total);
  ledger.budget = budget;
  // Super-token cells are reserved out of the budget, unless they would take half of it.
  const cell = options.superCell;
  let reserved = 0;
  if (cell > 0) {
    for (const im of images.slice(1)) reserved += Math.ceil((im.rows[1] - im.rows[0]) / cell) * Math.ceil((im.cols[1] - im.cols[0]) / cell);
    if (reserved * 2 > budget) reserved = 0;
  }
  const selectBudget = budget - reserved;
  const r = selectBudget / total;

  // The thumbnail's foreground map first: its budget depends on how much of it is foreground.
  // (Crop maps are scored later, for GlobalCom²'s candidates only.)
  let t = now();
  const fgWeights = options.foreground;
  if (fgWeights) images[0].fg = foregroundScores(fgWeights, input.pixelFeatures.thumbnail, thumbnail.rows, thumbnail.cols);
  let foregroundMs = now() - t;

  // 1. Density of each crop from patch-patch correlation (searched in a window + stride sample).
  t = now();
  if (options.theta < 1) {
    for (const im of images.slice(1)) {
      const keys = correlationKeys(im.enc, options.foreground);
      const validKeys = new Float32Array(im.valid.length * im.enc.dim);
      im.valid.forEach((p, i) => {
        validKeys.set(keys.subarray(p * im.enc.dim, (p + 1) * im.enc.dim), i * im.enc.dim);
      });
      const scope = { rows: im.rows[1] - im.rows[0], cols: im.cols[1] - im.cols[0], radius: DENSITY_RADIUS, stride: DENSITY_STRIDE };
      im.density = im.valid.length > 0 ? redundancy(validKeys, im.valid.length, im.enc.dim, options.theta, scope).density : 0;
    }
  }
  stages.push({ stage: 'density', tokensIn: total, tokensOut: total, ms: now() - t });

  // 2. GlobalCom²: the thumbnail keeps ⌊N·r⌋ — or [design] its foreground tokens, up to
  // thumbnailCap of the budget — and the crops share the rest by thumbnail-guided ratios (× density).
  t = now();
  let thumbKeep = Math.floor(thumbN * r);
  const thumbFg = images[0].fg;
  if (thumbFg && options.thumbnailCap > 0) {
    let foreground = 0;
    for (let p = 0; p < thumbN; p++) if (thumbFg[p] >= options.thumbnailThreshold) foreground++;
    thumbKeep = Math.max(thumbKeep, Math.min(foreground, Math.floor(options.thumbnailCap * selectBudget)));
  }
  thumbKeep = Math.min(thumbKeep, selectBudget);
  const cropTotal = total - thumbN;
  const cropRetention = cropTotal > 0 ? Math.min(1, (selectBudget - thumbKeep) / cropTotal) : 0;
  const gc = globalCom2Scores({
    thumbnail: { scores: thumbnail.clsScores, rows: thumbnail.rows, cols: thumbnail.cols, validRows: thumbBand.validRows, validCols: thumbBand.validCols },
    geometry,
    crops: input.crops.map((c) => c.clsScores),
    retention: cropRetention,
    tau: options.tau,
    densities: options.theta < 1 ? images.slice(1).map((im) => im.density) : undefined,
  });
  images[0].keep = thumbKeep;
  images[0].ratio = thumbKeep / thumbN;
  images.slice(1).forEach((im, k) => {
    im.ratio = gc.ratios[k];
    im.keep = Math.floor(im.valid.length * gc.ratios[k]);
    im.gc2 = scatter(im.enc.rows * im.enc.cols, gc.valid[k], gc.scores[k]);
  });
  ledger.globalCom2Raw = images.reduce((n, im) => n + im.keep, 0);
  // Floors and clipping leave a few tokens over: hand them to the crops by ratio, exactly.
  const topUp = allocate(
    images.map((im, i) => (i === 0 ? 0 : im.ratio * im.valid.length)),
    images.map((im) => im.valid.length - im.keep),
    selectBudget - ledger.globalCom2Raw,
  );
  images.forEach((im, i) => {
    im.keep += topUp[i];
  });
  const cascade = fgWeights ? Math.max(1, options.cascade) : 1;
  let candidates = 0;
  for (const im of images) {
    im.kept = topk(im.gc2, Math.min(im.valid.length, Math.ceil(im.keep * cascade)), im.valid);
    candidates += im.kept.length;
  }
  stages.push({ stage: 'globalcom2', tokensIn: total, tokensOut: candidates, ms: now() - t });

  // 3. Foreground rescoring: the product of foreground probability and GlobalCom²'s rank.
  t = now();
  images.forEach((im, i) => {
    if (fgWeights && i > 0) im.fg = foregroundScores(fgWeights, input.pixelFeatures.crops[i - 1], im.enc.rows, im.enc.cols, im.kept);
  });
  for (const im of images) {
    if (!im.fg) {
      im.finalScore = im.gc2;
      continue;
    }
    const rank = rankNormalized(im.gc2, im.kept);
    const combined = new Float32Array(im.gc2.length);
    for (const p of im.kept) combined[p] = im.fg[p] * (0.5 + 0.5 * rank[p]);
    im.kept = topk(combined, im.keep, im.kept);
    im.finalScore = combined;
  }
  foregroundMs += now() - t;
  const selected = images.reduce((n, im) => n + im.kept.length, 0);
  stages.push({ stage: 'foreground', tokensIn: candidates, tokensOut: selected, ms: foregroundMs });

  // 4. Super tokens over what each crop dropped.
  t = now();
  const supers: SuperEntry[] = [];
  if (reserved > 0) {
    images.forEach((im, i) => {
      if (i === 0) return;
      supers.push(...mergeDropped(im, i, cell, options.superIterations));
    });
  }
  ledger.superTokens = supers.length;
  stages.push({ stage: 'super-tokens', tokensIn: selected, tokensOut: selected + supers.length, ms: now() - t });
  return { tokens: assemble(images, dim, supers), ledger: finish(ledger, images) };
}

interface SuperEntry {
  image: number;
  cell: number;
  box: [number, number, number, number];
  members: number;
  vector: Float32Array;
}

/** Super tokens of one crop's valid band: every cell of the coarse grid gives one. */
function mergeDropped(im: ImageState, image: number, cell: number, iterations: number): SuperEntry[] {
  const { enc } = im;
  const h = im.rows[1] - im.rows[0];
  const w = im.cols[1] - im.cols[0];
  if (h <= 0 || w <= 0) return [];
  const keptSet = new Uint8Array(enc.rows * enc.cols);
  for (const p of im.kept) keptSet[p] = 1;
  const x = new Float32Array(h * w * enc.dim);
  const mask = new Uint8Array(h * w);
  const gridIndex = new Int32Array(h * w);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const p = (im.rows[0] + i) * enc.cols + im.cols[0] + j;
      const q = i * w + j;
      gridIndex[q] = p;
      x.set(enc.patches.subarray(p * enc.dim, (p + 1) * enc.dim), q * enc.dim);
      mask[q] = keptSet[p] ? 0 : 1;
    }
  }
  // Cosine / temperature rather than SViT's scaled dot product: the built-in features are not
  // zero-mean, so dot products would favour whichever neighbour has the largest norm.
  const s = superTokens(x, h, w, enc.dim, { cellRows: cell, cellCols: cell, iterations, temperature: SUPER_TEMPERATURE }, mask);
  // A super token's box: the union of the boxes of the tokens it merged, else its own cell.
  const m = s.rows * s.cols;
  const boxes = new Float32Array(m * 4);
  for (let c = 0; c < m; c++) boxes.set([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY], c * 4);
  s.assignment.forEach((c, q) => {
    if (c < 0) return;
    const b = gridIndex[q] * 4;
    boxes[c * 4] = Math.min(boxes[c * 4], im.boxes[b]);
    boxes[c * 4 + 1] = Math.min(boxes[c * 4 + 1], im.boxes[b + 1]);
    boxes[c * 4 + 2] = Math.max(boxes[c * 4 + 2], im.boxes[b + 2]);
    boxes[c * 4 + 3] = Math.max(boxes[c * 4 + 3], im.boxes[b + 3]);
  });
  const out: SuperEntry[] = [];
  for (let c = 0; c < m; c++) {
    let box: [number, number, number, number];
    if (s.members[c] > 0) box = [boxes[c * 4], boxes[c * 4 + 1], boxes[c * 4 + 2], boxes[c * 4 + 3]];
    else {
      const r0 = Math.floor(c / s.cols) * cell;
      const c0 = (c % s.cols) * cell;
      const first = gridIndex[r0 * w + c0];
      const last = gridIndex[Math.min(h - 1, r0 + cell - 1) * w + Math.min(w - 1, c0 + cell - 1)];
      box = [im.boxes[first * 4], im.boxes[first * 4 + 1], im.boxes[last * 4 + 2], im.boxes[last * 4 + 3]];
    }
    out.push({ image, cell: c, box, members: s.members[c], vector: s.tokens.slice(c * enc.dim, (c + 1) * enc.dim) });
  }
  return out;
}

function assemble(images: ImageState[], dim: number, supers: SuperEntry[]): PageTokens {
  const count = images.reduce((n, im) => n + im.kept.length, 0) + supers.length;
  const tokens: PageTokens = {
    count,
    dim,
    image: new Uint8Array(count),
    patch: new Int32Array(count),
    box: new Float32Array(count * 4),
    score: new Float32Array(count),
    mergedFrom: new Int32Array(count),
    vectors: new Float32Array(count * dim),
  };
  let at = 0;
  images.forEach((im, i) => {
    for (const p of im.kept) {
      tokens.image[at] = i;
      tokens.patch[at] = p;
      tokens.box.set(im.boxes.subarray(p * 4, p * 4 + 4), at * 4);
      tokens.score[at] = im.finalScore[p];
      tokens.mergedFrom[at] = 1;
      tokens.vectors.set(im.enc.patches.subarray(p * dim, (p + 1) * dim), at * dim);
      at++;
    }
    for (const s of supers) {
      if (s.image !== i) continue;
      tokens.image[at] = i;
      tokens.patch[at] = -1 - s.cell;
      tokens.box.set(s.box, at * 4);
      tokens.mergedFrom[at] = s.members;
      tokens.vectors.set(s.vector, at * dim);
      at++;
    }
  });
  return tokens;
}

function finish(ledger: VisualLedger, images: ImageState[]): VisualLedger {
  ledger.images = images.map((im, i) => ({ image: i, tokens: im.valid.length, kept: im.kept.length, density: round(im.density), ratio: round(im.ratio) }));
  for (const stage of ledger.stages) stage.ms = round(stage.ms);
  return ledger;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
