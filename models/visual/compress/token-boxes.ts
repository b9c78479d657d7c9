/**
 * Where each visual token sits on the page, in PDF points (top-left origin): the visual
 * thumbnail is the page fitted into a tile-sized square (centred, as sharp's `contain`), the
 * crops are tiles of the AnyRes canvas (page resized by plan.scale, offset by plan.offset).
 */
import type { CropPlan } from '../crop-plan.ts';

export interface PageSize {
  width: number;
  height: number;
}

/** Pixel edges of patch p of `patches` along a side of `size` pixels. */
function edge(p: number, size: number, patches: number): number {
  return Math.floor((p * size) / patches);
}

function clip(v: number, max: number): number {
  return Math.min(Math.max(v, 0), max);
}

/** Boxes (4 per patch) of a rows×cols patch grid on the visual thumbnail. */
export function thumbnailBoxes(page: PageSize, tile: number, rows: number, cols: number): Float32Array {
  const s = tile / Math.max(page.width, page.height, 1e-9);
  const ox = Math.floor((tile - Math.round(page.width * s)) / 2);
  const oy = Math.floor((tile - Math.round(page.height * s)) / 2);
  const boxes = new Float32Array(rows * cols * 4);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const b = (i * cols + j) * 4;
      boxes[b] = clip((edge(j, tile, cols) - ox) / s, page.width);
      boxes[b + 1] = clip((edge(i, tile, rows) - oy) / s, page.height);
      boxes[b + 2] = clip((edge(j + 1, tile, cols) - ox) / s, page.width);
      boxes[b + 3] = clip((edge(i + 1, tile, rows) - oy) / s, page.height);
    }
  }
  return boxes;
}

/** Boxes of a rows×cols patch grid on crop tile k of the plan. */
export function cropBoxes(page: PageSize, plan: CropPlan, k: number, rows: number, cols: number): Float32Array {
  const tile = plan.tiles[k];
  const boxes = new Float32Array(rows * cols * 4);
  const toX = (px: number) => clip((tile.x + px - plan.offset.x) / plan.scale, page.width);
  const toY = (px: number) => clip((tile.y + px - plan.offset.y) / plan.scale, page.height);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const b = (i * cols + j) * 4;
      boxes[b] = toX(edge(j, tile.size, cols));
      boxes[b + 1] = toY(edge(i, tile.size, rows));
      boxes[b + 2] = toX(edge(j + 1, tile.size, cols));
      boxes[b + 3] = toY(edge(i + 1, tile.size, rows));
    }
  }
  return boxes;
}
