/**
 * A GGUF file's metadata and tensors in Folio's terms: the LlmConfig its `<arch>.*` keys describe,
 * and each HF-named tensor the forward pass reads, from its llama.cpp name (`blk.N.attn_q.weight`
 * is `model.layers.N.self_attn.q_proj.weight`) with its dimensions reversed (ggml lists the
 * fastest first) and, for Llama, its query/key rows put back in HF order.
 *
 * What llama.cpp knows about an architecture without writing it into the file, Folio has to know
 * too: Gemma 3's sliding-window layers come in a fixed pattern of five local layers then one global
 * one, and its local layers use RoPE base 10,000 whatever `rope.freq_base` (the global base) says.
 */
import type { GgufTensorInfo, GgufValue } from './gguf.ts';
import { repackGgufBlocks } from './gguf-repack.ts';
import type { BlockQuantized } from './quantize.ts';
import type { LlmArchitecture, LlmConfig, RopeScaling, Tensor } from './types.ts';

const ARCHITECTURES: Record<string, LlmArchitecture> = { llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM', gemma3: 'Gemma3ForCausalLM' };

/** Gemma 3: layer i slides unless (i + 1) is a multiple of 6 (llama.cpp's swa pattern for gemma3). */
const GEMMA3_PATTERN = 6;
const GEMMA3_LOCAL_ROPE_BASE = 10000;

type Metadata = Map<string, GgufValue>;

function uint(metadata: Metadata, key: string, fallback?: number): number {
  const value = metadata.get(key);
  if (value === undefined) {
    if (fallback === undefined) throw new Error(`GGUF metadata has no ${key}`);
    return fallback;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new Error(`GGUF metadata ${key} must be a non-negative integer, got ${String(value)}`);
  return value;
}

function float(metadata: Metadata, key: string, fallback: number): number {
  const value = metadata.get(key);
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`GGUF metadata ${key} must be a number, got ${String(value)}`);
  return value;
}

function string(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new Error(`GGUF metadata ${key} must be a string`);
  return value;
}

export function ggufArchitecture(metadata: Metadata): { arch: string; architecture: LlmArchitecture } {
  const arch = string(metadata, 'general.architecture');
  if (arch === undefined) throw new Error('GGUF metadata has no general.architecture');
  const architecture = ARCHITECTURES[arch];
  if (!architecture) throw new Error(`GGUF architecture ${JSON.stringify(arch)} is not supported; Folio runs ${Object.keys(ARCHITECTURES).join(', ')}`);
  return { arch, architecture };
}

function ropeScaling(metadata: Metadata, arch: string): RopeScaling | null {
  const type = string(metadata, `${arch}.rope.scaling.type`) ?? 'none';
  if (type === 'none') return null;
  const factor = float(metadata, `${arch}.rope.scaling.factor`, 1);
  if (type === 'linear') return factor === 1 ? null : { type: 'linear', factor };
  throw new Error(`GGUF ${arch}.rope.scaling.type ${JSON.stringify(type)} is not supported (Folio reads linear scaling from GGUF files)`);
}

/** The config a GGUF file describes; `tensorNames` tells which optional tensors (biases, output) it has. */
export function ggufLlmConfig(metadata: Metadata, tensorNames: Set<string>): LlmConfig {
  const { arch, architecture } = ggufArchitecture(metadata);
  const tokens = metadata.get('tokenizer.ggml.tokens');
  const vocabSize = uint(metadata, `${arch}.vocab_size`, Array.isArray(tokens) ? tokens.length : undefined);
  const hiddenSize = uint(metadata, `${arch}.embedding_length`);
  const numLayers = uint(metadata, `${arch}.block_count`);
  const numHeads = uint(metadata, `${arch}.attention.head_count`);
  const numKvHeads = uint(metadata, `${arch}.attention.head_count_kv`, numHeads);
  if (numHeads === 0 || numKvHeads === 0 || numHeads % numKvHeads !== 0) throw new Error(`GGUF ${arch}: ${numHeads} attention heads do not split into ${numKvHeads} KV heads`);
  const headDim = uint(metadata, `${arch}.attention.key_length`, hiddenSize / numHeads);
  const valueDim = uint(metadata, `${arch}.attention.value_length`, headDim);
  if (valueDim !== headDim) throw new Error(`GGUF ${arch}: value length ${valueDim} differs from key length ${headDim}; Folio needs them equal`);
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new Error(`GGUF ${arch}: head dimension ${headDim} must be an even integer`);
  const ropeDims = uint(metadata, `${arch}.rope.dimension_count`, headDim);
  if (ropeDims !== headDim) throw new Error(`GGUF ${arch}: RoPE over ${ropeDims} of ${headDim} dimensions (partial rotary) is not supported`);
  if (tensorNames.has('rope_freqs.weight')) throw new Error('GGUF file carries rope_freqs (Llama 3.1-style frequency factors), which Folio does not apply');
  const gemma = architecture === 'Gemma3ForCausalLM';
  const bos = metadata.get('tokenizer.ggml.bos_token_id');
  const eos = metadata.get('tokenizer.ggml.eos_token_id');
  const config: LlmConfig = {
    architecture,
    vocabSize,
    hiddenSize,
    intermediateSize: uint(metadata, `${arch}.feed_forward_length`),
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: float(metadata, `${arch}.attention.layer_norm_rms_epsilon`, 1e-6),
    ropeTheta: float(metadata, `${arch}.rope.freq_base`, gemma ? 1_000_000 : 10000),
    ropeScaling: ropeScaling(metadata, arch),
    maxPositions: uint(metadata, `${arch}.context_length`, 2048),
    tieWordEmbeddings: !tensorNames.has('output.weight'),
    attentionBias: tensorNames.has('blk.0.attn_q.bias'),
    slidingWindow: null,
    bosTokenId: typeof bos === 'number' ? bos : null,
    eosTokenIds: typeof eos === 'number' ? [eos] : [],
  };
  if (tensorNames.has('blk.0.attn_output.bias')) config.attentionOutputBias = true;
  if (gemma) {
    // Gemma 3 27B scales queries by 1/√(hidden/heads) instead of 1/√headDim, a choice llama.cpp
    // makes from the model size; Folio's attention uses 1/√headDim.
    if (numLayers === 62) throw new Error('Gemma 3 27B (62 layers) scales its queries differently; Folio does not run it');
    const window = uint(metadata, `${arch}.attention.sliding_window`);
    config.slidingWindow = window;
    config.slidingLayers = Array.from({ length: numLayers }, (_, i) => (i + 1) % GEMMA3_PATTERN !== 0);
    if (!config.slidingLayers.includes(false)) delete config.slidingLayers;
    config.gemma = { localRopeTheta: GEMMA3_LOCAL_ROPE_BASE, embeddingScale: Math.fround(Math.sqrt(hiddenSize)) };
  }
  return config;
}

const LAYER_NAMES: Record<string, string> = {
  'self_attn.q_proj': 'attn_q',
  'self_attn.k_proj': 'attn_k',
  'self_attn.v_proj': 'attn_v',
  'self_attn.o_proj': 'attn_output',
  'mlp.gate_proj': 'ffn_gate',
  'mlp.up_proj': 'ffn_up',
  'mlp.down_proj': 'ffn_down',
  input_layernorm: 'attn_norm',
  'self_attn.q_norm': 'attn_q_norm',
  'self_attn.k_norm': 'attn_k_norm',
  pre_feedforward_layernorm: 'ffn_norm',
  post_feedforward_layernorm: 'post_ffw_norm',
};

/** The llama.cpp name of an HF tensor name. */
export function ggufTensorName(config: LlmConfig, hfName: string): string {
  if (hfName === 'model.embed_tokens.weight') return 'token_embd.weight';
  if (hfName === 'model.norm.weight') return 'output_norm.weight';
  if (hfName === 'lm_head.weight') return 'output.weight';
  const match = /^model\.layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(hfName);
  if (match) {
    const [, layer, part, kind] = match;
    // Llama's post_attention_layernorm is the norm before its MLP (llama.cpp: ffn_norm); Gemma's
    // is the norm of the attention output (post_attention_norm) and ffn_norm its pre-MLP norm.
    const name = part === 'post_attention_layernorm' ? (config.gemma ? 'post_attention_norm' : 'ffn_norm') : LAYER_NAMES[part];
    if (name) return `blk.${layer}.${name}.${kind}`;
  }
  throw new Error(`no GGUF name for tensor ${hfName}`);
}

/**
 * llama.cpp's converter reorders Llama's query and key rows within each head from HF's
 * rotate-half pairing (i, i + d/2) to adjacent pairs (2i, 2i + 1) for its interleaved RoPE; HF row
 * h·d + s·d/2 + i is GGUF row h·d + 2i + s. Qwen2 and Gemma 3 files keep HF's order.
 */
function unpermuteRows<T extends Float32Array | Uint8Array>(data: T, heads: number, headDim: number, rowLength: number): T {
  const out = new (data.constructor as new (length: number) => T)(data.length);
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let s = 0; s < 2; s++) {
      for (let i = 0; i < half; i++) {
        const from = (h * headDim + 2 * i + s) * rowLength;
        out.set(data.subarray(from, from + rowLength), (h * headDim + s * half + i) * rowLength);
      }
    }
  }
  return out;
}

/** The same row order change on MatMulNBits blocks, whose rows are codes and scales. */
function unpermuteBlockRows(q: BlockQuantized, heads: number, headDim: number): BlockQuantized {
  return { ...q, packed: unpermuteRows(q.packed, heads, headDim, q.packed.length / q.n), scales: unpermuteRows(q.scales, heads, headDim, q.scales.length / q.n) };
}

/**
 * An HF-named tensor from its GGUF info and dequantised values; with the tensor's raw `bytes`, a
 * quantised matrix also carries its blocks repacked for MatMulNBits (gguf-repack.ts).
 */
export function hfTensorFromGguf(config: LlmConfig, hfName: string, info: GgufTensorInfo, values: Float32Array, bytes?: Uint8Array): Tensor {
  const shape = [...info.dims].reverse();
  let data = values;
  let blocks = bytes && shape.length === 2 ? repackGgufBlocks(info.type, bytes, values, shape[0], shape[1]) : null;
  if (config.architecture === 'LlamaForCausalLM') {
    const heads = /\.self_attn\.q_proj\.weight$/.test(hfName) ? config.numHeads : /\.self_attn\.k_proj\.weight$/.test(hfName) ? config.numKvHeads : 0;
    if (heads > 0) {
      data = unpermuteRows(values, heads, config.headDim, shape[1]);
      if (blocks) blocks = unpermuteBlockRows(blocks, heads, config.headDim);
    }
  }
  return blocks ? { shape, data, blocks } : { shape, data };
}
