/**
 * The KV cache Folio owns: per layer, K and V as Float32Array laid out
 * [kvHead][position][headDim], so one KV head's keys are one contiguous run that a policy or
 * the attention kernel can scan without striding. Capacity grows geometrically (copying once per
 * doubling); `reserve` preallocates when the final length is known, which avoids the copy and
 * the transient 1.5× memory of a doubling.
 *
 * Keys are stored after RoPE (positions are baked in), as transformers' cache does.
 *
 * Buffers come from `allocate`: plain Float32Arrays by default; the model passes the native
 * addon's huge-page buffers when it is built (native-attention.ts), which makes gathered decode
 * attention, a few thousand rows scattered over each head, markedly faster (native/huge-pages.c).
 */

/** A zeroed Float32Array of `length` floats. */
export type FloatAllocator = (length: number) => Float32Array;

const plainFloats: FloatAllocator = (length) => new Float32Array(length);

export interface LayerKv {
  /** [numKvHeads × capacity × headDim]; only positions < length are meaningful. */
  keys: Float32Array;
  values: Float32Array;
}

export class KvCache {
  readonly numLayers: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  /** Positions held (the same in every layer between steps). */
  length = 0;
  capacity: number;
  readonly layers: LayerKv[];
  private readonly allocate: FloatAllocator;

  constructor(numLayers: number, numKvHeads: number, headDim: number, capacity = 256, allocate: FloatAllocator = plainFloats) {
    this.numLayers = numLayers;
    this.numKvHeads = numKvHeads;
    this.headDim = headDim;
    this.capacity = Math.max(1, capacity);
    this.allocate = allocate;
    const size = numKvHeads * this.capacity * headDim;
    this.layers = Array.from({ length: numLayers }, () => ({ keys: allocate(size), values: allocate(size) }));
  }

  /** Makes room for `total` positions without further copies. */
  reserve(total: number): void {
    if (total <= this.capacity) return;
    const capacity = total;
    const { numKvHeads: heads, headDim: dim } = this;
    for (const layer of this.layers) {
      const keys = this.allocate(heads * capacity * dim);
      const values = this.allocate(heads * capacity * dim);
      for (let h = 0; h < heads; h++) {
        const used = this.length * dim;
        keys.set(layer.keys.subarray(h * this.capacity * dim, h * this.capacity * dim + used), h * capacity * dim);
        values.set(layer.values.subarray(h * this.capacity * dim, h * this.capacity * dim + used), h * capacity * dim);
      }
      layer.keys = keys;
      layer.values = values;
    }
    this.capacity = capacity;
  }

  /** Grows (doubling) so that `extra` more positions fit. */
  ensure(extra: number): void {
    const needed = this.length + extra;
    if (needed > this.capacity) this.reserve(Math.max(needed, this.capacity * 2));
  }

  /**
   * Writes `count` new positions starting at `this.length` into one layer. `k`/`v` are
   * token-major [count × numKvHeads × headDim] (the graphs' output layout). Call `commit(count)`
   * once every layer has been written.
   */
  write(layer: number, k: Float32Array, v: Float32Array, count: number): void {
    if (this.length + count > this.capacity) throw new Error(`KV cache full: call ensure(${count}) before write`);
    const { keys, values } = this.layers[layer];
    const { numKvHeads: heads, headDim: dim } = this;
    for (let t = 0; t < count; t++) {
      for (let h = 0; h < heads; h++) {
        const from = (t * heads + h) * dim;
        const at = (h * this.capacity + this.length + t) * dim;
        keys.set(k.subarray(from, from + dim), at);
        values.set(v.subarray(from, from + dim), at);
      }
    }
  }

  commit(count: number): void {
    this.length += count;
  }

  /** Forgets positions from `length` on (e.g. to rerun decoding from the same prompt). */
  truncate(length: number): void {
    if (length < 0 || length > this.length) throw new Error(`Cannot truncate a KV cache of ${this.length} positions to ${length}`);
    this.length = length;
  }

  /**
   * Fills positions [length, total) by repeating the positions [0, length) in order: a cheap way
   * to give decode benchmarks a long cache without a quadratic prefill. The copies keep their
   * original RoPE rotation, so this is for timing, not for modelling.
   */
  tile(total: number): void {
    const source = this.length;
    if (source === 0) throw new Error('Cannot tile an empty KV cache');
    this.reserve(total);
    const dim = this.headDim;
    for (const layer of this.layers) {
      for (let h = 0; h < this.numKvHeads; h++) {
        const base = h * this.capacity * dim;
        for (let at = source; at < total; at += source) {
          const n = Math.min(source, total - at);
          layer.keys.copyWithin(base + at * dim, base, base + n * dim);
          layer.values.copyWithin(base + at * dim, base, base + n * dim);
        }
      }
    }
    this.length = Math.max(this.length, total);
  }

  /** Bytes held by K and V buffers (capacity, not just length). */
  get bytes(): number {
    return this.numLayers * 2 * this.numKvHeads * this.capacity * this.headDim * 4;
  }
}
