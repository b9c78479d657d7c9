/**
 * Groups boxes that lie within a distance of each other, in time linear in the number of boxes
 * plus a fixed grid: each box, grown by its own radius, is painted onto an occupancy grid over
 * the page with a 2-D difference array (O(1) per box, however big), and connected groups of
 * occupied cells are labelled with a flood fill. Two boxes end up together when their grown
 * boxes touch, i.e. when their gap (largest of the x and y gaps) is at most the sum of their
 * radii, give or take one cell. Pairwise comparison would be quadratic, and hostile pages paint
 * tens of thousands of marks.
 */

/** Cells in the grid whatever the page size, so memory and time stay fixed (about 3 MB). */
const GRID_CELLS = 250_000;

export interface Grid {
  cols: number;
  rows: number;
  /** Cell side in points. */
  cell: number;
}

/** Cells along one side at most, so a hostile 10⁶ × 10⁻³ pt page cannot ask for millions. */
const MAX_SIDE_CELLS = 4096;

export function pageGrid(width: number, height: number): Grid {
  const cell = Math.max(Math.sqrt((width * height) / GRID_CELLS), width / MAX_SIDE_CELLS, height / MAX_SIDE_CELLS);
  return { cols: Math.max(1, Math.ceil(width / cell)), rows: Math.max(1, Math.ceil(height / cell)), cell };
}

function cellIndex(value: number, cell: number, count: number): number {
  const index = Math.floor(value / cell);
  // NaN lands in cell 0 rather than poisoning the arrays.
  return index >= 0 ? (index < count ? index : count - 1) : 0;
}

export interface Connected {
  /** Group of each box, from 0 without holes. */
  labels: Int32Array;
  groups: number;
  /** Group of grid cell (x, y), -1 where no grown box reaches. */
  cellLabel(x: number, y: number): number;
}

/** Cell range `[cx0, cy0, cx1, cy1]` (inclusive) covered by a box grown by `r`. */
export function cellRange(grid: Grid, x0: number, y0: number, x1: number, y1: number, r: number): [number, number, number, number] {
  return [
    cellIndex(x0 - r, grid.cell, grid.cols),
    cellIndex(y0 - r, grid.cell, grid.rows),
    cellIndex(x1 + r, grid.cell, grid.cols),
    cellIndex(y1 + r, grid.cell, grid.rows),
  ];
}

/**
 * Labels `count` boxes (`boxes` holds x0, y0, x1, y1 per box) so that boxes within reach of each
 * other share a label; `radius(i)` is how far box i reaches.
 *
 * Only the window of cells that the grown boxes cover is allocated and scanned: a page with a
 * small chart and a footer rule pays for that window, not for the whole page's quarter-million
 * cells (which cost about 1 ms per call on every page of a long manual).
 */
export function connectBoxes(boxes: Float64Array, count: number, radius: (i: number) => number, grid: Grid): Connected {
  const ranges = new Int32Array(count * 4);
  let wx0 = grid.cols;
  let wy0 = grid.rows;
  let wx1 = -1;
  let wy1 = -1;
  for (let i = 0; i < count; i++) {
    const o = i * 4;
    const range = cellRange(grid, boxes[o], boxes[o + 1], boxes[o + 2], boxes[o + 3], radius(i));
    ranges.set(range, o);
    wx0 = Math.min(wx0, range[0]);
    wy0 = Math.min(wy0, range[1]);
    wx1 = Math.max(wx1, range[2]);
    wy1 = Math.max(wy1, range[3]);
  }
  if (count === 0) return { labels: new Int32Array(0), groups: 0, cellLabel: () => -1 };
  // Window coordinates from here on.
  const cols = wx1 - wx0 + 1;
  const rows = wy1 - wy0 + 1;
  const stride = cols + 1;
  const diff = new Int32Array(stride * (rows + 1));
  const first = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const o = i * 4;
    const cx0 = ranges[o] - wx0;
    const cy0 = ranges[o + 1] - wy0;
    const cx1 = ranges[o + 2] - wx0 + 1;
    const cy1 = ranges[o + 3] - wy0 + 1;
    diff[cy0 * stride + cx0]++;
    diff[cy0 * stride + cx1]--;
    diff[cy1 * stride + cx0]--;
    diff[cy1 * stride + cx1]++;
    first[i] = cy0 * cols + cx0;
  }
  // Prefix sums turn the difference array into per-cell coverage counts.
  const occupied = new Uint8Array(cols * rows);
  const above = new Int32Array(cols);
  for (let y = 0; y < rows; y++) {
    let rowSum = 0;
    for (let x = 0; x < cols; x++) {
      rowSum += diff[y * stride + x];
      above[x] += rowSum;
      occupied[y * cols + x] = above[x] > 0 ? 1 : 0;
    }
  }
  // Flood fill, 4-connected, with an explicit stack (no recursion on big blobs).
  const cellLabels = new Int32Array(cols * rows).fill(-1);
  const stack = new Int32Array(cols * rows);
  let groups = 0;
  for (const start of first) {
    if (cellLabels[start] !== -1) continue;
    const label = groups++;
    let top = 0;
    stack[top++] = start;
    cellLabels[start] = label;
    const visit = (n: number) => {
      if (occupied[n] && cellLabels[n] === -1) {
        cellLabels[n] = label;
        stack[top++] = n;
      }
    };
    while (top > 0) {
      const c = stack[--top];
      const x = c % cols;
      if (x > 0) visit(c - 1);
      if (x < cols - 1) visit(c + 1);
      if (c >= cols) visit(c - cols);
      if (c + cols < cellLabels.length) visit(c + cols);
    }
  }
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) labels[i] = cellLabels[first[i]];
  const cellLabel = (x: number, y: number) => {
    const wx = x - wx0;
    const wy = y - wy0;
    return wx >= 0 && wx < cols && wy >= 0 && wy < rows ? cellLabels[wy * cols + wx] : -1;
  };
  return { labels, groups, cellLabel };
}
