/**
 * What the compression stages of one page share: every image's tokens and scores as the
 * stages refine them, the page's token budget, and the super tokens. The pipeline
 * (../pipeline.ts) builds it and runs the stages over it in order.
 */
import type { EncodedImage } from '../../encoders/types.ts';
import type { Band, CropGeometry } from '../globalcom2.ts';

export interface ImageState {
  enc: EncodedImage;
  /** Built-in patch features of the same image on the same grid, for the foreground scorer. */
  pixels: Float32Array;
  /** Candidate patch indices (valid only) and the GlobalCom² selection score of each patch. */
  valid: Int32Array;
  gc2: Float32Array;
  boxes: Float32Array;
  /** Valid band inside the image (rows/cols), for super-token grids. */
  rows: Band;
  cols: Band;
  /** How many tokens the image keeps once selection is done. */
  keep: number;
  /** The tokens still in: every valid patch until selection narrows them. */
  kept: Int32Array;
  fg: Float32Array | null;
  density: number;
  ratio: number;
  finalScore: Float32Array;
}

export interface SuperEntry {
  image: number;
  cell: number;
  box: [number, number, number, number];
  members: number;
  vector: Float32Array;
}

export interface PageState {
  page: { width: number; height: number };
  /** The crops' token canvas and its valid (not padding) band. */
  geometry: CropGeometry;
  /** The page's own band inside the letterboxed visual thumbnail. */
  thumbnailBand: { validRows: Band; validCols: Band };
  /** 0 = visual thumbnail, k ≥ 1 = crop tile k − 1. */
  images: ImageState[];
  /** Thumbnail patches + the crops' unpadded patches. */
  total: number;
  /** Tokens out, super tokens included. */
  budget: number;
  /** Super-token cells set aside out of the budget before selection. */
  reserved: number;
  /** Whether the density stage measured the crops' densities (GlobalCom² then weighs by them). */
  densitiesMeasured: boolean;
  /** What GlobalCom²'s own floors give before the budget is topped up. */
  globalCom2Raw: number;
  supers: SuperEntry[];
}

export type StageName = 'density' | 'globalcom2' | 'foreground' | 'super-tokens';

/**
 * One compression stage. `settings` is the part of the pipeline options the stage reads, so a
 * stage's type says which other stages' settings it depends on.
 */
export interface Stage<Settings> {
  name: StageName;
  /**
   * Runs before any stage runs, for what an earlier stage needs from this one; its time is
   * counted in this stage's ledger entry.
   */
  prepare?: (page: PageState, settings: Settings) => void;
  run: (page: PageState, settings: Settings) => void;
}

/** Tokens currently in the page's output: kept patches and super tokens. */
export function tokenCount(page: PageState): number {
  return page.images.reduce((n, im) => n + im.kept.length, 0) + page.supers.length;
}
