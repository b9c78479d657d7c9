/**
 * Reads a sentence-transformers style export directory (the layout of the Hugging Face hub's
 * sentence-embedding repos and of their ONNX exports) into the few facts the embedder needs.
 * Only model files are read here; nothing is fetched.
 *
 * When modules.json and the Pooling module's config are absent the export is treated as a bare
 * transformer: mean pooling and no normalisation, which is sentence-transformers' own default
 * when it wraps a plain Hugging Face model. L2 normalisation is applied only when modules.json
 * lists a Normalize module, because normalising changes dot-product scores for models trained
 * without it.
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PoolingMode } from './pooling.ts';

type Json = Record<string, unknown>;

export interface ExportConfig {
  dir: string;
  modelPath: string;
  tokenizerJson: Json;
  tokenizerConfig: Json;
  pooling: PoolingMode[];
  normalize: boolean;
  /** Modules after the transformer that are neither Pooling nor Normalize (Dense, LayerNorm…). */
  unsupportedModules: string[];
  /** Token budget per text, special tokens included. */
  maxLength: number;
  /** sentence_bert_config.json do_lower_case: lowercase texts before tokenising. */
  lowercaseInput: boolean;
  /** Transformer width from config.json / the pooling config, when the export states it. */
  hiddenSize: number | undefined;
}

export interface ExportOptions {
  /** Model file relative to the directory; default model.onnx, else onnx/model.onnx. */
  modelFile?: string;
  /** Overrides sentence_bert_config.json max_seq_length (still capped by the model's positions). */
  maxLength?: number;
}

interface ModuleEntry {
  path: string;
  type: string;
}

/** Tokenizer configs use int(1e30) for "no limit"; anything this large is treated as unset. */
const UNSET_LENGTH = 1e9;
/** Used only when no file states a length: the usual BERT-family limit. */
const FALLBACK_MAX_LENGTH = 512;

const POOLING_KEYS: ReadonlyArray<[string, PoolingMode]> = [
  ['pooling_mode_cls_token', 'cls'],
  ['pooling_mode_max_tokens', 'max'],
  ['pooling_mode_mean_tokens', 'mean'],
  ['pooling_mode_mean_sqrt_len_tokens', 'mean_sqrt_len'],
  ['pooling_mode_weightedmean_tokens', 'weightedmean'],
  ['pooling_mode_lasttoken', 'lasttoken'],
];

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function readJson(path: string, what: string): Promise<Json> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new Error(`${what} not found or unreadable at ${path}`, { cause });
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object') throw new Error('not a JSON object or array');
    return value as Json;
  } catch (cause) {
    throw new Error(`${what} at ${path} is not valid JSON`, { cause });
  }
}

async function readOptionalJson(path: string, what: string): Promise<Json | undefined> {
  return (await exists(path)) ? readJson(path, what) : undefined;
}

function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value < UNSET_LENGTH ? value : undefined;
}

async function findModel(dir: string, modelFile: string | undefined): Promise<string> {
  const candidates = modelFile ? [modelFile] : ['model.onnx', join('onnx', 'model.onnx')];
  for (const file of candidates) {
    const path = join(dir, file);
    if (await exists(path)) return path;
  }
  throw new Error(`no ONNX model in ${dir}: looked for ${candidates.map((c) => join(dir, c)).join(', ')}`);
}

function parseModules(raw: Json | undefined, path: string): ModuleEntry[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) throw new Error(`modules.json at ${path} is not a list`);
  return raw.map((entry: Json) => ({ path: String(entry.path ?? ''), type: String(entry.type ?? '') }));
}

function poolingModes(config: Json | undefined, path: string): PoolingMode[] {
  if (config === undefined) return ['mean'];
  const modes = POOLING_KEYS.filter(([key]) => config[key] === true).map(([, mode]) => mode);
  // Newer sentence-transformers also write pooling_mode as a string; older ones only the flags.
  if (modes.length === 0 && typeof config.pooling_mode === 'string') {
    const named = POOLING_KEYS.find(([, mode]) => mode === config.pooling_mode);
    if (named) modes.push(named[1]);
  }
  if (modes.length === 0) throw new Error(`pooling config at ${path} enables no pooling mode Folio supports`);
  return modes;
}

function resolveMaxLength(options: ExportOptions, sbert: Json | undefined, tokenizerConfig: Json, modelConfig: Json): number {
  const positions = positiveInt(modelConfig.max_position_embeddings);
  // sentence-transformers' order: explicit max_seq_length, else the smaller of the tokenizer's
  // and the model's limits.
  const stated =
    positiveInt(options.maxLength) ??
    positiveInt(sbert?.max_seq_length) ??
    Math.min(positiveInt(tokenizerConfig.model_max_length) ?? Number.POSITIVE_INFINITY, positions ?? Number.POSITIVE_INFINITY);
  const length = Number.isFinite(stated) ? stated : FALLBACK_MAX_LENGTH;
  // More tokens than position embeddings would index past the table inside the graph.
  return positions === undefined ? length : Math.min(length, positions);
}

export async function readExportConfig(dir: string, options: ExportOptions = {}): Promise<ExportConfig> {
  const tokenizerPath = join(dir, 'tokenizer.json');
  if (!(await exists(tokenizerPath))) {
    throw new Error(`tokenizer.json not found at ${tokenizerPath}: the embedder needs the fast-tokenizer file of the export`);
  }
  const modelPath = await findModel(dir, options.modelFile);
  const tokenizerJson = await readJson(tokenizerPath, 'tokenizer.json');
  const tokenizerConfig = (await readOptionalJson(join(dir, 'tokenizer_config.json'), 'tokenizer_config.json')) ?? {};
  const modelConfig = (await readOptionalJson(join(dir, 'config.json'), 'config.json')) ?? {};
  const sbert = await readOptionalJson(join(dir, 'sentence_bert_config.json'), 'sentence_bert_config.json');
  const modulesPath = join(dir, 'modules.json');
  const modules = parseModules(await readOptionalJson(modulesPath, 'modules.json'), modulesPath);

  const poolingModule = modules?.find((m) => m.type.endsWith('.Pooling'));
  const poolingPath = join(dir, poolingModule?.path ?? '1_Pooling', 'config.json');
  // A modules.json that names a Pooling module promises its config; a bare directory does not.
  const poolingConfig = poolingModule
    ? await readJson(poolingPath, 'pooling config')
    : await readOptionalJson(poolingPath, 'pooling config');

  const hiddenSize =
    positiveInt(poolingConfig?.word_embedding_dimension) ?? positiveInt(modelConfig.hidden_size) ?? positiveInt(modelConfig.dim) ?? positiveInt(modelConfig.d_model);

  return {
    dir,
    modelPath,
    tokenizerJson,
    tokenizerConfig,
    pooling: poolingModes(poolingConfig, poolingPath),
    normalize: modules?.some((m) => m.type.endsWith('.Normalize')) ?? false,
    unsupportedModules: (modules ?? [])
      .filter((m) => !/\.(Transformer|Pooling|Normalize)$/.test(m.type))
      .map((m) => `${m.type} (${m.path || '.'})`),
    maxLength: resolveMaxLength(options, sbert, tokenizerConfig, modelConfig),
    lowercaseInput: sbert?.do_lower_case === true,
    hiddenSize,
  };
}
