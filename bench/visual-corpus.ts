/**
 * Pages of the QA corpus with the labels PDFs give for free: each page's AnyRes crop images
 * (as ingestion renders them) and the boxes of its text and figure units (as extraction finds
 * them). Shared by the foreground scorer's training (bench/train-foreground.ts) and the
 * visual-token benchmark (bench/visual-tokens.ts), with one fixed train / held-out split by
 * document, so the benchmark never scores pages the scorer was trained on.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cropValidPatches } from '../models/visual/compress/globalcom2.ts';
import { cropBoxes, thumbnailBoxes } from '../models/visual/compress/token-boxes.ts';
import { type CropPlan, validBand } from '../models/visual/crop-plan.ts';
import { extractPagesInThreads } from '../lib/pages/extractor.ts';
import { defaultFigureCropSettings, defaultOcrSettings, defaultPageImageSettings } from '../lib/pages/settings.ts';
import type { Box } from '../models/document/types.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const QA_PDFS = process.env.FOLIO_CORPUS ? path.join(process.env.FOLIO_CORPUS, 'qa', 'pdfs') : path.resolve(root, '..', 'shared', 'corpus', 'qa', 'pdfs');

export interface CorpusSlice {
  file: string;
  /** Every `step`-th page from 1 up to `maxPages`. */
  step: number;
  maxPages: number;
}

/** Training documents: the gnuplot manual (every 4th page) and the DeclareDesign paper. */
export const TRAIN_SLICES: CorpusSlice[] = [
  { file: 'gnuplot.pdf', step: 4, maxPages: 311 },
  { file: 'declaredesign-paper.pdf', step: 1, maxPages: 62 },
];

/** Held-out documents: the COMET paper (every page) and the Octave manual (every 16th page). */
export const HELD_OUT_SLICES: CorpusSlice[] = [
  { file: 'comet-paper.pdf', step: 1, maxPages: 15 },
  { file: 'octave.pdf', step: 16, maxPages: 1158 },
];

export interface LabelledPage {
  doc: string;
  page: number;
  width: number;
  height: number;
  plan: CropPlan;
  /** The crop plan's canvas as PNG (lib/visual/stored-crops.ts cuts the crops from it). */
  canvasPng: Uint8Array;
  /** Text and figure unit boxes, PDF points, top-left origin. */
  boxes: Box[];
}

export async function loadCorpusPages(slices: CorpusSlice[], options: { tile?: number; threads?: number; limit?: number } = {}): Promise<LabelledPage[]> {
  const out: LabelledPage[] = [];
  for (const slice of slices) {
    const pages: number[] = [];
    for (let p = 1; p <= slice.maxPages; p += slice.step) pages.push(p);
    const limited = options.limit ? pages.slice(0, options.limit) : pages;
    await extractPagesInThreads(
      path.join(QA_PDFS, slice.file),
      limited,
      {
        maxPages: 10_000,
        pageTimeoutMs: 60_000,
        pageSettings: {
          ocr: { ...defaultOcrSettings, enabled: false },
          figureCrops: defaultFigureCropSettings,
          images: { ...defaultPageImageSettings, thumbnailMaxSide: 64, tile: options.tile ?? 336 },
        },
        threadHeapMb: 2048,
        threads: options.threads ?? 2,
      },
      (result) => {
        if (result.error || !result.cropPlan || !result.cropCanvasPng) return;
        out.push({
          doc: slice.file,
          page: result.page,
          width: result.width,
          height: result.height,
          plan: result.cropPlan,
          canvasPng: result.cropCanvasPng,
          boxes: result.paragraphs.map((unit) => unit.bbox),
        });
      },
    );
  }
  return out;
}

/** A page raster at 1 point per cell: 1 where a text or figure box lies. */
export interface AreaMask {
  width: number;
  height: number;
  mask: Uint8Array;
  area: number;
  /** Summed-area table ((width+1) × (height+1)) for box coverage queries. */
  integral: Float64Array;
}

function cellRange(a: number, b: number, max: number): [number, number] {
  return [Math.max(0, Math.min(max, Math.floor(a))), Math.max(0, Math.min(max, Math.ceil(b)))];
}

export function areaMask(page: { width: number; height: number; boxes: readonly Box[] }): AreaMask {
  const width = Math.max(1, Math.ceil(page.width));
  const height = Math.max(1, Math.ceil(page.height));
  const mask = new Uint8Array(width * height);
  for (const [x0, y0, x1, y1] of page.boxes) {
    const [cx0, cx1] = cellRange(x0, x1, width);
    const [cy0, cy1] = cellRange(y0, y1, height);
    for (let y = cy0; y < cy1; y++) mask.fill(1, y * width + cx0, y * width + cx1);
  }
  let area = 0;
  const integral = new Float64Array((width + 1) * (height + 1));
  for (let y = 0; y < height; y++) {
    let row = 0;
    for (let x = 0; x < width; x++) {
      row += mask[y * width + x];
      integral[(y + 1) * (width + 1) + x + 1] = integral[y * (width + 1) + x + 1] + row;
    }
    area += row;
  }
  return { width, height, mask, area, integral };
}

/** Share of the box's cells that lie in the mask (0 for an empty box). */
export function boxCoverage(m: AreaMask, box: ArrayLike<number>, at = 0): number {
  const [x0, x1] = cellRange(box[at], box[at + 2], m.width);
  const [y0, y1] = cellRange(box[at + 1], box[at + 3], m.height);
  const cells = (x1 - x0) * (y1 - y0);
  if (cells <= 0) return 0;
  const W = m.width + 1;
  const s = m.integral[y1 * W + x1] - m.integral[y0 * W + x1] - m.integral[y1 * W + x0] + m.integral[y0 * W + x0];
  return s / cells;
}

/** Share of the mask's area covered by the union of the boxes (4 numbers each). 1 for an empty mask. */
export function areaRecall(m: AreaMask, boxes: Float32Array, count = boxes.length / 4): number {
  if (m.area === 0) return 1;
  const covered = new Uint8Array(m.width * m.height);
  for (let t = 0; t < count; t++) {
    const [x0, x1] = cellRange(boxes[t * 4], boxes[t * 4 + 2], m.width);
    const [y0, y1] = cellRange(boxes[t * 4 + 1], boxes[t * 4 + 3], m.height);
    for (let y = y0; y < y1; y++) covered.fill(1, y * m.width + x0, y * m.width + x1);
  }
  let hit = 0;
  for (let i = 0; i < covered.length; i++) hit += covered[i] & m.mask[i];
  return hit / m.area;
}

/**
 * The token pool of a page on a rows×cols encoder grid: per image (0 = visual thumbnail, then
 * tiles) the valid patch indices and every patch's box in PDF points.
 */
export function tokenPool(page: LabelledPage, rows: number, cols: number): { valid: Int32Array[]; boxes: Float32Array[] } {
  const band = validBand(page.width, page.height, page.plan.grid.rows * rows, page.plan.grid.cols * cols);
  const geometry = { grid: page.plan.grid, patches: rows, validRows: band.validRows, validCols: band.validCols };
  const valid: Int32Array[] = [Int32Array.from({ length: rows * cols }, (_, i) => i)];
  const boxes = [thumbnailBoxes(page, page.plan.tile, rows, cols)];
  page.plan.tiles.forEach((_, k) => {
    valid.push(cropValidPatches(geometry, k).indices);
    boxes.push(cropBoxes(page, page.plan, k, rows, cols));
  });
  return { valid, boxes };
}
