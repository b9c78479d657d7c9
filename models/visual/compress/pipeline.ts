/**
 * The visual-token compression of one page: thumbnail + crops, already encoded, go through a
 * list of stages over one shared page state (stages/page-state.ts), in order —
 *
 * 1. density (stages/density.ts): how much each crop says, from patch-patch correlation;
 * 2. GlobalCom² (stages/globalcom2.ts): thumbnail-guided per-crop ratios, weighted by the
 *    densities, and the candidates inside each image;
 * 3. foreground (stages/foreground.ts): the foreground scorer rescores GlobalCom²'s candidates
 *    (`cascade`× the final count) and keeps the final count;
 * 4. super tokens (stages/super-tokens.ts): what selection dropped in each crop is merged into
 *    SViT super tokens on a coarse grid —
 *
 * and one runner times each stage and writes its ledger entry. Output: the kept tokens with
 * their positions and boxes, and a ledger of tokens in/out and milliseconds per stage. Each
 * stage's settings live beside its code; the pipeline's options are their composition, one
 * field per stage.
 *
 * Budget: B = round(r·N) tokens out of N (thumbnail patches + the crops' unpadded patches),
 * exactly, super tokens included; r ≥ 1 returns the N input tokens unchanged.
 */
import type { CropPlan } from '../crop-plan.ts';
import { validBand } from '../crop-plan.ts';
import type { EncodedImage } from '../encoders/types.ts';
import { type Band, type CropGeometry, cropValidPatches } from './globalcom2.ts';
import { type DensitySettings, DENSITY_DEFAULTS, densityStage } from './stages/density.ts';
import { type ForegroundSettings, foregroundStage } from './stages/foreground.ts';
import { GLOBALCOM2_DEFAULTS, type GlobalCom2Settings, globalCom2Stage } from './stages/globalcom2.ts';
import { type ImageState, type PageState, type Stage, type StageName, type SuperEntry, tokenCount } from './stages/page-state.ts';
import { SUPER_TOKEN_DEFAULTS, type SuperTokenSettings, superTokenStage } from './stages/super-tokens.ts';
import { cropBoxes, type PageSize, thumbnailBoxes } from './token-boxes.ts';

/** Share of a page's visual tokens kept when nothing says otherwise. */
export const DEFAULT_RETENTION = 0.25;

export interface PipelineOptions {
  retention: number;
  density: DensitySettings;
  globalcom2: GlobalCom2Settings;
  foreground: ForegroundSettings;
  superTokens: SuperTokenSettings;
}

/** Every setting but the foreground scorer's weights, which the caller loads (see ForegroundSettings). */
export const PIPELINE_DEFAULTS: Omit<PipelineOptions, 'foreground'> = {
  retention: DEFAULT_RETENTION,
  density: DENSITY_DEFAULTS,
  globalcom2: GLOBALCOM2_DEFAULTS,
  superTokens: SUPER_TOKEN_DEFAULTS,
};

/** The stages in the order they run; each reads its own part of the options. */
const STAGES: readonly Stage<PipelineOptions>[] = [densityStage, globalCom2Stage, foregroundStage, superTokenStage];

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
  stage: 'encode' | StageName;
  tokensIn: number;
  tokensOut: number;
  ms: number;
}

/** A step timed before the page state existed (decoding and encoding the page's images). */
export interface TimedStep {
  stage: 'encode';
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
  /**
   * Σ⌊n_i·r_i⌋ + ⌊N_thumb·r⌋: what GlobalCom²'s floors keep before Folio tops it up to the
   * budget. Both are recorded, since the floors alone fall a few tokens short.
   */
  globalCom2Raw: number;
  superTokens: number;
  stages: LedgerStage[];
  images: ImageLedger[];
}

function pageState(input: PageVisualInput, retention: number): PageState {
  const { page, plan, thumbnail } = input;
  const geometry: CropGeometry = { grid: plan.grid, patches: input.crops[0]?.rows ?? thumbnail.rows, validRows: [0, 0], validCols: [0, 0] };
  const band = validBand(page.width, page.height, plan.grid.rows * geometry.patches, plan.grid.cols * geometry.patches);
  geometry.validRows = band.validRows;
  geometry.validCols = band.validCols;
  const thumbN = thumbnail.rows * thumbnail.cols;
  const image = (enc: EncodedImage, pixels: Float32Array, valid: Int32Array, boxes: Float32Array, rows: Band, cols: Band): ImageState => ({
    enc,
    pixels,
    valid,
    gc2: enc.clsScores,
    boxes,
    rows,
    cols,
    keep: valid.length,
    kept: valid,
    fg: null,
    density: 1,
    ratio: 1,
    finalScore: enc.clsScores,
  });
  const images = [
    image(
      thumbnail,
      input.pixelFeatures.thumbnail,
      Int32Array.from({ length: thumbN }, (_, i) => i),
      thumbnailBoxes(page, plan.tile, thumbnail.rows, thumbnail.cols),
      [0, thumbnail.rows],
      [0, thumbnail.cols],
    ),
  ];
  input.crops.forEach((enc, k) => {
    const v = cropValidPatches(geometry, k);
    const row = Math.floor(k / plan.grid.cols) * geometry.patches;
    const col = (k % plan.grid.cols) * geometry.patches;
    images.push(image(enc, input.pixelFeatures.crops[k], v.indices, cropBoxes(page, plan, k, enc.rows, enc.cols), [v.rows[0] - row, v.rows[1] - row], [v.cols[0] - col, v.cols[1] - col]));
  });
  const total = images.reduce((n, im) => n + im.valid.length, 0);
  return {
    page,
    geometry,
    thumbnailBand: validBand(page.width, page.height, thumbnail.rows, thumbnail.cols),
    images,
    total,
    budget: retention >= 1 ? total : Math.round(retention * total),
    reserved: 0,
    densitiesMeasured: false,
    globalCom2Raw: total,
    supers: [],
  };
}

/**
 * Runs the stages over one page in order and writes each one's ledger entry: tokens in and
 * out (counted on the page state) and milliseconds. Every stage's `prepare` runs first, in
 * order, and its time counts in that stage's entry. `before` are steps timed before the page
 * state existed; they come first, with the page's full token count in and out. With `skip`
 * nothing runs: every stage passes the tokens through in 0 ms.
 */
function runStages<Settings>(stages: readonly Stage<Settings>[], page: PageState, settings: Settings, before: readonly TimedStep[], skip: boolean): LedgerStage[] {
  const entries: LedgerStage[] = before.map(({ stage, ms }) => ({ stage, tokensIn: page.total, tokensOut: page.total, ms }));
  if (skip) return [...entries, ...stages.map((s) => ({ stage: s.name, tokensIn: page.total, tokensOut: page.total, ms: 0 }))];
  const ms = stages.map((stage) => {
    const t = performance.now();
    stage.prepare?.(page, settings);
    return performance.now() - t;
  });
  stages.forEach((stage, i) => {
    const tokensIn = tokenCount(page);
    const t = performance.now();
    stage.run(page, settings);
    entries.push({ stage: stage.name, tokensIn, tokensOut: tokenCount(page), ms: ms[i] + performance.now() - t });
  });
  return entries;
}

/**
 * Compresses one page's visual tokens. `before` are steps that ran on the page before it
 * (decoding and encoding its images), for the ledger.
 */
export function compressPage(input: PageVisualInput, options: PipelineOptions, before: readonly TimedStep[] = []): { tokens: PageTokens; ledger: VisualLedger } {
  const page = pageState(input, options.retention);
  const stages = runStages(STAGES, page, options, before, options.retention >= 1);
  const ledger: VisualLedger = { retention: options.retention, budget: page.budget, globalCom2Raw: page.globalCom2Raw, superTokens: page.supers.length, stages, images: [] };
  return { tokens: assemble(page.images, input.thumbnail.dim, page.supers), ledger: finish(ledger, page.images) };
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
