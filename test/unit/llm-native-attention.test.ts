/**
 * Folio's native decode-attention kernel (native/decode-attention.c) against the TypeScript
 * oracle (attention.ts): every selection kind, the logit sums a TidalDecode selection layer
 * observes, thread splits with the flash-decoding merge, head sizes with and without the
 * specialised loops, and the errors it must raise instead of reading outside the cache.
 *
 * The kernel is optional for users (npm ci builds it when a C toolchain is there); CI sets
 * FOLIO_REQUIRE_NATIVE=1 so a missing build fails here instead of skipping.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { AttentionScratch, attendDecode, type Selection } from '../../models/llm/attention.ts';
import { KvCache } from '../../models/llm/kv-cache.ts';
import { hugePageFloats, NativeDecodeAttention } from '../../models/llm/native-attention.ts';
import { nativeAddon, nativeAddonError } from '../../models/native/addon.ts';
import { maxAbsDiff } from '../helpers/arrays.ts';

const kernel = nativeAddon();
const required = process.env.FOLIO_REQUIRE_NATIVE === '1';

/** A cache of `n` positions (capacity a bit larger, as in decoding) filled with a smooth pattern. */
function filledCache(numKvHeads: number, headDim: number, n: number, seed: number): KvCache {
  const cache = new KvCache(1, numKvHeads, headDim, n + 7);
  const keys = new Float32Array(numKvHeads * n * headDim).map((_, i) => Math.sin(i * 0.37 + seed));
  const values = new Float32Array(numKvHeads * n * headDim).map((_, i) => Math.cos(i * 0.11 + seed));
  cache.write(0, keys, values, n);
  cache.commit(n);
  return cache;
}

/** Ascending distinct positions in [0, n), every `stride`-th one roughly, starting at `from`. */
function spread(n: number, count: number, from = 0): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.min(n - 1, from + Math.floor((i * (n - from)) / count));
  return out;
}

describe('LLM native decode attention', () => {
  it('is built where CI needs it', (t) => {
    if (!required && !kernel) {
      t.skip(nativeAddonError());
      return;
    }
    assert.ok(kernel, nativeAddonError());
  });

  const shapes = [
    { numHeads: 12, numKvHeads: 4, headDim: 64, n: 3000 }, // the benchmark's shape, split over threads
    { numHeads: 4, numKvHeads: 2, headDim: 128, n: 700 },
    { numHeads: 3, numKvHeads: 3, headDim: 8, n: 40 }, // no query grouping, unspecialised head size
    { numHeads: 8, numKvHeads: 1, headDim: 16, n: 1025 },
  ];
  for (const { numHeads, numKvHeads, headDim: d, n } of shapes) {
    it(`equals the TypeScript kernel: ${numHeads} heads, ${numKvHeads} KV heads, d = ${d}, ${n} positions`, (t) => {
      if (!kernel) return t.skip(nativeAddonError());
      const shape = { numHeads, numKvHeads, headDim: d };
      const cache = filledCache(numKvHeads, d, n, numHeads);
      const q = new Float32Array(numHeads * d).map((_, i) => Math.sin(i * 0.17) * 2);
      const perHead = Array.from({ length: numKvHeads }, (_, g) => spread(n, Math.max(1, Math.floor(n / (g + 2))), g));
      const selections: Selection[] = [
        { kind: 'range', lo: 0 },
        { kind: 'range', lo: Math.floor(n / 3) },
        { kind: 'range', lo: n - 1 },
        { kind: 'shared', positions: spread(n, Math.ceil(n / 5)), count: Math.ceil(n / 5) },
        { kind: 'shared', positions: Int32Array.of(n - 1, 0), count: 1 },
        { kind: 'perKvHead', positions: perHead, counts: perHead.map((p) => p.length) },
      ];
      for (const threads of [1, 2, 3]) {
        const native = new NativeDecodeAttention(kernel, numKvHeads, d, threads);
        for (const selection of selections) {
          const label = `${selection.kind} ${selection.kind === 'range' ? selection.lo : ''}, ${threads} threads`;
          const expected = new Float32Array(q.length);
          const got = new Float32Array(q.length).fill(Number.NaN);
          const sums: Float32Array[] = [];
          const observe = selection.kind === 'perKvHead' ? [undefined, undefined] : [(s: Float32Array, c: number) => sums.push(s.slice(0, c)), (s: Float32Array, c: number) => sums.push(s.slice(0, c))];
          attendDecode(q, cache.layers[0], cache.capacity, n, selection, expected, new AttentionScratch(shape), observe[0]);
          native.attend(q, cache.layers[0], cache.capacity, n, selection, got, observe[1]);
          assert.ok(maxAbsDiff(got, expected) < 2e-6, `${label}: ${maxAbsDiff(got, expected)}`);
          if (selection.kind !== 'perKvHead') {
            assert.equal(sums.length, 2, label);
            assert.equal(sums[1].length, sums[0].length, label);
            assert.ok(maxAbsDiff(sums[1], sums[0]) < 1e-4, `${label} sums: ${maxAbsDiff(sums[1], sums[0])}`);
          }
        }
      }
    });
  }

  it("computes TokenSelect's soft votes: per KV head, the group's softmaxes over a range, summed", (t) => {
    if (!kernel) return t.skip(nativeAddonError());
    for (const { numHeads, numKvHeads, d, n, lo, hi } of [
      { numHeads: 12, numKvHeads: 4, d: 64, n: 3000, lo: 100, hi: 2500 }, // split over threads
      { numHeads: 4, numKvHeads: 2, d: 8, n: 50, lo: 0, hi: 50 },
    ]) {
      const cache = filledCache(numKvHeads, d, n, 5);
      const keys = cache.layers[0].keys;
      const q = new Float32Array(numHeads * d).map((_, i) => Math.cos(i * 0.23) * 3);
      const group = numHeads / numKvHeads;
      const m = hi - lo;
      // The definition, in float64.
      const expected = new Float32Array(numKvHeads * m);
      for (let g = 0; g < numKvHeads; g++) {
        for (let j = 0; j < group; j++) {
          const logits = new Float64Array(m);
          for (let i = 0; i < m; i++) {
            let s = 0;
            for (let c = 0; c < d; c++) s += q[(g * group + j) * d + c] * keys[(g * cache.capacity + lo + i) * d + c];
            logits[i] = s / Math.sqrt(d);
          }
          const max = Math.max(...logits);
          const total = logits.reduce((acc, x) => acc + Math.exp(x - max), 0);
          for (let i = 0; i < m; i++) expected[g * m + i] += Math.exp(logits[i] - max) / total;
        }
      }
      for (const threads of [1, 2, 3]) {
        const votes = new NativeDecodeAttention(kernel, numKvHeads, d, threads).softVotes(q, keys, cache.capacity, lo, hi);
        assert.equal(votes.length, numKvHeads * m);
        const worst = maxAbsDiff(votes, expected);
        assert.ok(worst < 1e-6, `${numHeads}/${numKvHeads} heads, ${threads} threads: ${worst}`);
        // Each KV head's votes add up to its group size (one probability distribution per query head).
        for (let g = 0; g < numKvHeads; g++) assert.ok(Math.abs(votes.subarray(g * m, (g + 1) * m).reduce((a, x) => a + x, 0) - group) < 1e-3);
      }
    }
    assert.throws(() => new NativeDecodeAttention(kernel, 2, 8, 2).softVotes(new Float32Array(32), filledCache(2, 8, 10, 1).layers[0].keys, 17, 5, 5), /empty range/);
  });

  it('gives the same result call after call, back to back, with more threads than cores', (t) => {
    // The caller does whatever part no helper has claimed yet, and helpers poll between calls:
    // a helper that joins late, or not at all, must change neither attention nor soft votes, and
    // must never touch a finished call's buffers (which would corrupt the next call's results).
    if (!kernel) return t.skip(nativeAddonError());
    const shape = { numHeads: 12, numKvHeads: 4, headDim: 64 };
    const n = 3000;
    const cache = filledCache(4, 64, n, 3);
    const q = new Float32Array(12 * 64).map((_, i) => Math.sin(i * 0.29));
    const shared: Selection = { kind: 'shared', positions: spread(n, 700), count: 700 };
    const selections: Selection[] = [{ kind: 'range', lo: 0 }, shared];
    const expected = selections.map((selection) => {
      const out = new Float32Array(q.length);
      attendDecode(q, cache.layers[0], cache.capacity, n, selection, out, new AttentionScratch(shape));
      return out;
    });
    const native = new NativeDecodeAttention(kernel, 4, 64, 3);
    const firstVotes = native.softVotes(q, cache.layers[0].keys, cache.capacity, 0, n).slice();
    const got = new Float32Array(q.length);
    for (let call = 0; call < 150; call++) {
      const which = call % 3;
      if (which === 2) {
        const votes = native.softVotes(q, cache.layers[0].keys, cache.capacity, 0, n);
        assert.equal(maxAbsDiff(votes, firstVotes), 0, `call ${call}: soft votes changed`);
      } else {
        got.fill(Number.NaN);
        native.attend(q, cache.layers[0], cache.capacity, n, selections[which], got);
        assert.ok(maxAbsDiff(got, expected[which]) < 2e-6, `call ${call} (${selections[which].kind}): ${maxAbsDiff(got, expected[which])}`);
      }
    }
  });

  it('stays finite and exact with large logits (the softmax shifts by the maximum)', (t) => {
    if (!kernel) return t.skip(nativeAddonError());
    const shape = { numHeads: 4, numKvHeads: 2, headDim: 64 };
    const n = 2000;
    const cache = filledCache(2, 64, n, 3);
    const q = new Float32Array(4 * 64).map((_, i) => Math.sin(i) * 40); // logits in the hundreds
    const expected = new Float32Array(q.length);
    const got = new Float32Array(q.length);
    attendDecode(q, cache.layers[0], cache.capacity, n, { kind: 'range', lo: 0 }, expected, new AttentionScratch(shape));
    new NativeDecodeAttention(kernel, 2, 64, 2).attend(q, cache.layers[0], cache.capacity, n, { kind: 'range', lo: 0 }, got);
    assert.ok(got.every(Number.isFinite));
    assert.ok(maxAbsDiff(got, expected) < 1e-5, `${maxAbsDiff(got, expected)}`);
  });

  it('refuses empty selections, positions outside the cache and sums over per-head positions', (t) => {
    if (!kernel) return t.skip(nativeAddonError());
    const cache = filledCache(2, 8, 10, 1);
    const native = new NativeDecodeAttention(kernel, 2, 8, 2);
    const q = new Float32Array(4 * 8).fill(0.5);
    const out = new Float32Array(q.length);
    const layer = cache.layers[0];
    assert.throws(() => native.attend(q, layer, cache.capacity, 10, { kind: 'shared', positions: new Int32Array(4), count: 0 }, out), /empty set of positions/);
    assert.throws(() => native.attend(q, layer, cache.capacity, 10, { kind: 'shared', positions: Int32Array.of(1, cache.capacity), count: 2 }, out), (error: Error) => /outside the cache/.test(String((error.cause as Error)?.message)));
    assert.throws(() => native.attend(q, layer, cache.capacity, 10, { kind: 'shared', positions: Int32Array.of(-1), count: 1 }, out), (error: Error) => /outside the cache/.test(String((error.cause as Error)?.message)));
    const perHead: Selection = { kind: 'perKvHead', positions: [Int32Array.of(1), Int32Array.of(2)], counts: [1, 1] };
    assert.throws(() => native.attend(q, layer, cache.capacity, 10, perHead, out, () => {}), /shared by every KV head/);
    assert.throws(() => native.attend(q, layer, cache.capacity, 10, { kind: 'perKvHead', positions: [Int32Array.of(1), Int32Array.of(2)], counts: [1, 0] }, out), /empty set of positions/);
  });

  describe('huge-page KV cache buffers', () => {
    const allocate = hugePageFloats();
    const skipWhy = !kernel ? nativeAddonError() : !allocate ? 'huge-page buffers are Linux only' : '';

    /** This process's anonymous memory on huge pages, in kB (null where the kernel does not say). */
    function anonHugeKb(): number | null {
      if (!existsSync('/proc/self/smaps_rollup')) return null;
      const line = readFileSync('/proc/self/smaps_rollup', 'utf8').split('\n').find((l) => l.startsWith('AnonHugePages:'));
      return line ? Number(line.split(/\s+/)[1]) : null;
    }

    it('are zeroed, of the asked length, and hold what a cache writes through growth', (t) => {
      if (!allocate) return t.skip(skipWhy);
      const odd = allocate(3 * 2 ** 21 + 5); // 24 MB and 20 bytes: on huge pages
      assert.equal(odd.length, 3 * 2 ** 21 + 5);
      assert.ok(odd.every((x) => x === 0));
      odd[odd.length - 1] = 7;
      assert.equal(odd[odd.length - 1], 7);
      assert.equal(allocate(0).length, 0);
      // Below the threshold the buffers are ordinary ones (a huge page is faulted in whole).
      assert.equal(allocate(16).buffer.byteLength, 64);
      // The same writes into a plain cache and a huge-page one (its buffers, 2^19 positions × 8
      // floats = 16 MB, are big enough for huge pages), tiled close to capacity, then written
      // across a doubling.
      const plain = new KvCache(2, 1, 8, 2 ** 19);
      const huge = new KvCache(2, 1, 8, 2 ** 19, allocate);
      const writeStep = (cache: KvCache, step: number) => {
        cache.ensure(1);
        for (let layer = 0; layer < 2; layer++) {
          const k = new Float32Array(8).map((_, i) => step * 100 + layer * 10 + i);
          cache.write(layer, k, k.map((x) => -x), 1);
        }
        cache.commit(1);
      };
      for (const cache of [plain, huge]) {
        for (let step = 0; step < 3; step++) writeStep(cache, step);
        cache.tile(2 ** 19 - 5);
        for (let step = 3; step < 15; step++) writeStep(cache, step);
      }
      assert.ok(huge.capacity > 2 ** 19, 'the cache grew');
      assert.equal(huge.capacity, plain.capacity);
      for (let layer = 0; layer < 2; layer++) {
        assert.deepEqual(huge.layers[layer].keys, plain.layers[layer].keys);
        assert.deepEqual(huge.layers[layer].values, plain.layers[layer].values);
      }
    });

    it('land on huge pages when the system allows them (THP madvise or always)', (t) => {
      if (!allocate) return t.skip(skipWhy);
      const mode = existsSync('/sys/kernel/mm/transparent_hugepage/enabled') ? readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8') : '';
      const before = anonHugeKb();
      if (!/\[(madvise|always)\]/.test(mode) || before === null) return t.skip(`transparent huge pages are off here (${mode.trim() || 'no THP'})`);
      const buffer = allocate(16 * 2 ** 20); // 64 MB
      buffer.fill(1); // first touch: the pages are faulted in now
      const after = anonHugeKb() ?? 0;
      // Some 2 MB pages at least; fragmented memory may leave a few on 4 KB pages.
      assert.ok(after - before >= 8 * 2048, `AnonHugePages grew by ${after - before} kB for a 64 MB buffer`);
      assert.equal(buffer[buffer.length - 1], 1);
    });

    it('are unmapped once collected (memory does not pile up)', async (t) => {
      if (!allocate) return t.skip(skipWhy);
      const start = process.memoryUsage().rss;
      let peak = start;
      for (let i = 0; i < 48; i++) {
        const buffer = allocate(16 * 2 ** 20); // 64 MB, touched, then dropped
        buffer.fill(i);
        peak = Math.max(peak, process.memoryUsage().rss);
        // Node runs N-API finalizers from the event loop, as it does between decode layers.
        await new Promise((resolve) => setImmediate(resolve));
      }
      // 48 × 64 MB = 3 GB were touched; the finalizers must have given most of it back.
      assert.ok(peak - start < 1.5 * 2 ** 30, `RSS grew by ${Math.round((peak - start) / 2 ** 20)} MB`);
    });
  });
});
