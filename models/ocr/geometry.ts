/**
 * The small amount of plane geometry DB post-processing needs: a convex hull, the minimum-area
 * rotated rectangle around it (rotating calipers), growing that rectangle ("unclip") and turning it
 * into an upright text quad. Written here over flat typed arrays instead of pulling in OpenCV
 * (opencv-js is an 8 MB wasm module that @gutenye/ocr-common loads just for minAreaRect,
 * findContours and a warp) or a polygon-clipping library for an offset that, on a rectangle, is
 * just "add 2d to each side".
 */
import type { Quad } from './types.ts';

/** A rotated rectangle: centre, unit axis `(ux, uy)` along `width`, and `height` across it. */
export interface RotatedRect {
  cx: number;
  cy: number;
  ux: number;
  uy: number;
  width: number;
  height: number;
}

/**
 * Convex hull (Andrew's monotone chain) of points given flat as [x0, y0, x1, y1, …] and already
 * sorted lexicographically (by y, then x, or by x, then y: either order works). Collinear points are
 * dropped. Returns the hull's corners flat, in order around the polygon.
 */
export function convexHullSorted(points: Float64Array): Float64Array {
  const n = points.length >> 1;
  if (n <= 2) return points.slice();
  const hull = new Float64Array(4 * n + 4);
  let k = 0;
  const cross = (o: number, a: number, bx: number, by: number) =>
    (hull[2 * a] - hull[2 * o]) * (by - hull[2 * o + 1]) - (hull[2 * a + 1] - hull[2 * o + 1]) * (bx - hull[2 * o]);
  const push = (x: number, y: number) => {
    hull[2 * k] = x;
    hull[2 * k + 1] = y;
    k++;
  };
  for (let i = 0; i < n; i++) {
    const x = points[2 * i];
    const y = points[2 * i + 1];
    while (k >= 2 && cross(k - 2, k - 1, x, y) <= 0) k--;
    push(x, y);
  }
  const lower = k + 1;
  for (let i = n - 2; i >= 0; i--) {
    const x = points[2 * i];
    const y = points[2 * i + 1];
    while (k >= lower && cross(k - 2, k - 1, x, y) <= 0) k--;
    push(x, y);
  }
  // The last point repeats the first.
  return hull.slice(0, 2 * Math.max(1, k - 1));
}

/** Minimum-area enclosing rectangle of a convex polygon (flat corners), by trying each edge's direction. */
export function minAreaRect(hull: Float64Array): RotatedRect {
  const n = hull.length >> 1;
  if (n === 0) return { cx: 0, cy: 0, ux: 1, uy: 0, width: 0, height: 0 };
  if (n === 1) return { cx: hull[0], cy: hull[1], ux: 1, uy: 0, width: 0, height: 0 };
  let best: RotatedRect | null = null;
  let bestArea = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    const dx = hull[2 * j] - hull[2 * i];
    const dy = hull[2 * j + 1] - hull[2 * i + 1];
    const len = Math.hypot(dx, dy);
    if (len === 0) continue;
    const ux = dx / len;
    const uy = dy / len;
    let minU = Number.POSITIVE_INFINITY;
    let maxU = Number.NEGATIVE_INFINITY;
    let minV = Number.POSITIVE_INFINITY;
    let maxV = Number.NEGATIVE_INFINITY;
    for (let p = 0; p < n; p++) {
      const x = hull[2 * p];
      const y = hull[2 * p + 1];
      const u = x * ux + y * uy;
      const v = -x * uy + y * ux;
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < bestArea - 1e-9) {
      bestArea = area;
      const mu = (minU + maxU) / 2;
      const mv = (minV + maxV) / 2;
      best = { cx: mu * ux - mv * uy, cy: mu * uy + mv * ux, ux, uy, width: maxU - minU, height: maxV - minV };
    }
  }
  return best ?? { cx: hull[0], cy: hull[1], ux: 1, uy: 0, width: 0, height: 0 };
}

/**
 * DB's "unclip": the network predicts a shrunk text kernel, so the box grows back by
 * `d = area · ratio / perimeter` on every side (PaddleOCR's and @gutenye's formula, ratio 1.5).
 * Offsetting a rectangle by d with round joins and taking the minimum-area rectangle again, as
 * they do, gives exactly the rectangle widened and heightened by 2d.
 */
export function unclipRect(rect: RotatedRect, ratio: number): RotatedRect {
  const perimeter = 2 * (rect.width + rect.height);
  if (perimeter === 0) return { ...rect };
  const d = (rect.width * rect.height * ratio) / perimeter;
  return { ...rect, width: rect.width + 2 * d, height: rect.height + 2 * d };
}

/**
 * Corners of the rectangle as an upright text quad: p0→p1 is the side pointing most to the right
 * (reading direction), p0→p3 points down the glyphs. A rectangle at least `verticalRatio` times
 * taller than wide is taken as vertical text read top to bottom (as @gutenye/ocr-common rotates
 * such crops by 90°).
 */
export function uprightQuad(rect: RotatedRect, verticalRatio = 1.5): Quad {
  // The four axis choices are ±u and ±perp(u); take the one closest to +x.
  let ex = rect.ux;
  let ey = rect.uy;
  let w = rect.width;
  let h = rect.height;
  if (Math.abs(ey) > Math.abs(ex)) {
    [ex, ey] = [ey, -ex];
    [w, h] = [h, w];
  }
  if (ex < 0) {
    ex = -ex;
    ey = -ey;
  }
  if (w > 0 && h / w >= verticalRatio) {
    // Vertical line: read downwards; the glyphs' "down" then points to −x.
    [ex, ey] = [-ey, ex];
    [w, h] = [h, w];
  }
  // perp(e) = (−ey, ex) points down the glyphs in a y-down image frame.
  const px = -ey;
  const py = ex;
  const hw = w / 2;
  const hh = h / 2;
  const { cx, cy } = rect;
  return Float64Array.of(
    cx - hw * ex - hh * px,
    cy - hw * ey - hh * py,
    cx + hw * ex - hh * px,
    cy + hw * ey - hh * py,
    cx + hw * ex + hh * px,
    cy + hw * ey + hh * py,
    cx - hw * ex + hh * px,
    cy - hw * ey + hh * py,
  );
}

/** Length of the quad's reading side (p0→p1) and of its glyph side (p0→p3). */
export function quadSize(quad: Quad): { width: number; height: number } {
  return {
    width: Math.hypot(quad[2] - quad[0], quad[3] - quad[1]),
    height: Math.hypot(quad[6] - quad[0], quad[7] - quad[1]),
  };
}

/** Axis-aligned bounds [x0, y0, x1, y1] of a quad, clipped to a `width`×`height` image. */
export function quadBounds(quad: Quad, width: number, height: number): [number, number, number, number] {
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < 8; i += 2) {
    x0 = Math.min(x0, quad[i]);
    x1 = Math.max(x1, quad[i]);
    y0 = Math.min(y0, quad[i + 1]);
    y1 = Math.max(y1, quad[i + 1]);
  }
  const clip = (v: number, max: number) => Math.round(Math.min(Math.max(v, 0), max));
  return [clip(x0, width), clip(y0, height), clip(x1, width), clip(y1, height)];
}

/** The part of `quad` between fractions `from` and `to` (0..1) of its reading side. */
export function subQuad(quad: Quad, from: number, to: number): Quad {
  const dx = quad[2] - quad[0];
  const dy = quad[3] - quad[1];
  return Float64Array.of(
    quad[0] + from * dx,
    quad[1] + from * dy,
    quad[0] + to * dx,
    quad[1] + to * dy,
    quad[6] + to * dx,
    quad[7] + to * dy,
    quad[6] + from * dx,
    quad[7] + from * dy,
  );
}
