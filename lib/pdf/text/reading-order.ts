/**
 * Reading order of a page's text segments. Most producers draw text a column at a time, and
 * then the content-stream order is already right; some draw across the page line by line,
 * which interleaves columns. So: find a column gutter (a vertical band that several wide
 * segments lie fully left of and several fully right of); if there is one, read the page as
 * bands separated by the elements that span the gutter (titles, wide figures), and each band
 * column by column, top to bottom. Without a gutter the stream order stands (tables and
 * unusual layouts keep the order their author wrote them in). Recursion handles 3+ columns.
 */
import type { Box } from '../../../models/document/types.ts';

export interface Segment {
  box: Box;
  size: number;
}

/** Segments at least this wide (in ems, or this share of the region) count as column text. */
const WIDE_EMS = 8;
const WIDE_SHARE = 0.2;
/** A gutter needs this many column-text segments on each side. */
const MIN_PER_SIDE = 3;
/** Share of segments allowed to span the gutter (titles, captions, full-width figures). */
const MAX_STRADDLE_SHARE = 0.25;

function medianSize(segments: readonly Segment[]): number {
  const sizes = segments.map((s) => s.size).sort((a, b) => a - b);
  return sizes[sizes.length >> 1] || 10;
}

/** The x position of the best gutter, or null. */
export function findGutter(segments: readonly Segment[]): number | null {
  if (segments.length < 2 * MIN_PER_SIDE) return null;
  const em = medianSize(segments);
  const left = Math.min(...segments.map((s) => s.box[0]));
  const right = Math.max(...segments.map((s) => s.box[2]));
  const wide = segments.filter((s) => s.box[2] - s.box[0] >= Math.min(WIDE_EMS * em, WIDE_SHARE * (right - left)));
  let best: { x: number; score: number } | null = null;
  for (const candidate of wide) {
    // Try a gutter just right of each wide segment.
    const x = candidate.box[2] + 0.25 * em;
    let leftCount = 0;
    let rightCount = 0;
    for (const s of wide) {
      if (s.box[2] <= x) leftCount++;
      else if (s.box[0] >= x + 0.5 * em) rightCount++;
    }
    const straddling = segments.filter((s) => s.box[0] < x && s.box[2] > x + 0.5 * em).length;
    if (leftCount < MIN_PER_SIDE || rightCount < MIN_PER_SIDE) continue;
    if (straddling > MAX_STRADDLE_SHARE * segments.length) continue;
    const score = Math.min(leftCount, rightCount) - straddling;
    if (!best || score > best.score) best = { x, score };
  }
  return best?.x ?? null;
}

/** Top to bottom; pieces of one line (middles within 0.4 em) left to right. */
function byTop(a: Segment, b: Segment): number {
  const ma = (a.box[1] + a.box[3]) / 2;
  const mb = (b.box[1] + b.box[3]) / 2;
  if (Math.abs(ma - mb) < 0.4 * Math.min(a.size, b.size)) return a.box[0] - b.box[0];
  return ma - mb;
}

/** Indices of `segments` in reading order. */
export function readingOrder(segments: readonly Segment[], depth = 0): number[] {
  const indices = segments.map((_, i) => i);
  const gutter = depth < 3 ? findGutter(segments) : null;
  if (gutter === null) return indices;
  const em = medianSize(segments);
  const spans = (i: number) => segments[i].box[0] < gutter && segments[i].box[2] > gutter + 0.5 * em;
  const straddlers = indices.filter(spans).sort((a, b) => byTop(segments[a], segments[b]));
  // Bands between consecutive spanning elements; each segment goes to the band of its middle.
  const cuts = straddlers.map((i) => (segments[i].box[1] + segments[i].box[3]) / 2);
  const bandOf = (i: number) => {
    const middle = (segments[i].box[1] + segments[i].box[3]) / 2;
    let band = 0;
    while (band < cuts.length && middle > cuts[band]) band++;
    return band;
  };
  const bands: number[][] = Array.from({ length: cuts.length + 1 }, () => []);
  for (const i of indices) if (!spans(i)) bands[bandOf(i)].push(i);
  const order: number[] = [];
  bands.forEach((band, b) => {
    const leftSide = band.filter((i) => segments[i].box[2] <= gutter + 0.5 * em && segments[i].box[0] < gutter);
    const rightSide = band.filter((i) => !leftSide.includes(i));
    for (const side of [leftSide, rightSide]) {
      const sorted = [...side].sort((a, c) => byTop(segments[a], segments[c]));
      const inner = readingOrder(
        sorted.map((i) => segments[i]),
        depth + 1,
      );
      for (const k of inner) order.push(sorted[k]);
    }
    if (b < straddlers.length) order.push(straddlers[b]);
  });
  return order;
}
