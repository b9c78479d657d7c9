/**
 * Decode-step attention through onnxruntime. Keys and values are passed as views of the cache
 * (no copy); a policy's chosen positions go in as an int32 index list that the graph gathers in
 * C++; q·Kᵀ, softmax and ·V then run in MLAS. A dense range or a selection shared by every KV head
 * runs as one call for the layer (graphs.ts buildRangeDecodeAttention, buildSharedDecodeAttention);
 * per-KV-head selections run one call per head (buildDecodeAttention). The TypeScript kernel
 * (attention.ts) computes the same thing and stays as the oracle; bench/decode.ts measures both
 * (ORT is several times faster at thousands of positions).
 */
import type { LogitsObserver, Selection } from './attention.ts';
import type { LlmGraphs } from './graphs.ts';
import type { LayerKv } from './kv-cache.ts';

export class OrtDecodeAttention {
  constructor(
    private readonly graphs: LlmGraphs,
    private readonly numHeads: number,
    private readonly numKvHeads: number,
    private readonly headDim: number,
  ) {}

  async attend(q: Float32Array, kv: LayerKv, capacity: number, length: number, selection: Selection, out: Float32Array, observe?: LogitsObserver): Promise<void> {
    const d = this.headDim;
    const group = this.numHeads / this.numKvHeads;
    if (selection.kind === 'range') {
      // Dense over [lo, length): one call for the whole layer.
      const result = await this.graphs.attendRange(q, kv.keys, kv.values, capacity, selection.lo, length, observe !== undefined);
      if (observe && result.logitSums) observe(result.logitSums, length - selection.lo);
      out.set(result.attn);
      return;
    }
    if (selection.kind === 'shared' && !observe) {
      // Every KV head reads the same positions: one call for the whole layer.
      out.set(await this.graphs.attendShared(q, kv.keys, kv.values, capacity, selection.positions.subarray(0, selection.count)));
      return;
    }
    if (observe && selection.kind === 'perKvHead') throw new Error('A logits observer needs positions shared by every KV head');
    // One call per KV head over its own positions (per-head policies; shared ones with an observer).
    const sums = observe && selection.kind === 'shared' ? new Float32Array(selection.count) : null;
    for (let g = 0; g < this.numKvHeads; g++) {
      const base = g * capacity * d;
      const count = selection.kind === 'shared' ? selection.count : selection.counts[g];
      const positions = (selection.kind === 'shared' ? selection.positions : selection.positions[g]).subarray(0, count);
      if (count <= 0) throw new Error(`Attention over an empty set of positions (KV head ${g})`);
      const keys = kv.keys.subarray(base, base + length * d);
      const values = kv.values.subarray(base, base + length * d);
      const qGroup = q.subarray(g * group * d, (g + 1) * group * d);
      const result = await this.graphs.attendGroup(qGroup, keys, values, positions, sums !== null);
      if (sums && result.logitSums) for (let i = 0; i < count; i++) sums[i] += result.logitSums[i];
      out.set(result.attn, g * group * d);
    }
    if (observe && sums) observe(sums, sums.length);
  }
}
