/**
 * Plain-TypeScript forward pass of a Llama-family decoder, written for clarity: the oracle the
 * ONNX runtime and every attention policy are checked against (dense logits must match within
 * 1e-4). It follows transformers' LlamaModel / Qwen2Model / MistralModel line by line:
 *
 *   h = embed_tokens[ids]
 *   per layer: h += o_proj(attention(RoPE(q_proj(rms(h))), RoPE(k_proj(rms(h))), v_proj(rms(h))))
 *              h += down_proj(silu(gate_proj(rms(h))) · up_proj(rms(h)))
 *   logits = lm_head(rms(h))            (lm_head = embed_tokens when tied)
 *
 * Attention is causal, grouped-query (query head i reads KV head ⌊i / (heads/kvHeads)⌋), scaled
 * by 1/√headDim, and limited to the last `slidingWindow` positions on layers that slide. Sums
 * accumulate in float64; activations are stored as float64 between steps.
 */
import { layerSlidingWindow } from './config.ts';
import { applyRope, ropeCosSin } from './rope.ts';
import type { LlmConfig, LlmWeights, Tensor } from './types.ts';

function weight(weights: LlmWeights, name: string): Tensor {
  const tensor = weights.get(name);
  if (!tensor) throw new Error(`reference forward: missing tensor ${name}`);
  return tensor;
}

/** y[r] = W x[r] (+ b) for each of `rows` rows; W is [out, in] as HF stores Linear weights. */
export function linear(x: Float64Array, rows: number, w: Tensor, bias?: Tensor): Float64Array {
  const [out, inDim] = w.shape;
  const wData = w.data;
  const y = new Float64Array(rows * out);
  // Weight row outside, tokens inside: each weight row is read from memory once, not once per token.
  for (let o = 0; o < out; o++) {
    const wRow = wData.subarray(o * inDim, (o + 1) * inDim);
    const b = bias ? bias.data[o] : 0;
    for (let r = 0; r < rows; r++) {
      const xRow = r * inDim;
      let sum = b;
      for (let i = 0; i < inDim; i++) sum += wRow[i] * x[xRow + i];
      y[r * out + o] = sum;
    }
  }
  return y;
}

/** RMSNorm: x / √(mean(x²) + eps) · weight, per row. */
export function rmsNorm(x: Float64Array, rows: number, w: Tensor, eps: number): Float64Array {
  const dim = w.shape[0];
  const y = new Float64Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let squares = 0;
    for (let i = 0; i < dim; i++) squares += x[r * dim + i] ** 2;
    const scale = 1 / Math.sqrt(squares / dim + eps);
    for (let i = 0; i < dim; i++) y[r * dim + i] = x[r * dim + i] * scale * w.data[i];
  }
  return y;
}

const silu = (v: number): number => v / (1 + Math.exp(-v));

/**
 * Causal grouped-query attention over already rotated q [n × heads·d] and k, v [n × kvHeads·d];
 * returns [n × heads·d]. Query r may read key c when c ≤ r and, with a window w, r − c < w
 * (transformers' mask: the query itself and the w − 1 tokens before it).
 */
export function causalAttention(config: LlmConfig, q: Float64Array, k: Float64Array, v: Float64Array, n: number, window: number | null): Float64Array {
  const { numHeads, numKvHeads, headDim: d } = config;
  const group = numHeads / numKvHeads;
  const scale = 1 / Math.sqrt(d);
  const out = new Float64Array(n * numHeads * d);
  const scores = new Float64Array(n);
  for (let h = 0; h < numHeads; h++) {
    const kvHead = Math.floor(h / group);
    for (let r = 0; r < n; r++) {
      const first = window === null ? 0 : Math.max(0, r - window + 1);
      const qOffset = (r * numHeads + h) * d;
      let max = Number.NEGATIVE_INFINITY;
      for (let c = first; c <= r; c++) {
        const kOffset = (c * numKvHeads + kvHead) * d;
        let dot = 0;
        for (let i = 0; i < d; i++) dot += q[qOffset + i] * k[kOffset + i];
        scores[c] = dot * scale;
        if (scores[c] > max) max = scores[c];
      }
      let total = 0;
      for (let c = first; c <= r; c++) {
        scores[c] = Math.exp(scores[c] - max);
        total += scores[c];
      }
      for (let c = first; c <= r; c++) {
        const p = scores[c] / total;
        const vOffset = (c * numKvHeads + kvHead) * d;
        for (let i = 0; i < d; i++) out[qOffset + i] += p * v[vOffset + i];
      }
    }
  }
  return out;
}

/** Rotates every head of every row of x [n × heads·d] by the RoPE tables of rows 0 … n−1. */
function rotateHeads(x: Float64Array, n: number, heads: number, d: number, cos: Float32Array, sin: Float32Array): void {
  for (let r = 0; r < n; r++) for (let h = 0; h < heads; h++) applyRope(x, (r * heads + h) * d, cos, sin, r * d, d);
}

export interface ReferenceOptions {
  /** Position of each token (default 0 … n−1). */
  positions?: ArrayLike<number>;
}

/** Logits [n × vocabSize] of every position of `tokenIds`, float32. */
export function referenceLogits(config: LlmConfig, weights: LlmWeights, tokenIds: ArrayLike<number>, options: ReferenceOptions = {}): Float32Array {
  const n = tokenIds.length;
  const { hiddenSize: hidden, numHeads, numKvHeads, headDim: d, vocabSize } = config;
  const positions = options.positions ?? Array.from({ length: n }, (_, i) => i);
  if (positions.length !== n) throw new Error(`reference forward: ${positions.length} positions for ${n} tokens`);
  const { cos, sin } = ropeCosSin(config, positions);

  const embed = weight(weights, 'model.embed_tokens.weight');
  let h: Float64Array = new Float64Array(n * hidden);
  for (let r = 0; r < n; r++) {
    const id = tokenIds[r];
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new Error(`reference forward: token id ${id} outside the vocabulary (0 … ${vocabSize - 1})`);
    for (let i = 0; i < hidden; i++) h[r * hidden + i] = embed.data[id * hidden + i];
  }

  for (let l = 0; l < config.numLayers; l++) {
    const p = `model.layers.${l}`;
    const bias = (name: string): Tensor | undefined => (config.attentionBias ? weight(weights, `${p}.self_attn.${name}.bias`) : undefined);

    const normed = rmsNorm(h, n, weight(weights, `${p}.input_layernorm.weight`), config.rmsNormEps);
    const q = linear(normed, n, weight(weights, `${p}.self_attn.q_proj.weight`), bias('q_proj'));
    const k = linear(normed, n, weight(weights, `${p}.self_attn.k_proj.weight`), bias('k_proj'));
    const v = linear(normed, n, weight(weights, `${p}.self_attn.v_proj.weight`), bias('v_proj'));
    rotateHeads(q, n, numHeads, d, cos, sin);
    rotateHeads(k, n, numKvHeads, d, cos, sin);
    const attended = causalAttention(config, q, k, v, n, layerSlidingWindow(config, l));
    const outputBias = config.attentionOutputBias ? weight(weights, `${p}.self_attn.o_proj.bias`) : undefined;
    const attentionOut = linear(attended, n, weight(weights, `${p}.self_attn.o_proj.weight`), outputBias);
    for (let i = 0; i < h.length; i++) h[i] += attentionOut[i];

    const normed2 = rmsNorm(h, n, weight(weights, `${p}.post_attention_layernorm.weight`), config.rmsNormEps);
    const gate = linear(normed2, n, weight(weights, `${p}.mlp.gate_proj.weight`));
    const up = linear(normed2, n, weight(weights, `${p}.mlp.up_proj.weight`));
    for (let i = 0; i < gate.length; i++) gate[i] = silu(gate[i]) * up[i];
    const down = linear(gate, n, weight(weights, `${p}.mlp.down_proj.weight`));
    for (let i = 0; i < h.length; i++) h[i] += down[i];
  }

  h = rmsNorm(h, n, weight(weights, 'model.norm.weight'), config.rmsNormEps);
  const head = config.tieWordEmbeddings ? embed : weight(weights, 'lm_head.weight');
  return Float32Array.from(linear(h, n, head));
}
