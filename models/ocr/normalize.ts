/**
 * Pixel normalisation as lookup tables: 256 entries per channel instead of a divide, subtract and
 * divide per sample, which matters at ~2 M pixels × 3 channels per detection input.
 */
import type { Normalization } from './types.ts';

/**
 * What @gutenye/ocr-common feeds both models: `value / 255` with no mean/std (its Detection and
 * Recognition pass empty reshape options; its comment says that scored better than ImageNet stats).
 */
export const UNIT_RANGE: Normalization = { mean: [0, 0, 0], std: [1, 1, 1] };

/** PaddleOCR's recognition and angle-classifier training normalisation: `(value / 255 - 0.5) / 0.5`. */
export const SIGNED_RANGE: Normalization = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

/** Three 256-entry tables, for the B, G and R input planes in that order. */
export interface ChannelTables {
  b: Float32Array;
  g: Float32Array;
  r: Float32Array;
}

export function channelTables(norm: Normalization): ChannelTables {
  const table = (channel: 0 | 1 | 2) => {
    const out = new Float32Array(256);
    for (let v = 0; v < 256; v++) out[v] = (v / 255 - norm.mean[channel]) / norm.std[channel];
    return out;
  };
  return { b: table(0), g: table(1), r: table(2) };
}
