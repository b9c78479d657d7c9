/**
 * The dense math of the decoder as ONNX graphs built in code, weights as initializers, one set
 * per model. Attention is kept out of the weighted graphs, so that Folio owns the KV
 * cache and a policy can choose, per decode step and layer, which positions are read: decode
 * attention runs in small weight-free graphs (one call per layer) over the chosen positions
 * (decode-attention.ts; attention.ts is the TypeScript equivalent), prefill attention in a
 * weight-free GroupQueryAttention graph over the cache.
 *
 * Per layer the work around attention is split at the attention boundary:
 *   pre(l)  = RMSNorm → q/k/v projections (+bias) → RoPE on q and k (token-major [1, n, heads·d])
 *   post(l) = o_proj (+bias) + residual → RMSNorm → SwiGLU MLP + residual
 *   head    = rows picked by index → final RMSNorm → lm_head
 * Layout 'fused' joins post(l) with pre(l+1) (and post(L−1) with head) into one session, so a
 * token costs L+1 run() calls instead of 2L+1; 'split' keeps them apart. bench/decode.ts measures
 * both.
 */
import * as ort from 'onnxruntime-node';
import { layerSlidingWindow } from './config.ts';
import { f, GraphBuilder } from '../onnx/writer.ts';
import { bitsOf, type BlockQuantized, quantizeBlocks, stackBlocks, type WeightFormat } from './quantize.ts';
import type { LlmConfig, LlmWeights, Tensor } from './types.ts';

export type GraphLayout = 'fused' | 'split';

export interface GraphOptions {
  layout?: GraphLayout;
  /**
   * Linear weights as fp32 (default, exact), block-quantised to 8 or 4 bits for MatMulNBits
   * (quantize.ts), or as the GGUF file's own blocks ('gguf', gguf-repack.ts): a decode step reads
   * every weight once, so fewer bytes is a faster step.
   */
  weights?: WeightFormat;
  /**
   * MatMulNBits' accuracy_level with quantised weights: 4 (default) multiplies in int8 with the
   * activations quantised per block (ORT's fast CPU path), 1 in fp32 on the dequantised weights.
   */
  accuracyLevel?: 1 | 4;
  /**
   * Weights per scale with quantised weights (default 32, the accurate choice; 128 reads fewer
   * scales and ran one layer's decode step about 25% faster here, with coarser rounding).
   */
  blockSize?: number;
  /** onnxruntime intra-op threads (default 2). */
  threads?: number;
  /** Let idle intra-op threads spin-wait (default false). */
  spinning?: boolean;
}

function tensor(weights: LlmWeights, name: string): Tensor {
  const t = weights.get(name);
  if (!t) throw new Error(`Checkpoint has no tensor ${name}`);
  return t;
}

/** [out, in] → [in, out], the layout MatMul wants on its right. */
function transposed(t: Tensor): { dims: number[]; data: Float32Array } {
  const [rows, cols] = t.shape;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const src = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = t.data[src + c];
  }
  return { dims: [cols, rows], data: out };
}

class Segments {
  constructor(
    private readonly b: GraphBuilder,
    private readonly config: LlmConfig,
    private readonly weights: LlmWeights,
    private readonly format: WeightFormat,
    private readonly accuracyLevel: number,
    private readonly blockSize: number,
  ) {}

  /**
   * RMSNorm as onnxruntime's SimplifiedLayerNormalization: one kernel instead of the six
   * elementwise nodes it stands for (x / √(mean(x²) + eps) · w), whose per-node overhead was a
   * large part of a decode step's small-matrix work.
   */
  rmsNorm(x: string, weightName: string): string {
    const w = tensor(this.weights, weightName);
    return this.b.node('SimplifiedLayerNormalization', [x, this.b.weight(weightName, w.shape, w.data)], { axis: -1, epsilon: f(this.config.rmsNormEps) });
  }

  /**
   * residual + x and its RMSNorm in one kernel (com.microsoft SkipSimplifiedLayerNormalization).
   * Returns [normed, sum].
   */
  addRmsNorm(x: string, residual: string, weightName: string): [string, string] {
    const w = tensor(this.weights, weightName);
    const [normed, , , sum] = this.b.nodeN('SkipSimplifiedLayerNormalization', [x, residual, this.b.weight(weightName, w.shape, w.data)], { epsilon: f(this.config.rmsNormEps) }, 'skip_norm', [true, false, false, true], 'com.microsoft');
    return [normed, sum];
  }

  /**
   * x · Wᵀ for HF [out, in] weights that read the same input, as one matrix product (their rows
   * stacked) split back into one output each: q/k/v, and the MLP's gate/up. One bigger product
   * instead of two or three small ones cuts per-kernel overhead, which dominates a decode step's
   * matrix-vector products. fp32 (exact) or block-quantised through MatMulNBits.
   */
  private matmuls(x: string, names: string[]): string[] {
    const { b } = this;
    const ts = names.map((name) => tensor(this.weights, name));
    const k = ts[0].shape[1];
    if (ts.some((t) => t.shape[1] !== k)) throw new Error(`${names.join(', ')} do not share an input size`);
    const rows = ts.map((t) => t.shape[0]);
    const n = rows.reduce((a, r) => a + r, 0);
    const label = names.length === 1 ? names[0] : `${names[0]}+${names.length - 1}`;
    let y: string;
    if (this.format === 'gguf' && ts.some((t) => t.blocks)) {
      const first = ts[0].blocks;
      const alike = first && ts.every((t) => t.blocks && t.blocks.bits === first.bits && t.blocks.blockSize === first.blockSize);
      // Weights stored in different formats cannot share one product: each runs on its own.
      if (!alike) return names.flatMap((name) => this.matmuls(x, [name]));
      y = this.matmulNBits(x, ts.length === 1 ? first : stackBlocks(ts.map((t) => t.blocks!)), label);
    } else {
      const stacked = ts.length === 1 ? ts[0].data : new Float32Array(n * k);
      if (ts.length > 1) {
        let at = 0;
        for (const t of ts) {
          stacked.set(t.data, at);
          at += t.data.length;
        }
      }
      const bits = bitsOf(this.format);
      if (bits === null) {
        const w = transposed({ shape: [n, k], data: stacked });
        y = b.node('MatMul', [x, b.weight(label, w.dims, w.data)]);
      } else {
        y = this.matmulNBits(x, quantizeBlocks(stacked, n, k, bits, this.blockSize), label);
      }
    }
    if (names.length === 1) return [y];
    return b.nodeN('Split', [y, b.ints('split', rows)], { axis: -1 }, 'split', names.length);
  }

  private matmulNBits(x: string, q: BlockQuantized, label: string): string {
    const { b } = this;
    const kBlocks = q.scales.length / q.n;
    const attributes = { K: q.k, N: q.n, bits: q.bits, block_size: q.blockSize, accuracy_level: this.accuracyLevel };
    const inputs = [x, b.bytes(`${label}.q${q.bits}`, [q.n, kBlocks, q.packed.length / (q.n * kBlocks)], q.packed), b.weight(`${label}.scales`, [q.n, kBlocks], q.scales)];
    return b.nodeN('MatMulNBits', inputs, attributes, 'MatMulNBits', 1, 'com.microsoft')[0];
  }

  /** Linear layers sharing one input (`prefix.weight`, optional `prefix.bias` each). */
  linears(x: string, prefixes: string[], bias: boolean): string[] {
    const { b } = this;
    const ys = this.matmuls(
      x,
      prefixes.map((p) => `${p}.weight`),
    );
    if (!bias) return ys;
    return ys.map((y, i) => {
      const bt = tensor(this.weights, `${prefixes[i]}.bias`);
      return b.node('Add', [y, b.weight(`${prefixes[i]}.bias`, bt.shape, bt.data)]);
    });
  }

  linear(x: string, prefix: string, bias: boolean): string {
    return this.linears(x, [prefix], bias)[0];
  }

  /**
   * x·cos + rotate_half(x)·sin on the projection [1, n, heads·d], through com.microsoft
   * RotaryEmbedding (rotate_half layout: interleaved 0). `cos`/`sin` are [n, d/2], row r the
   * angles of the chunk's r-th token, so position id 0 with the scalar form reads row r for
   * token r. Returns [1, n, heads·d].
   */
  rope(x: string, heads: number, cos: string, sin: string): string {
    return this.b.nodeN('RotaryEmbedding', [x, this.b.ints('position_zero', [0]), cos, sin], { interleaved: 0, num_heads: heads }, 'rope', 1, 'com.microsoft')[0];
  }

  /**
   * Outputs q [1, n, H·d], k and v [1, n, Hkv·d]: token-major, as the projections and RotaryEmbedding
   * leave them and as GroupQueryAttention takes them, so no Transpose or Reshape runs between (8
   * fewer nodes per layer; onnxruntime's profiler charged them a tenth of a layer, but whole decode
   * steps measured the same with and without them). The KV cache writes the rows into its
   * head-major buffers (kv-cache.ts).
   */
  pre(layer: number, hidden: string, cos: string, sin: string): void {
    this.preNormed(layer, this.rmsNorm(hidden, `model.layers.${layer}.input_layernorm.weight`), cos, sin);
  }

  /** pre(layer) from the already normalised hidden state. */
  preNormed(layer: number, h: string, cos: string, sin: string): void {
    const { b, config } = this;
    const p = `model.layers.${layer}`;
    const d = config.headDim;
    let [qProj, kProj, vProj] = this.linears(h, [`${p}.self_attn.q_proj`, `${p}.self_attn.k_proj`, `${p}.self_attn.v_proj`], config.attentionBias);
    if (config.gemma) {
      qProj = this.headNorm(qProj, config.numHeads, `${p}.self_attn.q_norm.weight`);
      kProj = this.headNorm(kProj, config.numKvHeads, `${p}.self_attn.k_norm.weight`);
    }
    b.expose(this.rope(qProj, config.numHeads, cos, sin), 'q', 'float', [1, 'n', config.numHeads * d]);
    b.expose(this.rope(kProj, config.numKvHeads, cos, sin), 'k', 'float', [1, 'n', config.numKvHeads * d]);
    b.expose(vProj, 'v', 'float', [1, 'n', config.numKvHeads * d]);
  }

  /** RMSNorm of every head's slice of a projection [1, n, heads·d] (Gemma's query/key norms). */
  private headNorm(x: string, heads: number, weightName: string): string {
    const { b } = this;
    const d = this.config.headDim;
    const perHead = b.node('Reshape', [x, b.ints('per_head', [0, 0, heads, d])]);
    return b.node('Reshape', [this.rmsNorm(perHead, weightName), b.ints('joined_heads', [0, 0, heads * d])]);
  }

  /**
   * The layer's output hidden state [n, hidden] as the pair [update, residual] whose sum it is,
   * so that the next layer's RMSNorm can take the sum in the same kernel (addRmsNorm).
   */
  post(layer: number, attn: string, hidden: string): [string, string] {
    const { b, config } = this;
    const p = `model.layers.${layer}`;
    const o = this.linear(attn, `${p}.self_attn.o_proj`, config.attentionOutputBias === true);
    if (config.gemma) {
      // Gemma normalises each block's output before adding it to the residual, and the
      // feed-forward's input with a norm of its own; the gate is the tanh-approximated GELU
      // (com.microsoft FastGelu, the same formula in one kernel).
      const attnOut = this.rmsNorm(o, `${p}.post_attention_layernorm.weight`);
      const [h, mid] = this.addRmsNorm(attnOut, hidden, `${p}.pre_feedforward_layernorm.weight`);
      const [gate, up] = this.linears(h, [`${p}.mlp.gate_proj`, `${p}.mlp.up_proj`], false);
      const act = b.node('Mul', [b.nodeN('FastGelu', [gate], {}, 'gelu', 1, 'com.microsoft')[0], up]);
      return [this.rmsNorm(this.linear(act, `${p}.mlp.down_proj`, false), `${p}.post_feedforward_layernorm.weight`), mid];
    }
    const [h, mid] = this.addRmsNorm(o, hidden, `${p}.post_attention_layernorm.weight`);
    const [gate, up] = this.linears(h, [`${p}.mlp.gate_proj`, `${p}.mlp.up_proj`], false);
    const act = b.node('Mul', [b.node('Mul', [gate, b.node('Sigmoid', [gate])]), up]);
    return [this.linear(act, `${p}.mlp.down_proj`, false), mid];
  }

  /** post(layer) summed: the layer's output hidden state. */
  postSum(layer: number, attn: string, hidden: string): string {
    return this.b.node('Add', this.post(layer, attn, hidden));
  }

  /** Logits [1, m, vocab] of the rows `rows` (int64 [m]) of `hidden` [1, n, hidden]. */
  head(hidden: string, rows: string): void {
    const { b, config } = this;
    const picked = b.node('Gather', [hidden, rows], { axis: 1 });
    const normed = this.rmsNorm(picked, 'model.norm.weight');
    const name = config.tieWordEmbeddings || !this.weights.has('lm_head.weight') ? 'model.embed_tokens.weight' : 'lm_head.weight';
    b.expose(this.matmuls(normed, [name])[0], 'logits', 'float', [1, 'm', config.vocabSize]);
  }
}

interface GraphInputs {
  b: GraphBuilder;
  s: Segments;
}

function start(name: string, config: LlmConfig, weights: LlmWeights, options: GraphOptions = {}): GraphInputs {
  const b = new GraphBuilder(name);
  return { b, s: new Segments(b, config, weights, options.weights ?? 'fp32', options.accuracyLevel ?? 4, options.blockSize ?? 32) };
}

function ropeInputs(b: GraphBuilder, config: LlmConfig): [string, string] {
  return [b.input('cos', 'float', ['n', config.headDim / 2]), b.input('sin', 'float', ['n', config.headDim / 2])];
}

/**
 * Weight-free causal attention of a prefill chunk against the cache, through onnxruntime's
 * GroupQueryAttention contrib operator (com.microsoft): grouped heads, causal mask and the
 * sliding window handled inside, softmax only over the visible keys. Measured against the plain
 * MatMul/Softmax graph this replaced: same output within 1e-7, about half the CPU time on
 * 512-query chunks at 2K–8K positions. `past_key`/`past_value` are the layer's whole cache
 * buffers [1, Hkv, capacity, d] (not copied in); `seqlens_k` = total − 1 tells the operator how
 * many positions are valid. q/k/v come token-major [1, n, heads·d] from the pre-attention graphs,
 * the layout the operator takes.
 */
export function buildPrefillAttention(config: LlmConfig, window: number | null): Uint8Array {
  const b = new GraphBuilder('prefill_attention');
  const { numHeads: H, numKvHeads: Hkv, headDim: d } = config;
  const q = b.input('q', 'float', [1, 'n', H * d]);
  const k = b.input('k', 'float', [1, 'n', Hkv * d]);
  const v = b.input('v', 'float', [1, 'n', Hkv * d]);
  const pastKey = b.input('past_key', 'float', [1, Hkv, 'capacity', d]);
  const pastValue = b.input('past_value', 'float', [1, Hkv, 'capacity', d]);
  const seqlens = b.input('seqlens_k', 'int32', [1]);
  const total = b.input('total_sequence_length', 'int32', []);
  const [out] = b.nodeN(
    'GroupQueryAttention',
    [q, k, v, pastKey, pastValue, seqlens, total],
    { num_heads: H, kv_num_heads: Hkv, scale: f(1 / Math.sqrt(d)), local_window_size: window ?? -1 },
    'gqa',
    3,
    'com.microsoft',
  );
  b.expose(out, 'attn', 'float', [1, 'n', H * d]);
  return b.encode();
}

/** KV head h's query group [g, d] out of q [Hkv, g, d]. */
function groupQuery(b: GraphBuilder, q: string, h: number, g: number, d: number): string {
  return b.node('Reshape', [b.node('Gather', [q, b.ints('head', [h])], { axis: 0 }), b.ints('group_rows', [g, d])]);
}

/**
 * q·Kᵀ/√d with keys [..., T, d]: the Transpose, MatMul and Mul fuse into one FusedMatMul (transB,
 * alpha) under onnxruntime's optimizer.
 */
function scaledLogits(b: GraphBuilder, q: string, keys: string, d: number, rank: 2 | 3 = 2): string {
  const perm = rank === 2 ? [1, 0] : [0, 2, 1];
  return b.node('Mul', [b.node('MatMul', [q, b.node('Transpose', [keys], { perm })]), b.scalar('scale', 1 / Math.sqrt(d))]);
}

/**
 * Dense decode attention of a whole layer in one call: q [Hkv, g, d] against each KV head's
 * keys/values [T, d] (inputs keys_h/values_h: views of the cache from the range's first position,
 * not copied). One run() per layer instead of one per KV head: at 32K positions the four calls
 * took 15–25% longer than this one graph, measured in the same process. With `sums`, also
 * outputs the scaled logits summed over every query head [T] (TidalDecode's selection layers).
 */
export function buildRangeDecodeAttention(config: LlmConfig, sums: boolean): Uint8Array {
  const b = new GraphBuilder(sums ? 'decode_attention_range_sums' : 'decode_attention_range');
  const { numKvHeads: Hkv, headDim: d } = config;
  const g = config.numHeads / Hkv;
  const q = b.input('q', 'float', [Hkv, g, d]);
  const outs: string[] = [];
  const headSums: string[] = [];
  for (let h = 0; h < Hkv; h++) {
    const keys = b.input(`keys_${h}`, 'float', ['T', d]);
    const values = b.input(`values_${h}`, 'float', ['T', d]);
    let qh = groupQuery(b, q, h, g, d);
    // The group's logit sum is Σ_h q_h·k / √d = (Σ_h q_h)·k / √d: one more query row in the same
    // pass over the keys. At 32K positions the sums cost 0.7–1.2 ms per layer this way, against
    // 1.1 ms for a ReduceSum of the g logit rows and 0.8 ms for a ones-vector product.
    if (sums) qh = b.node('Concat', [qh, b.node('ReduceSum', [qh, b.ints('axis0', [0])], { keepdims: 1 })], { axis: 0 });
    const logits = scaledLogits(b, qh, keys, d);
    const attn = b.node('MatMul', [b.node('Softmax', [logits], { axis: -1 }), values]);
    if (!sums) {
      outs.push(attn);
      continue;
    }
    // The sum row rides along through softmax and ·V (cheaper than splitting the logits), and
    // its output row is dropped.
    headSums.push(b.node('Gather', [logits, b.ints('sum_row', [g])], { axis: 0 }));
    outs.push(b.node('Slice', [attn, b.ints('zero', [0]), b.ints('group', [g]), b.ints('axis0', [0])]));
  }
  if (sums) b.expose(b.node('Reshape', [headSums.length === 1 ? headSums[0] : b.node('Sum', headSums), b.ints('positions', [-1])]), 'logit_sums', 'float', ['T']);
  b.expose(b.node('Reshape', [b.node('Concat', outs, { axis: 0 }), b.ints('flat', [1, -1])]), 'attn', 'float', [1, config.numHeads * d]);
  return b.encode();
}

/**
 * Decode attention of every KV head at once over the same chosen positions (TidalDecode's
 * reusing layers, TokenSelect, StreamingLLM): q [Hkv, g, d], the layer's whole cache buffers
 * keys/values [Hkv, capacity, d] (not copied in) and int32 `positions` [count] < length, gathered
 * along the position axis in C++. One run() per layer instead of one per KV head: at a 2048-token
 * budget the per-call overhead, not the arithmetic, was most of a sparse layer's cost. With
 * `sums`, also outputs the scaled logits summed over every query head [count], as one more query
 * row per KV head (its group's Σq) like buildRangeDecodeAttention.
 */
export function buildSharedDecodeAttention(config: LlmConfig, sums: boolean): Uint8Array {
  const b = new GraphBuilder(sums ? 'decode_attention_shared_sums' : 'decode_attention_shared');
  const { numKvHeads: Hkv, headDim: d } = config;
  const g = config.numHeads / Hkv;
  let q = b.input('q', 'float', [Hkv, g, d]);
  if (sums) q = b.node('Concat', [q, b.node('ReduceSum', [q, b.ints('group_axis', [1])], { keepdims: 1 })], { axis: 1 });
  const positions = b.input('positions', 'int32', ['count']);
  const keys = b.node('Gather', [b.input('keys', 'float', [Hkv, 'capacity', d]), positions], { axis: 1 });
  const values = b.node('Gather', [b.input('values', 'float', [Hkv, 'capacity', d]), positions], { axis: 1 });
  const logits = scaledLogits(b, q, keys, d, 3);
  let attn = b.node('MatMul', [b.node('Softmax', [logits], { axis: -1 }), values]);
  if (sums) {
    const sumRows = b.node('Gather', [logits, b.ints('sum_row', [g])], { axis: 1 }); // [Hkv, 1, count]
    b.expose(b.node('ReduceSum', [sumRows, b.ints('head_axes', [0, 1])], { keepdims: 0 }), 'logit_sums', 'float', ['count']);
    attn = b.node('Slice', [attn, b.ints('zero', [0]), b.ints('group', [g]), b.ints('group_axis', [1])]);
  }
  b.expose(b.node('Reshape', [attn, b.ints('flat', [1, -1])]), 'attn', 'float', [1, config.numHeads * d]);
  return b.encode();
}

/**
 * Decode attention of every KV head at once, each over its own chosen positions (TokenSelect,
 * Quest): q [Hkv, g, d]; per KV head h, keys_h/values_h [T, d] (views of the cache, not copied)
 * and int32 positions_h [count_h] < T, gathered in C++. One run() per layer instead of one per
 * KV head.
 */
export function buildPerHeadDecodeAttention(config: LlmConfig): Uint8Array {
  const b = new GraphBuilder('decode_attention_per_head');
  const { numKvHeads: Hkv, headDim: d } = config;
  const g = config.numHeads / Hkv;
  const q = b.input('q', 'float', [Hkv, g, d]);
  const outs: string[] = [];
  for (let h = 0; h < Hkv; h++) {
    const qh = groupQuery(b, q, h, g, d);
    const positions = b.input(`positions_${h}`, 'int32', [`count_${h}`]);
    const keys = b.node('Gather', [b.input(`keys_${h}`, 'float', ['T', d]), positions], { axis: 0 });
    const values = b.node('Gather', [b.input(`values_${h}`, 'float', ['T', d]), positions], { axis: 0 });
    const logits = scaledLogits(b, qh, keys, d);
    outs.push(b.node('MatMul', [b.node('Softmax', [logits], { axis: -1 }), values]));
  }
  b.expose(b.node('Reshape', [outs.length === 1 ? outs[0] : b.node('Concat', outs, { axis: 0 }), b.ints('flat', [1, -1])]), 'attn', 'float', [1, config.numHeads * d]);
  return b.encode();
}

/**
 * TokenSelect's soft votes for every KV head in one call: for head h, Σ over its query group of
 * softmax(q·k_j/√d) over the keys keys_h [m, d] (views of the cache's middle range, not copied).
 * q [Hkv, g, d]; votes [Hkv, m]. One run() per layer instead of one per KV head.
 */
export function buildSoftVotes(config: LlmConfig): Uint8Array {
  const b = new GraphBuilder('soft_votes');
  const { numKvHeads: Hkv, headDim: d } = config;
  const g = config.numHeads / Hkv;
  const q = b.input('q', 'float', [Hkv, g, d]);
  const rows: string[] = [];
  for (let h = 0; h < Hkv; h++) {
    const qh = groupQuery(b, q, h, g, d);
    const keys = b.input(`keys_${h}`, 'float', ['m', d]);
    const logits = scaledLogits(b, qh, keys, d);
    rows.push(b.node('ReduceSum', [b.node('Softmax', [logits], { axis: -1 }), b.ints('axis0', [0])], { keepdims: 1 }));
  }
  b.expose(rows.length === 1 ? rows[0] : b.node('Concat', rows, { axis: 0 }), 'votes', 'float', [Hkv, 'm']);
  return b.encode();
}

/**
 * Quest's page scores for every KV head in one call: for head h, Σ over its query group and the
 * channels of max(q_c·min_c, q_c·max_c) for each page in [from, to) of the layer's page bounds
 * min/max [Hkv, pagesCapacity, d] (not copied). As min ≤ max, max(q·min, q·max) = q⁺·max + q⁻·min
 * with q⁺ = max(q, 0) and q⁻ = min(q, 0), so the score is max·Σ_h q_h⁺ + min·Σ_h q_h⁻: two batched
 * matrix-vector products instead of a [Hkv, g, pages, d] broadcast (which made this graph slower
 * than one call per KV head). q [Hkv, g, d]; scores [Hkv, to − from].
 */
export function buildPageScores(config: LlmConfig): Uint8Array {
  const b = new GraphBuilder('page_scores');
  const { numKvHeads: Hkv, headDim: d } = config;
  const g = config.numHeads / Hkv;
  const q = b.input('q', 'float', [Hkv, g, d]);
  const zero = b.scalar('zero', 0);
  const column = (x: string) => b.node('Reshape', [b.node('ReduceSum', [x, b.ints('group_axis', [1])], { keepdims: 0 }), b.ints('column', [Hkv, d, 1])]);
  const positive = column(b.node('Max', [q, zero]));
  const negative = column(b.node('Min', [q, zero]));
  const from = b.input('from', 'int64', [1]);
  const to = b.input('to', 'int64', [1]);
  const pages = (name: string) => b.node('Slice', [b.input(name, 'float', [Hkv, 'capacity', d]), from, to, b.ints('page_axis', [1])]);
  const scores = b.node('Add', [b.node('MatMul', [pages('max'), positive]), b.node('MatMul', [pages('min'), negative])]); // [Hkv, pages, 1]
  b.expose(b.node('Reshape', [scores, b.ints('rows', [Hkv, -1])]), 'scores', 'float', [Hkv, 'pages']);
  return b.encode();
}

type Feeds = Record<string, ort.Tensor>;

/** The cos/sin inputs of the pre-attention graphs for one chunk's positions (LlmGraphs.ropeFeeds). */
export type RopeFeeds = Feeds;

export interface QkvOutput {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
}

export class LlmGraphs {
  private constructor(
    readonly config: LlmConfig,
    readonly layout: GraphLayout,
    private readonly pres: ort.InferenceSession[],
    private readonly posts: ort.InferenceSession[],
    private readonly head: ort.InferenceSession | null,
    private readonly attention: Map<number | null, ort.InferenceSession>,
    private readonly decodeShared: ort.InferenceSession,
    private readonly decodeSharedSums: ort.InferenceSession,
    private readonly decodePerHead: ort.InferenceSession,
    private readonly decodeRange: ort.InferenceSession,
    private readonly decodeRangeSums: ort.InferenceSession,
    private readonly softVoting: ort.InferenceSession,
    private readonly pageScoring: ort.InferenceSession,
  ) {}

  static async build(config: LlmConfig, weights: LlmWeights, options: GraphOptions = {}): Promise<LlmGraphs> {
    const layout = options.layout ?? 'fused';
    const session: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: options.threads ?? 2,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // Decode runs matrix-vector products of a few ms between TypeScript work: threads that
      // spin-wait for the next one burn the cores the attention kernel (and, on a shared machine,
      // everything else) needs. Measured on 2 busy cores (mid-size model, 512 positions): 642 ms/token
      // with spinning, 108 ms without.
      extra: { session: { intra_op: { allow_spinning: options.spinning ? '1' : '0' } } },
    };
    const create = async (bytes: Uint8Array, what: string): Promise<ort.InferenceSession> => {
      try {
        return await ort.InferenceSession.create(bytes, session);
      } catch (error) {
        throw new Error(`Could not create the ${what} graph`, { cause: error });
      }
    };
    const L = config.numLayers;
    // Token-major with a batch of one, as MatMulNBits, the norms and RotaryEmbedding take it.
    const hiddenDims = [1, 'n', config.hiddenSize];
    const attnDims = [1, 'n', config.numHeads * config.headDim];
    const pres: ort.InferenceSession[] = [];
    const posts: ort.InferenceSession[] = [];
    let head: ort.InferenceSession | null = null;

    const preGraph = async (layer: number) => {
      const { b, s } = start(`pre_${layer}`, config, weights, options);
      const hidden = b.input('hidden', 'float', hiddenDims);
      const [cos, sin] = ropeInputs(b, config);
      s.pre(layer, hidden, cos, sin);
      return create(b.encode(), `pre-attention ${layer}`);
    };
    pres.push(await preGraph(0));
    for (let layer = 0; layer < L; layer++) {
      const last = layer === L - 1;
      const { b, s } = start(`post_${layer}`, config, weights, options);
      const attn = b.input('attn', 'float', attnDims);
      const hidden = b.input('hidden', 'float', hiddenDims);
      if (layout === 'fused' && !last) {
        const [cos, sin] = ropeInputs(b, config);
        const [update, residual] = s.post(layer, attn, hidden);
        const [normed, out] = s.addRmsNorm(update, residual, `model.layers.${layer + 1}.input_layernorm.weight`);
        b.expose(out, 'hidden_out', 'float', hiddenDims);
        s.preNormed(layer + 1, normed, cos, sin);
      } else if (layout === 'fused' && last) {
        s.head(s.postSum(layer, attn, hidden), b.input('rows', 'int64', ['m']));
      } else {
        b.expose(s.postSum(layer, attn, hidden), 'hidden_out', 'float', hiddenDims);
      }
      posts.push(await create(b.encode(), `post-attention ${layer}`));
      if (layout === 'split' && !last) pres.push(await preGraph(layer + 1));
    }
    if (layout === 'split') {
      const { b, s } = start('head', config, weights, options);
      s.head(b.input('hidden', 'float', hiddenDims), b.input('rows', 'int64', ['m']));
      head = await create(b.encode(), 'lm head');
    }
    const attention = new Map<number | null, ort.InferenceSession>();
    for (let layer = 0; layer < L; layer++) {
      const window = layerSlidingWindow(config, layer);
      if (!attention.has(window)) attention.set(window, await create(buildPrefillAttention(config, window), 'prefill attention'));
    }
    const decodeShared = await create(buildSharedDecodeAttention(config, false), 'decode attention (shared positions)');
    const decodeSharedSums = await create(buildSharedDecodeAttention(config, true), 'decode attention (shared positions, logit sums)');
    const decodePerHead = await create(buildPerHeadDecodeAttention(config), 'decode attention (positions per KV head)');
    const decodeRange = await create(buildRangeDecodeAttention(config, false), 'decode attention (range)');
    const decodeRangeSums = await create(buildRangeDecodeAttention(config, true), 'decode attention (range, logit sums)');
    const softVoting = await create(buildSoftVotes(config), 'soft votes');
    const pageScoring = await create(buildPageScores(config), 'page scores');
    return new LlmGraphs(config, layout, pres, posts, head, attention, decodeShared, decodeSharedSums, decodePerHead, decodeRange, decodeRangeSums, softVoting, pageScoring);
  }

  /** [n × width] rows as the graphs' [1, n, width]. */
  private static rows(data: Float32Array, n: number): ort.Tensor {
    return new ort.Tensor('float32', data, [1, n, data.length / n]);
  }

  private hiddenTensor(hidden: Float32Array): ort.Tensor {
    return LlmGraphs.rows(hidden, hidden.length / this.config.hiddenSize);
  }

  /** Every head's query [H × d] as [Hkv, g, d], the decode graphs' `q`. */
  private groupedQuery(q: Float32Array): ort.Tensor {
    const { numKvHeads: Hkv, headDim: d } = this.config;
    return new ort.Tensor('float32', q, [Hkv, this.config.numHeads / Hkv, d]);
  }

  /**
   * Feeds `${name}_h` for every KV head h: rows [lo, lo + count) of that head's part of a cache
   * buffer with row stride `capacity`, as [count, d] views (not copied).
   */
  private headRows(feeds: Feeds, name: string, buffer: Float32Array, capacity: number, lo: number, count: number): void {
    const d = this.config.headDim;
    for (let h = 0; h < this.config.numKvHeads; h++) {
      const from = (h * capacity + lo) * d;
      feeds[`${name}_${h}`] = new ort.Tensor('float32', buffer.subarray(from, from + count * d), [count, d]);
    }
  }

  /**
   * RotaryEmbedding's [n, d/2] tables from rope.ts's [n, d] ones (whose two halves repeat): made
   * once per chunk or step and passed to first() and every next().
   */
  ropeFeeds(cos: Float32Array, sin: Float32Array): RopeFeeds {
    const d = this.config.headDim;
    const n = cos.length / d;
    const half = (table: Float32Array) => {
      if (n === 1) return table.subarray(0, d / 2);
      const out = new Float32Array((n * d) / 2);
      for (let r = 0; r < n; r++) out.set(table.subarray(r * d, r * d + d / 2), (r * d) / 2);
      return out;
    };
    return { cos: new ort.Tensor('float32', half(cos), [n, d / 2]), sin: new ort.Tensor('float32', half(sin), [n, d / 2]) };
  }

  private static qkv(out: ort.InferenceSession.ReturnType): QkvOutput {
    return { q: out.q.data as Float32Array, k: out.k.data as Float32Array, v: out.v.data as Float32Array };
  }

  /** Layer 0's pre-attention on the embedded tokens. */
  async first(hidden: Float32Array, rope: RopeFeeds): Promise<QkvOutput> {
    return LlmGraphs.qkv(await this.pres[0].run({ hidden: this.hiddenTensor(hidden), ...rope }));
  }

  /** post(layer) then pre(layer+1): the next hidden state and the next layer's q/k/v. */
  async next(layer: number, attn: Float32Array, hidden: Float32Array, rope: RopeFeeds): Promise<QkvOutput & { hidden: Float32Array }> {
    const feeds: Feeds = { attn: LlmGraphs.rows(attn, hidden.length / this.config.hiddenSize), hidden: this.hiddenTensor(hidden) };
    if (this.layout === 'fused') {
      const out = await this.posts[layer].run({ ...feeds, ...rope });
      return { hidden: out.hidden_out.data as Float32Array, ...LlmGraphs.qkv(out) };
    }
    const mid = (await this.posts[layer].run(feeds)).hidden_out.data as Float32Array;
    const out = await this.pres[layer + 1].run({ hidden: this.hiddenTensor(mid), ...rope });
    return { hidden: mid, ...LlmGraphs.qkv(out) };
  }

  /** post(last layer) then logits [rows.length × vocab] of the chosen rows. */
  async logits(attn: Float32Array, hidden: Float32Array, rows: number[]): Promise<Float32Array> {
    const attnTensor = LlmGraphs.rows(attn, hidden.length / this.config.hiddenSize);
    const rowTensor = new ort.Tensor('int64', BigInt64Array.from(rows, (r) => BigInt(r)), [rows.length]);
    const last = this.posts[this.config.numLayers - 1];
    if (this.layout === 'fused') {
      return (await last.run({ attn: attnTensor, hidden: this.hiddenTensor(hidden), rows: rowTensor })).logits.data as Float32Array;
    }
    const mid = (await last.run({ attn: attnTensor, hidden: this.hiddenTensor(hidden) })).hidden_out.data as Float32Array;
    return (await this.head!.run({ hidden: this.hiddenTensor(mid), rows: rowTensor })).logits.data as Float32Array;
  }

  /**
   * Causal attention of a chunk of `n` queries (q [n × H × d], token-major, positions
   * `start … start+n−1`) over the layer's cache, which already holds the chunk's keys: positions
   * [0, length). Returns attn [n × H × d].
   */
  async prefillAttention(layer: number, q: Float32Array, k: Float32Array, v: Float32Array, keys: Float32Array, values: Float32Array, capacity: number, length: number): Promise<Float32Array> {
    const { numHeads: H, numKvHeads: Hkv, headDim: d } = this.config;
    const n = q.length / (H * d);
    const session = this.attention.get(layerSlidingWindow(this.config, layer));
    if (!session) throw new Error(`No prefill attention graph for layer ${layer}`);
    const out = await session.run({
      q: LlmGraphs.rows(q, n),
      k: LlmGraphs.rows(k, n),
      v: LlmGraphs.rows(v, n),
      past_key: new ort.Tensor('float32', keys, [1, Hkv, capacity, d]),
      past_value: new ort.Tensor('float32', values, [1, Hkv, capacity, d]),
      seqlens_k: new ort.Tensor('int32', Int32Array.of(length - 1), [1]),
      total_sequence_length: new ort.Tensor('int32', Int32Array.of(length), []),
    });
    return out.attn.data as Float32Array;
  }

  /**
   * See buildRangeDecodeAttention: `q` [H × d]; every KV head attends to positions [lo, length)
   * of the layer's cache buffers (row stride `capacity`). Returns attn [H × d] and, when asked,
   * the logits summed over all query heads [length − lo].
   */
  async attendRange(q: Float32Array, keys: Float32Array, values: Float32Array, capacity: number, lo: number, length: number, wantSums: boolean): Promise<{ attn: Float32Array; logitSums: Float32Array | null }> {
    const feeds: Feeds = { q: this.groupedQuery(q) };
    this.headRows(feeds, 'keys', keys, capacity, lo, length - lo);
    this.headRows(feeds, 'values', values, capacity, lo, length - lo);
    const out = await (wantSums ? this.decodeRangeSums : this.decodeRange).run(feeds);
    return { attn: out.attn.data as Float32Array, logitSums: wantSums ? (out.logit_sums.data as Float32Array) : null };
  }

  /**
   * See buildSharedDecodeAttention: `q` [H × d], `keys`/`values` the layer's cache buffers. Returns
   * attn [H × d] and, when asked, the logits summed over all query heads [positions.length].
   */
  async attendShared(q: Float32Array, keys: Float32Array, values: Float32Array, capacity: number, positions: Int32Array, wantSums: boolean): Promise<{ attn: Float32Array; logitSums: Float32Array | null }> {
    const { numKvHeads: Hkv, headDim: d } = this.config;
    const out = await (wantSums ? this.decodeSharedSums : this.decodeShared).run({
      q: this.groupedQuery(q),
      keys: new ort.Tensor('float32', keys.subarray(0, Hkv * capacity * d), [Hkv, capacity, d]),
      values: new ort.Tensor('float32', values.subarray(0, Hkv * capacity * d), [Hkv, capacity, d]),
      positions: new ort.Tensor('int32', positions, [positions.length]),
    });
    return { attn: out.attn.data as Float32Array, logitSums: wantSums ? (out.logit_sums.data as Float32Array) : null };
  }

  /**
   * See buildPerHeadDecodeAttention: `q` [H × d]; KV head h attends to `positions[h][0..counts[h])`
   * (all < length) of the layer's cache buffers (row stride `capacity`). Returns attn [H × d].
   */
  async attendPerHead(q: Float32Array, keys: Float32Array, values: Float32Array, capacity: number, length: number, positions: Int32Array[], counts: number[]): Promise<Float32Array> {
    const feeds: Feeds = { q: this.groupedQuery(q) };
    this.headRows(feeds, 'keys', keys, capacity, 0, length);
    this.headRows(feeds, 'values', values, capacity, 0, length);
    for (let h = 0; h < this.config.numKvHeads; h++) feeds[`positions_${h}`] = new ort.Tensor('int32', positions[h].subarray(0, counts[h]), [counts[h]]);
    return (await this.decodePerHead.run(feeds)).attn.data as Float32Array;
  }

  /**
   * See buildSoftVotes: `q` [H × d]; every KV head votes over positions [lo, hi) of the layer's
   * key buffer (row stride `capacity`). Returns votes [Hkv × (hi − lo)].
   */
  async softVotes(q: Float32Array, keys: Float32Array, capacity: number, lo: number, hi: number): Promise<Float32Array> {
    const feeds: Feeds = { q: this.groupedQuery(q) };
    this.headRows(feeds, 'keys', keys, capacity, lo, hi - lo);
    return (await this.softVoting.run(feeds)).votes.data as Float32Array;
  }

  /**
   * See buildPageScores: `q` [H × d]; `min`/`max` the layer's page bounds [Hkv × pagesCapacity × d].
   * Returns the scores of pages [from, to) for every KV head [Hkv × (to − from)].
   */
  async pageScores(q: Float32Array, min: Float32Array, max: Float32Array, pagesCapacity: number, from: number, to: number): Promise<Float32Array> {
    const { numKvHeads: Hkv, headDim: d } = this.config;
    const size = Hkv * pagesCapacity * d;
    const out = await this.pageScoring.run({
      q: this.groupedQuery(q),
      min: new ort.Tensor('float32', min.subarray(0, size), [Hkv, pagesCapacity, d]),
      max: new ort.Tensor('float32', max.subarray(0, size), [Hkv, pagesCapacity, d]),
      from: new ort.Tensor('int64', BigInt64Array.of(BigInt(from)), [1]),
      to: new ort.Tensor('int64', BigInt64Array.of(BigInt(to)), [1]),
    });
    return out.scores.data as Float32Array;
  }

  async release(): Promise<void> {
    const all = [...this.pres, ...this.posts, ...this.attention.values(), this.decodeShared, this.decodeSharedSums, this.decodePerHead, this.decodeRange, this.decodeRangeSums, this.softVoting, this.pageScoring, ...(this.head ? [this.head] : [])];
    await Promise.all(all.map((s) => s.release()));
  }
}
