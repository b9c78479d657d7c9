/**
 * Groups marks into figure regions, in three steps:
 *
 * 1. Images and non-rule paths within `gap` of each other join (single linkage).
 * 2. Rules bridge the groups they touch (within `ruleReach + gap / 2` of a mark), so a chart's
 *    axes and grid lines hold bars that stand further apart than `gap`. Rules never link
 *    through other rules: a table's frame touches every cell, and would otherwise glue a
 *    picture in one cell to an icon in another, or to every underline on the page. Rules
 *    spanning the page (borders, full-height column separators) bridge nothing.
 * 3. Groups whose boxes overlap merge (single linkage can leave L-shaped groups that cross).
 *
 * A group is a figure when it is big enough (both sides, and area) and is not just one or two plain
 * rectangles (a shaded panel behind text, a table's header band). A touching rule joins the
 * figure only where it runs along its images and paths (an axis, a frame), not when it merely
 * passes by; all other rules are reported as rules.
 */
import type { Box } from '../../../models/document/types.ts';
import { cellRange, connectBoxes, type Grid } from './box-grid.ts';
import { MarkKind, type MarkList } from './mark-list.ts';

export interface Figure {
  box: Box;
  kind: 'raster' | 'vector' | 'mixed';
  /** Images painted in the region. */
  imageCount: number;
  /** Painting operators (fills, strokes) that drew vector pieces in the region, rules included. */
  pathCount: number;
}

export interface ClusterOptions {
  /** Largest gap (points) between two images or paths of one figure. */
  gap: number;
  /** How far (points) a rule reaches to touch a group, beyond the half gap its marks reach. */
  ruleReach: number;
  /** Figures are at least this big (points) in both directions ... */
  minFigureSide: number;
  /** ... and at least this big in area (pt²). */
  minFigureArea: number;
  /** Groups of at most this many plain rectangles, with nothing else, are panels, not figures. */
  maxPanelRects: number;
  pageWidth: number;
  pageHeight: number;
  /** Rules at least this share of the page long are page decoration (borders): they bridge nothing. */
  pageSpan: number;
}

/** Merging overlapping groups converges in a few rounds; this bounds hostile cases. */
const MAX_MERGE_ROUNDS = 8;
/** Grid cells scanned for rule contacts per page, at most; later rules stay unattached. */
const MAX_RULE_CELLS = 8_000_000;

function roundBox(box: Box): Box {
  return box.map((v) => Math.round(v * 100) / 100) as Box;
}

function byPosition(a: Box, b: Box): number {
  return a[1] - b[1] || a[0] - b[0];
}

function emptyBoxes(count: number): Float64Array {
  const boxes = new Float64Array(count * 4);
  for (let g = 0; g < count; g++) boxes.set([Infinity, Infinity, -Infinity, -Infinity], g * 4);
  return boxes;
}

/** Grows box `g` of `boxes` to hold mark `i`. */
function grow(boxes: Float64Array, g: number, marks: MarkList, i: number): void {
  const o = g * 4;
  const m = i * 4;
  boxes[o] = Math.min(boxes[o], marks.boxes[m]);
  boxes[o + 1] = Math.min(boxes[o + 1], marks.boxes[m + 1]);
  boxes[o + 2] = Math.max(boxes[o + 2], marks.boxes[m + 2]);
  boxes[o + 3] = Math.max(boxes[o + 3], marks.boxes[m + 3]);
}

/**
 * Whether a rule runs along a core box: within `margin` of it across its direction, and at
 * least half of its length beside the core.
 */
function runsAlong(rule: Box, core: Float64Array, g: number, margin: number): boolean {
  const [cx0, cy0, cx1, cy1] = [core[g * 4], core[g * 4 + 1], core[g * 4 + 2], core[g * 4 + 3]];
  const horizontal = rule[2] - rule[0] >= rule[3] - rule[1];
  const [a0, a1, c0, c1] = horizontal ? [rule[0], rule[2], rule[1], rule[3]] : [rule[1], rule[3], rule[0], rule[2]];
  const [k0, k1, j0, j1] = horizontal ? [cx0, cx1, cy0, cy1] : [cy0, cy1, cx0, cx1];
  if (c1 < j0 - margin || c0 > j1 + margin) return false;
  const beside = Math.min(a1, k1) - Math.max(a0, k0);
  return beside >= 0.5 * (a1 - a0);
}

/** Union-find over group ids, with path halving. */
function find(parent: Int32Array, x: number): number {
  let node = x;
  while (parent[node] !== node) {
    parent[node] = parent[parent[node]];
    node = parent[node];
  }
  return node;
}

export function clusterMarks(marks: MarkList, grid: Grid, options: ClusterOptions): { figures: Figure[]; rules: Box[] } {
  // Per mark: its group, or -1 (a rule touching nothing).
  const group = new Int32Array(marks.length).fill(-1);
  const contentIndex: number[] = [];
  const ruleIndex: number[] = [];
  for (let i = 0; i < marks.length; i++) (marks.kinds[i] === MarkKind.Rule ? ruleIndex : contentIndex).push(i);
  const allRules = () => ruleIndex.map((i) => roundBox(marks.box(i))).sort(byPosition);
  if (contentIndex.length === 0) return { figures: [], rules: allRules() };

  // 1. Content marks within `gap` of each other.
  const contentBoxes = new Float64Array(contentIndex.length * 4);
  contentIndex.forEach((i, k) => {
    contentBoxes.set(marks.boxes.subarray(i * 4, i * 4 + 4), k * 4);
  });
  const first = connectBoxes(contentBoxes, contentIndex.length, () => options.gap / 2, grid);

  // 2. Rules bridge the content groups whose grown cells they touch.
  const parent = new Int32Array(first.groups);
  for (let g = 0; g < first.groups; g++) parent[g] = g;
  const touched = new Int32Array(marks.length).fill(-1);
  let budget = MAX_RULE_CELLS;
  for (const i of ruleIndex) {
    const o = i * 4;
    const spansPage =
      marks.boxes[o + 2] - marks.boxes[o] >= options.pageSpan * options.pageWidth ||
      marks.boxes[o + 3] - marks.boxes[o + 1] >= options.pageSpan * options.pageHeight;
    if (spansPage) continue;
    const [cx0, cy0, cx1, cy1] = cellRange(grid, marks.boxes[o], marks.boxes[o + 1], marks.boxes[o + 2], marks.boxes[o + 3], options.ruleReach);
    budget -= (cx1 - cx0 + 1) * (cy1 - cy0 + 1);
    if (budget < 0) break;
    let seen = -1;
    for (let y = cy0; y <= cy1; y++) {
      for (let x = cx0; x <= cx1; x++) {
        const label = first.cellLabel(x, y);
        if (label < 0) continue;
        if (seen < 0) seen = label;
        else parent[find(parent, label)] = find(parent, seen);
      }
    }
    touched[i] = seen;
  }
  const compact = new Int32Array(first.groups).fill(-1);
  let groups = 0;
  for (let g = 0; g < first.groups; g++) {
    const root = find(parent, g);
    if (compact[root] < 0) compact[root] = groups++;
    compact[g] = compact[root];
  }
  contentIndex.forEach((i, k) => {
    group[i] = compact[first.labels[k]];
  });
  for (const i of ruleIndex) if (touched[i] >= 0) group[i] = compact[touched[i]];

  // 3. Merge groups whose core boxes (images and paths only) overlap.
  const coreBoxes = () => {
    const boxes = emptyBoxes(groups);
    for (const i of contentIndex) grow(boxes, group[i], marks, i);
    return boxes;
  };
  let core = coreBoxes();
  for (let round = 0; round < MAX_MERGE_ROUNDS; round++) {
    const merged = connectBoxes(core, groups, () => 0, grid);
    if (merged.groups === groups) break;
    for (let i = 0; i < marks.length; i++) if (group[i] >= 0) group[i] = merged.labels[group[i]];
    groups = merged.groups;
    core = coreBoxes();
  }

  // Counts per group, and the rules that run along each group's core.
  const images = new Int32Array(groups);
  const paths = new Int32Array(groups);
  const plainRects = new Int32Array(groups);
  for (const i of contentIndex) {
    if (marks.kinds[i] === MarkKind.Image) images[group[i]]++;
    else {
      paths[group[i]]++;
      if (marks.boxy[i]) plainRects[group[i]]++;
    }
  }
  const boxes = core.slice();
  for (const i of ruleIndex) {
    if (group[i] >= 0 && runsAlong(marks.box(i), core, group[i], options.gap)) grow(boxes, group[i], marks, i);
    else group[i] = -1;
  }
  // Painting operators behind each group's vector pieces; marks arrive in operator order, so
  // one operator's pieces are consecutive.
  const paintOps = new Int32Array(groups);
  const lastOp = new Int32Array(groups).fill(-1);
  for (let i = 0; i < marks.length; i++) {
    const g = group[i];
    if (g < 0 || marks.kinds[i] === MarkKind.Image || marks.ops[i] === lastOp[g]) continue;
    paintOps[g]++;
    lastOp[g] = marks.ops[i];
  }

  const isFigure = new Uint8Array(groups);
  const figures: Figure[] = [];
  for (let g = 0; g < groups; g++) {
    const box: Box = [boxes[g * 4], boxes[g * 4 + 1], boxes[g * 4 + 2], boxes[g * 4 + 3]];
    const [w, h] = [box[2] - box[0], box[3] - box[1]];
    const bigEnough = w >= options.minFigureSide && h >= options.minFigureSide && w * h >= options.minFigureArea;
    const panel = images[g] === 0 && paths[g] === plainRects[g] && paths[g] <= options.maxPanelRects;
    if (!bigEnough || panel) continue;
    isFigure[g] = 1;
    const kind = images[g] > 0 ? (paintOps[g] > 0 ? 'mixed' : 'raster') : 'vector';
    figures.push({ box: roundBox(box), kind, imageCount: images[g], pathCount: paintOps[g] });
  }
  const rules: Box[] = [];
  for (const i of ruleIndex) if (group[i] < 0 || !isFigure[group[i]]) rules.push(roundBox(marks.box(i)));
  figures.sort((a, b) => byPosition(a.box, b.box));
  rules.sort(byPosition);
  return { figures, rules };
}
