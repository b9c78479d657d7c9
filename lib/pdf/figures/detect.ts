/**
 * Figures on a PDF page, found from what the page paints rather than from pixels: pdf.js's
 * operator list is replayed to get the box of every raster image and vector path piece
 * (`figure-marks.ts`; page backgrounds and specks dropped, thin long pieces marked as rules),
 * backdrop rectangles are set aside (`containers.ts`), the rest is grouped into figure regions
 * (`figure-clusters.ts`), and leftover rules are joined per ruling line (`rule-merge.ts`).
 * Text is not painted by paths, so paragraphs never become figures; nor do a chart's text
 * labels join its figure (a figure's box is that of its graphics).
 *
 * The grouping gap is relative to the page: 1.8% of the shorter side, 11 pt on Letter or A4.
 * Parts of one figure (bars, markers, legend swatches) usually sit closer than that, and axes
 * and grid lines bridge wider gaps, while two separate figures, or a figure and other graphics,
 * are kept apart by at least a caption line or a column gutter (12–24 pt in common two-column
 * styles). Sub-figures set further apart than the gap come out as separate figures. Scaling
 * with the page keeps the same behaviour on an A0 poster or a phone-sized page, whose figures
 * scale with it.
 */
import type { Box } from '../../../models/document/types.ts';
import { pageGrid } from './box-grid.ts';
import { dropContainers } from './containers.ts';
import { AnnotationMode, type PDFPageProxy } from '../pdfjs.ts';
import { type Figure, clusterMarks } from './clusters.ts';
import { collectMarks, type MarkOptions, type MarkStats, type OperatorListLike, type ViewportLike } from './marks.ts';
import { mergeRules } from './rule-merge.ts';

export type { Figure, OperatorListLike, ViewportLike };

export interface FigureOptions extends MarkOptions {
  /** Largest gap between parts of one figure, as a share of the page's shorter side. */
  gapRatio: number;
  /** Smallest figure side, as a share of the page's shorter side. */
  minFigureRatio: number;
  /** Smallest figure area, as a share of the page's area (drops icon-sized clusters). */
  minFigureAreaRatio: number;
  /** How far a rule reaches (points) to join a neighbour: touching, give or take a line width. */
  ruleReach: number;
  /** Groups of at most this many plain rectangles and nothing else are panels, not figures. */
  maxPanelRects: number;
  /**
   * Plain filled rectangles at least this big (side of an equal-area square, as a share of the
   * page's shorter side) with other marks inside are backdrops and are ignored.
   */
  containerRatio: number;
}

export const defaultFigureOptions: FigureOptions = {
  maxOps: 50_000,
  maxMarks: 20_000,
  maxPathValues: 2_000_000,
  backgroundCoverage: 0.9,
  tinyMarkSide: 1.5,
  ruleMaxThickness: 2,
  ruleThicknessRatio: 0.003,
  ruleMinLength: 12,
  gapRatio: 0.018,
  minFigureRatio: 0.04,
  minFigureAreaRatio: 0.003,
  ruleReach: 2,
  maxPanelRects: 2,
  containerRatio: 0.1,
};

export interface FigureDetection {
  /** Figure regions, top to bottom then left to right. */
  figures: Figure[];
  /**
   * Thin horizontal or vertical lines outside figures (table rules, underlines, separators),
   * collinear pieces joined.
   */
  rules: Box[];
  stats: MarkStats & { marks: number; containers: number };
}

/** Finds figures and rules in an operator list; `viewport` is the page's scale-1 viewport. */
export function detectFigures(
  list: OperatorListLike,
  viewport: ViewportLike,
  options: Partial<FigureOptions> = {},
): FigureDetection {
  const settings = { ...defaultFigureOptions, ...options };
  const collected = collectMarks(list, viewport, settings);
  const shorter = Math.min(viewport.width, viewport.height);
  const { marks, dropped } = dropContainers(collected.marks, (settings.containerRatio * shorter) ** 2);
  const stats = { ...collected.stats, marks: collected.marks.length, containers: dropped };
  if (marks.length === 0) return { figures: [], rules: [], stats };
  const { figures, rules } = clusterMarks(marks, pageGrid(viewport.width, viewport.height), {
    gap: settings.gapRatio * shorter,
    ruleReach: settings.ruleReach,
    minFigureSide: settings.minFigureRatio * shorter,
    minFigureArea: settings.minFigureAreaRatio * viewport.width * viewport.height,
    maxPanelRects: settings.maxPanelRects,
    pageWidth: viewport.width,
    pageHeight: viewport.height,
    pageSpan: settings.backgroundCoverage,
  });
  return { figures, rules: mergeRules(rules), stats };
}

/**
 * Finds the figures of a pdf.js page. Annotations (form widgets, link borders) are left out:
 * they are not part of the page's content. Pass `isOptionalContentVisible` (from
 * `doc.getOptionalContentConfig()`) to skip hidden layers. pdf.js's `getOperatorList` itself
 * never returns on some malformed files (operator_list_cycle.pdf of the corpus loops, growing
 * its memory), so call this where a page timeout can stop the thread, as page extraction does.
 */
export async function findPageFigures(page: PDFPageProxy, options: Partial<FigureOptions> = {}): Promise<FigureDetection> {
  const viewport = page.getViewport({ scale: 1 });
  let list: OperatorListLike;
  try {
    list = await page.getOperatorList({ annotationMode: AnnotationMode.DISABLE });
  } catch (error) {
    throw new Error(`Reading the drawing operators of page ${page.pageNumber} failed`, { cause: error });
  }
  return detectFigures(list, viewport, options);
}
