/**
 * Density stage: how much each crop says, from how often its patch tokens repeat one another
 * (../correlation.ts). GlobalCom² then weighs each crop's share of the budget by its density.
 */
import type { EncodedImage } from '../../encoders/types.ts';
import { CORRELATION_DEFAULTS, redundancy } from '../correlation.ts';
import { type ForegroundWeights, standardize } from '../foreground.ts';
import type { ForegroundSettings } from './foreground.ts';
import type { Stage } from './page-state.ts';

export interface DensitySettings {
  /** Cosine threshold for a repeated token; 1 turns the stage off. */
  theta: number;
  /**
   * Where a token's repeat is looked for: its (2·radius+1)² neighbourhood plus every
   * `stride`-th token of the crop, not every token, which keeps the stage within a page's time
   * budget (see RedundancyScope).
   */
  radius: number;
  stride: number;
}

export const DENSITY_DEFAULTS: DensitySettings = { theta: CORRELATION_DEFAULTS.theta, radius: 2, stride: 16 };

/** Keys for the correlation: standardised built-in features, or the encoder's vectors. */
export function correlationKeys(enc: EncodedImage, foreground: ForegroundWeights | null): Float32Array {
  const n = enc.rows * enc.cols;
  if (enc.scoreSource === 'contrast' && foreground) return standardize(enc.patches, n, foreground.mean, foreground.std);
  return enc.patches;
}

/**
 * Densities of the crops (the thumbnail's stays 1: its budget is set apart). It reads the
 * foreground settings because the built-in encoder's keys are standardised with the
 * scorer's feature statistics.
 */
export const densityStage: Stage<{ density: DensitySettings; foreground: ForegroundSettings }> = {
  name: 'density',
  run(page, { density, foreground }) {
    if (density.theta >= 1) return;
    for (const im of page.images.slice(1)) {
      const keys = correlationKeys(im.enc, foreground.weights);
      const validKeys = new Float32Array(im.valid.length * im.enc.dim);
      im.valid.forEach((p, i) => {
        validKeys.set(keys.subarray(p * im.enc.dim, (p + 1) * im.enc.dim), i * im.enc.dim);
      });
      const scope = { rows: im.rows[1] - im.rows[0], cols: im.cols[1] - im.cols[0], radius: density.radius, stride: density.stride };
      im.density = im.valid.length > 0 ? redundancy(validKeys, im.valid.length, im.enc.dim, density.theta, scope).density : 0;
    }
    page.densitiesMeasured = true;
  },
};
