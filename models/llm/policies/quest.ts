/**
 * Quest-style per-head page selection (Tang et al., "Quest: Query-Aware Sparsity for Efficient
 * Long-Context LLM Inference"): the cache is cut into pages of
 * `pageSize` positions; each page keeps the element-wise min and max of its keys per KV head.
 * A page's score is an upper bound of q·k over its keys, Σ_c max(q_c·min_c, q_c·max_c), summed
 * over the query heads of the KV group; the best pages up to the budget are read in full, and
 * the page holding the newest position always is (I2).
 *
 * Selection costs O(length / pageSize · d) per head instead of TokenSelect's O(length · d): the
 * point of Quest. Page bounds are built lazily from the cache and kept per layer; a full page's
 * bounds never change, the newest (partial) page's are recomputed each step. One instance per
 * conversation: the bounds describe that conversation's cache.
 */
import type { Selection } from '../attention.ts';
import { TopK } from '../top-k.ts';
import type { AttentionPolicy, LayerQuery, LedgerSelection, PolicyShape } from './policy.ts';

export interface QuestOptions {
  /** Positions per KV head in all (whole pages). */
  budget: number;
  /** Positions per page (default 16, Quest's). */
  pageSize?: number;
}

interface LayerBounds {
  /** [numKvHeads × pagesCapacity × headDim] */
  min: Float32Array;
  max: Float32Array;
  pagesCapacity: number;
  /** Pages whose bounds are final (full pages already summarised). */
  done: number;
}

export class QuestPolicy implements AttentionPolicy {
  readonly name = 'quest';
  readonly budget: number;
  readonly pageSize: number;
  private readonly shape: PolicyShape;
  private readonly bounds: (LayerBounds | null)[];
  private readonly topk = new TopK();
  private scores = new Float64Array(0);
  private pages = new Int32Array(0);
  private readonly lists: Int32Array[];
  private readonly counts: number[];

  constructor(shape: PolicyShape, options: QuestOptions) {
    this.shape = shape;
    this.pageSize = Math.max(1, Math.floor(options.pageSize ?? 16));
    if (!(options.budget >= this.pageSize)) throw new Error(`Quest budget must be at least one page (${this.pageSize}), got ${options.budget}`);
    this.budget = Math.floor(options.budget);
    this.bounds = Array.from({ length: shape.numLayers }, () => null);
    this.lists = Array.from({ length: shape.numKvHeads }, () => new Int32Array(this.budget));
    this.counts = new Array(shape.numKvHeads).fill(0);
  }

  beginStep(_length?: number): void {}

  select(query: LayerQuery): Selection | Promise<Selection> {
    const { length, lo } = query;
    if (this.budget >= length - lo) return { kind: 'range', lo };
    const P = this.pageSize;
    const bounds = this.summarise(query);
    const firstPage = Math.floor(lo / P);
    const lastPage = Math.floor((length - 1) / P); // the newest position's page, always kept
    const candidates = lastPage - firstPage;
    if (this.scores.length < candidates) this.scores = new Float64Array(candidates);
    const keep = Math.min(candidates, Math.floor(this.budget / P) - 1);
    if (this.pages.length < keep + 1) this.pages = new Int32Array(keep + 1);
    const pick = (g: number, scores: Float32Array | Float64Array): void => {
      const n = this.topk.select(scores, candidates, keep, this.pages, firstPage);
      this.pages[n] = lastPage;
      const list = this.lists[g];
      let count = 0;
      for (let i = 0; i <= n; i++) {
        const start = Math.max(lo, this.pages[i] * P);
        const end = Math.min(length, (this.pages[i] + 1) * P);
        for (let j = start; j < end; j++) list[count++] = j;
      }
      this.counts[g] = count;
    };
    const done = (): Selection => ({ kind: 'perKvHead', positions: this.lists, counts: this.counts });
    if (query.ops) return this.scoreWith(query, bounds, firstPage, candidates, pick).then(done);
    for (let g = 0; g < this.shape.numKvHeads; g++) pick(g, this.scoreHead(query.q, bounds, g, firstPage, candidates));
    return done();
  }

  /**
   * Upper bounds of the candidate pages for KV head g, in TypeScript: Σ_h Σ_c max(q_hc·min_c,
   * q_hc·max_c) = Σ_c (Σ_h q_hc⁺)·max_c + (Σ_h q_hc⁻)·min_c, as min ≤ max (the graph's form too).
   */
  private scoreHead(q: Float32Array, bounds: LayerBounds, g: number, firstPage: number, candidates: number): Float64Array {
    const { numHeads, numKvHeads, headDim: d } = this.shape;
    const group = numHeads / numKvHeads;
    const positive = new Float64Array(d);
    const negative = new Float64Array(d);
    for (let hh = 0; hh < group; hh++) {
      const qOff = (g * group + hh) * d;
      for (let c = 0; c < d; c++) {
        const qc = q[qOff + c];
        if (qc > 0) positive[c] += qc;
        else negative[c] += qc;
      }
    }
    const base = g * bounds.pagesCapacity * d;
    for (let p = 0; p < candidates; p++) {
      const off = base + (firstPage + p) * d;
      let s = 0;
      for (let c = 0; c < d; c++) s += positive[c] * bounds.max[off + c] + negative[c] * bounds.min[off + c];
      this.scores[p] = s;
    }
    return this.scores;
  }

  /** The same bounds from the runtime's graphs, one call for every KV head. */
  private async scoreWith(query: LayerQuery, bounds: LayerBounds, firstPage: number, candidates: number, pick: (g: number, scores: Float32Array) => void): Promise<void> {
    // No candidate page (the newest page is all the window holds): nothing to score.
    const scores = candidates === 0 ? new Float32Array(0) : await query.ops!.pageScores(query.q, bounds.min, bounds.max, bounds.pagesCapacity, firstPage, firstPage + candidates);
    for (let g = 0; g < this.shape.numKvHeads; g++) pick(g, scores.subarray(g * candidates, (g + 1) * candidates));
  }

  /** Brings the layer's page bounds up to `length` positions. */
  private summarise({ layer, kv, capacity, length }: LayerQuery): LayerBounds {
    const { numKvHeads, headDim: d } = this.shape;
    const P = this.pageSize;
    const pages = Math.ceil(length / P);
    let bounds = this.bounds[layer];
    if (!bounds || bounds.pagesCapacity < pages) {
      const pagesCapacity = Math.max(pages, Math.ceil(capacity / P));
      const grown: LayerBounds = {
        min: new Float32Array(numKvHeads * pagesCapacity * d),
        max: new Float32Array(numKvHeads * pagesCapacity * d),
        pagesCapacity,
        done: bounds?.done ?? 0,
      };
      if (bounds) {
        for (let g = 0; g < numKvHeads; g++) {
          grown.min.set(bounds.min.subarray(g * bounds.pagesCapacity * d, (g * bounds.pagesCapacity + bounds.done) * d), g * pagesCapacity * d);
          grown.max.set(bounds.max.subarray(g * bounds.pagesCapacity * d, (g * bounds.pagesCapacity + bounds.done) * d), g * pagesCapacity * d);
        }
      }
      bounds = grown;
      this.bounds[layer] = bounds;
    }
    for (let g = 0; g < numKvHeads; g++) {
      const keyBase = g * capacity * d;
      const boundBase = g * bounds.pagesCapacity * d;
      for (let p = bounds.done; p < pages; p++) {
        const off = boundBase + p * d;
        bounds.min.fill(Number.POSITIVE_INFINITY, off, off + d);
        bounds.max.fill(Number.NEGATIVE_INFINITY, off, off + d);
        const end = Math.min(length, (p + 1) * P);
        for (let j = p * P; j < end; j++) {
          const k = keyBase + j * d;
          for (let c = 0; c < d; c++) {
            const x = kv.keys[k + c];
            if (x < bounds.min[off + c]) bounds.min[off + c] = x;
            if (x > bounds.max[off + c]) bounds.max[off + c] = x;
          }
        }
      }
    }
    bounds.done = Math.floor(length / P); // the partial last page is redone next step
    return bounds;
  }

  observer(): undefined {
    return undefined;
  }

  stepSelections(): LedgerSelection[] {
    return [];
  }
}
