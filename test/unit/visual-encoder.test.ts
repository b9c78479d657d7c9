import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nativeAddon, nativeAddonError } from '../../models/native/addon.ts';
import { loadOnnxVisionEncoder, type OnnxVisionEncoder } from '../../models/visual/encoders/onnx-vision-encoder.ts';
import { createPatchEncoder, PATCH_FEATURE_DIM, PATCH_FEATURES, patchFeatures, patchFeaturesTs } from '../../models/visual/encoders/patch-encoder.ts';
import { parseImageProcessorConfig, toPixelValues } from '../../models/visual/encoders/preprocess.ts';
import type { RgbImage } from '../../models/visual/encoders/types.ts';
import { type TinyVitExport, tinyVitForward, writeTinyVit } from '../helpers/tiny-vit.ts';

function solid(width: number, height: number, rgb: [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) data.set(rgb, p * 3);
  return { width, height, data };
}

function noise(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  let a = seed;
  for (let i = 0; i < data.length; i++) {
    a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    data[i] = a >>> 24;
  }
  return { width, height, data };
}

const f = (name: (typeof PATCH_FEATURES)[number]) => PATCH_FEATURES.indexOf(name);

describe('built-in patch encoder', () => {
  it('gives a 24×24 grid of patch features and a global token for a 336-px tile', async () => {
    const encoder = createPatchEncoder();
    const [out] = await encoder.encode([noise(336, 336, 1)]);
    assert.equal(out.rows, 24);
    assert.equal(out.cols, 24);
    assert.equal(out.dim, PATCH_FEATURE_DIM);
    assert.equal(out.patches.length, 576 * PATCH_FEATURE_DIM);
    assert.equal(out.global.length, PATCH_FEATURE_DIM);
    assert.equal(out.clsScores.length, 576);
    assert.ok(out.patches.every(Number.isFinite));
  });

  it('is deterministic', async () => {
    const encoder = createPatchEncoder();
    const image = noise(100, 70, 5);
    const [a] = await encoder.encode([image]);
    const [b] = await encoder.encode([image]);
    assert.deepEqual(a.patches, b.patches);
    assert.deepEqual(a.clsScores, b.clsScores);
  });

  it('copies blank-paper patches from a template bit-identically to computing them', () => {
    const image = solid(336, 336, [255, 255, 255]);
    // Text-like stripes in part of the tile, so blank, touching and inked patches all occur.
    for (let y = 50; y < 200; y++) for (let x = 30; x < 250; x++) if (y % 6 < 3 && x % 5 !== 4) image.data.set([20, 20, 20], (y * 336 + x) * 3);
    const fast = patchFeaturesTs(image, 24, 24);
    const slow = patchFeaturesTs(image, 24, 24, false);
    assert.deepEqual(fast.features, slow.features);
    assert.deepEqual(fast.contrast, slow.contrast);
  });

  it('sees ink where the ink is and nothing on blank paper', () => {
    const image = solid(56, 56, [255, 255, 255]);
    // A black 14×14 square exactly on patch (1, 2) of a 4×4 grid.
    for (let y = 14; y < 28; y++) for (let x = 28; x < 42; x++) image.data.set([0, 0, 0], (y * 56 + x) * 3);
    const { features, contrast } = patchFeatures(image, 4, 4);
    const D = PATCH_FEATURE_DIM;
    const target = 1 * 4 + 2;
    assert.equal(features[target * D + f('ink')], 1);
    assert.equal(features[target * D + f('dark')], 1);
    assert.equal(features[target * D + f('lum_mean')], 0);
    assert.equal(features[0 * D + f('ink')], 0);
    assert.equal(features[0 * D + f('lum_mean')], 1);
    assert.equal(contrast[0], 0, 'a blank patch far from the square has no contrast');
    assert.ok(contrast[target + 1] > 0, 'the edge of the square shows in its neighbour');
  });

  it('tells horizontal text-like stripes from vertical ones by edge orientation', () => {
    const horizontal = solid(28, 28, [255, 255, 255]);
    const vertical = solid(28, 28, [255, 255, 255]);
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        if (y % 4 < 2) horizontal.data.set([0, 0, 0], (y * 28 + x) * 3);
        if (x % 4 < 2) vertical.data.set([0, 0, 0], (y * 28 + x) * 3);
      }
    }
    const D = PATCH_FEATURE_DIM;
    const h = patchFeatures(horizontal, 1, 1).features;
    const v = patchFeatures(vertical, 1, 1).features;
    assert.ok(h[f('edge_90')] > 0 && h[f('edge_0')] === 0);
    assert.ok(v[f('edge_0')] > 0 && v[f('edge_90')] === 0);
    assert.ok(h[f('transitions_v')] > 0 && h[f('transitions_h')] === 0);
    assert.equal(D, h.length);
  });
});

/** A page-like tile: white paper, a grey band, a coloured box, text-like strokes, a ruled line. */
function pageLike(width: number, height: number): RgbImage {
  const image = solid(width, height, [255, 255, 255]);
  const paint = (x0: number, y0: number, x1: number, y1: number, rgb: [number, number, number], keep: (x: number, y: number) => boolean = () => true) => {
    for (let y = y0; y < Math.min(y1, height); y++) for (let x = x0; x < Math.min(x1, width); x++) if (keep(x, y)) image.data.set(rgb, (y * width + x) * 3);
  };
  paint(0, Math.floor(height * 0.1), width, Math.floor(height * 0.15), [236, 236, 236]);
  paint(Math.floor(width * 0.6), Math.floor(height * 0.5), width, Math.floor(height * 0.8), [255, 127, 42]);
  paint(Math.floor(width * 0.6) + 1, Math.floor(height * 0.5) + 3, width, Math.floor(height * 0.8), [254, 126, 41], (x, y) => (x + y) % 7 === 0);
  paint(10, Math.floor(height * 0.2), Math.floor(width * 0.55), Math.floor(height * 0.7), [30, 30, 30], (x, y) => y % 9 < 5 && (x * 7 + y) % 11 < 6);
  paint(5, Math.floor(height * 0.9), width - 5, Math.floor(height * 0.9) + 1, [0, 0, 0]);
  return image;
}

describe('native patch features', () => {
  const addon = nativeAddon();
  const cases: [string, RgbImage, number, number][] = [
    ['a page-like 336-px tile', pageLike(336, 336), 24, 24],
    ['noise', noise(336, 336, 9), 24, 24],
    ['uneven patches (100×70 on 24×24)', pageLike(100, 70), 24, 24],
    ['one patch', pageLike(28, 28), 1, 1],
    ['a wide image on a coarse grid', noise(513, 77, 3), 5, 11],
  ];
  for (const [name, image, rows, cols] of cases) {
    it(`agree with the TypeScript definition on ${name}`, (t) => {
      if (!addon) return t.skip(nativeAddonError());
      const want = patchFeaturesTs(image, rows, cols);
      const got = patchFeatures(image, rows, cols);
      assert.equal(got.features.length, want.features.length);
      for (let i = 0; i < want.features.length; i++) {
        const d = Math.abs(got.features[i] - want.features[i]);
        assert.ok(d <= 1e-5, `patch ${Math.floor(i / PATCH_FEATURE_DIM)} ${PATCH_FEATURES[i % PATCH_FEATURE_DIM]}: ${got.features[i]} against ${want.features[i]}`);
      }
      for (let i = 0; i < want.contrast.length; i++) assert.ok(Math.abs(got.contrast[i] - want.contrast[i]) <= 1e-5, `contrast of patch ${i}`);
    });
  }

  it('give blank paper exactly the features of white', (t) => {
    if (!addon) return t.skip(nativeAddonError());
    const got = patchFeatures(solid(56, 56, [255, 255, 255]), 4, 4);
    // Luminance 1 (mean, min and max), nothing else: no ink, no edges, no layout inside the patch.
    const white = PATCH_FEATURES.map((name) => (name === 'lum_mean' || name === 'lum_min' || name === 'lum_max' ? 1 : 0));
    for (let p = 0; p < 16; p++) assert.deepEqual(Array.from(got.features.subarray(p * PATCH_FEATURE_DIM, (p + 1) * PATCH_FEATURE_DIM), (v) => v + 0), white);
    assert.deepEqual(got.contrast, new Float32Array(16));
  });

  it('refuse arguments that do not describe the image', (t) => {
    if (!addon) return t.skip(nativeAddonError());
    const image = noise(28, 28, 1);
    assert.throws(() => addon.patchFeatures(image.data.subarray(0, 100), 28, 28, 2, 2, new Float32Array(96), new Float32Array(4)), /fewer than/);
    assert.throws(() => addon.patchFeatures(image.data, 28, 28, 2, 2, new Float32Array(95), new Float32Array(4)), /rows·cols × 24/);
    assert.throws(() => addon.patchFeatures(image.data, 28, 28, 29, 2, new Float32Array(29 * 2 * 24), new Float32Array(58)), /rows must be/);
  });
});

describe('image preprocessing', () => {
  it('rescales and normalises with the processor config', () => {
    const config = parseImageProcessorConfig({ size: { height: 2, width: 2 }, image_mean: [0.5, 0.5, 0.5], image_std: [0.25, 0.5, 1], rescale_factor: 1 / 255 });
    const { data, dims } = toPixelValues([solid(2, 2, [255, 0, 51])], config);
    assert.deepEqual(dims, [1, 3, 2, 2]);
    assert.deepEqual(Array.from(data.subarray(0, 4), (v) => Math.round(v * 1e5) / 1e5), [2, 2, 2, 2]);
    assert.deepEqual(Array.from(data.subarray(4, 8)), [-1, -1, -1, -1]);
    assert.ok(Math.abs(data[8] - (0.2 - 0.5)) < 1e-6);
  });

  it('resizes by the shortest edge and centre-crops as CLIP does', () => {
    const config = parseImageProcessorConfig({ size: { shortest_edge: 4 }, do_center_crop: true, crop_size: { height: 4, width: 4 }, do_normalize: false, do_rescale: false });
    const wide = solid(16, 8, [10, 20, 30]);
    // Left half black: after the resize to 8×4 and a centre crop of 4×4, columns 0-1 are black.
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) wide.data.set([0, 0, 0], (y * 16 + x) * 3);
    const { data, dims } = toPixelValues([wide], config);
    assert.deepEqual(dims, [1, 3, 4, 4]);
    assert.equal(data[0], 0);
    assert.equal(data[3], 10);
  });

  it('falls back to config.json image_size and ViT defaults', () => {
    const config = parseImageProcessorConfig({}, 224);
    assert.deepEqual(config.size, { height: 224, width: 224 });
    assert.deepEqual(config.mean, [0.5, 0.5, 0.5]);
    assert.throws(() => parseImageProcessorConfig({}), /size/);
  });
});

describe('ONNX vision encoder on a generated tiny ViT', () => {
  let dir: string;
  let exported: TinyVitExport;
  let encoder: OnnxVisionEncoder;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'folio-vit-'));
    exported = await writeTinyVit(join(dir, 'vit'));
    await writeTinyVit(join(dir, 'vit-no-attn'), { attentions: false });
    encoder = await loadOnnxVisionEncoder(join(dir, 'vit'));
  });
  after(async () => {
    await encoder?.release();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the grid from config.json and the processor from preprocessor_config.json', () => {
    assert.deepEqual(encoder.grid, { rows: 4, cols: 4 });
    assert.deepEqual(encoder.processor.mean, exported.mean);
  });

  it('matches a plain-TypeScript forward pass of the same weights', async () => {
    // 56×56 images exercise the resize to 28×28 as well.
    const images = [noise(28, 28, 3), noise(56, 56, 4), solid(28, 28, [250, 250, 250])];
    const encoded = await encoder.encode(images);
    assert.equal(encoded.length, 3);
    images.forEach((image, b) => {
      const { data } = toPixelValues([image], encoder.processor);
      const reference = tinyVitForward(exported.weights, data);
      const out = encoded[b];
      assert.equal(out.scoreSource, 'attention');
      const D = exported.weights.hidden;
      for (let d = 0; d < D; d++) assert.ok(Math.abs(out.global[d] - reference.hidden[0][d]) < 1e-4, `global ${d}`);
      for (let p = 0; p < 16; p++) {
        for (let d = 0; d < D; d++) assert.ok(Math.abs(out.patches[p * D + d] - reference.hidden[1 + p][d]) < 1e-4, `image ${b} patch ${p} dim ${d}`);
      }
      // CLS→patch: head mean of the last layer's log attention, row 0, columns 1….
      const last = reference.attentions[reference.attentions.length - 1];
      const T = 17;
      for (let p = 0; p < 16; p++) {
        const expected = (Math.log(last[0 * T * T + 1 + p]) + Math.log(last[1 * T * T + 1 + p])) / 2;
        assert.ok(Math.abs(out.clsScores[p] - expected) < 1e-4, `cls score ${p}: ${out.clsScores[p]} vs ${expected}`);
      }
    });
  });

  it('uses the CLS–patch cosine when the export has no attentions', async () => {
    const plain = await loadOnnxVisionEncoder(join(dir, 'vit-no-attn'));
    try {
      const [out] = await plain.encode([noise(28, 28, 9)]);
      assert.equal(out.scoreSource, 'cls-cosine');
      const D = out.dim;
      let dot = 0;
      let a = 0;
      let b = 0;
      for (let d = 0; d < D; d++) {
        dot += out.global[d] * out.patches[d];
        a += out.global[d] ** 2;
        b += out.patches[d] ** 2;
      }
      assert.ok(Math.abs(out.clsScores[0] - dot / Math.sqrt(a * b)) < 1e-5);
    } finally {
      await plain.release();
    }
  });

  it('fails with the reason when the folder is not an export', async () => {
    await assert.rejects(loadOnnxVisionEncoder(join(dir, 'missing')), /none of model\.onnx/);
  });
});
