/**
 * Decode-step attention through onnxruntime. Keys and values are passed as views of the cache
 * (no copy); a policy's chosen positions go in as an int32 index list that the graph gathers in
 * C++; q·Kᵀ, softmax and ·V then run in MLAS. A dense range or a selection shared by every KV head
 * runs as one call for the layer (graphs.ts buildRangeDecodeAttention, buildSharedDecodeAttention),
 * and so do per-KV-head selections (buildPerHeadDecodeAttention); only a shared selection with a
 * logits observer runs one call per KV head (buildDecodeAttention). The TypeScript kernel
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
    if (selection.kind === 'perKvHead') {
      if (observe) throw new Error('A logits observer needs positions shared by every KV head');
      // Each KV head reads its own positions: still one call for the whole layer.
      for (let g = 0; g < this.numKvHeads; g++) if (selection.counts[g] <= 0) throw new Error(`Attention over an empty set of positions (KV head ${g})`);
      out.set(await this.graphs.attendPerHead(q, kv.keys, kv.values, capacity, length, selection.positions, selection.counts));
      return;
    }
    // A shared selection with an observer: one call per KV head, each returning its group's logit sums.
    const sums = new Float32Array(selection.count);
    if (selection.count <= 0) throw new Error('Attention over an empty set of positions');
    const positions = selection.positions.subarray(0, selection.count);
    for (let g = 0; g < this.numKvHeads; g++) {
      const base = g * capacity * d;
      const keys = kv.keys.subarray(base, base + length * d);
      const values = kv.values.subarray(base, base + length * d);
      const qGroup = q.subarray(g * group * d, (g + 1) * group * d);
      const result = await this.graphs.attendGroup(qGroup, keys, values, positions, true);
      if (result.logitSums) for (let i = 0; i < selection.count; i++) sums[i] += result.logitSums[i];
      out.set(result.attn, g * group * d);
    }
    observe?.(sums, sums.length);
  }
}
