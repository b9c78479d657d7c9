import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../models/math/random.ts';
import { nativeAddon, nativeAddonError } from '../../models/native/addon.ts';
import { CORRELATION_DEFAULTS, correlationCompress, densityBudgets, densityKeep, pickByScore, redundancy, redundancyTs } from '../../models/visual/compress/correlation.ts';
import { focusKeep, foregroundScores, foregroundScoresTs, foregroundSelect, scoreInputs, scorerInputs, shippedForegroundWeights, standardize } from '../../models/visual/compress/foreground.ts';
import { bilinearResize, type CropGeometry, cropSelectionScores, cropValidPatches, globalCom2, globalViews, retentionRatios } from '../../models/visual/compress/globalcom2.ts';
import { mapBack, superTokens, superTokensTs } from '../../models/visual/compress/super-tokens.ts';
import { deserializePageTokens, serializePageTokens } from '../../models/visual/compress/token-blob.ts';
import { allocate, strideIndices, topk } from '../../models/visual/compress/topk.ts';
import { encodePatches } from '../../models/visual/encoders/patch-encoder.ts';
import type { RgbImage } from '../../models/visual/encoders/types.ts';

const random = seededRandom(42);
const randomArray = (n: number) => Float32Array.from({ length: n }, () => random());

function bruteTopk(scores: ArrayLike<number>, k: number): number[] {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  return order.slice(0, Math.max(0, Math.min(k, scores.length))).sort((a, b) => a - b);
}

const isAscending = (a: ArrayLike<number>) => Array.from(a).every((v, i, all) => i === 0 || all[i - 1] < v);

describe('topk', () => {
  it('matches a full sort, returns ascending indices and breaks ties by the lower index', () => {
    for (const n of [1, 7, 100, 2000]) {
      const scores = Float32Array.from({ length: n }, () => Math.floor(random() * 10));
      for (const k of [0, 1, 5, n - 1, n, n + 3]) assert.deepEqual(Array.from(topk(scores, k)), bruteTopk(scores, k), `n=${n} k=${k}`);
    }
    assert.deepEqual(Array.from(topk(Float32Array.of(1, 1, 1, 1), 2)), [0, 1]);
  });

  it('selects among candidates only and never prefers NaN', () => {
    const scores = Float32Array.of(9, Number.NaN, 3, 8, 7);
    assert.deepEqual(Array.from(topk(scores, 2, [1, 2, 4])), [2, 4]);
    assert.deepEqual(Array.from(topk(scores, 4)), [0, 2, 3, 4]);
  });

  it('spreads stride samples evenly', () => {
    assert.deepEqual(Array.from(strideIndices(10, 5)), [1, 3, 5, 7, 9]);
    assert.equal(strideIndices(4, 9).length, 4);
  });

  it('allocates a total in proportion to weights, within caps, summing exactly', () => {
    const parts = allocate([1, 1, 2], [100, 100, 100], 40);
    assert.deepEqual(Array.from(parts), [10, 10, 20]);
    const capped = allocate([1, 0, 10], [5, 5, 3], 11);
    assert.equal(capped.reduce((a, b) => a + b, 0), 11);
    assert.ok(capped[2] === 3 && capped[0] === 5, 'caps hold and the rest goes by weight');
    assert.equal(allocate([1, 1], [2, 3], 99).reduce((a, b) => a + b, 0), 5);
    const odd = allocate([1, 1, 1], [10, 10, 10], 10);
    assert.deepEqual(Array.from(odd), [4, 3, 3]);
  });
});

describe('correlation-guided compression', () => {
  const n = 64;
  const dim = 8;

  it('finds a constant image fully redundant: density 0, keeps k_min', () => {
    const keys = new Float32Array(n * dim).fill(0.3);
    const { density } = redundancy(keys, n, dim, 0.9);
    assert.equal(density, 0);
    const { kept } = correlationCompress(keys, randomArray(n), dim, { ...CORRELATION_DEFAULTS, theta: 0.9, kMin: 16 });
    assert.equal(kept.length, 16);
  });

  it('finds orthogonal keys fully informative: density 1, keeps everything', () => {
    const keys = new Float32Array(n * n);
    for (let i = 0; i < n; i++) keys[i * n + i] = 1;
    assert.equal(redundancy(keys, n, n, 0.5).density, 1);
    const { kept } = correlationCompress(keys, randomArray(n), n, { ...CORRELATION_DEFAULTS, theta: 0.5 });
    assert.deepEqual(Array.from(kept), Array.from({ length: n }, (_, i) => i));
  });

  it('θ ≥ 1 is the identity', () => {
    const keys = new Float32Array(n * dim).fill(1);
    const { kept, density } = correlationCompress(keys, randomArray(n), dim, { ...CORRELATION_DEFAULTS, theta: 1 });
    assert.equal(density, 1);
    assert.equal(kept.length, n);
  });

  it('counts the repeated half of an image as redundant', () => {
    const keys = randomArray(n * dim).map((v) => v - 0.5);
    // Tokens 32… repeat tokens 0… exactly.
    keys.copyWithin(32 * dim, 0, 32 * dim);
    const { redundant, density } = redundancy(keys, n, dim, 0.999);
    assert.equal(density, 0);
    assert.equal(redundant[0], 1);
    assert.equal(densityKeep(0.5, 100, 16), 50);
  });

  it('windowed search finds what the exact search finds when the window spans the image, and local repeats otherwise', () => {
    const keys = randomArray(n * dim).map((v) => v - 0.5);
    keys.copyWithin(9 * dim, 0, dim); // token 9 repeats token 0 (1 row down, 1 col right on an 8×8 grid)
    keys.copyWithin(63 * dim, 20 * dim, 21 * dim); // token 63 repeats token 20, far away
    const exact = redundancy(keys, n, dim, 0.999);
    const wide = redundancy(keys, n, dim, 0.999, { rows: 8, cols: 8, radius: 8, stride: 1 });
    assert.deepEqual(wide.redundant, exact.redundant);
    const local = redundancy(keys, n, dim, 0.999, { rows: 8, cols: 8, radius: 1, stride: 1000 });
    assert.equal(local.redundant[0], 1);
    assert.equal(local.redundant[9], 1);
    assert.equal(local.redundant[63], 0, 'outside the window and the stride sample');
  });

  it('picks the top CLS scores plus stride samples, in ascending order, of exactly k', () => {
    const scores = randomArray(100);
    const kept = pickByScore(scores, 20, 0.1);
    assert.equal(kept.length, 20);
    assert.ok(isAscending(kept));
    for (const i of strideIndices(100, 2)) assert.ok(kept.includes(i));
    assert.deepEqual(Array.from(pickByScore(scores, 20, 0)), bruteTopk(scores, 20));
  });

  it('shares a global budget by density × size, exactly, keeping all when it covers everything', () => {
    const budgets = densityBudgets([1, 0.5, 0], [100, 100, 100], 90, 10);
    assert.equal(budgets.reduce((a, b) => a + b, 0), 90);
    assert.ok(budgets[0] > budgets[1] && budgets[1] > budgets[2]);
    assert.equal(budgets[2], 10, 'the floor k_min');
    assert.deepEqual(Array.from(densityBudgets([0.1, 0.2], [30, 40], 70, 16)), [30, 40]);
  });
});

describe('GlobalCom²', () => {
  it('per-crop ratios average to the target when none is clipped, and favour important crops', () => {
    const ratios = retentionRatios([5, 30, 12, 0], 0.25);
    const mean = ratios.reduce((a, b) => a + b, 0) / 4;
    assert.ok(Math.abs(mean - 0.25) < 1e-12);
    assert.ok(ratios[1] > ratios[2] && ratios[2] > ratios[0] && ratios[0] > ratios[3]);
  });

  it('clipping keeps Σ r_i ≤ r·n', () => {
    const ratios = retentionRatios([1000, 0, 0, 0], 0.9);
    assert.equal(ratios[0], 1);
    assert.ok(ratios.reduce((a, b) => a + b, 0) <= 0.9 * 4 + 1e-12);
  });

  it('uniform importance or τ → ∞ gives every crop r', () => {
    for (const r of retentionRatios([7, 7, 7], 0.3)) assert.ok(Math.abs(r - 0.3) < 1e-12);
    for (const r of retentionRatios([1, 50, 100], 0.3, 1e12)) assert.ok(Math.abs(r - 0.3) < 1e-9);
  });

  it('folds densities into the crop weights and still averages to r', () => {
    const ratios = retentionRatios([1, 1, 1, 1], 0.25, 10, [1, 0.2, 0.2, 0.2]);
    assert.ok(Math.abs(ratios.reduce((a, b) => a + b, 0) / 4 - 0.25) < 1e-12);
    assert.ok(ratios[0] > ratios[1]);
  });

  it('bilinearly upsamples a constant map to a constant map', () => {
    const up = bilinearResize(new Float32Array(24 * 24).fill(3), 24, 24, 48, 72);
    assert.ok(up.every((v) => Math.abs(v - 3) < 1e-6));
    // align_corners=false: 2 → 4 samples at −0.25, 0.25, 0.75, 1.25 → clamped.
    assert.deepEqual(Array.from(bilinearResize(Float32Array.of(0, 1), 1, 2, 1, 4)), [0, 0.25, 0.75, 1]);
  });

  const geometry: CropGeometry = { grid: { rows: 2, cols: 2 }, patches: 4, validRows: [0, 8], validCols: [0, 8] };
  const thumb = (scores: Float32Array) => ({ scores, rows: 4, cols: 4, validRows: [0, 4] as [number, number], validCols: [0, 4] as [number, number] });

  it('maps a one-hot thumbnail patch into the expected crop', () => {
    const scores = new Float32Array(16);
    scores[3 * 4 + 0] = 1; // bottom-left patch of the thumbnail
    const views = globalViews(thumb(scores), geometry);
    const sums = views.map((g) => g.reduce((a, b) => a + b, 0));
    assert.ok(sums[2] > 0, 'bottom-left crop sees it');
    assert.equal(sums[1], 0, 'top-right crop does not');
    assert.ok(sums[2] > sums[0] + sums[1] + sums[3]);
  });

  it('with a uniform thumbnail, selection depends only on the local scores', () => {
    const crops = [0, 1, 2, 3].map(() => randomArray(16));
    const out = globalCom2({ thumbnail: thumb(new Float32Array(16).fill(1)), geometry, crops, retention: 0.25 });
    assert.equal(out.thumbnail.length, 4);
    out.crops.forEach((kept, k) => {
      assert.equal(kept.length, 4);
      assert.deepEqual(Array.from(kept), bruteTopk(crops[k], 4));
    });
  });

  it('keeps ⌊n_i·r_i⌋ per crop, ascending, deterministically; r ≥ 1 returns every valid token', () => {
    const padded: CropGeometry = { ...geometry, validRows: [1, 7] };
    const crops = [0, 1, 2, 3].map(() => randomArray(16));
    const scores = randomArray(16);
    const input = { thumbnail: thumb(scores), geometry: padded, crops, retention: 0.4 };
    const a = globalCom2(input);
    const b = globalCom2(input);
    assert.deepEqual(a, b);
    a.crops.forEach((kept, k) => {
      const valid = cropValidPatches(padded, k).indices;
      assert.equal(valid.length, 12);
      assert.equal(kept.length, Math.floor(12 * a.ratios[k]));
      assert.ok(isAscending(kept));
      for (const p of kept) assert.ok(valid.includes(p), 'only unpadded tokens');
    });
    const all = globalCom2({ ...input, retention: 1 });
    assert.equal(all.thumbnail.length, 16);
    all.crops.forEach((kept, k) => {
      assert.deepEqual(kept, cropValidPatches(padded, k).indices);
    });
  });

  it('scores a crop token by its L2-normalised local and global scores', () => {
    const s = cropSelectionScores([3, 4], [0, 2]);
    assert.ok(Math.abs(s[0] - 0.6) < 1e-6 && Math.abs(s[1] - 1.8) < 1e-6);
  });
});

/** A white 336-px tile with a dark text-like block (horizontal stripes) in [x0,x1)×[y0,y1). */
function pageTile(block: [number, number, number, number]): RgbImage {
  const size = 336;
  const data = new Uint8Array(size * size * 3).fill(255);
  const [x0, y0, x1, y1] = block;
  for (let y = y0; y < y1; y++) {
    if (y % 6 >= 3) continue;
    for (let x = x0; x < x1; x++) if (x % 5 !== 4) data.fill(20, (y * size + x) * 3, (y * size + x) * 3 + 3);
  }
  return { width: size, height: size, data };
}

describe('foreground scoring', () => {
  const weights = shippedForegroundWeights();

  it('keep-everything paths: ρ = 1 and k ≥ n', () => {
    assert.equal(focusKeep(100, 1), 100);
    assert.equal(focusKeep(100, 0.5), 51);
    const scores = randomArray(10);
    assert.deepEqual(Array.from(foregroundSelect(scores, 10)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('scores a grid as the MLP over the materialised inputs does, for all patches or a subset', () => {
    const enc = encodePatches(pageTile([30, 50, 200, 300]), 24, 24);
    const n = 576;
    const reference = scoreInputs(weights, scorerInputs(standardize(enc.patches, n, weights.mean, weights.std), 24, 24), n);
    const fast = foregroundScores(weights, enc.patches, 24, 24);
    for (let p = 0; p < n; p++) assert.ok(Math.abs(fast[p] - reference[p]) < 1e-5, `patch ${p}`);
    const some = foregroundScores(weights, enc.patches, 24, 24, [3, 100]);
    assert.ok(Math.abs(some[100] - reference[100]) < 1e-5);
    assert.equal(some[4], 0);
  });

  it('scores blank paper about 0 and a text block high', () => {
    const enc = encodePatches(pageTile([84, 84, 252, 252]), 24, 24);
    const fg = foregroundScores(weights, enc.patches, 24, 24);
    assert.ok(fg[0] < 0.1, `blank corner scored ${fg[0]}`);
    assert.ok(fg[12 * 24 + 12] > 0.5, `block centre scored ${fg[12 * 24 + 12]}`);
  });

  it('keeps ≥ 95% of its tokens inside a single text block when ρ ≤ the block area', () => {
    // Block of 10×10 patches (140 px) out of 24×24: 17% of the area.
    const enc = encodePatches(pageTile([98, 98, 238, 238]), 24, 24);
    const fg = foregroundScores(weights, enc.patches, 24, 24);
    const kept = foregroundSelect(fg, focusKeep(576, 0.15));
    const inside = Array.from(kept).filter((p) => {
      const i = Math.floor(p / 24);
      const j = p % 24;
      return i >= 7 && i < 17 && j >= 7 && j < 17;
    }).length;
    assert.ok(inside / kept.length >= 0.95, `${inside} of ${kept.length} inside`);
  });
});

describe('super tokens', () => {
  it('1×1 cells with no iterations return the input', () => {
    const x = randomArray(6 * 5 * 3);
    const s = superTokens(x, 6, 5, 3, { cellRows: 1, cellCols: 1, iterations: 0 });
    assert.deepEqual(s.tokens, x);
  });

  it('association weights of every token sum to 1', () => {
    const x = randomArray(9 * 7 * 4);
    const s = superTokens(x, 9, 7, 4, { cellRows: 3, cellCols: 2, iterations: 2 });
    for (let p = 0; p < 63; p++) {
      const sum = s.association.subarray(p * 9, p * 9 + 9).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-5);
    }
    assert.equal(s.members.reduce((a, b) => a + b, 0), 63);
  });

  it('recovers a piecewise-constant map aligned with the cells and maps back exactly, with no padding leak', () => {
    // 5×6 map, 2×3 cells: a 3×2 grid whose last row of cells holds a single token row (padding).
    const rows = 5;
    const cols = 6;
    const dim = 6;
    const gridCols = 2;
    const value = (c: number) => Float32Array.from({ length: dim }, (_, d) => (d === c ? 1 : 0));
    const x = new Float32Array(rows * cols * dim);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) x.set(value(Math.floor(i / 2) * gridCols + Math.floor(j / 3)), (i * cols + j) * dim);
    const s = superTokens(x, rows, cols, dim, { cellRows: 2, cellCols: 3, iterations: 3, temperature: 0.01 });
    assert.equal(s.rows * s.cols, 6);
    for (let c = 0; c < 6; c++) {
      const expected = value(c);
      for (let d = 0; d < dim; d++) assert.ok(Math.abs(s.tokens[c * dim + d] - expected[d]) < 1e-6, `cell ${c} dim ${d}`);
    }
    const back = mapBack(s);
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(back[i] - x[i]) < 1e-6);
  });

  it('merges only the masked tokens', () => {
    const x = randomArray(4 * 4 * 2);
    const mask = new Uint8Array(16);
    mask[0] = 1;
    mask[5] = 1;
    const s = superTokens(x, 4, 4, 2, { cellRows: 2, cellCols: 2, iterations: 1 }, mask);
    assert.equal(s.members.reduce((a, b) => a + b, 0), 2);
    assert.deepEqual(Array.from(s.assignment).filter((c) => c >= 0).length, 2);
    assert.ok(s.association.subarray(9, 18).every((q) => q === 0), 'a token outside the mask has no association');
    assert.ok(Math.abs(s.association.subarray(0, 9).reduce((a, b) => a + b, 0) - 1) < 1e-6);
  });
});

describe('token blob', () => {
  it('round-trips typed arrays and the ledger', () => {
    const tokens = {
      count: 2,
      dim: 2,
      image: Uint8Array.of(0, 3),
      patch: Int32Array.of(5, -2),
      box: Float32Array.of(0, 0, 1, 1, 2, 2, 3, 3),
      score: Float32Array.of(0.5, 0),
      mergedFrom: Int32Array.of(1, 7),
      vectors: Float32Array.of(1, 2, 3, 4),
    };
    const ledger = { retention: 0.25, budget: 2, globalCom2Raw: 1, superTokens: 1, stages: [], images: [] };
    const { header, tokens: back } = deserializePageTokens(serializePageTokens(tokens, 'builtin', ledger));
    assert.equal(header.encoder, 'builtin');
    assert.deepEqual(header.ledger, ledger);
    assert.deepEqual(back, tokens);
  });
});

describe('native compression stages', () => {
  const addon = nativeAddon();
  const weights = shippedForegroundWeights();

  it('mark the same repeated tokens as the TypeScript definition, locally and everywhere', (t) => {
    if (!addon) return t.skip(nativeAddonError());
    const n = 24 * 24;
    const dim = 24;
    // Random keys with planted repeats: near copies next to each other, far apart, and exact ones.
    const keys = Float32Array.from({ length: n * dim }, () => random() - 0.5);
    const copy = (from: number, to: number, noise: number) => {
      for (let d = 0; d < dim; d++) keys[to * dim + d] = keys[from * dim + d] + noise * (random() - 0.5);
    };
    for (let p = 0; p < n; p += 7) copy(p, (p + 1) % n, 0.01);
    for (let p = 3; p < n; p += 29) copy(p, (p + 300) % n, 0.005);
    for (let p = 5; p < n; p += 31) copy(p, (p + 25) % n, 0);
    const scopes = [undefined, { rows: 24, cols: 24, radius: 2, stride: 16 }, { rows: 24, cols: 24, radius: 0, stride: 1000 }];
    for (const scope of scopes) {
      for (const theta of [0.9, 0.98, 0.999, 1]) {
        const want = redundancyTs(keys, n, dim, theta, scope);
        const got = redundancy(keys, n, dim, theta, scope);
        assert.deepEqual(got.redundant, want.redundant, `θ ${theta}, scope ${JSON.stringify(scope)}`);
        assert.equal(got.density, want.density);
      }
    }
    assert.ok(redundancyTs(keys, n, dim, 0.98).density < 1, 'the planted repeats are found');
    assert.deepEqual(redundancy(new Float32Array(0), 0, dim, 0.9), { redundant: new Uint8Array(0), density: 0 });
  });

  it('score every patch, or a subset, as the TypeScript scorer does', (t) => {
    if (!addon) return t.skip(nativeAddonError());
    for (const block of [[30, 50, 200, 300], [84, 84, 252, 252], [0, 0, 336, 20]] as const) {
      const enc = encodePatches(pageTile([...block]), 24, 24);
      const want = foregroundScoresTs(weights, enc.patches, 24, 24);
      const got = foregroundScores(weights, enc.patches, 24, 24);
      for (let p = 0; p < 576; p++) assert.ok(Math.abs(got[p] - want[p]) < 1e-5, `patch ${p}: ${got[p]} against ${want[p]}`);
      const some = foregroundScores(weights, enc.patches, 24, 24, [0, 17, 575]);
      assert.ok(Math.abs(some[17] - want[17]) < 1e-5 && Math.abs(some[575] - want[575]) < 1e-5);
      assert.equal(some[18], 0);
    }
    const enc = encodePatches(pageTile([30, 50, 200, 300]), 4, 6);
    const want = foregroundScoresTs(weights, enc.patches, 4, 6);
    const got = foregroundScores(weights, enc.patches, 4, 6);
    for (let p = 0; p < 24; p++) assert.ok(Math.abs(got[p] - want[p]) < 1e-5, `4×6 grid, patch ${p}`);
  });

  it('cluster super tokens as the TypeScript definition does, with and without a mask or temperature', (t) => {
    if (!addon) return t.skip(nativeAddonError());
    const close = (a: Float32Array, b: Float32Array, what: string) => {
      assert.equal(a.length, b.length, what);
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-5, `${what}[${i}]: ${a[i]} against ${b[i]}`);
    };
    const enc = encodePatches(pageTile([30, 50, 200, 300]), 24, 24);
    const noisy = randomArray(23 * 17 * 24);
    const mask = Uint8Array.from({ length: 576 }, (_, p) => (p % 3 === 0 || p > 400 ? 1 : 0));
    const cases = [
      { name: 'a page tile, 3×3 cells', x: enc.patches, rows: 24, cols: 24, options: { cellRows: 3, cellCols: 3, iterations: 2 }, mask: undefined },
      { name: 'a page tile with a mask and a temperature', x: enc.patches, rows: 24, cols: 24, options: { cellRows: 2, cellCols: 4, iterations: 1, temperature: 0.1 }, mask },
      { name: 'an uneven grid of noise', x: noisy, rows: 23, cols: 17, options: { cellRows: 4, cellCols: 3, iterations: 3 }, mask: undefined },
      { name: 'the identity', x: noisy, rows: 23, cols: 17, options: { cellRows: 1, cellCols: 1, iterations: 0 }, mask: undefined },
    ];
    for (const { name, x, rows, cols, options, mask: m } of cases) {
      const want = superTokensTs(x, rows, cols, 24, options, m);
      const got = superTokens(x, rows, cols, 24, options, m);
      assert.deepEqual([got.rows, got.cols, got.dim], [want.rows, want.cols, want.dim], name);
      close(got.tokens, want.tokens, `${name}: tokens`);
      close(got.association, want.association, `${name}: association`);
      close(got.mass, want.mass, `${name}: mass`);
      assert.deepEqual(got.neighbours, want.neighbours, `${name}: neighbours`);
      assert.deepEqual(got.assignment, want.assignment, `${name}: assignment`);
      assert.deepEqual(got.members, want.members, `${name}: members`);
    }
  });

  it('refuse a subset outside the image and weights of the wrong shape', (t) => {
    if (!addon) return t.skip(nativeAddonError());
    const z = new Float32Array(4 * 24);
    const w1t = new Float32Array(16 * 72);
    assert.throws(() => addon.foregroundScores(z, 2, 2, 24, w1t, new Float32Array(16), new Float32Array(16), 0, Int32Array.of(4), new Float32Array(4)), /outside the image/);
    assert.throws(() => addon.foregroundScores(z, 2, 2, 24, w1t, new Float32Array(15), new Float32Array(16), 0, null, new Float32Array(4)), /hidden/);
    assert.throws(() => addon.redundancy(z, 5, 24, 0.9, 2, 2, 1, 1, new Uint8Array(5)), /n × dim/);
  });
});
