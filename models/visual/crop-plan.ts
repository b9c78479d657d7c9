/**
 * AnyRes crop planning (as LLaVA-NeXT does it): a page is resized into the candidate
 * grid ("pinpoint") that keeps the most of its resolution with the least waste, padded
 * (centred) to the grid and cut into square tiles; a thumbnail of the whole page comes first.
 * The token canvas is (rows·24)×(cols·24) patches; rows/columns that fall in the padding are
 * "unpadded" away, and a newline token ends every canvas row.
 */

export interface Pinpoint {
  width: number;
  height: number;
}

/** LLaVA-NeXT's grid pinpoints for 336-pixel tiles. */
export const LLAVA_NEXT_PINPOINTS: readonly Pinpoint[] = [
  { width: 336, height: 672 },
  { width: 672, height: 336 },
  { width: 672, height: 672 },
  { width: 1008, height: 336 },
  { width: 336, height: 1008 },
];

export interface CropPlan {
  tile: number;
  /** Patches per tile side (ViT patch grid), 24 for 336-pixel tiles with 14-pixel patches. */
  patchesPerSide: number;
  grid: { rows: number; cols: number };
  /** The chosen pinpoint (canvas) size in pixels. */
  canvas: Pinpoint;
  /** The page resized into the canvas (aspect kept), and its offset (centred padding). */
  resized: Pinpoint;
  offset: { x: number; y: number };
  /** Scale from PDF points to canvas pixels. */
  scale: number;
  /** Valid (not padding) patch rows and columns of the token canvas: [start, end). */
  validRows: [number, number];
  validCols: [number, number];
  /** Tiles in row-major order: pixel rectangles on the canvas. */
  tiles: { row: number; col: number; x: number; y: number; size: number }[];
}

/**
 * Picks the pinpoint maximising the effective resolution of the page after an
 * aspect-preserving resize (capped at the page's own pixels), then minimising wasted area.
 */
export function selectPinpoint(width: number, height: number, pinpoints: readonly Pinpoint[] = LLAVA_NEXT_PINPOINTS): Pinpoint {
  let best = pinpoints[0];
  let bestEffective = -1;
  let bestWaste = Infinity;
  for (const p of pinpoints) {
    const scale = Math.min(p.width / width, p.height / height);
    const w = Math.floor(width * scale);
    const h = Math.floor(height * scale);
    const effective = Math.min(w * h, width * height);
    const waste = p.width * p.height - effective;
    if (effective > bestEffective || (effective === bestEffective && waste < bestWaste)) {
      best = p;
      bestEffective = effective;
      bestWaste = waste;
    }
  }
  return best;
}

/**
 * Plans the crops of a page `width`×`height` (in PDF points, or any unit: only the aspect and
 * the pixel budget of the chosen grid matter) rendered at `pixelsPerUnit`.
 */
export function planCrops(width: number, height: number, options: { tile?: number; patch?: number; pinpoints?: readonly Pinpoint[] } = {}): CropPlan {
  const tile = options.tile ?? 336;
  const patch = options.patch ?? 14;
  const patchesPerSide = Math.floor(tile / patch);
  const pinpoints = options.pinpoints ?? LLAVA_NEXT_PINPOINTS.map((p) => ({ width: (p.width / 336) * tile, height: (p.height / 336) * tile }));
  const canvas = selectPinpoint(width, height, pinpoints);
  const scale = Math.min(canvas.width / width, canvas.height / height);
  const resized = { width: Math.min(canvas.width, Math.round(width * scale)), height: Math.min(canvas.height, Math.round(height * scale)) };
  const offset = { x: Math.floor((canvas.width - resized.width) / 2), y: Math.floor((canvas.height - resized.height) / 2) };
  const grid = { rows: Math.round(canvas.height / tile), cols: Math.round(canvas.width / tile) };
  const tiles = [];
  for (let row = 0; row < grid.rows; row++) {
    for (let col = 0; col < grid.cols; col++) tiles.push({ row, col, x: col * tile, y: row * tile, size: tile });
  }
  const { validRows, validCols } = validBand(width, height, grid.rows * patchesPerSide, grid.cols * patchesPerSide);
  return { tile, patchesPerSide, grid, canvas, resized, offset, scale, validRows, validCols, tiles };
}

/**
 * GlobalCom²'s unpad rule on the token canvas: when the page is wider than the canvas, the
 * valid rows are [pad, canvasRows − pad) with pad = (canvasRows − ⌊h·canvasCols/w⌋) // 2;
 * otherwise the same rule applies to columns.
 */
export function validBand(width: number, height: number, canvasRows: number, canvasCols: number): { validRows: [number, number]; validCols: [number, number] } {
  if (width / height > canvasCols / canvasRows) {
    const pad = Math.floor((canvasRows - Math.floor((height * canvasCols) / width)) / 2);
    return { validRows: [pad, canvasRows - pad], validCols: [0, canvasCols] };
  }
  const pad = Math.floor((canvasCols - Math.floor((width * canvasRows) / height)) / 2);
  return { validRows: [0, canvasRows], validCols: [pad, canvasCols - pad] };
}

/** Visual tokens before compression: thumbnail patches + valid canvas patches + one newline per valid canvas row. */
export function uncompressedTokenCount(plan: CropPlan): number {
  const thumbnail = plan.patchesPerSide * plan.patchesPerSide;
  const rows = plan.validRows[1] - plan.validRows[0];
  const cols = plan.validCols[1] - plan.validCols[0];
  return thumbnail + rows * cols + rows;
}
