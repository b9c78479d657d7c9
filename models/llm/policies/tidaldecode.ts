/**
 * TidalDecode (after the TidalDecode paper and its reference code): position-persistent sparse attention.
 * Layers before the selection layer attend densely. The token-selection layer attends densely
 * too and, from its pre-softmax logits summed over all heads, keeps the top (budget − 1) cached
 * positions plus the newest one; the layers after it attend only to those positions. A
 * re-selection layer (default ⌊numLayers·9/32⌉, the paper's layer 9 of 32) attends densely again
 * and picks a fresh set for the layers after it. So full scans happen in the first layers and the
 * two selection layers only; every other layer costs O(budget·d) per head.
 */
import type { LogitsObserver, Selection } from '../attention.ts';
import { TopK } from '../top-k.ts';
import type { AttentionPolicy, LayerQuery, LedgerSelection, PolicyShape } from './policy.ts';

export interface TidalDecodeOptions {
  budget: number;
  /** The token-selection layer; layers before it are dense (default 2, the paper's). */
  selectionLayer?: number;
  /** Re-selection layer (default round(numLayers·9/32)); null for none. Ignored unless after the selection layer. */
  reselectionLayer?: number | null;
}

export class TidalDecodePolicy implements AttentionPolicy {
  readonly name = 'tidaldecode';
  readonly budget: number;
  readonly selectionLayers: number[];
  private readonly topk = new TopK();
  private sums = new Float64Array(0);
  private sumLo = 0;
  private sumCount = 0;
  private pendingLayer = -1;
  private positions = new Int32Array(0);
  private count = 0;
  private dense = false;
  private chosen: LedgerSelection[] = [];

  constructor(shape: PolicyShape, options: TidalDecodeOptions) {
    if (!(options.budget >= 1)) throw new Error(`TidalDecode budget must be ≥ 1, got ${options.budget}`);
    this.budget = Math.floor(options.budget);
    const selection = options.selectionLayer ?? 2;
    const reselection = options.reselectionLayer === undefined ? Math.round((shape.numLayers * 9) / 32) : options.reselectionLayer;
    this.selectionLayers = [selection];
    if (reselection !== null && reselection > selection && reselection < shape.numLayers) {
      // Right after the selection layer (12 layers: 2 then 3) the first selection would feed no
      // layer: select once, at the re-selection layer, with every layer before it dense.
      if (reselection === selection + 1) this.selectionLayers = [reselection];
      else this.selectionLayers.push(reselection);
    }
  }

  beginStep(_length?: number): void {
    this.count = 0;
    this.pendingLayer = -1;
    this.chosen = [];
  }

  select(query: LayerQuery): Selection {
    const { layer, length, lo } = query;
    this.dense = this.budget >= length - lo;
    if (this.dense || layer <= this.selectionLayers[0] || this.selectionLayers.includes(layer)) {
      if (!this.dense && this.selectionLayers.includes(layer)) {
        const count = length - lo;
        if (this.sums.length < count) this.sums = new Float64Array(Math.ceil(count * 1.25));
        this.sums.fill(0, 0, count);
        this.sumLo = lo;
        this.sumCount = count;
        this.pendingLayer = layer;
      }
      return { kind: 'range', lo };
    }
    if (this.pendingLayer >= 0) this.choose(length);
    if (this.count === 0) throw new Error(`TidalDecode layer ${layer} runs before any selection layer`);
    if (this.positions[0] < lo) {
      // This layer's sliding window starts after some chosen positions (Qwen2 mixes windowed and
      // full layers): drop those rather than attend outside the window.
      let first = 0;
      while (this.positions[first] < lo) first++;
      return { kind: 'shared', positions: this.positions.subarray(first), count: this.count - first };
    }
    return { kind: 'shared', positions: this.positions, count: this.count };
  }

  /** Top (budget − 1) positions by summed logits, excluding the newest, then the newest (I2). */
  private choose(length: number): void {
    if (this.positions.length < this.budget) this.positions = new Int32Array(this.budget);
    const candidates = this.sumCount - 1; // the newest position is always kept
    const n = this.topk.select(this.sums, candidates, this.budget - 1, this.positions, this.sumLo);
    this.positions[n] = length - 1;
    this.count = n + 1;
    this.chosen.push({ layer: this.pendingLayer, positions: this.positions.slice(0, this.count) });
    this.pendingLayer = -1;
  }

  observer(layer: number): LogitsObserver | undefined {
    if (this.dense || !this.selectionLayers.includes(layer)) return undefined;
    return (logitSums, count) => {
      const sums = this.sums;
      for (let i = 0; i < count; i++) sums[i] += logitSums[i];
    };
  }

  stepSelections(): LedgerSelection[] {
    return this.chosen;
  }
}
