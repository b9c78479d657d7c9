/**
 * GlobalCom² stage (../globalcom2.ts): the thumbnail's budget, then the crops' shares of the
 * rest by thumbnail-guided ratios weighted by density, and each image's candidates by its
 * GlobalCom² score.
 *
 * Where Folio departs from GlobalCom²: GlobalCom²'s thumbnail keeps a fixed ⌊N_thumb·r⌋ tokens.
 * Here the thumbnail keeps every token the foreground scorer calls foreground
 * (p ≥ thumbnailThreshold) when that is more, up to thumbnailCap of the budget, so every text
 * and figure region keeps at least a coarse token; the crops share what is left for detail.
 * This trades crop-level detail for coverage (bench/visual-tokens.ts reports both, and
 * thumbnailCap 0 is GlobalCom²'s own rule).
 */
import { globalCom2Scores } from '../globalcom2.ts';
import { allocate, topk } from '../topk.ts';
import type { ForegroundSettings } from './foreground.ts';
import type { Stage } from './page-state.ts';

export interface GlobalCom2Settings {
  /** Softmax temperature over the crops' importances. */
  tau: number;
  /**
   * Candidates proposed per image, as a multiple of its final count, when the foreground stage
   * rescores them and keeps the final count; without the foreground stage GlobalCom²'s
   * selection is final.
   */
  cascade: number;
  /** Largest share of the selection budget the thumbnail's foreground tokens may take; 0 keeps GlobalCom²'s ⌊N·r⌋. */
  thumbnailCap: number;
  /** Foreground probability at which a thumbnail token counts as foreground for `thumbnailCap`. */
  thumbnailThreshold: number;
}

export const GLOBALCOM2_DEFAULTS: GlobalCom2Settings = {
  tau: 10,
  cascade: 2,
  // Chosen on training-document pages (bench/visual-corpus.ts TRAIN_SLICES), not on held-out ones.
  thumbnailCap: 0.6,
  thumbnailThreshold: 0.1,
};

function scatter(n: number, indices: Int32Array, values: Float32Array): Float32Array {
  const out = new Float32Array(n);
  indices.forEach((p, i) => {
    out[p] = values[i];
  });
  return out;
}

export const globalCom2Stage: Stage<{ globalcom2: GlobalCom2Settings; foreground: ForegroundSettings }> = {
  name: 'globalcom2',
  run(page, { globalcom2: settings, foreground }) {
    const { images, total } = page;
    const thumbnail = images[0].enc;
    const thumbN = thumbnail.rows * thumbnail.cols;
    const selectBudget = page.budget - page.reserved;
    const r = selectBudget / total;
    let thumbKeep = Math.floor(thumbN * r);
    const thumbFg = images[0].fg;
    if (thumbFg && settings.thumbnailCap > 0) {
      let count = 0;
      for (let p = 0; p < thumbN; p++) if (thumbFg[p] >= settings.thumbnailThreshold) count++;
      thumbKeep = Math.max(thumbKeep, Math.min(count, Math.floor(settings.thumbnailCap * selectBudget)));
    }
    thumbKeep = Math.min(thumbKeep, selectBudget);
    const cropTotal = total - thumbN;
    const cropRetention = cropTotal > 0 ? Math.min(1, (selectBudget - thumbKeep) / cropTotal) : 0;
    const gc = globalCom2Scores({
      thumbnail: { scores: thumbnail.clsScores, rows: thumbnail.rows, cols: thumbnail.cols, validRows: page.thumbnailBand.validRows, validCols: page.thumbnailBand.validCols },
      geometry: page.geometry,
      crops: images.slice(1).map((im) => im.enc.clsScores),
      retention: cropRetention,
      tau: settings.tau,
      densities: page.densitiesMeasured ? images.slice(1).map((im) => im.density) : undefined,
    });
    images[0].keep = thumbKeep;
    images[0].ratio = thumbKeep / thumbN;
    images.slice(1).forEach((im, k) => {
      im.ratio = gc.ratios[k];
      im.keep = Math.floor(im.valid.length * gc.ratios[k]);
      im.gc2 = scatter(im.enc.rows * im.enc.cols, gc.valid[k], gc.scores[k]);
    });
    page.globalCom2Raw = images.reduce((n, im) => n + im.keep, 0);
    // Floors and clipping leave a few tokens over: hand them to the crops by ratio, exactly.
    const topUp = allocate(
      images.map((im, i) => (i === 0 ? 0 : im.ratio * im.valid.length)),
      images.map((im) => im.valid.length - im.keep),
      selectBudget - page.globalCom2Raw,
    );
    images.forEach((im, i) => {
      im.keep += topUp[i];
    });
    const cascade = foreground.weights ? Math.max(1, settings.cascade) : 1;
    for (const im of images) im.kept = topk(im.gc2, Math.min(im.valid.length, Math.ceil(im.keep * cascade)), im.valid);
  },
};
