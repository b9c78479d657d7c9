/**
 * Shared shapes of the LLM reader. Two parts build on them: the checkpoint side
 * (config.json, safetensors, tokenizer, generator, plain-TypeScript reference forward) and the
 * runtime (KV cache, ONNX graphs, attention policies, sampling). Keep this file the one place
 * these types are defined.
 */

import type { BlockQuantized } from './quantize.ts';

export type LlmArchitecture = 'LlamaForCausalLM' | 'Qwen2ForCausalLM' | 'MistralForCausalLM' | 'Gemma3ForCausalLM';

/** RoPE scaling variants of HF config.json `rope_scaling` (null = plain RoPE). */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  | { type: 'dynamic'; factor: number; originalMaxPositions: number }
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositions: number;
    }
  | {
      type: 'yarn';
      /** Effective factor: HF replaces `factor` by max_position_embeddings / original when the latter is given. */
      factor: number;
      originalMaxPositions: number;
      betaFast: number;
      betaSlow: number;
      /** cos/sin multiplier (HF `attention_factor`, else derived from factor and mscale); default 0.1·ln(factor) + 1. */
      attentionFactor?: number;
      /** Round the correction range to whole dimensions (HF `truncate`, default true). */
      truncate?: boolean;
    };

/** config.json, normalised: every field the forward pass needs, with HF defaults applied. */
export interface LlmConfig {
  architecture: LlmArchitecture;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  maxPositions: number;
  tieWordEmbeddings: boolean;
  /** q/k/v projections carry biases (Qwen2), or `attention_bias: true` on Llama. */
  attentionBias: boolean;
  /** o_proj carries a bias too: Llama's `attention_bias` covers all four projections, Qwen2's biases stop at q/k/v. Absent = false. */
  attentionOutputBias?: boolean;
  /** Mistral sliding window (null = full causal attention). */
  slidingWindow: number | null;
  /**
   * Which layers use `slidingWindow` (Qwen2 applies it only from `max_window_layers` on, or as
   * `layer_types` says). Absent = every layer; read it through `layerSlidingWindow` in config.ts.
   */
  slidingLayers?: boolean[];
  bosTokenId: number | null;
  eosTokenIds: number[];
  /**
   * Gemma 3's layer shape (absent on Llama, Qwen2, Mistral): RMSNorm of every head's query and key
   * before RoPE, norms after attention and after the feed-forward besides the ones before them,
   * the tanh-approximated GELU in the gated feed-forward, embeddings multiplied by √hidden, and a
   * RoPE base of its own on the sliding-window layers.
   */
  gemma?: {
    /** RoPE base of the sliding-window layers (the global ones use ropeTheta and ropeScaling). */
    localRopeTheta: number;
    /** Multiplier of the token embeddings (√hidden). */
    embeddingScale: number;
  };
}

/**
 * One tensor in float32, row-major, with its HF shape (Linear weights are [out, in]). RMSNorm
 * weights are the factor the normalised values are multiplied by: Gemma's checkpoints store that
 * factor minus one, and a GGUF file already stores the factor.
 */
export interface Tensor {
  shape: number[];
  data: Float32Array;
  /**
   * A quantised GGUF weight's own blocks, repacked for onnxruntime's MatMulNBits (gguf-repack.ts):
   * what the 'gguf' weight format multiplies by instead of re-quantising `data`.
   */
  blocks?: BlockQuantized;
}

/** All weights of a checkpoint by their HF names (e.g. `model.layers.0.self_attn.q_proj.weight`). */
export type LlmWeights = Map<string, Tensor>;
