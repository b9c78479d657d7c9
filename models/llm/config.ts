/**
 * Hugging Face config.json → LlmConfig. Fields left out of a config.json take the defaults of
 * the matching transformers config class (LlamaConfig, Qwen2Config, MistralConfig), because that
 * is what the checkpoint was trained and exported against. Anything the forward pass cannot
 * honour (another architecture, another activation, MLP biases, an unknown RoPE variant) is an
 * error that names the field, never a silent approximation.
 */
import type { LlmArchitecture, LlmConfig, RopeScaling } from './types.ts';

type Json = Record<string, unknown>;

interface ArchitectureDefaults {
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  /** null = same as numHeads. */
  numKvHeads: number | null;
  maxPositions: number;
  bosTokenId: number | null;
  eosTokenId: number | null;
  /** MistralConfig and Qwen2Config default sliding_window to 4096; LlamaConfig has none. */
  slidingWindow: number | null;
}

/** The architectures read from a config.json; Gemma 3 comes from GGUF files (gguf-config.ts). */
type ConfigJsonArchitecture = Exclude<LlmArchitecture, 'Gemma3ForCausalLM'>;

const DEFAULTS: Record<ConfigJsonArchitecture, ArchitectureDefaults> = {
  LlamaForCausalLM: {
    modelType: 'llama',
    vocabSize: 32000,
    hiddenSize: 4096,
    intermediateSize: 11008,
    numLayers: 32,
    numHeads: 32,
    numKvHeads: null,
    maxPositions: 2048,
    bosTokenId: 1,
    eosTokenId: 2,
    slidingWindow: null,
  },
  Qwen2ForCausalLM: {
    modelType: 'qwen2',
    vocabSize: 151936,
    hiddenSize: 4096,
    intermediateSize: 22016,
    numLayers: 32,
    numHeads: 32,
    numKvHeads: 32,
    maxPositions: 32768,
    bosTokenId: null,
    eosTokenId: null,
    slidingWindow: 4096,
  },
  MistralForCausalLM: {
    modelType: 'mistral',
    vocabSize: 32000,
    hiddenSize: 4096,
    intermediateSize: 14336,
    numLayers: 32,
    numHeads: 32,
    numKvHeads: 8,
    maxPositions: 4096 * 32,
    bosTokenId: 1,
    eosTokenId: 2,
    slidingWindow: 4096,
  },
};

export const SUPPORTED_ARCHITECTURES = Object.keys(DEFAULTS) as ConfigJsonArchitecture[];

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function architectureOf(json: Json): ConfigJsonArchitecture {
  const declared = Array.isArray(json.architectures) ? json.architectures.filter((a): a is string => typeof a === 'string') : [];
  const supported = declared.find((name): name is ConfigJsonArchitecture => name in DEFAULTS);
  if (supported) return supported;
  if (declared.length > 0) {
    throw new Error(`unsupported architecture ${declared.join(', ')} in config.json; Folio runs ${SUPPORTED_ARCHITECTURES.join(', ')}`);
  }
  const modelType = json.model_type;
  const byType = SUPPORTED_ARCHITECTURES.find((name) => DEFAULTS[name].modelType === modelType);
  if (byType) return byType;
  throw new Error(
    `unsupported model_type ${JSON.stringify(modelType)} in config.json (no "architectures" either); Folio runs model types ${SUPPORTED_ARCHITECTURES.map((a) => DEFAULTS[a].modelType).join(', ')}`,
  );
}

/** A field that must be a positive integer when present. */
function intField(json: Json, key: string, fallback: number): number {
  const value = json[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new Error(`config.json: ${key} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function numberField(source: Json, key: string, fallback: number | undefined, where = 'config.json'): number {
  const value = source[key];
  if (value === undefined || value === null) {
    if (fallback === undefined) throw new Error(`${where}: ${key} is required`);
    return fallback;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${where}: ${key} must be a number, got ${JSON.stringify(value)}`);
  return value;
}

function tokenIds(value: unknown, fallback: number | null, key: string): number[] {
  if (value === undefined) return fallback === null ? [] : [fallback];
  if (value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  for (const id of list) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw new Error(`config.json: ${key} must be a token id or a list of them, got ${JSON.stringify(value)}`);
  }
  return list as number[];
}

/** HF's yarn attention factor ("mscale" of the YaRN paper). */
function yarnMscale(scale: number, mscale = 1): number {
  return scale <= 1 ? 1 : 0.1 * mscale * Math.log(scale) + 1;
}

/**
 * `rope_scaling` (transformers ≤ 4.x, key `type` or `rope_type`) or `rope_parameters`
 * (transformers 5, which also carries rope_theta). Returns null for plain RoPE.
 */
export function parseRopeScaling(raw: unknown, maxPositions: number): RopeScaling | null {
  if (raw === undefined || raw === null) return null;
  if (!isObject(raw)) throw new Error(`config.json: rope_scaling must be an object, got ${JSON.stringify(raw)}`);
  const kind = raw.rope_type ?? raw.type;
  const where = 'config.json rope_scaling';
  if (kind === undefined || kind === 'default') return null;
  const factor = numberField(raw, 'factor', undefined, where);
  switch (kind) {
    case 'linear':
      return { type: 'linear', factor };
    case 'dynamic':
      // transformers' dynamic NTK ignores rope_scaling.original_max_position_embeddings (a TODO in
      // modeling_rope_utils) and scales against max_position_embeddings; so do we.
      return { type: 'dynamic', factor, originalMaxPositions: maxPositions };
    case 'llama3':
      return {
        type: 'llama3',
        factor,
        lowFreqFactor: numberField(raw, 'low_freq_factor', undefined, where),
        highFreqFactor: numberField(raw, 'high_freq_factor', undefined, where),
        originalMaxPositions: numberField(raw, 'original_max_position_embeddings', undefined, where),
      };
    case 'yarn': {
      const given = raw.original_max_position_embeddings;
      // As in transformers: a given original length redefines the factor as the context ratio.
      const original = given === undefined || given === null ? maxPositions : numberField(raw, 'original_max_position_embeddings', undefined, where);
      const effective = given === undefined || given === null ? factor : maxPositions / original;
      const mscale = typeof raw.mscale === 'number' ? raw.mscale : undefined;
      const mscaleAllDim = typeof raw.mscale_all_dim === 'number' ? raw.mscale_all_dim : undefined;
      const attentionFactor =
        typeof raw.attention_factor === 'number'
          ? raw.attention_factor
          : mscale && mscaleAllDim
            ? yarnMscale(effective, mscale) / yarnMscale(effective, mscaleAllDim)
            : yarnMscale(effective);
      return {
        type: 'yarn',
        factor: effective,
        originalMaxPositions: original,
        // `or` defaults, as in transformers: a 0 in the file also means the default.
        betaFast: typeof raw.beta_fast === 'number' && raw.beta_fast !== 0 ? raw.beta_fast : 32,
        betaSlow: typeof raw.beta_slow === 'number' && raw.beta_slow !== 0 ? raw.beta_slow : 1,
        attentionFactor,
        truncate: raw.truncate !== false,
      };
    }
    default:
      throw new Error(`${where}: unsupported RoPE type ${JSON.stringify(kind)}; Folio supports linear, dynamic, llama3 and yarn`);
  }
}

/** Which layers slide: Qwen2's explicit `layer_types`, else its layers from `max_window_layers` on. */
function qwen2SlidingLayers(json: Json, numLayers: number): boolean[] {
  if (Array.isArray(json.layer_types)) {
    if (json.layer_types.length !== numLayers) throw new Error(`config.json: layer_types has ${json.layer_types.length} entries for ${numLayers} layers`);
    return json.layer_types.map((type, i) => {
      if (type === 'sliding_attention') return true;
      if (type === 'full_attention') return false;
      throw new Error(`config.json: layer_types[${i}] is ${JSON.stringify(type)}, expected "full_attention" or "sliding_attention"`);
    });
  }
  const first = intField(json, 'max_window_layers', 28);
  return Array.from({ length: numLayers }, (_, i) => i >= first);
}

/** Parses a config.json object (already JSON.parse'd). */
export function parseLlmConfig(json: unknown): LlmConfig {
  if (!isObject(json)) throw new Error('config.json must hold a JSON object');
  const architecture = architectureOf(json);
  const d = DEFAULTS[architecture];

  const activation = json.hidden_act ?? 'silu';
  if (activation !== 'silu') throw new Error(`config.json: hidden_act ${JSON.stringify(activation)} is not supported (only silu, the SwiGLU of ${architecture})`);
  if (json.mlp_bias === true) throw new Error('config.json: mlp_bias true is not supported');
  const partial = json.partial_rotary_factor;
  if (partial !== undefined && partial !== null && partial !== 1) throw new Error(`config.json: partial_rotary_factor ${JSON.stringify(partial)} is not supported`);

  const hiddenSize = intField(json, 'hidden_size', d.hiddenSize);
  const numHeads = intField(json, 'num_attention_heads', d.numHeads);
  const numKvHeads = intField(json, 'num_key_value_heads', d.numKvHeads ?? numHeads);
  if (numHeads % numKvHeads !== 0) throw new Error(`config.json: num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`);
  const givenHeadDim = json.head_dim;
  let headDim: number;
  if (givenHeadDim === undefined || givenHeadDim === null) {
    if (hiddenSize % numHeads !== 0) throw new Error(`config.json: hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads} and no head_dim is given`);
    headDim = hiddenSize / numHeads;
  } else {
    headDim = intField(json, 'head_dim', 0);
  }
  if (headDim % 2 !== 0) throw new Error(`config.json: head dimension ${headDim} must be even for RoPE`);
  const numLayers = intField(json, 'num_hidden_layers', d.numLayers);
  const maxPositions = intField(json, 'max_position_embeddings', d.maxPositions);

  // transformers 5 folds rope_theta and the scaling into one `rope_parameters` object.
  const ropeParameters = isObject(json.rope_parameters) ? json.rope_parameters : null;
  const ropeTheta = numberField(ropeParameters ?? json, 'rope_theta', 10000);
  const ropeScaling = parseRopeScaling(ropeParameters ?? json.rope_scaling, maxPositions);

  let attentionBias = false;
  let attentionOutputBias = false;
  let slidingWindow: number | null = null;
  let slidingLayers: boolean[] | undefined;
  const windowField = json.sliding_window === undefined ? d.slidingWindow : json.sliding_window;
  if (windowField !== null && (typeof windowField !== 'number' || !Number.isInteger(windowField) || windowField <= 0)) {
    throw new Error(`config.json: sliding_window must be a positive integer or null, got ${JSON.stringify(windowField)}`);
  }
  if (architecture === 'LlamaForCausalLM') {
    attentionBias = json.attention_bias === true;
    attentionOutputBias = attentionBias;
  } else if (architecture === 'Qwen2ForCausalLM') {
    attentionBias = true;
    if (json.use_sliding_window === true && windowField !== null) {
      slidingWindow = windowField;
      slidingLayers = qwen2SlidingLayers(json, numLayers);
      if (!slidingLayers.includes(true)) {
        slidingWindow = null;
        slidingLayers = undefined;
      }
    }
  } else {
    slidingWindow = windowField;
  }

  const config: LlmConfig = {
    architecture,
    vocabSize: intField(json, 'vocab_size', d.vocabSize),
    hiddenSize,
    intermediateSize: intField(json, 'intermediate_size', d.intermediateSize),
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: numberField(json, 'rms_norm_eps', 1e-6),
    ropeTheta,
    ropeScaling,
    maxPositions,
    tieWordEmbeddings: json.tie_word_embeddings === true,
    attentionBias,
    slidingWindow,
    bosTokenId: tokenIds(json.bos_token_id, d.bosTokenId, 'bos_token_id')[0] ?? null,
    eosTokenIds: tokenIds(json.eos_token_id, d.eosTokenId, 'eos_token_id'),
  };
  if (attentionOutputBias) config.attentionOutputBias = true;
  if (slidingLayers?.includes(false)) config.slidingLayers = slidingLayers;
  return config;
}

/** The sliding window layer `layer` attends with, or null for full causal attention. */
export function layerSlidingWindow(config: LlmConfig, layer: number): number | null {
  if (config.slidingWindow === null) return null;
  if (config.slidingLayers && !config.slidingLayers[layer]) return null;
  return config.slidingWindow;
}
