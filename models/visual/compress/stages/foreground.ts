/**
 * Foreground stage: GlobalCom²'s candidates are rescored by the foreground scorer
 * (../foreground.ts), which keeps the final count, in the manner of Focus-DETR's cascade.
 * The thumbnail's foreground map is needed earlier, by GlobalCom²'s thumbnail budget, so it is
 * computed before any stage runs.
 */
import { type ForegroundWeights, foregroundScores } from '../foreground.ts';
import { topk } from '../topk.ts';
import type { Stage } from './page-state.ts';

/**
 * The scorer's weights; null skips the rescoring. There is no default: the shipped weights are
 * a file the caller loads (shippedForegroundWeights), and a default of null would turn the
 * stage off for whoever forgets them.
 */
export interface ForegroundSettings {
  weights: ForegroundWeights | null;
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

export const foregroundStage: Stage<{ foreground: ForegroundSettings }> = {
  name: 'foreground',
  prepare(page, { foreground }) {
    const thumbnail = page.images[0];
    if (foreground.weights) thumbnail.fg = foregroundScores(foreground.weights, thumbnail.pixels, thumbnail.enc.rows, thumbnail.enc.cols);
  },
  // The score is the product of foreground probability and GlobalCom²'s rank. Crop maps are
  // scored for GlobalCom²'s candidates only.
  run(page, { foreground }) {
    const weights = foreground.weights;
    page.images.forEach((im, i) => {
      if (weights && i > 0) im.fg = foregroundScores(weights, im.pixels, im.enc.rows, im.enc.cols, im.kept);
    });
    for (const im of page.images) {
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
  },
};
