/**
 * The LLM reader's runtime: a decoder-only model whose dense math runs in ONNX graphs
 * Folio builds (graphs.ts) and whose attention runs over a KV cache Folio owns (kv-cache.ts), so
 * that at every generated token an attention policy (policies/) can choose which cached positions
 * each layer reads.
 *
 *   const model = await LlmModel.load({ config, weights, tokenizer });   // or loadLlmModel(dir) in lib/llm
 *   const { tokens, text, ledger } = await generate(model, promptIds | messages, options);   // generate.ts
 *
 * Prefill (any run of more than one token) is dense and chunked; its attention is ORT's
 * GroupQueryAttention over the cache. Decode (one token) asks the policy for each layer's
 * positions and attends to them in one call per layer: Folio's native kernel (native-attention.ts)
 * when it was built, else one small ORT graph (decode-attention.ts), or the TypeScript oracle
 * (attention.ts) when `attentionKernel` is 'ts'. A policy instance carries
 * per-conversation state (TokenSelect's selection cache): give each session its own.
 */

import { nativeAddon, nativeAddonError } from '../native/addon.ts';
import { AttentionScratch, attendDecode } from './attention.ts';
import { layerSlidingWindow } from './config.ts';
import { OrtDecodeAttention } from './decode-attention.ts';
import { type GraphLayout, LlmGraphs, type RopeFeeds } from './graphs.ts';
import { type FloatAllocator, KvCache } from './kv-cache.ts';
import { attendedCount, type LedgerStep } from './ledger.ts';
import { hugePageFloats, NativeDecodeAttention } from './native-attention.ts';
import type { AttentionPolicy, PolicyOps, PolicyShape } from './policies/policy.ts';
import type { WeightFormat } from './quantize.ts';
import { ropeCosSin } from './rope.ts';
import type { ChatMessage, LlmTokenizer } from './tokenizer.ts';
import type { LlmConfig, LlmWeights } from './types.ts';
import { assertWeightsFit } from './weight-layout.ts';

export interface LlmSource {
  config: LlmConfig;
  weights: LlmWeights;
  tokenizer?: LlmTokenizer;
  /** Ids that end a reply when the caller names none (default config.eosTokenIds). */
  stopTokenIds?: number[];
}

export interface LoadOptions {
  /** onnxruntime intra-op threads (default 2). */
  threads?: number;
  /** Graph split at the attention boundary (default 'fused'; see graphs.ts). */
  layout?: GraphLayout;
  /**
   * Linear weights in fp32 (exact), quantised to int8/int4 at load (graphs.ts, quantize.ts), or a
   * GGUF file's own blocks ('gguf', gguf-repack.ts). Default: 'gguf' for a GGUF checkpoint with
   * quantised tensors, fp32 otherwise.
   */
  weights?: WeightFormat;
  /** MatMulNBits' accuracy level for quantised weights (graphs.ts; default 4, int8 arithmetic). */
  accuracyLevel?: 1 | 4;
  /** Weights per scale for quantised weights (graphs.ts; default 32). */
  weightBlock?: number;
  /** Tokens per prefill chunk (default 512): bounds the [heads × chunk × context] score tensor. */
  prefillChunk?: number;
  /**
   * Where decode attention runs: Folio's native kernel (native/, the default when built), onnxruntime
   * (the default otherwise), or TypeScript (attention.ts, and the policies' own scoring loops).
   * Policies score (TokenSelect's votes, Quest's pages) in onnxruntime unless this is 'ts'.
   */
  decodeAttention?: DecodeAttentionKernel;
}

export type DecodeAttentionKernel = 'native' | 'ort' | 'ts';

/** The format asked for, or the checkpoint's own: its GGUF blocks when it has any, else fp32. */
export function weightFormatOf(weights: LlmWeights, asked: WeightFormat | undefined): WeightFormat {
  const hasBlocks = [...weights.values()].some((t) => t.blocks);
  if (asked === 'gguf' && !hasBlocks) throw new Error("Weight format 'gguf' needs a GGUF checkpoint with quantised tensors; this one has none (use fp32, int8 or int4)");
  return asked ?? (hasBlocks ? 'gguf' : 'fp32');
}

/** One conversation's state: the cache and the ids it holds, plus ids sampled but not yet fed. */
export class LlmSession {
  readonly cache: KvCache;
  /** Ids whose K/V are in the cache, in order. */
  readonly tokens: number[] = [];
  /** Generated ids not yet run through the model (the last reply's final token). */
  pending: number[] = [];

  constructor(config: LlmConfig, capacity?: number, allocate?: FloatAllocator) {
    this.cache = new KvCache(config.numLayers, config.numKvHeads, config.headDim, capacity, allocate);
  }

  /** Forgets every position from `length` on (cache and ids), to branch again from a shared prefix. */
  rewind(length: number): void {
    this.cache.truncate(length);
    this.tokens.length = length;
    this.pending = [];
  }
}

export class LlmModel {
  readonly shape: PolicyShape;
  readonly prefillChunk: number;
  private readonly scratch: AttentionScratch;
  private readonly attnOut: Float32Array;
  private readonly ortAttention: OrtDecodeAttention;
  private readonly nativeAttention: NativeDecodeAttention | null;
  /** KV cache buffers on huge pages where the native addon provides them (else plain arrays). */
  private readonly cacheAllocator: FloatAllocator | undefined;
  private readonly policyOps: PolicyOps;
  /** Where decode attention runs; switchable between steps (bench/decode.ts compares them). */
  attentionKernel: DecodeAttentionKernel;
  /** The format the Linear weights run in (LoadOptions.weights, resolved). */
  readonly weightFormat: WeightFormat;

  private constructor(
    readonly config: LlmConfig,
    readonly graphs: LlmGraphs,
    private readonly embeddings: Float32Array,
    readonly tokenizer: LlmTokenizer | undefined,
    readonly stopTokenIds: number[],
    options: LoadOptions,
  ) {
    this.shape = { numLayers: config.numLayers, numHeads: config.numHeads, numKvHeads: config.numKvHeads, headDim: config.headDim };
    this.prefillChunk = Math.max(1, options.prefillChunk ?? 512);
    this.weightFormat = options.weights ?? 'fp32';
    this.scratch = new AttentionScratch(this.shape);
    this.attnOut = new Float32Array(config.numHeads * config.headDim);
    this.ortAttention = new OrtDecodeAttention(graphs, config.numKvHeads);
    const native = nativeAddon();
    this.nativeAttention = native ? new NativeDecodeAttention(native, config.numKvHeads, config.headDim, Math.max(1, options.threads ?? 2)) : null;
    this.attentionKernel = options.decodeAttention ?? (native ? 'native' : 'ort');
    this.cacheAllocator = hugePageFloats() ?? undefined;
    if (this.attentionKernel === 'native') this.native();
    this.policyOps = {
      // Soft votes read every key of the layer: the native kernel's one pass when it runs attention.
      softVotes: async (q, keys, capacity, lo, hi) => (this.attentionKernel === 'native' ? this.native().softVotes(q, keys, capacity, lo, hi) : graphs.softVotes(q, keys, capacity, lo, hi)),
      pageScores: (q, min, max, pagesCapacity, from, to) => graphs.pageScores(q, min, max, pagesCapacity, from, to),
    };
  }

  /** From weights in memory (lib/llm/load-model.ts reads a checkpoint folder into them). */
  static async load(src: LlmSource, options: LoadOptions = {}): Promise<LlmModel> {
    const { config, weights } = src;
    assertWeightsFit(config, weights);
    if (config.numHeads % config.numKvHeads !== 0) throw new Error(`${config.numHeads} heads do not split into ${config.numKvHeads} KV groups`);
    const embed = weights.get('model.embed_tokens.weight');
    if (!embed) throw new Error('Checkpoint has no model.embed_tokens.weight');
    const format = weightFormatOf(weights, options.weights);
    const graphs = await LlmGraphs.build(config, weights, { layout: options.layout, threads: options.threads, weights: format, accuracyLevel: options.accuracyLevel, blockSize: options.weightBlock });
    return new LlmModel(config, graphs, embed.data, src.tokenizer, src.stopTokenIds ?? config.eosTokenIds, { ...options, weights: format });
  }

  private native(): NativeDecodeAttention {
    if (!this.nativeAttention) throw new Error(`Decode attention 'native' asked for, but ${nativeAddonError()}`);
    return this.nativeAttention;
  }

  /** A conversation; its KV cache sits on huge pages where the native addon provides them. */
  newSession(capacity?: number): LlmSession {
    return new LlmSession(this.config, capacity, this.cacheAllocator);
  }

  async release(): Promise<void> {
    await this.graphs.release();
  }

  private embed(ids: ArrayLike<number>): Float32Array {
    const h = this.config.hiddenSize;
    const out = new Float32Array(ids.length * h);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(id >= 0 && id < this.config.vocabSize)) throw new Error(`Token id ${id} is outside the vocabulary (${this.config.vocabSize})`);
      out.set(this.embeddings.subarray(id * h, (id + 1) * h), i * h);
    }
    const scale = this.config.gemma?.embeddingScale;
    if (scale !== undefined) for (let i = 0; i < out.length; i++) out[i] *= scale;
    return out;
  }

  /**
   * The RoPE inputs of each layer's pre-attention graph for these positions: one table for all
   * layers, or (Gemma) one for the sliding-window layers' base and one for the global layers'.
   */
  private ropes(positions: number[]): (layer: number) => RopeFeeds {
    const { cos, sin } = ropeCosSin(this.config, positions);
    const global = this.graphs.ropeFeeds(cos, sin);
    const gemma = this.config.gemma;
    if (!gemma) return () => global;
    const localTables = ropeCosSin({ ...this.config, ropeTheta: gemma.localRopeTheta, ropeScaling: null }, positions);
    const local = this.graphs.ropeFeeds(localTables.cos, localTables.sin);
    return (layer) => (layerSlidingWindow(this.config, layer) === null ? global : local);
  }

  /**
   * Runs `ids` through the model with dense (chunked) attention, appending them to the session's
   * cache. Returns the logits of the last token ([vocab]), or of every token ([n × vocab]) when
   * `allLogits` is set (tests compare them with the reference forward pass).
   */
  async prefill(session: LlmSession, ids: number[], allLogits = false, signal?: AbortSignal): Promise<Float32Array> {
    return this.prefillFrom(session, ids, allLogits ? 0 : ids.length - 1, signal);
  }

  /**
   * Like `prefill`, returning the logits of the positions `from` … ids.length − 1 of `ids`
   * ([(ids.length − from) × vocab]): what scoring a continuation needs (the last prompt token's
   * logits and the continuation's own) without the output projection of the rows before.
   */
  async prefillFrom(session: LlmSession, ids: number[], from: number, signal?: AbortSignal): Promise<Float32Array> {
    if (ids.length === 0) throw new Error('Nothing to prefill');
    if (!(from >= 0 && from < ids.length)) throw new Error(`Logits from position ${from} of ${ids.length}`);
    const vocab = this.config.vocabSize;
    const out = new Float32Array((ids.length - from) * vocab);
    session.cache.reserve(session.cache.length + ids.length);
    for (let at = 0; at < ids.length; at += this.prefillChunk) {
      signal?.throwIfAborted();
      const chunk = ids.slice(at, at + this.prefillChunk);
      const rows = chunk.map((_, i) => i).filter((i) => at + i >= from);
      const logits = await this.runChunk(session, chunk, rows);
      if (rows.length > 0) out.set(logits, (at + rows[0] - from) * vocab);
    }
    return out;
  }

  private async runChunk(session: LlmSession, ids: number[], rows: number[]): Promise<Float32Array> {
    const { cache } = session;
    const n = ids.length;
    const start = cache.length;
    const positions = Array.from({ length: n }, (_, i) => start + i);
    const rope = this.ropes(positions);
    let hidden = this.embed(ids);
    let qkv = await this.graphs.first(hidden, rope(0));
    cache.ensure(n);
    let logits: Float32Array = new Float32Array(0);
    for (let layer = 0; layer < this.config.numLayers; layer++) {
      cache.write(layer, qkv.k, qkv.v, n);
      const kv = cache.layers[layer];
      const attn = await this.graphs.prefillAttention(layer, qkv.q, qkv.k, qkv.v, kv.keys, kv.values, cache.capacity, start + n);
      if (layer < this.config.numLayers - 1) {
        const next = await this.graphs.next(layer, attn, hidden, rope(layer + 1));
        hidden = next.hidden;
        qkv = next;
      } else if (rows.length > 0) {
        // The last layer's MLP only feeds logits: a chunk that needs none skips it.
        logits = await this.graphs.logits(attn, hidden, rows);
      }
    }
    cache.commit(n);
    session.tokens.push(...ids);
    return logits;
  }

  /**
   * One decode step: feeds `id` at the next position, each layer attending to the positions
   * `policy` picks, and returns the next-token logits [vocab]. `ledger` receives the step.
   */
  async step(session: LlmSession, id: number, policy: AttentionPolicy, ledger?: LedgerStep[]): Promise<Float32Array> {
    const { cache } = session;
    const position = cache.length;
    const length = position + 1;
    const rope = this.ropes([position]);
    let hidden = this.embed([id]);
    let qkv = await this.graphs.first(hidden, rope(0));
    cache.ensure(1);
    policy.beginStep(length);
    const attended = new Float32Array(this.config.numLayers);
    let logits: Float32Array = new Float32Array(0);
    for (let layer = 0; layer < this.config.numLayers; layer++) {
      cache.write(layer, qkv.k, qkv.v, 1);
      const kv = cache.layers[layer];
      const window = layerSlidingWindow(this.config, layer);
      const lo = window === null ? 0 : Math.max(0, length - window);
      const ops = this.attentionKernel === 'ts' ? undefined : this.policyOps;
      const selection = await policy.select({ layer, q: qkv.q, kv, capacity: cache.capacity, length, lo, ops });
      attended[layer] = attendedCount(selection, this.config.numKvHeads, length);
      const observe = policy.observer(layer);
      if (this.attentionKernel === 'ts') attendDecode(qkv.q, kv, cache.capacity, length, selection, this.attnOut, this.scratch, observe);
      else if (this.attentionKernel === 'ort') await this.ortAttention.attend(qkv.q, kv, cache.capacity, length, selection, this.attnOut, observe);
      else this.native().attend(qkv.q, kv, cache.capacity, length, selection, this.attnOut, observe);
      if (layer < this.config.numLayers - 1) {
        const next = await this.graphs.next(layer, this.attnOut, hidden, rope(layer + 1));
        hidden = next.hidden;
        qkv = next;
      } else {
        logits = await this.graphs.logits(this.attnOut, hidden, [0]);
      }
    }
    cache.commit(1);
    session.tokens.push(id);
    ledger?.push({ position, attended, selections: policy.stepSelections() });
    return logits;
  }

  /** Ids of a chat (through the tokenizer's template) or the ids themselves. */
  promptIds(prompt: number[] | ChatMessage[]): number[] {
    if (prompt.length === 0 || typeof prompt[0] === 'number') return prompt as number[];
    if (!this.tokenizer) throw new Error('Chat messages need a tokenizer; pass token ids instead');
    return this.tokenizer.encodeChat(prompt as ChatMessage[]);
  }
}
