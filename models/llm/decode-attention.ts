/**
 * Decode-step attention through onnxruntime, one call per layer whatever the selection. Keys and
 * values are passed as views of the cache (no copy); a policy's chosen positions go in as int32
 * index lists that the graph gathers in C++; q·Kᵀ, softmax and ·V then run in MLAS. A dense range,
 * positions shared by every KV head, and positions per KV head each have their own graph
 * (graphs.ts buildRangeDecodeAttention, buildSharedDecodeAttention,
 * buildPerHeadDecodeAttention); the first two can also return the logits summed over every query
 * head for a logits observer. The TypeScript kernel (attention.ts) computes the same thing and
 * stays as the oracle; bench/decode.ts measures both (ORT is several times faster at thousands of
 * positions).
 */
import type { LogitsObserver, Selection } from './attention.ts';
import type { LlmGraphs } from './graphs.ts';
import type { LayerKv } from './kv-cache.ts';

export class OrtDecodeAttention {
  constructor(
    private readonly graphs: LlmGraphs,
    private readonly numKvHeads: number,
  ) {}

  async attend(q: Float32Array, kv: LayerKv, capacity: number, length: number, selection: Selection, out: Float32Array, observe?: LogitsObserver): Promise<void> {
    if (selection.kind === 'range') {
      // Dense over [lo, length): one call for the whole layer.
      const result = await this.graphs.attendRange(q, kv.keys, kv.values, capacity, selection.lo, length, observe !== undefined);
      if (observe && result.logitSums) observe(result.logitSums, length - selection.lo);
      out.set(result.attn);
      return;
    }
    if (selection.kind === 'shared') {
      // Every KV head reads the same positions.
      if (selection.count <= 0) throw new Error('Attention over an empty set of positions');
      const result = await this.graphs.attendShared(q, kv.keys, kv.values, capacity, selection.positions.subarray(0, selection.count), observe !== undefined);
      if (observe && result.logitSums) observe(result.logitSums, selection.count);
      out.set(result.attn);
      return;
    }
    if (observe) throw new Error('A logits observer needs positions shared by every KV head');
    // Each KV head reads its own positions: still one call for the whole layer.
    for (let g = 0; g < this.numKvHeads; g++) if (selection.counts[g] <= 0) throw new Error(`Attention over an empty set of positions (KV head ${g})`);
    out.set(await this.graphs.attendPerHead(q, kv.keys, kv.values, capacity, length, selection.positions, selection.counts));
  }
}
