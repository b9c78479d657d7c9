/**
 * Decode-step attention through onnxruntime, one KV head at a time. The head's keys and values
 * [0, length) are passed as views of the cache (no copy); a policy's chosen positions go in as an
 * int32 index list that the graph gathers in C++ (graphs.ts buildDecodeAttention); q·Kᵀ, softmax
 * and ·V then run in MLAS. A selection shared by every KV head runs as one call for the layer. The TypeScript kernel (attention.ts) computes the same thing and stays
 * as the oracle; bench/decode.ts measures both (ORT is several times faster at thousands of
 * positions).
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
    if (selection.kind === 'shared' && !observe) {
      // Every KV head reads the same positions: one call for the whole layer.
      out.set(await this.graphs.attendShared(q, kv.keys, kv.values, capacity, selection.positions.subarray(0, selection.count)));
      return;
    }
    for (let g = 0; g < this.numKvHeads; g++) {
      const base = g * capacity * d;
      let from = base;
      let positions: Int32Array | null = null;
      if (selection.kind === 'range') {
        from = base + selection.lo * d;
      } else {
        const count = selection.kind === 'shared' ? selection.count : selection.counts[g];
        positions = (selection.kind === 'shared' ? selection.positions : selection.positions[g]).subarray(0, count);
      }
      const count = positions ? positions.length : selection.kind === 'range' ? length - selection.lo : 0;
      if (count <= 0) throw new Error(`Attention over an empty set of positions (KV head ${g})`);
      const keys = kv.keys.subarray(from, base + length * d);
      const values = kv.values.subarray(from, base + length * d);
      const qGroup = q.subarray(g * group * d, (g + 1) * group * d);
      const result = await this.graphs.attendGroup(qGroup, keys, values, positions, observe !== undefined);
      if (observe && result.logitSums) observe(g, result.logitSums, count);
      out.set(result.attn, g * group * d);
    }
  }
}
