/**
 * Super-token stage: what selection dropped in each crop is merged into super tokens
 * (../super-tokens.ts) on a coarse grid, one per cell. The cells are set aside out of the
 * budget before selection, unless they would take half of it.
 */
import { superTokens } from '../super-tokens.ts';
import type { ImageState, Stage, SuperEntry } from './page-state.ts';

export interface SuperTokenSettings {
  /** Cell side in patches; 0 turns merging off. */
  cell: number;
  /** Association iterations. */
  iterations: number;
  /** Temperature of the cosine association of dropped tokens with super tokens. */
  temperature: number;
}

export const SUPER_TOKEN_DEFAULTS: SuperTokenSettings = {
  // 12-patch cells: a 2×2 super-token grid per 24×24 crop (SViT's stage grids are 8 and 4).
  cell: 12,
  iterations: 1,
  temperature: 0.1,
};

export const superTokenStage: Stage<{ superTokens: SuperTokenSettings }> = {
  name: 'super-tokens',
  prepare(page, { superTokens: { cell } }) {
    if (cell <= 0) return;
    let reserved = 0;
    for (const im of page.images.slice(1)) reserved += Math.ceil((im.rows[1] - im.rows[0]) / cell) * Math.ceil((im.cols[1] - im.cols[0]) / cell);
    page.reserved = reserved * 2 > page.budget ? 0 : reserved;
  },
  run(page, { superTokens: settings }) {
    if (page.reserved <= 0) return;
    page.images.forEach((im, i) => {
      if (i === 0) return;
      page.supers.push(...mergeDropped(im, i, settings));
    });
  },
};

/** Super tokens of one crop's valid band: every cell of the coarse grid gives one. */
function mergeDropped(im: ImageState, image: number, settings: SuperTokenSettings): SuperEntry[] {
  const { enc } = im;
  const { cell } = settings;
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
  const s = superTokens(x, h, w, enc.dim, { cellRows: cell, cellCols: cell, iterations: settings.iterations, temperature: settings.temperature }, mask);
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
