/**
 * Drops container rectangles: big plain filled rectangles with other marks inside them, such as
 * a sidebar's background, a shaded box behind a code listing, or a slide's coloured panel.
 * They are backdrops, not content; kept, one would glue everything on it into one "figure".
 * A chart's plot-area background goes too, which is harmless: its axes, grid and data still
 * span the same region.
 */
import { MarkKind, MarkList } from './mark-list.ts';

/** Containment slack in points, for rounding in the producer's coordinates. */
const SLACK = 0.5;
/** Only the biggest candidates are checked, so a page of thousands of cells stays linear. */
const MAX_CANDIDATES = 1024;

function contains(boxes: Float64Array, outer: number, inner: number): boolean {
  const o = outer * 4;
  const i = inner * 4;
  return (
    boxes[i] >= boxes[o] - SLACK &&
    boxes[i + 1] >= boxes[o + 1] - SLACK &&
    boxes[i + 2] <= boxes[o + 2] + SLACK &&
    boxes[i + 3] <= boxes[o + 3] + SLACK
  );
}

/** Returns `marks` without its containers: plain rectangles of at least `minArea` pt² holding another mark. */
export function dropContainers(marks: MarkList, minArea: number): { marks: MarkList; dropped: number } {
  const area = (i: number) => (marks.boxes[i * 4 + 2] - marks.boxes[i * 4]) * (marks.boxes[i * 4 + 3] - marks.boxes[i * 4 + 1]);
  const candidates: number[] = [];
  for (let i = 0; i < marks.length; i++) {
    if (marks.kinds[i] === MarkKind.Path && marks.boxy[i] && area(i) >= minArea) candidates.push(i);
  }
  if (candidates.length === 0) return { marks, dropped: 0 };
  candidates.sort((a, b) => area(b) - area(a));
  const drop = new Uint8Array(marks.length);
  let dropped = 0;
  for (const c of candidates.slice(0, MAX_CANDIDATES)) {
    for (let j = 0; j < marks.length; j++) {
      // Another mark inside, smaller than the candidate (two equal boxes do not contain each other).
      if (j !== c && area(j) < area(c) && contains(marks.boxes, c, j)) {
        drop[c] = 1;
        dropped++;
        break;
      }
    }
  }
  if (dropped === 0) return { marks, dropped };
  const kept = new MarkList(marks.length - dropped, marks.length - dropped);
  for (let i = 0; i < marks.length; i++) {
    if (drop[i]) continue;
    const o = i * 4;
    kept.push(marks.boxes[o], marks.boxes[o + 1], marks.boxes[o + 2], marks.boxes[o + 3], marks.kinds[i] as MarkKind, marks.ops[i], marks.boxy[i] === 1);
  }
  return { marks: kept, dropped };
}
