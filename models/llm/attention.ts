/**
 * Decode-step attention in TypeScript over the positions a policy chose:
 * o_h = softmax(q_h · K_Sᵀ / √d) V_S for every query head h, reading KV head ⌊h / groupSize⌋
 * (transformers' repeat_kv grouping). Keys are read once per KV head and dotted with all query
 * heads of its group while the row is in cache; scores live in a reused buffer; no allocation per
 * call once the scratch has grown to the context length.
 *
 * RoPE is already applied: the pre-attention graph rotates q and k, and the cache holds rotated
 * keys.
 */
import type { LayerKv } from './kv-cache.ts';

/** Which cached positions a layer attends to at one decode step. Positions are ascending. */
export type Selection =
  /** Every position in [lo, length): dense (causal, or a sliding window's lower edge). */
  | { kind: 'range'; lo: number }
  /** The same positions for every head. */
  | { kind: 'shared'; positions: Int32Array; count: number }
  /** One position list per KV head (shared by that head's query-head group). */
  | { kind: 'perKvHead'; positions: Int32Array[]; counts: number[] };

export interface AttentionShape {
  numHeads: number;
  numKvHeads: number;
  headDim: number;
}

export class AttentionScratch {
  /** Pre-softmax logits, then probabilities: [numHeads × stride]. */
  scores = new Float32Array(0);
  stride = 0;
  private sums = new Float32Array(0);
  private readonly accumulator: Float64Array;

  constructor(readonly shape: AttentionShape) {
    this.accumulator = new Float64Array(shape.headDim * (shape.numHeads / shape.numKvHeads));
  }

  ensure(count: number): void {
    if (count <= this.stride) return;
    this.stride = Math.max(count, Math.ceil(this.stride * 1.5));
    this.scores = new Float32Array(this.shape.numHeads * this.stride);
  }

  /** A zeroed buffer of `count` logit sums (reused; valid until the next call). */
  groupSums(count: number): Float32Array {
    if (this.sums.length < count) this.sums = new Float32Array(Math.max(count, Math.ceil(this.sums.length * 1.5)));
    return this.sums.fill(0, 0, count);
  }

  get acc(): Float64Array {
    return this.accumulator;
  }
}

/**
 * The unnormalised half of a softmax, in place over `values[from, from + count)`: subtracts the
 * largest value and exponentiates. Returns 1 / the sum, so the caller can normalise in place or
 * accumulate probabilities elsewhere (TokenSelect's soft votes) without a second buffer.
 */
export function expShifted(values: Float32Array, from: number, count: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < count; i++) if (values[from + i] > max) max = values[from + i];
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const e = Math.exp(values[from + i] - max);
    values[from + i] = e;
    sum += e;
  }
  return 1 / sum;
}

/** Number of positions `selection` names for KV head `kvHead` (context length `length`). */
export function selectionCount(selection: Selection, kvHead: number, length: number): number {
  if (selection.kind === 'range') return length - selection.lo;
  if (selection.kind === 'shared') return selection.count;
  return selection.counts[kvHead];
}

/**
 * Called once per layer with the pre-softmax logits (scaled by 1/√d) summed over every query
 * head: `sums[i]` for the i-th of the `count` positions the selection names, in its order. Only
 * for selections whose positions every KV head shares ('range', 'shared').
 */
export type LogitsObserver = (sums: Float32Array, count: number) => void;

/**
 * One decode step of attention for one layer. `q` is [numHeads × headDim] (rotated), `kv` the
 * layer's cache with `capacity` positions per KV head and `length` valid ones; `out` receives
 * [numHeads × headDim].
 */
export function attendDecode(
  q: Float32Array,
  kv: LayerKv,
  capacity: number,
  length: number,
  selection: Selection,
  out: Float32Array,
  scratch: AttentionScratch,
  observe?: LogitsObserver,
): void {
  const { numHeads, numKvHeads, headDim: d } = scratch.shape;
  const group = numHeads / numKvHeads;
  const scale = 1 / Math.sqrt(d);
  const d4 = d & ~3; // unrolled part of each dot product
  const keys = kv.keys;
  const values = kv.values;
  let widest = 0;
  for (let g = 0; g < numKvHeads; g++) widest = Math.max(widest, selectionCount(selection, g, length));
  scratch.ensure(widest);
  const scores = scratch.scores;
  const stride = scratch.stride;
  const acc = scratch.acc;
  if (observe && selection.kind === 'perKvHead') throw new Error('A logits observer needs positions shared by every KV head');
  const sums = observe ? scratch.groupSums(widest) : null;

  for (let g = 0; g < numKvHeads; g++) {
    const count = selectionCount(selection, g, length);
    if (count <= 0) throw new Error(`Attention over an empty set of positions (layer KV head ${g})`);
    const lo = selection.kind === 'range' ? selection.lo : 0;
    const list = selection.kind === 'shared' ? selection.positions : selection.kind === 'perKvHead' ? selection.positions[g] : null;
    const headBase = g * capacity * d;
    const firstHead = g * group;

    // Logits: one pass over the keys, each key dotted with every query head of the group.
    for (let i = 0; i < count; i++) {
      const j = list === null ? lo + i : list[i];
      const kOff = headBase + j * d;
      for (let hh = 0; hh < group; hh++) {
        const qOff = (firstHead + hh) * d;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let c = 0;
        for (; c < d4; c += 4) {
          s0 += q[qOff + c] * keys[kOff + c];
          s1 += q[qOff + c + 1] * keys[kOff + c + 1];
          s2 += q[qOff + c + 2] * keys[kOff + c + 2];
          s3 += q[qOff + c + 3] * keys[kOff + c + 3];
        }
        for (; c < d; c++) s0 += q[qOff + c] * keys[kOff + c];
        scores[(firstHead + hh) * stride + i] = (s0 + s1 + s2 + s3) * scale;
      }
    }
    if (sums) {
      for (let hh = 0; hh < group; hh++) {
        const row = (firstHead + hh) * stride;
        for (let i = 0; i < count; i++) sums[i] += scores[row + i];
      }
    }

    // Softmax per query head.
    for (let hh = 0; hh < group; hh++) {
      const row = (firstHead + hh) * stride;
      const inv = expShifted(scores, row, count);
      for (let i = 0; i < count; i++) scores[row + i] *= inv;
    }

    // Weighted sum of values: one pass over the value rows, each added to every head's output.
    acc.fill(0, 0, group * d);
    for (let i = 0; i < count; i++) {
      const j = list === null ? lo + i : list[i];
      const vOff = headBase + j * d;
      for (let hh = 0; hh < group; hh++) {
        const p = scores[(firstHead + hh) * stride + i];
        const aOff = hh * d;
        for (let c = 0; c < d; c++) acc[aOff + c] += p * values[vOff + c];
      }
    }
    for (let hh = 0; hh < group; hh++) {
      const oOff = (firstHead + hh) * d;
      for (let c = 0; c < d; c++) out[oOff + c] = acc[hh * d + c];
    }
  }
  if (observe && sums) observe(sums, widest);
}
