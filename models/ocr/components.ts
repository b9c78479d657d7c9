/**
 * 8-connected components of a binary map, found by flood fill with an explicit typed-array stack.
 * DB post-processing needs only each component's outline (for its hull) and its pixel count and
 * mean probability, so this replaces OpenCV's findContours (see geometry.ts for why no OpenCV).
 */

export interface Component {
  /** Convex-hull candidates: each row's leftmost and rightmost pixel centre, flat [x, y, …], sorted by (y, x). */
  outline: Float64Array;
  /** Pixels in the component. */
  area: number;
  /** Mean of `scores` over the component's pixels (0 when no scores were given). */
  meanScore: number;
  /** Axis-aligned bounds in pixels, inclusive. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * Components of the non-zero pixels of `map` (`width`×`height`, row-major). `scores`, when given,
 * is a same-sized probability map averaged per component. Components smaller than `minArea`
 * pixels are skipped. Components come out in raster order of their first pixel.
 */
export function connectedComponents(
  map: Uint8Array,
  width: number,
  height: number,
  options: { scores?: Float32Array; minArea?: number } = {},
): Component[] {
  const minArea = options.minArea ?? 1;
  const scores = options.scores;
  const seen = new Uint8Array(width * height);
  // Every pixel is pushed at most once, so a stack the size of the map never overflows.
  const stack = new Int32Array(width * height);
  // Per-row extremes of the current component; rows are reset after each component, which keeps
  // the cost proportional to the component's height rather than the map's.
  const rowMin = new Int32Array(height).fill(width);
  const rowMax = new Int32Array(height).fill(-1);
  const out: Component[] = [];
  for (let start = 0; start < map.length; start++) {
    if (map[start] === 0 || seen[start] !== 0) continue;
    const y = (start / width) | 0;
    let x0 = start - y * width;
    let x1 = x0;
    let y0 = y;
    let y1 = y;
    let top = 0;
    let area = 0;
    let scoreSum = 0;
    stack[top++] = start;
    seen[start] = 1;
    while (top > 0) {
      const p = stack[--top];
      const py = (p / width) | 0;
      const px = p - py * width;
      area++;
      if (scores) scoreSum += scores[p];
      if (px < rowMin[py]) rowMin[py] = px;
      if (px > rowMax[py]) rowMax[py] = px;
      if (px < x0) x0 = px;
      if (px > x1) x1 = px;
      if (py < y0) y0 = py;
      if (py > y1) y1 = py;
      const left = px > 0;
      const right = px < width - 1;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = py + dy;
        if (ny < 0 || ny >= height) continue;
        const row = ny * width;
        for (let dx = left ? -1 : 0; dx <= (right ? 1 : 0); dx++) {
          const q = row + px + dx;
          if (map[q] !== 0 && seen[q] === 0) {
            seen[q] = 1;
            stack[top++] = q;
          }
        }
      }
    }
    if (area < minArea) {
      rowMin.fill(width, y0, y1 + 1);
      rowMax.fill(-1, y0, y1 + 1);
      continue;
    }
    // A flood fill from the first raster pixel never goes above its row, so rows y0..y1 are all set.
    const rows = y1 - y0 + 1;
    const outline = new Float64Array(4 * rows);
    let k = 0;
    for (let r = y0; r <= y1; r++) {
      outline[k++] = rowMin[r];
      outline[k++] = r;
      if (rowMax[r] !== rowMin[r]) {
        outline[k++] = rowMax[r];
        outline[k++] = r;
      }
    }
    rowMin.fill(width, y0, y1 + 1);
    rowMax.fill(-1, y0, y1 + 1);
    out.push({ outline: outline.slice(0, k), area, meanScore: scores ? scoreSum / area : 0, x0, y0, x1, y1 });
  }
  return out;
}
