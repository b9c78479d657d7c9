/**
 * The interface every sparse-attention policy implements. At each
 * decode step the runtime asks the policy, layer by layer, which cached positions to attend to;
 * the policy may also watch a layer's pre-softmax logits (TidalDecode's selection layers).
 *
 * Contract (checked by test/unit/llm-runtime.test.ts):
 * - positions are ascending, inside [lo, length), and include the newest position length−1 (I2, I3);
 * - the same inputs give the same positions (I4);
 * - when the budget covers the whole range, the selection is the dense range (I1).
 */
import type { LogitsObserver, Selection } from '../attention.ts';
import type { LayerKv } from '../kv-cache.ts';

/** Bulk operations a policy may delegate to the runtime's ONNX graphs instead of looping in TypeScript. */
export interface PolicyOps {
  /**
   * For every KV head g, Σ over its query group of softmax_j(q_h · k_j / √d) over the cached
   * positions j in [lo, hi): `q` is every head's query [numHeads × headDim], `keys` the layer's
   * key buffer (row stride `capacity`). Returns [numKvHeads × (hi − lo)].
   */
  softVotes(q: Float32Array, keys: Float32Array, capacity: number, lo: number, hi: number): Promise<Float32Array>;
  /**
   * Quest's page scores for every KV head g: Σ over its query group and the channels of
   * max(q_c·min_c, q_c·max_c), for pages [from, to) of `min`/`max` [numKvHeads × pagesCapacity ×
   * headDim]; `q` is every head's query. Returns [numKvHeads × (to − from)].
   */
  pageScores(q: Float32Array, min: Float32Array, max: Float32Array, pagesCapacity: number, from: number, to: number): Promise<Float32Array>;
}

export interface LayerQuery {
  layer: number;
  /** Rotated queries of every head, [numHeads × headDim]. */
  q: Float32Array;
  kv: LayerKv;
  /** Positions per KV head in `kv` (row stride of the cache). */
  capacity: number;
  /** Cache length including the current token (its position is length−1). */
  length: number;
  /** Lowest position this layer may see (sliding window), else 0. */
  lo: number;
  ops?: PolicyOps;
}

export interface LedgerSelection {
  layer: number;
  positions: Int32Array;
}

export interface AttentionPolicy {
  readonly name: string;
  /** Resets per-step state; called before layer 0 of every decode step. */
  beginStep(length: number): void;
  select(query: LayerQuery): Selection | Promise<Selection>;
  /** A logits observer for this layer, if the policy wants that layer's logits. */
  observer(layer: number): LogitsObserver | undefined;
  /** Positions chosen by selection layers during the step just run (for the ledger). */
  stepSelections(): LedgerSelection[];
}

export interface PolicyShape {
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
}
