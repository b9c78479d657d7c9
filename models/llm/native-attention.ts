/**
 * Decode-step attention in Folio's native kernel (native/decode-attention.c): the same contract
 * as the onnxruntime path (decode-attention.ts) and the TypeScript oracle (attention.ts), one
 * synchronous call per layer. Each selected key and value row is read once straight from the
 * cache and dotted with the whole query group in L1, with the next rows prefetched; onnxruntime
 * instead copies the selected rows (Gather) and then runs MatMul, Softmax and MatMul as separate
 * passes. Per layer (2 cores, 4 KV heads, d = 64, 32K cached positions; the C file has the
 * numbers): 1.6–1.8× faster over 2048 selected positions, 1.3–1.5× over the dense range.
 *
 * The kernel is optional: `npm ci` builds it with node-gyp (scripts/build-native.mjs) and Folio
 * falls back to onnxruntime when it is missing. The call blocks the event loop for one layer
 * (about a millisecond at 32K positions); an async hand-off per layer would cost more than the
 * kernel saves, and the step yields to the loop between layers on its onnxruntime calls.
 */
import { type NativeAddon, nativeAddon } from '../native/addon.ts';
import type { LogitsObserver, Selection } from './attention.ts';
import type { FloatAllocator, LayerKv } from './kv-cache.ts';

/**
 * Below this size a KV buffer stays on ordinary pages: a huge page is faulted in whole (2 MB of
 * memory for a 256 KB short-prompt cache), and a buffer this small spans few pages anyway.
 */
export const HUGE_PAGE_MIN_BYTES = 8 * 2 ** 20;

/**
 * KV cache buffers on transparent huge pages (native/huge-pages.c: gathered decode attention
 * takes a TLB miss per row on 4 KB pages) from HUGE_PAGE_MIN_BYTES up, ordinary ones below; null
 * where the addon is not built or not on Linux.
 */
export function hugePageFloats(): FloatAllocator | null {
  const allocate = nativeAddon()?.hugePageBuffer;
  if (!allocate) return null;
  return (length) => {
    const bytes = length * Float32Array.BYTES_PER_ELEMENT;
    return bytes < HUGE_PAGE_MIN_BYTES ? new Float32Array(length) : new Float32Array(allocate(bytes));
  };
}

export class NativeDecodeAttention {
  private readonly counts: Int32Array;
  private readonly lists: Int32Array[];
  private sums = new Float32Array(0);
  private votes = new Float32Array(0);

  constructor(
    private readonly kernel: NativeAddon,
    private readonly numKvHeads: number,
    private readonly headDim: number,
    private readonly threads: number,
  ) {
    this.counts = new Int32Array(numKvHeads);
    this.lists = new Array<Int32Array>(numKvHeads);
  }

  attend(q: Float32Array, kv: LayerKv, capacity: number, length: number, selection: Selection, out: Float32Array, observe?: LogitsObserver): void {
    const { counts, lists } = this;
    let lo = 0;
    let listed: Int32Array[] | null = lists;
    if (selection.kind === 'range') {
      lo = selection.lo;
      counts.fill(length - lo);
      listed = null;
    } else if (selection.kind === 'shared') {
      counts.fill(selection.count);
      lists.fill(selection.positions);
    } else {
      if (observe) throw new Error('A logits observer needs positions shared by every KV head');
      for (let g = 0; g < this.numKvHeads; g++) {
        counts[g] = selection.counts[g];
        lists[g] = selection.positions[g];
      }
    }
    for (let g = 0; g < this.numKvHeads; g++) if (counts[g] <= 0) throw new Error(`Attention over an empty set of positions (KV head ${g})`);
    const count = counts[0];
    if (observe && this.sums.length < count) this.sums = new Float32Array(Math.ceil(count * 1.25));
    const sums = observe ? this.sums : null;
    try {
      // Views of exactly [kvHeads × capacity × d]: the kernel derives d from the length.
      const size = this.numKvHeads * capacity * this.headDim;
      this.kernel.attend(q, kv.keys.subarray(0, size), kv.values.subarray(0, size), capacity, this.numKvHeads, this.threads, lo, counts, listed, out, sums);
    } catch (error) {
      throw new Error(`Native decode attention failed (${selection.kind})`, { cause: error });
    }
    if (observe && sums) observe(sums, count);
  }

  /**
   * TokenSelect's soft votes (PolicyOps.softVotes, graphs.ts buildSoftVotes): for every KV head,
   * the softmax of each of its query heads over positions [lo, hi), summed over the group, in one
   * pass over the keys. Returns [Hkv × (hi − lo)] in a buffer reused by the next call.
   */
  softVotes(q: Float32Array, keys: Float32Array, capacity: number, lo: number, hi: number): Float32Array {
    const count = hi - lo;
    if (count <= 0) throw new Error('Soft votes over an empty range of positions');
    const size = this.numKvHeads * count;
    if (this.votes.length < size) this.votes = new Float32Array(Math.ceil(size * 1.25));
    const votes = this.votes.subarray(0, size);
    try {
      this.kernel.softVotes(q, keys.subarray(0, this.numKvHeads * capacity * this.headDim), capacity, this.numKvHeads, this.threads, lo, count, votes);
    } catch (error) {
      throw new Error('Native soft votes failed', { cause: error });
    }
    return votes;
  }
}
