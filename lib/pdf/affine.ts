/**
 * Affine matrices `[a, b, c, d, e, f]` as pdf.js uses them (x' = a·x + c·y + e, y' = b·x + d·y
 * + f), and axis-aligned boxes under them.
 */
import type { Box } from '../../models/document/types.ts';

/**
 * A 2-D affine matrix `[a, b, c, d, e, f]`, as pdf.js uses. Maps (x, y) to
 * (a·x + c·y + e, b·x + d·y + f).
 */
export type Matrix = [number, number, number, number, number, number];

export function applyMatrix(m: Matrix, x: number, y: number): [number, number] {
  return [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];
}

/** `m × n`: applies `n` first, then `m` (pdf.js's `transform` operator: ctm = ctm × n). */
export function multiply(m: Matrix, n: ArrayLike<number>): Matrix {
  return [
    m[0] * n[0] + m[2] * n[1],
    m[1] * n[0] + m[3] * n[1],
    m[0] * n[2] + m[2] * n[3],
    m[1] * n[2] + m[3] * n[3],
    m[0] * n[4] + m[2] * n[5] + m[4],
    m[1] * n[4] + m[3] * n[5] + m[5],
  ];
}

/** Page-space bounding box of the user-space rectangle [x0, y0, x1, y1] under `m`. */
export function transformBox(m: Matrix, x0: number, y0: number, x1: number, y1: number): Box {
  const xs = [m[0] * x0 + m[2] * y0, m[0] * x1 + m[2] * y0, m[0] * x0 + m[2] * y1, m[0] * x1 + m[2] * y1];
  const ys = [m[1] * x0 + m[3] * y0, m[1] * x1 + m[3] * y0, m[1] * x0 + m[3] * y1, m[1] * x1 + m[3] * y1];
  return [Math.min(...xs) + m[4], Math.min(...ys) + m[5], Math.max(...xs) + m[4], Math.max(...ys) + m[5]];
}

/** Overlap of two boxes; x1 < x0 or y1 < y0 when they do not meet. */
export function intersect(a: Box, b: Box): Box {
  return [Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.min(a[2], b[2]), Math.min(a[3], b[3])];
}
