/**
 * All configuration comes from the environment, read once here. README's configuration table
 * lists every variable below; keep the two in step.
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { DecodeAttentionKernel } from '../models/llm/model.ts';
import { WEIGHT_FORMATS, type WeightFormat } from '../models/llm/quantize.ts';
import { defaultOcrSettings, defaultPageImageSettings } from './pages/settings.ts';
import { DEFAULT_MAX_RENDER_PIXELS } from './pdf/render/canvas.ts';

export interface FolioConfig {
  /** HTTP port of the API. */
  port: number;
  /** Host/interface the API binds to. */
  host: string;
  /** Root of SQLite metadata, blob store and the embedded Temporal dev server's database. */
  dataDir: string;
  /** Temporal frontend address; when unset, `npm start` runs an embedded dev server. */
  temporalAddress: string | undefined;
  temporalNamespace: string;
  taskQueue: string;
  /** Port of the embedded dev server (frontend) and its Web UI. */
  devServerPort: number;
  devServerUiPort: number;
  /** Bearer keys accepted by /v1 routes; empty means no auth. */
  apiKeys: string[];
  /** Limits: bad or hostile input must fail its own document, never the worker. */
  maxUploadBytes: number;
  maxPages: number;
  pageTimeoutMs: number;
  /** Pages per extraction activity, and how many such activities run at once per document. */
  pageBatchSize: number;
  batchParallelism: number;
  /** Activities one worker runs at once. */
  workerActivitySlots: number;
  /** PDF extraction threads per worker process, shared by its activities. */
  extractionThreads: number;
  /** A sentence-transformers ONNX export folder; when set, retrieval adds dense scoring. */
  embedderDir: string | undefined;
  /** Longest side of a stored page thumbnail, in pixels. */
  thumbnailMaxSide: number;
  /** Read pages without a usable text layer with OCR, rendered at this DPI (0 turns OCR off). */
  ocrDpi: number;
  /** Tile side of the AnyRes crop plan stored for every page (0 turns crops off). */
  cropTile: number;
  /** Largest rendered image (width × height) that sharp/canvas may be asked to produce. */
  maxRenderPixels: number;
  /** Visual-token stage: `builtin` (weight-free patch encoder), an ONNX export folder, or `off`. */
  visionEncoder: string;
  /** Share of a page's visual tokens the compression keeps, in (0, 1]. */
  visualRetention: number;
  /** Hugging Face hub origin for model downloads (`folio models pull`), e.g. a mirror. */
  hubEndpoint: string;
  /** Hub access token for gated or private repositories. */
  hubToken: string | undefined;
  /** A Hugging Face Llama/Qwen2/Mistral checkpoint folder; when set, answers come from this LLM. */
  llmDir: string | undefined;
  /** Attention policy of the LLM reader at decode time. */
  llmPolicy: LlmPolicyName;
  /** KV positions per head the sparse policies attend to. */
  llmBudget: number;
  /** Longest answer the LLM reader writes, in tokens. */
  llmMaxNewTokens: number;
  /** The LLM's Linear weights at run time: fp32 as stored, or block-quantised int8/int4. */
  llmWeights: WeightFormat;
  /** Weights per scale when `llmWeights` is quantised: a power of two from 16 to 256. */
  llmWeightBlock: number;
  /** Where decode attention runs: Folio's native kernel, onnxruntime, or the default (native when built). */
  llmAttention: LlmAttentionKernel | undefined;
}

const LLM_POLICIES = ['dense', 'streaming', 'tidaldecode', 'tokenselect', 'quest'] as const;
export type LlmPolicyName = (typeof LLM_POLICIES)[number];

/** `raw` (case-insensitive; unset or empty means `fallback`) if it is one of `allowed`, else an error naming `name`. */
function oneOf<T extends string>(name: string, raw: string | undefined, allowed: readonly T[], fallback: T): T {
  const value = (raw || fallback).toLowerCase();
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return value as T;
}

/** FOLIO_LLM_ATTENTION: `auto` (undefined: the model picks native when built, else ort), `native` or `ort`. */
export type LlmAttentionKernel = Exclude<DecodeAttentionKernel, 'ts'>;

function llmAttentionFrom(raw: string | undefined): LlmAttentionKernel | undefined {
  const value = oneOf('FOLIO_LLM_ATTENTION', raw, ['auto', 'native', 'ort'] as const, 'auto');
  return value === 'auto' ? undefined : value;
}

function weightBlockFrom(raw: string | undefined): number {
  const value = raw ? Number(raw) : 32;
  if (!(Number.isInteger(value) && value >= 16 && value <= 256 && (value & (value - 1)) === 0)) {
    throw new Error(`FOLIO_LLM_WEIGHT_BLOCK must be a power of two from 16 to 256, got "${raw}"`);
  }
  return value;
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  }
  return Math.floor(value);
}

/** FOLIO_VISION_ENCODER: builtin (default), off (or 0), or a path to an ONNX export folder. */
function visionEncoderFrom(raw: string | undefined): string {
  const value = (raw ?? '').trim();
  if (value === '' || value === 'builtin') return 'builtin';
  if (value === 'off' || value === '0') return 'off';
  return path.resolve(value);
}

function ratioFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!(value > 0 && value <= 1)) throw new Error(`${name} must be a number in (0, 1], got "${raw}"`);
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): FolioConfig {
  const dataDir = path.resolve(env.FOLIO_DATA_DIR || 'data');
  return {
    port: intFrom(env, 'PORT', 8080),
    host: env.HOST || '127.0.0.1',
    dataDir,
    temporalAddress: env.TEMPORAL_ADDRESS || undefined,
    temporalNamespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.FOLIO_TASK_QUEUE || 'folio-ingest',
    devServerPort: intFrom(env, 'FOLIO_TEMPORAL_DEV_PORT', 7233),
    devServerUiPort: intFrom(env, 'FOLIO_TEMPORAL_UI_PORT', 8233),
    apiKeys: (env.FOLIO_API_KEYS || '')
      .split(',')
      .map((key) => key.trim())
      .filter(Boolean),
    maxUploadBytes: intFrom(env, 'FOLIO_MAX_UPLOAD_BYTES', 200 * 1024 * 1024),
    maxPages: intFrom(env, 'FOLIO_MAX_PAGES', 5000),
    pageTimeoutMs: intFrom(env, 'FOLIO_PAGE_TIMEOUT_MS', 30_000),
    pageBatchSize: Math.max(1, intFrom(env, 'FOLIO_PAGE_BATCH', 64)),
    batchParallelism: Math.max(1, intFrom(env, 'FOLIO_BATCH_PARALLELISM', 2)),
    workerActivitySlots: Math.max(1, intFrom(env, 'FOLIO_WORKER_ACTIVITIES', 4)),
    extractionThreads: Math.max(1, intFrom(env, 'FOLIO_EXTRACTION_THREADS', availableParallelism())),
    embedderDir: env.FOLIO_EMBEDDER_DIR ? path.resolve(env.FOLIO_EMBEDDER_DIR) : undefined,
    thumbnailMaxSide: Math.max(16, intFrom(env, 'FOLIO_THUMBNAIL_SIDE', defaultPageImageSettings.thumbnailMaxSide)),
    cropTile: intFrom(env, 'FOLIO_CROP_TILE', defaultPageImageSettings.tile),
    ocrDpi: intFrom(env, 'FOLIO_OCR_DPI', defaultOcrSettings.dpi),
    maxRenderPixels: intFrom(env, 'FOLIO_MAX_RENDER_PIXELS', DEFAULT_MAX_RENDER_PIXELS),
    visionEncoder: visionEncoderFrom(env.FOLIO_VISION_ENCODER),
    visualRetention: ratioFrom(env, 'FOLIO_VISUAL_RETENTION', 0.25),
    hubEndpoint: env.HF_ENDPOINT || 'https://huggingface.co',
    hubToken: env.HF_TOKEN || undefined,
    llmDir: env.FOLIO_LLM_DIR ? path.resolve(env.FOLIO_LLM_DIR) : undefined,
    llmPolicy: oneOf('FOLIO_LLM_POLICY', env.FOLIO_LLM_POLICY, LLM_POLICIES, 'tidaldecode'),
    llmBudget: Math.max(1, intFrom(env, 'FOLIO_LLM_BUDGET', 2048)),
    llmMaxNewTokens: Math.max(1, intFrom(env, 'FOLIO_LLM_MAX_NEW_TOKENS', 160)),
    llmWeights: oneOf('FOLIO_LLM_WEIGHTS', env.FOLIO_LLM_WEIGHTS, WEIGHT_FORMATS, 'fp32'),
    llmWeightBlock: weightBlockFrom(env.FOLIO_LLM_WEIGHT_BLOCK),
    llmAttention: llmAttentionFrom(env.FOLIO_LLM_ATTENTION),
  };
}

/** Where the Temporal address resolves to: an explicit cluster or the embedded dev server. */
export function temporalAddressOf(config: FolioConfig): string {
  return config.temporalAddress ?? `127.0.0.1:${config.devServerPort}`;
}
