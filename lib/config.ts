/**
 * Configuration comes from the environment, read here and nowhere else. `loadConfig` parses it
 * into one slice per process or stage; each stage owns its settings type and defaults beside its
 * code, and this file only turns variables into them. README's configuration table lists every
 * variable below; keep the two in step.
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { DEFAULT_JUDGE, JUDGE_NORMALISATIONS } from '../models/answer/judge.ts';
import { DEFAULT_BUDGET, POLICY_NAMES } from '../models/llm/policies/index.ts';
import { WEIGHT_FORMATS } from '../models/llm/quantize.ts';
import { DEFAULT_RETENTION } from '../models/visual/compress/pipeline.ts';
import type { LlmReaderSettings } from './answer/llm.ts';
import { defaultReaderKind, LLM_PROMPT_STYLES, READER_KINDS, type ReaderSettings } from './answer/reader-settings.ts';
import type { EmbedderSettings } from './embed/embedder-of.ts';
import { DEFAULT_HUB_ENDPOINT, type HubOptions } from './hub/download.ts';
import { defaultFigureCropSettings, defaultOcrSettings, defaultPageImageSettings, type PageSettings } from './pages/settings.ts';
import { DEFAULT_MAX_RENDER_PIXELS } from './pdf/render/canvas.ts';
import type { StorageSettings } from './store/open.ts';
import type { VisualSettings } from './visual/encoder-of.ts';

/** Where Temporal is and how the embedded dev server runs when there is no cluster. */
export interface TemporalSettings {
  /** A frontend address; when unset, `npm start` runs an embedded dev server. */
  address: string | undefined;
  namespace: string;
  taskQueue: string;
  /** Ports of the embedded dev server's frontend and Web UI. */
  devServerPort: number;
  devServerUiPort: number;
  /** A `temporal` binary named explicitly (TEMPORAL_CLI), and the PATH to search otherwise. */
  cli: string | undefined;
  searchPath: string;
  /**
   * Whether workflows set Folio's search attributes (FolioDocId, FolioStatus, …). Setting one the
   * server has not registered fails the workflow task, so: on with the embedded dev server (which
   * registers them at start), off with TEMPORAL_ADDRESS unless FOLIO_SEARCH_ATTRIBUTES=1 says
   * they were registered on the cluster.
   */
  searchAttributes: boolean;
}

/** The HTTP API process. */
export interface ApiSettings {
  port: number;
  host: string;
  /** Bearer keys accepted by /v1 routes; empty means no auth. */
  keys: string[];
  maxUploadBytes: number;
  /** SHA-256 (hex) of accepted keys, for configuration that should not hold the keys themselves. */
  keyHashes: string[];
  /** Log level of the API's JSON log lines (FOLIO_LOG_LEVEL). */
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  /** Origins allowed to call the API from a browser; empty: no CORS headers. `*` allows any. */
  corsOrigins: string[];
  /** Requests per minute per key (per client address without keys), and the burst; 0 means no limit. */
  rateLimit: { perMinute: number; burst: number };
  /** Where the web page links each document's workflow: the Temporal Web UI and the namespace. */
  temporalUi: { url: string; namespace: string };
}

/**
 * How a document's ingestion is cut up and bounded. The API puts these in the workflow's input,
 * so the workflow's timeouts and the worker's limits come from one reading of them.
 */
export interface IngestSettings {
  /** Pages per extraction activity, and how many such activities run at once per document. */
  pageBatchSize: number;
  batchParallelism: number;
  /** Time limit for one page (and for opening the file). */
  pageTimeoutMs: number;
}

/** Batches: children in flight at once, and documents per run before continueAsNew. */
export interface BatchSettings {
  window: number;
  continueAsNewAfter: number;
}

/** The worker process. */
export interface WorkerSettings {
  /** Activities one worker runs at once. */
  activitySlots: number;
  /** PDF extraction threads per worker process, shared by its activities. */
  extractionThreads: number;
  /** Documents with more pages fail with a clear reason. */
  maxPages: number;
  /** Temporal SDK log level. */
  logLevel: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

/** Where the `folio` command line finds the API, and the key it sends. */
export interface CliSettings {
  url: string;
  apiKey: string | undefined;
}

export interface FolioConfig {
  /** Root of SQLite metadata, blob store and the embedded Temporal dev server's database. */
  dataDir: string;
  temporal: TemporalSettings;
  api: ApiSettings;
  ingest: IngestSettings;
  batch: BatchSettings;
  worker: WorkerSettings;
  pages: PageSettings;
  visual: VisualSettings;
  embedder: EmbedderSettings;
  hub: Required<Pick<HubOptions, 'endpoint'>> & Pick<HubOptions, 'token'>;
  /** The LLM reader; answers are extractive when `dir` is unset. */
  llm: Omit<LlmReaderSettings, 'dir'> & { dir: string | undefined };
  /** Which reader answers (FOLIO_READER) and the judge's settings. */
  reader: ReaderSettings;
  cli: CliSettings;
  /** Where metadata and blobs live: embedded under dataDir, or PostgreSQL and S3. */
  storage: StorageSettings;
}

/** `raw` (case-insensitive; unset or empty means `fallback`) if it is one of `allowed`, else an error naming `name`. */
function oneOf<T extends string>(name: string, raw: string | undefined, allowed: readonly T[], fallback: T): T {
  const value = (raw || fallback).toLowerCase();
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return value as T;
}

/** FOLIO_LLM_ATTENTION: `auto` (undefined: the model picks native when built, else ort), `native` or `ort`. */
function llmAttentionFrom(raw: string | undefined): LlmReaderSettings['attention'] {
  const value = oneOf('FOLIO_LLM_ATTENTION', raw, ['auto', 'native', 'ort'] as const, 'auto');
  return value === 'auto' ? undefined : value;
}

/** FOLIO_LLM_WEIGHTS: `auto` (undefined: a GGUF file's own blocks, else fp32) or a format by name. */
function llmWeightsFrom(raw: string | undefined): LlmReaderSettings['weights'] {
  const value = oneOf('FOLIO_LLM_WEIGHTS', raw, ['auto', ...WEIGHT_FORMATS] as const, 'auto');
  return value === 'auto' ? undefined : value;
}

function weightBlockFrom(raw: string | undefined): number {
  const value = raw ? Number(raw) : 32;
  if (!(Number.isInteger(value) && value >= 16 && value <= 256 && (value & (value - 1)) === 0)) {
    throw new Error(`FOLIO_LLM_WEIGHT_BLOCK must be a power of two from 16 to 256, got "${raw}"`);
  }
  return value;
}

/** FOLIO_READER (default: the LLM when a checkpoint is set, else extractive) and the judge's settings. */
function readerFrom(env: NodeJS.ProcessEnv): ReaderSettings {
  const checkpoint = Boolean(env.FOLIO_LLM_FILE || env.FOLIO_LLM_DIR);
  const kind = oneOf('FOLIO_READER', env.FOLIO_READER, READER_KINDS, defaultReaderKind(checkpoint));
  if (kind !== 'extractive' && !checkpoint) throw new Error(`FOLIO_READER=${kind} needs a checkpoint: set FOLIO_LLM_FILE or FOLIO_LLM_DIR`);
  return {
    kind,
    judge: {
      candidates: Math.max(1, intFrom(env, 'FOLIO_JUDGE_CANDIDATES', DEFAULT_JUDGE.candidates)),
      normalisation: oneOf('FOLIO_JUDGE_NORMALISATION', env.FOLIO_JUDGE_NORMALISATION, JUDGE_NORMALISATIONS, DEFAULT_JUDGE.normalisation),
    },
  };
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

function listFrom(raw: string | undefined): string[] {
  return (raw || '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** FOLIO_API_KEY_HASHES: comma-separated SHA-256 hex digests of keys. */
function keyHashesFrom(raw: string | undefined): string[] {
  const hashes = listFrom(raw).map((hash) => hash.toLowerCase());
  const bad = hashes.find((hash) => !/^[0-9a-f]{64}$/.test(hash));
  if (bad !== undefined) throw new Error(`FOLIO_API_KEY_HASHES must hold SHA-256 digests (64 hex digits each), got "${bad}"`);
  return hashes;
}

/** FOLIO_RATE_LIMIT: requests per minute, written `120` or `120/min`; FOLIO_RATE_BURST defaults to the same. */
function rateLimitFrom(env: NodeJS.ProcessEnv): ApiSettings['rateLimit'] {
  const raw = (env.FOLIO_RATE_LIMIT ?? '').trim();
  const match = /^(\d+)(?:\s*\/\s*min)?$/i.exec(raw);
  if (raw !== '' && !match) throw new Error(`FOLIO_RATE_LIMIT must be requests per minute, like 120 or 120/min, got "${raw}"`);
  const perMinute = match ? Number(match[1]) : 0;
  return { perMinute, burst: Math.max(1, intFrom(env, 'FOLIO_RATE_BURST', perMinute)) };
}

function flagFrom(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '') return fallback;
  if (['1', 'true', 'on', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'off', 'no'].includes(raw)) return false;
  throw new Error(`${name} must be 1 or 0, got "${env[name]}"`);
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

/**
 * The page stages' settings: each stage's defaults, with what the environment says. One render
 * limit (FOLIO_MAX_RENDER_PIXELS) bounds OCR renders, figure crops and page images alike, and an
 * OCR DPI of 0 turns OCR off.
 */
function pageSettingsFrom(env: NodeJS.ProcessEnv): PageSettings {
  const maxPixels = intFrom(env, 'FOLIO_MAX_RENDER_PIXELS', DEFAULT_MAX_RENDER_PIXELS);
  const ocrDpi = intFrom(env, 'FOLIO_OCR_DPI', defaultOcrSettings.dpi);
  return {
    ocr: { ...defaultOcrSettings, enabled: ocrDpi > 0, dpi: ocrDpi, maxPixels },
    figureCrops: { ...defaultFigureCropSettings, maxPixels },
    // The layout model's ONNX file (npm run models:install -- layout-cdla); unset is off.
    layout: { model: env.FOLIO_LAYOUT_MODEL ? path.resolve(env.FOLIO_LAYOUT_MODEL) : null },
    images: {
      ...defaultPageImageSettings,
      thumbnailMaxSide: Math.max(16, intFrom(env, 'FOLIO_THUMBNAIL_SIDE', defaultPageImageSettings.thumbnailMaxSide)),
      tile: intFrom(env, 'FOLIO_CROP_TILE', defaultPageImageSettings.tile),
      maxPixels,
    },
  };
}

/** FOLIO_DATABASE_URL: unset for SQLite under the data directory, else a postgres:// URL. */
function databaseUrlFrom(raw: string | undefined): string | undefined {
  const value = (raw ?? '').trim();
  if (value === '') return undefined;
  if (!/^postgres(ql)?:\/\//.test(value)) throw new Error('FOLIO_DATABASE_URL must be a postgres:// URL (unset it for the embedded SQLite store)');
  return value;
}

/** FOLIO_BLOB_URL: unset for the blob folder under the data directory, else s3://bucket/prefix. */
function blobUrlFrom(raw: string | undefined): StorageSettings['blobs'] {
  const value = (raw ?? '').trim();
  if (value === '') return undefined;
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(value);
  if (!match) throw new Error(`FOLIO_BLOB_URL must be s3://<bucket>[/<prefix>], got "${value}"`);
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { bucket: match[1], prefix: prefix ? `${prefix}/` : '' };
}

function storageSettingsFrom(env: NodeJS.ProcessEnv, dataDir: string): StorageSettings {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  return {
    dataDir,
    databaseUrl: databaseUrlFrom(env.FOLIO_DATABASE_URL),
    databasePoolSize: Math.max(1, intFrom(env, 'FOLIO_DATABASE_POOL', 8)),
    blobs: blobUrlFrom(env.FOLIO_BLOB_URL),
    blobCacheBytes: intFrom(env, 'FOLIO_BLOB_CACHE_BYTES', 1024 * 1024 * 1024),
    s3: {
      endpoint,
      region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
      accessKeyId: env.AWS_ACCESS_KEY_ID || undefined,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY || undefined,
      sessionToken: env.AWS_SESSION_TOKEN || undefined,
      // Servers other than AWS mostly want the bucket in the path.
      forcePathStyle: flagFrom(env, 'FOLIO_S3_PATH_STYLE', endpoint !== undefined),
    },
  };
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): FolioConfig {
  const dataDir = path.resolve(env.FOLIO_DATA_DIR || 'data');
  const port = intFrom(env, 'PORT', 8080);
  const visual: VisualSettings = {
    encoder: visionEncoderFrom(env.FOLIO_VISION_ENCODER),
    retention: ratioFrom(env, 'FOLIO_VISUAL_RETENTION', DEFAULT_RETENTION),
  };
  return {
    dataDir,
    temporal: {
      address: env.TEMPORAL_ADDRESS || undefined,
      namespace: env.TEMPORAL_NAMESPACE || 'default',
      taskQueue: env.FOLIO_TASK_QUEUE || 'folio-ingest',
      devServerPort: intFrom(env, 'FOLIO_TEMPORAL_DEV_PORT', 7233),
      devServerUiPort: intFrom(env, 'FOLIO_TEMPORAL_UI_PORT', 8233),
      cli: env.TEMPORAL_CLI || undefined,
      searchPath: env.PATH ?? '',
      searchAttributes: flagFrom(env, 'FOLIO_SEARCH_ATTRIBUTES', !env.TEMPORAL_ADDRESS),
    },
    api: {
      port,
      host: env.HOST || '127.0.0.1',
      keys: (env.FOLIO_API_KEYS || '')
        .split(',')
        .map((key) => key.trim())
        .filter(Boolean),
      maxUploadBytes: intFrom(env, 'FOLIO_MAX_UPLOAD_BYTES', 200 * 1024 * 1024),
      keyHashes: keyHashesFrom(env.FOLIO_API_KEY_HASHES),
      // One variable for all processes; the API logs its requests at info, so that is its default.
      logLevel: oneOf('FOLIO_LOG_LEVEL', env.FOLIO_LOG_LEVEL, LOG_LEVELS, 'info'),
      corsOrigins: listFrom(env.FOLIO_CORS_ORIGINS),
      rateLimit: rateLimitFrom(env),
      temporalUi: {
        url: (env.FOLIO_TEMPORAL_UI_URL || `http://127.0.0.1:${intFrom(env, 'FOLIO_TEMPORAL_UI_PORT', 8233)}`).replace(/\/+$/, ''),
        namespace: env.TEMPORAL_NAMESPACE || 'default',
      },
    },
    ingest: {
      pageBatchSize: Math.max(1, intFrom(env, 'FOLIO_PAGE_BATCH', 64)),
      batchParallelism: Math.max(1, intFrom(env, 'FOLIO_BATCH_PARALLELISM', 2)),
      pageTimeoutMs: intFrom(env, 'FOLIO_PAGE_TIMEOUT_MS', 30_000),
    },
    batch: {
      window: Math.max(1, intFrom(env, 'FOLIO_BATCH_WINDOW', 4)),
      continueAsNewAfter: Math.max(1, intFrom(env, 'FOLIO_BATCH_CONTINUE_AFTER', 500)),
    },
    worker: {
      activitySlots: Math.max(1, intFrom(env, 'FOLIO_WORKER_ACTIVITIES', 4)),
      extractionThreads: Math.max(1, intFrom(env, 'FOLIO_EXTRACTION_THREADS', availableParallelism())),
      maxPages: intFrom(env, 'FOLIO_MAX_PAGES', 5000),
      logLevel: oneOf('FOLIO_LOG_LEVEL', env.FOLIO_LOG_LEVEL, LOG_LEVELS, 'warn').toUpperCase() as WorkerSettings['logLevel'],
    },
    pages: { ...pageSettingsFrom(env), visualTokens: visual },
    visual,
    embedder: { dir: env.FOLIO_EMBEDDER_DIR ? path.resolve(env.FOLIO_EMBEDDER_DIR) : undefined },
    hub: { endpoint: env.HF_ENDPOINT || DEFAULT_HUB_ENDPOINT, token: env.HF_TOKEN || undefined },
    llm: {
      // A checkpoint folder, or a .gguf file (FOLIO_LLM_FILE, or FOLIO_LLM_DIR pointing at one).
      dir: env.FOLIO_LLM_FILE || env.FOLIO_LLM_DIR ? path.resolve((env.FOLIO_LLM_FILE || env.FOLIO_LLM_DIR) as string) : undefined,
      policy: oneOf('FOLIO_LLM_POLICY', env.FOLIO_LLM_POLICY, POLICY_NAMES, 'tidaldecode'),
      budget: Math.max(1, intFrom(env, 'FOLIO_LLM_BUDGET', DEFAULT_BUDGET)),
      maxNewTokens: Math.max(1, intFrom(env, 'FOLIO_LLM_MAX_NEW_TOKENS', 160)),
      weights: llmWeightsFrom(env.FOLIO_LLM_WEIGHTS),
      weightBlock: weightBlockFrom(env.FOLIO_LLM_WEIGHT_BLOCK),
      attention: llmAttentionFrom(env.FOLIO_LLM_ATTENTION),
      prompt: oneOf('FOLIO_LLM_PROMPT', env.FOLIO_LLM_PROMPT, LLM_PROMPT_STYLES, 'auto'),
    },
    reader: readerFrom(env),
    cli: {
      url: (env.FOLIO_URL || `http://127.0.0.1:${env.PORT || 8080}`).replace(/\/+$/, ''),
      apiKey: env.FOLIO_API_KEY || undefined,
    },
    storage: storageSettingsFrom(env, dataDir),
  };
}

/** Where the Temporal address resolves to: an explicit cluster or the embedded dev server. */
export function temporalAddressOf(temporal: TemporalSettings): string {
  return temporal.address ?? `127.0.0.1:${temporal.devServerPort}`;
}
