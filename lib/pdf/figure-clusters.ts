/**
 * Groups marks into figure regions. Images and vector pieces within `gap` of each other join;
 * rules join only what they (nearly) touch, so a chart's axes and grid lines hold its bars
 * together while a table rule or a column separator running past a figure stays out. Groups
 * whose boxes overlap are merged (single-linkage chains can leave L-shaped groups whose boxes
 * cross). A group is a figure when it has images or non-rule paths, is big enough in both
 * directions, and is not just one or two plain rectangles (a shaded panel behind text, a
 * table's header band). Rules of groups that are not figures are reported as rules.
 */
import type { Box } from '../types.ts';
import { connectBoxes, type Grid } from './box-grid.ts';
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
  /** How far (points) a rule reaches to join a neighbour. */
  ruleReach: number;
  /** Figures are at least this big (points) in both directions. */
  minFigureSide: number;
  /** Groups of at most this many plain rectangles, with nothing else, are panels, not figures. */
  maxPanelRects: number;
}

/** Merging overlapping groups converges in a few rounds; this bounds hostile cases. */
const MAX_MERGE_ROUNDS = 8;

function roundBox(box: Box): Box {
  return box.map((v) => Math.round(v * 100) / 100) as Box;
}

function byPosition(a: Box, b: Box): number {
  return a[1] - b[1] || a[0] - b[0];
}

function groupBoxes(marks: MarkList, labels: Int32Array, groups: number): Float64Array {
  const boxes = new Float64Array(groups * 4);
  for (let g = 0; g < groups; g++) boxes.set([Infinity, Infinity, -Infinity, -Infinity], g * 4);
  for (let i = 0; i < marks.length; i++) {
    const o = labels[i] * 4;
    const m = i * 4;
    boxes[o] = Math.min(boxes[o], marks.boxes[m]);
    boxes[o + 1] = Math.min(boxes[o + 1], marks.boxes[m + 1]);
    boxes[o + 2] = Math.max(boxes[o + 2], marks.boxes[m + 2]);
    boxes[o + 3] = Math.max(boxes[o + 3], marks.boxes[m + 3]);
  }
  return boxes;
}

export function clusterMarks(marks: MarkList, grid: Grid, options: ClusterOptions): { figures: Figure[]; rules: Box[] } {
  if (marks.length === 0) return { figures: [], rules: [] };
  const reach = (i: number) => (marks.kinds[i] === MarkKind.Rule ? options.ruleReach : options.gap / 2);
  let { labels, groups } = connectBoxes(marks.boxes, marks.length, reach, grid);
  let boxes = groupBoxes(marks, labels, groups);
  for (let round = 0; round < MAX_MERGE_ROUNDS; round++) {
    const merged = connectBoxes(boxes, groups, () => 0, grid);
    if (merged.groups === groups) break;
    for (let i = 0; i < marks.length; i++) labels[i] = merged.labels[labels[i]];
    groups = merged.groups;
    boxes = groupBoxes(marks, labels, groups);
  }

  const images = new Int32Array(groups);
  const paths = new Int32Array(groups);
  const plainRects = new Int32Array(groups);
  const paintOps = new Int32Array(groups);
  const lastOp = new Int32Array(groups).fill(-1);
  for (let i = 0; i < marks.length; i++) {
    const g = labels[i];
    const kind = marks.kinds[i];
    if (kind === MarkKind.Image) {
      images[g]++;
      continue;
    }
    if (kind === MarkKind.Path) {
      paths[g]++;
      if (marks.boxy[i]) plainRects[g]++;
    }
    // Marks arrive in operator order, so one operator's pieces are consecutive.
    if (marks.ops[i] !== lastOp[g]) {
      paintOps[g]++;
      lastOp[g] = marks.ops[i];
    }
  }

  const isFigure = new Uint8Array(groups);
  const figures: Figure[] = [];
  for (let g = 0; g < groups; g++) {
    const box: Box = [boxes[g * 4], boxes[g * 4 + 1], boxes[g * 4 + 2], boxes[g * 4 + 3]];
    const content = images[g] + paths[g];
    const bigEnough = box[2] - box[0] >= options.minFigureSide && box[3] - box[1] >= options.minFigureSide;
    const panel = images[g] === 0 && paths[g] === plainRects[g] && paths[g] <= options.maxPanelRects;
    if (content === 0 || !bigEnough || panel) continue;
    isFigure[g] = 1;
    const kind = images[g] > 0 ? (paintOps[g] > 0 ? 'mixed' : 'raster') : 'vector';
    figures.push({ box: roundBox(box), kind, imageCount: images[g], pathCount: paintOps[g] });
  }
  const rules: Box[] = [];
  for (let i = 0; i < marks.length; i++) {
    if (marks.kinds[i] === MarkKind.Rule && !isFigure[labels[i]]) rules.push(roundBox(marks.box(i)));
  }
  figures.sort((a, b) => byPosition(a.box, b.box));
  rules.sort(byPosition);
  return { figures, rules };
}
