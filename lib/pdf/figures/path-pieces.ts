/**
 * Splits a pdf.js path made only of horizontal and vertical straight segments into pieces: each
 * stroked segment, or each filled subpath. A table grid or a frame drawn as one path is then a
 * set of thin rules instead of one big box that would look like a figure; a row of bars filled
 * as one path becomes one box per bar.
 */
import type { Box } from '../../../models/document/types.ts';
import type { Matrix } from '../affine.ts';

/** pdf.js 5.4's `DrawOPS` (not exported): the codes inside constructPath's path buffer. */
export const DRAW = { moveTo: 0, lineTo: 1, curveTo: 2, quadraticCurveTo: 3, closePath: 4 } as const;

/** Points (page space) within this of each other count as on one horizontal or vertical line. */
const ALIGN_EPS = 0.1;

/** Whether every segment is straight and, in page space, horizontal or vertical. */
function isAxisAligned(data: ArrayLike<number>, m: Matrix): boolean {
  const n = data.length;
  let cx = Number.NaN;
  let cy = Number.NaN;
  let sx = Number.NaN;
  let sy = Number.NaN;
  const aligned = (x: number, y: number) =>
    Number.isNaN(cx) || Math.abs(x - cx) <= ALIGN_EPS || Math.abs(y - cy) <= ALIGN_EPS;
  for (let i = 0; i < n; ) {
    const code = data[i++];
    if (code === DRAW.moveTo || code === DRAW.lineTo) {
      if (i + 2 > n) return false;
      const ux = data[i++];
      const uy = data[i++];
      const x = m[0] * ux + m[2] * uy + m[4];
      const y = m[1] * ux + m[3] * uy + m[5];
      if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
      if (code === DRAW.lineTo && !aligned(x, y)) return false;
      if (code === DRAW.moveTo || Number.isNaN(sx)) {
        sx = x;
        sy = y;
      }
      cx = x;
      cy = y;
    } else if (code === DRAW.closePath) {
      if (!Number.isNaN(sx) && !aligned(sx, sy)) return false;
      cx = sx;
      cy = sy;
    } else {
      return false; // curves, or a code this version does not know
    }
  }
  return true;
}

export interface SplitOptions {
  /** Stroke only (pieces are segments); otherwise the path is filled (pieces are subpaths). */
  stroke: boolean;
  /** Half the stroke width in page space; strokes widen the pieces by it. */
  half: number;
}

/**
 * Emits the pieces of an axis-aligned path through `emit(box, boxy)` (which returns false to
 * stop). Returns false, emitting nothing, when the path has curves or slanted segments, or
 * no piece with extent: the caller then takes the whole path's box.
 */
export function splitAxisAlignedPath(
  data: ArrayLike<number>,
  m: Matrix,
  options: SplitOptions,
  emit: (box: Box, boxy: boolean) => boolean,
): boolean {
  if (data.length === 0 || !isAxisAligned(data, m)) return false;
  const { half } = options;
  let emitted = false;
  let open = true;
  let cx = 0;
  let cy = 0;
  let sx = 0;
  let sy = 0;
  let started = false;
  // Bounding box of the current subpath (fill mode).
  let bx0 = Infinity;
  let by0 = Infinity;
  let bx1 = -Infinity;
  let by1 = -Infinity;

  const segment = (x0: number, y0: number, x1: number, y1: number) => {
    if (x0 === x1 && y0 === y1) return;
    const horizontal = Math.abs(y1 - y0) <= Math.abs(x1 - x0);
    // Butt caps: a stroke widens across its direction only.
    const box: Box = horizontal
      ? [Math.min(x0, x1), (y0 + y1) / 2 - half, Math.max(x0, x1), (y0 + y1) / 2 + half]
      : [(x0 + x1) / 2 - half, Math.min(y0, y1), (x0 + x1) / 2 + half, Math.max(y0, y1)];
    emitted = true;
    open = emit(box, false);
  };
  const flushSubpath = () => {
    // A filled subpath without area paints nothing.
    if (bx1 - bx0 > 0 && by1 - by0 > 0) {
      emitted = true;
      open = emit([bx0 - half, by0 - half, bx1 + half, by1 + half], true);
    }
    bx0 = by0 = Infinity;
    bx1 = by1 = -Infinity;
  };

  for (let i = 0; i < data.length && open; ) {
    const code = data[i++];
    if (code === DRAW.closePath) {
      if (options.stroke && started) segment(cx, cy, sx, sy);
      cx = sx;
      cy = sy;
      continue;
    }
    const ux = data[i++];
    const uy = data[i++];
    const x = m[0] * ux + m[2] * uy + m[4];
    const y = m[1] * ux + m[3] * uy + m[5];
    if (code === DRAW.moveTo || !started) {
      // A path that starts with a lineTo starts at that point (pdf.js drops the segment too).
      if (code === DRAW.moveTo && !options.stroke) flushSubpath();
      sx = x;
      sy = y;
      started = true;
    } else if (options.stroke) {
      segment(cx, cy, x, y);
    }
    if (!options.stroke) {
      bx0 = Math.min(bx0, x);
      by0 = Math.min(by0, y);
      bx1 = Math.max(bx1, x);
      by1 = Math.max(by1, y);
    }
    cx = x;
    cy = y;
  }
  if (!options.stroke && open) flushSubpath();
  return emitted;
}
