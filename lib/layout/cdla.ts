/**
 * The CDLA layout detector on a PDF page: renders the page, runs the model, returns its regions
 * in page points (top-left origin, as the text layer's boxes). The model file is installed by
 * `npm run models:install -- layout-cdla`; nothing is downloaded at run time.
 */
import fs from 'node:fs/promises';
import ort from 'onnxruntime-node';
import { CDLA_LABELS, decode, INPUT_HEIGHT, INPUT_WIDTH, type LayoutRegion, modelLabels, preprocess, STRIDES } from '../../models/layout/cdla.ts';
import type { PDFDocumentProxy, PDFPageProxy } from '../pdf/pdfjs.ts';
import { DEFAULT_MAX_RENDER_PIXELS, renderPagePixels } from '../pdf/render/canvas.ts';

export interface LayoutDetector {
  session: ort.InferenceSession;
  labels: readonly string[];
}

export interface DetectedLayout {
  regions: LayoutRegion[];
  renderMs: number;
  inferenceMs: number;
}

/** Scores the package uses by default for this model. */
const SCORE_THRESHOLD = 0.5;
const IOU_THRESHOLD = 0.5;

export async function createLayoutDetector(file: string): Promise<LayoutDetector> {
  try {
    const bytes = new Uint8Array(await fs.readFile(file));
    const labels = modelLabels(bytes) ?? [...CDLA_LABELS];
    const session = await ort.InferenceSession.create(bytes, {
      logSeverityLevel: 3,
      executionProviders: ['cpu'],
      // One thread: pages are extracted by several threads already, one per core.
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    return { session, labels };
  } catch (error) {
    throw new Error(`Could not load the layout model ${file} (install it with: npm run models:install -- layout-cdla)`, { cause: error });
  }
}

const detectors = new Map<string, Promise<LayoutDetector>>();

/** The detector for `file`, loaded on first use and kept for the thread's life (pages come one after another). */
export function layoutDetector(file: string): Promise<LayoutDetector> {
  let detector = detectors.get(file);
  if (!detector) {
    detector = createLayoutDetector(file);
    // A failed load is not kept: the next page tries again and reports its own failure.
    detector.catch(() => detectors.delete(file));
    detectors.set(file, detector);
  }
  return detector;
}

export async function closeLayoutDetector(detector: LayoutDetector): Promise<void> {
  await detector.session.release();
}

export async function detectLayout(detector: LayoutDetector, doc: PDFDocumentProxy, page: PDFPageProxy): Promise<DetectedLayout> {
  const started = performance.now();
  const viewport = page.getViewport({ scale: 1 });
  // Twice the model's height, so the resize averages over pixels as it did on scanned pages.
  const dpi = (72 * 2 * INPUT_HEIGHT) / viewport.height;
  const image = await renderPagePixels(doc, page, { dpi, maxPixels: DEFAULT_MAX_RENDER_PIXELS });
  const rendered = performance.now();
  const input = new ort.Tensor('float32', preprocess(image.data, image.width, image.height, image.channels), [1, 3, INPUT_HEIGHT, INPUT_WIDTH]);
  const result = await detector.session.run({ [detector.session.inputNames[0]]: input });
  const names = detector.session.outputNames;
  const levels = STRIDES.length;
  if (names.length !== 2 * levels) throw new Error(`layout model: expected ${2 * levels} outputs (scores and boxes per stride), got ${names.length}`);
  const outputs = STRIDES.map((stride, i) => ({
    stride,
    scores: result[names[i]].data as Float32Array,
    distributions: result[names[i + levels]].data as Float32Array,
  }));
  const regions = decode(outputs, {
    scoreThreshold: SCORE_THRESHOLD,
    iouThreshold: IOU_THRESHOLD,
    scaleX: viewport.width / INPUT_WIDTH,
    scaleY: viewport.height / INPUT_HEIGHT,
    labels: detector.labels,
  });
  return { regions, renderMs: rendered - started, inferenceMs: performance.now() - rendered };
}
