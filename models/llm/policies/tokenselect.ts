/**
 * TokenSelect (after the TokenSelect paper and its reference code): per-layer, per-KV-head token selection.
 * The cache splits into `nInit` initial positions, a middle, and `nLocal` recent positions; only
 * the middle is searched. Each query head's logits over the middle are softmax-normalised (so one
 * head with large logits cannot dominate) and summed over the heads of a KV group (soft voting);
 * the top `budget − nInit − nLocal` middle positions join the initial and local ones. A selection
 * cache per layer reuses the previous step's middle picks when the query's cosine similarity to
 * the cached one is at least `threshold` (1 or more disables it; −1 reuses after the first step).
 *
 * Scoring costs O(length·d) per head in every layer (no V read, no exp per head of the final
 * softmax), which is why a cache hit matters.
 */
import { expShifted, type Selection } from '../attention.ts';
import { TopK } from '../top-k.ts';
import { cosine } from '../../math/vector.ts';
import type { AttentionPolicy, LayerQuery, LedgerSelection, PolicyShape } from './policy.ts';

export interface TokenSelectOptions {
  /** Positions per KV head in all: nInit + top-k + nLocal. */
  budget: number;
  /** Initial positions always kept (default min(128, budget/16)). */
  nInit?: number;
  /** Most recent positions always kept (default min(512, budget/4)). */
  nLocal?: number;
  /** Selection-cache cosine threshold (default 0.9, TokenSelect's config). */
  threshold?: number;
}

interface CachedPick {
  query: Float32Array;
  positions: Int32Array[];
  counts: number[];
}

export class TokenSelectPolicy implements AttentionPolicy {
  readonly name = 'tokenselect';
  readonly budget: number;
  readonly nInit: number;
  readonly nLocal: number;
  readonly topK: number;
  readonly threshold: number;
  /** Selection-cache hits and misses since construction. */
  hits = 0;
  misses = 0;
  private readonly shape: PolicyShape;
  private readonly topk = new TopK();
  private readonly cached: (CachedPick | null)[];
  private logits = new Float32Array(0);
  private votes = new Float64Array(0);
  private readonly lists: Int32Array[];
  private readonly counts: number[];

  constructor(shape: PolicyShape, options: TokenSelectOptions) {
    if (!(options.budget >= 1)) throw new Error(`TokenSelect budget must be ≥ 1, got ${options.budget}`);
    this.shape = shape;
    this.budget = Math.floor(options.budget);
    this.nInit = options.nInit ?? Math.min(128, Math.floor(this.budget / 16));
    // At least the newest position is local (I2).
    this.nLocal = Math.max(1, options.nLocal ?? Math.min(512, Math.floor(this.budget / 4)));
    this.topK = this.budget - this.nInit - this.nLocal;
    if (this.topK < 0) throw new Error(`TokenSelect budget ${this.budget} is smaller than nInit + nLocal (${this.nInit} + ${this.nLocal})`);
    this.threshold = options.threshold ?? 0.9;
    this.cached = Array.from({ length: shape.numLayers }, () => null);
    this.lists = Array.from({ length: shape.numKvHeads }, () => new Int32Array(this.budget));
    this.counts = new Array(shape.numKvHeads).fill(0);
  }

  beginStep(_length?: number): void {}

  select(query: LayerQuery): Selection | Promise<Selection> {
    const { layer, q, length, lo } = query;
    if (this.budget >= length - lo) return { kind: 'range', lo };
    const midLo = lo + this.nInit;
    const midHi = length - this.nLocal;
    const cached = this.cached[layer];
    if (cached && this.threshold < 1 && cosine(q, cached.query) >= this.threshold) {
      this.hits++;
      return this.assemble(cached, lo, midLo, midHi, length);
    }
    this.misses++;
    const store = (pick: CachedPick): Selection => {
      this.cached[layer] = pick;
      return this.assemble(pick, lo, midLo, midHi, length);
    };
    return query.ops ? this.scoreWith(query, midLo, midHi).then(store) : store(this.score(query, midLo, midHi));
  }

  /** [lo, midLo) ∪ picks inside the middle ∪ [midHi, length) for every KV head, ascending. */
  private assemble(pick: CachedPick, lo: number, midLo: number, midHi: number, length: number): Selection {
    for (let g = 0; g < this.shape.numKvHeads; g++) {
      const list = this.lists[g];
      let n = 0;
      for (let j = lo; j < midLo; j++) list[n++] = j;
      const picked = pick.positions[g];
      // A reused pick may reach into today's local window (or, with a moving window, below lo).
      for (let i = 0; i < pick.counts[g]; i++) if (picked[i] >= midLo && picked[i] < midHi) list[n++] = picked[i];
      for (let j = midHi; j < length; j++) list[n++] = j;
      this.counts[g] = n;
    }
    return { kind: 'perKvHead', positions: this.lists, counts: this.counts };
  }

  /** Soft-voted top-k of the middle [midLo, midHi) for every KV head. */
  private score({ q, kv, capacity }: LayerQuery, midLo: number, midHi: number): CachedPick {
    const { numHeads, numKvHeads, headDim: d } = this.shape;
    const group = numHeads / numKvHeads;
    const m = midHi - midLo;
    if (this.logits.length < group * m) this.logits = new Float32Array(Math.ceil(group * m * 1.25));
    if (this.votes.length < m) this.votes = new Float64Array(Math.ceil(m * 1.25));
    const logits = this.logits;
    const votes = this.votes;
    const scale = 1 / Math.sqrt(d);
    const positions: Int32Array[] = [];
    const counts: number[] = [];
    for (let g = 0; g < numKvHeads; g++) {
      const base = g * capacity * d;
      for (let i = 0; i < m; i++) {
        const kOff = base + (midLo + i) * d;
        for (let hh = 0; hh < group; hh++) {
          const qOff = (g * group + hh) * d;
          let s = 0;
          for (let c = 0; c < d; c++) s += q[qOff + c] * kv.keys[kOff + c];
          logits[hh * m + i] = s * scale;
        }
      }
      votes.fill(0, 0, m);
      for (let hh = 0; hh < group; hh++) {
        const row = hh * m;
        const inv = expShifted(logits, row, m);
        for (let i = 0; i < m; i++) votes[i] += logits[row + i] * inv;
      }
      const out = new Int32Array(Math.max(0, this.topK));
      counts.push(this.topk.select(votes, m, this.topK, out, midLo));
      positions.push(out);
    }
    return { query: q.slice(), positions, counts };
  }

  /** The same soft votes computed by the runtime's graphs (one ORT call for every KV head). */
  private async scoreWith({ q, kv, capacity, ops }: LayerQuery, midLo: number, midHi: number): Promise<CachedPick> {
    const m = midHi - midLo;
    const votes = await ops!.softVotes(q, kv.keys, capacity, midLo, midHi);
    const positions: Int32Array[] = [];
    const counts: number[] = [];
    for (let g = 0; g < this.shape.numKvHeads; g++) {
      const out = new Int32Array(this.topK);
      counts.push(this.topk.select(votes.subarray(g * m, (g + 1) * m), m, this.topK, out, midLo));
      positions.push(out);
    }
    return { query: q.slice(), positions, counts };
  }

  observer(): undefined {
    return undefined;
  }

  stepSelections(): LedgerSelection[] {
    return [];
  }
}

