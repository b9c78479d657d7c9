/**
 * The visual-token pipeline of a page end to end (built-in encoder, shipped foreground scorer),
 * then the activity's work and the tokens route over real stores.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import sharp from 'sharp';
import { encodeBatchVisualTokens } from '../../activities/visual-tokens.ts';
import { appSettingsOf, createApp } from '../../api/app.ts';
import { loadConfig } from '../../lib/config.ts';
import { DocumentIndexCache } from '../../lib/retrieval/document-index.ts';
import { openStores } from '../../lib/store/open.ts';
import { encodePageImages } from '../../lib/visual/page-tokens.ts';
import { VisualTokenThread } from '../../lib/visual/token-worker.ts';
import { shippedForegroundWeights } from '../../models/visual/compress/foreground.ts';
import { compressPage, type PageVisualInput, PIPELINE_DEFAULTS, type PipelineOptions } from '../../models/visual/compress/pipeline.ts';
import { DENSITY_DEFAULTS } from '../../models/visual/compress/stages/density.ts';
import { SUPER_TOKEN_DEFAULTS } from '../../models/visual/compress/stages/super-tokens.ts';
import { planCrops, validBand } from '../../models/visual/crop-plan.ts';
import { cropSquare } from '../../models/visual/pixels.ts';
import { loadOnnxVisionEncoder } from '../../models/visual/encoders/onnx-vision-encoder.ts';
import { encodePatches } from '../../models/visual/encoders/patch-encoder.ts';
import type { RgbImage } from '../../models/visual/encoders/types.ts';
import { writeTinyVit } from '../helpers/tiny-vit.ts';

const PAGE = { width: 612, height: 792 };

/** A white tile with a text-like block (stripes of dark "letters") in the given pixel box. */
function tile(blocks: [number, number, number, number][], size = 336): RgbImage {
  const data = new Uint8Array(size * size * 3).fill(255);
  for (const [x0, y0, x1, y1] of blocks) {
    for (let y = y0; y < y1; y++) {
      if (y % 7 >= 4) continue;
      for (let x = x0; x < x1; x++) if (x % 6 !== 5) data.fill(30, (y * size + x) * 3, (y * size + x) * 3 + 3);
    }
  }
  return { width: size, height: size, data };
}

const plan = planCrops(PAGE.width, PAGE.height, { tile: 336 });
const images = [tile([[120, 40, 220, 300]]), ...plan.tiles.map((_, k) => tile(k === 0 ? [[40, 60, 300, 330]] : [[40, 0, 300, 200]]))];

/** The plan's canvas: the page's region white with a dark text-like block near its top left. */
function pageCanvas(): RgbImage {
  const { width, height } = plan.canvas;
  const data = new Uint8Array(width * height * 3).fill(255);
  for (let y = plan.offset.y + 30; y < plan.offset.y + 200; y++) {
    if (y % 7 >= 4) continue;
    for (let x = plan.offset.x + 20; x < plan.offset.x + 400; x++) if (x % 6 !== 5) data.fill(30, (y * width + x) * 3, (y * width + x) * 3 + 3);
  }
  return { width, height, data };
}

function input(): PageVisualInput {
  const encoded = images.map((im) => encodePatches(im, 24, 24));
  return { page: PAGE, plan, thumbnail: encoded[0], crops: encoded.slice(1), pixelFeatures: { thumbnail: encoded[0].patches, crops: encoded.slice(1).map((e) => e.patches) } };
}

const options = (retention: number, extra: Partial<PipelineOptions> = {}): PipelineOptions => ({ ...PIPELINE_DEFAULTS, foreground: { weights: shippedForegroundWeights() }, retention, ...extra });

describe('visual-token pipeline', () => {
  const source = input();
  // Thumbnail patches + the crops' unpadded patches, counted independently of the pipeline.
  const band = validBand(PAGE.width, PAGE.height, plan.grid.rows * 24, plan.grid.cols * 24);
  const total = 576 + (band.validRows[1] - band.validRows[0]) * (band.validCols[1] - band.validCols[0]);

  it('keeps everything, unchanged, at retention 1', () => {
    const { tokens, ledger } = compressPage(source, options(1));
    assert.equal(ledger.superTokens, 0);
    assert.equal(tokens.count, total);
    assert.ok(tokens.mergedFrom.every((m) => m === 1));
    // The thumbnail's 576 patches come first, in order, with their own vectors.
    for (let t = 0; t < 576; t++) {
      assert.equal(tokens.image[t], 0);
      assert.equal(tokens.patch[t], t);
    }
    assert.deepEqual(tokens.vectors.subarray(0, 576 * source.thumbnail.dim), source.thumbnail.patches);
    for (const stage of ledger.stages) assert.equal(stage.tokensOut, tokens.count);
  });

  for (const retention of [0.1, 0.25, 0.5]) {
    it(`outputs exactly the budget at retention ${retention}, in spatial order, with a consistent ledger`, () => {
      const { tokens, ledger } = compressPage(source, options(retention));
      const n = ledger.images.reduce((sum, im) => sum + im.tokens, 0);
      assert.equal(ledger.budget, Math.round(retention * n));
      assert.equal(tokens.count, ledger.budget);
      assert.equal(ledger.stages[ledger.stages.length - 1].tokensOut, tokens.count);
      // Per image: kept patches ascending, then that image's super tokens.
      for (let image = 0; image <= plan.tiles.length; image++) {
        const patches = Array.from(tokens.patch).filter((p, t) => tokens.image[t] === image && p >= 0);
        assert.ok(patches.every((p, i) => i === 0 || patches[i - 1] < p), `image ${image} keeps raster order`);
      }
      for (let t = 0; t < tokens.count; t++) {
        const [x0, y0, x1, y1] = tokens.box.subarray(t * 4, t * 4 + 4);
        assert.ok(x0 >= 0 && y0 >= 0 && x1 <= PAGE.width && y1 <= PAGE.height && x0 <= x1 && y0 <= y1);
      }
      // Every crop token selection dropped is merged into exactly one super token.
      const supers = Array.from(tokens.patch).map((p, t) => (p < 0 ? tokens.mergedFrom[t] : 0));
      const dropped = ledger.images.slice(1).reduce((sum, im) => sum + im.tokens - im.kept, 0);
      assert.equal(supers.filter((_, t) => tokens.patch[t] < 0).length, ledger.superTokens);
      assert.equal(supers.reduce((a, b) => a + b, 0), dropped);
    });
  }

  it('is deterministic', () => {
    const a = compressPage(input(), options(0.25));
    const b = compressPage(input(), options(0.25));
    assert.deepEqual(a.tokens, b.tokens);
  });

  it('still meets the budget with stages switched off', () => {
    const noForeground = { foreground: { weights: null } };
    const noSuperTokens = { superTokens: { ...SUPER_TOKEN_DEFAULTS, cell: 0 } };
    const noDensity = { density: { ...DENSITY_DEFAULTS, theta: 1 } };
    for (const extra of [noForeground, noSuperTokens, noDensity, { ...noForeground, ...noSuperTokens, ...noDensity }]) {
      const { tokens, ledger } = compressPage(source, options(0.25, extra));
      assert.equal(tokens.count, ledger.budget);
    }
  });

  it('writes one ledger entry per stage, in order, after the steps timed before it', () => {
    const { tokens, ledger } = compressPage(source, options(0.25), [{ stage: 'encode', ms: 1.23456 }]);
    assert.deepEqual(
      ledger.stages.map((s) => s.stage),
      ['encode', 'density', 'globalcom2', 'foreground', 'super-tokens'],
    );
    assert.deepEqual(ledger.stages[0], { stage: 'encode', tokensIn: total, tokensOut: total, ms: 1.235 });
    assert.equal(ledger.stages[1].tokensIn, total);
    for (let i = 1; i < ledger.stages.length; i++) {
      assert.ok(ledger.stages[i].ms >= 0);
      if (i > 1) assert.equal(ledger.stages[i].tokensIn, ledger.stages[i - 1].tokensOut, `${ledger.stages[i].stage} takes what the stage before gave`);
    }
    assert.equal(ledger.stages[4].tokensOut, tokens.count);
    // GlobalCom² proposes cascade × the final count for the foreground stage to narrow.
    assert.ok(ledger.stages[2].tokensOut > ledger.stages[3].tokensOut);

    const all = compressPage(source, options(1), [{ stage: 'encode', ms: 2 }]).ledger;
    assert.deepEqual(all.stages, [
      { stage: 'encode', tokensIn: total, tokensOut: total, ms: 2 },
      ...['density', 'globalcom2', 'foreground', 'super-tokens'].map((stage) => ({ stage, tokensIn: total, tokensOut: total, ms: 0 })),
    ]);
  });

  it('passes each stage its own settings', () => {
    const measured = compressPage(source, options(0.25)).ledger;
    assert.ok(measured.images.slice(1).some((im) => im.density < 1));
    const unmeasured = compressPage(source, options(0.25, { density: { ...DENSITY_DEFAULTS, theta: 1 } })).ledger;
    assert.ok(unmeasured.images.every((im) => im.density === 1));
    const single = compressPage(source, options(0.25, { globalcom2: { ...PIPELINE_DEFAULTS.globalcom2, cascade: 1 } })).ledger;
    const out = (stage: string) => single.stages.find((s) => s.stage === stage)?.tokensOut;
    assert.equal(out('globalcom2'), out('foreground'));
    const unmerged = compressPage(source, options(0.25, { superTokens: { ...SUPER_TOKEN_DEFAULTS, cell: 0 } })).ledger;
    assert.equal(unmerged.superTokens, 0);
    assert.ok(measured.superTokens > 0);
  });

  it('keeps the text blocks and drops blank paper', () => {
    const { tokens } = compressPage(source, options(0.25, { superTokens: { ...SUPER_TOKEN_DEFAULTS, cell: 0 } }));
    // Kept thumbnail patches lie in or next to the block [120,220)×[40,300) px (patches 8..15 × 2..21).
    const thumb = Array.from(tokens.patch).filter((p, t) => tokens.image[t] === 0 && p >= 0);
    const near = thumb.filter((p) => {
      const i = Math.floor(p / 24);
      const j = p % 24;
      return j >= 7 && j <= 16 && i >= 1 && i <= 22;
    });
    assert.ok(near.length / thumb.length >= 0.9, `${near.length} of ${thumb.length} thumbnail tokens near the block`);
  });
});

describe('visual-token pipeline over an ONNX ViT (generated, 4×4 patch grid)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-visual-vit-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("meets the budget on the encoder's own grid and keeps everything at retention 1", async () => {
    await writeTinyVit(dir);
    const encoder = await loadOnnxVisionEncoder(dir);
    try {
      const { input } = await encodePageImages(encoder, PAGE, plan, images);
      assert.equal(input.thumbnail.rows, 4);
      assert.equal(input.thumbnail.scoreSource, 'attention');
      for (const retention of [0.25, 0.5]) {
        const { tokens, ledger } = compressPage(input, options(retention));
        assert.equal(tokens.count, ledger.budget);
        assert.equal(tokens.dim, 16);
      }
      const band = validBand(PAGE.width, PAGE.height, plan.grid.rows * 4, plan.grid.cols * 4);
      const all = compressPage(input, options(1)).tokens;
      assert.equal(all.count, 16 + (band.validRows[1] - band.validRows[0]) * (band.validCols[1] - band.validCols[0]));
    } finally {
      await encoder.release();
    }
  });
});

describe('visual tokens: activity work and route', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-visual-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  // The stage's work runs on its own thread, as in the worker; one for these tests.
  const thread = new VisualTokenThread();
  after(() => thread.close());

  it('encodes stored crops once, and serves the kept tokens with the ledger', async () => {
    const config = loadConfig({ FOLIO_DATA_DIR: dir });
    const stores = openStores(config.dataDir);
    const docId = 'a'.repeat(64);
    await stores.store.insertDocument({ id: docId, filename: 'x.pdf', bytes: 1 });
    const png = (im: RgbImage) => sharp(im.data, { raw: { width: im.width, height: im.height, channels: 3 } }).png().toBuffer();
    // Page 1 stores its plan's canvas (as extraction does); page 3 one PNG per crop, as pages
    // stored before the canvas was.
    const canvas = pageCanvas();
    const canvasKey = await stores.blobs.put(await png(canvas));
    const keys = await Promise.all(images.map(async (im) => stores.blobs.put(await png(im))));
    const saved = { width: PAGE.width, height: PAGE.height, thumbnailKey: null, paragraphs: [], error: null };
    await stores.store.savePage(docId, { page: 1, ...saved, crops: { plan, canvasKey } });
    await stores.store.savePage(docId, { page: 2, ...saved, crops: null });
    await stores.store.savePage(docId, { page: 3, ...saved, crops: { plan, keys } });

    const beats: number[] = [];
    const first = await encodeBatchVisualTokens({ settings: config.visual, thread, ...stores }, { docId, firstPage: 1, lastPage: 3 }, (d) => beats.push(d.page));
    assert.deepEqual([first.pagesEncoded, first.pagesSkipped, first.pagesFailed], [2, 1, 0]);
    assert.ok([1, 2, 3].every((page) => beats.includes(page)), 'a heartbeat per page');
    // A rerun skips encoded pages, and with the built-in encoder starts no thread for it.
    const unused = {
      describe: () => Promise.reject(new Error('no thread should start')),
      encodePage: () => Promise.reject(new Error('no thread should start')),
    } as unknown as VisualTokenThread;
    const again = await encodeBatchVisualTokens({ settings: config.visual, thread: unused, ...stores }, { docId, firstPage: 1, lastPage: 3 }, () => {});
    assert.deepEqual([again.pagesEncoded, again.pagesSkipped, again.pagesFailed], [0, 3, 0]);

    const client = {} as Client;
    const app = createApp({ ...appSettingsOf(config), client, indexes: new DocumentIndexCache(stores.store, stores.blobs), ...stores });
    const response = await app.request(`/v1/documents/${docId}/pages/1/tokens`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as {
      encoder: string;
      count: number;
      tokens: { crop: number; patch: number | null; superToken: boolean; box: number[]; mergedFrom: number }[];
      ledger: { retention: number; budget: number; stages: { stage: string; tokensIn: number; tokensOut: number; ms: number }[] };
    };
    assert.equal(body.encoder, 'builtin-patch-24x24');
    assert.equal(body.ledger.retention, 0.25);
    assert.equal(body.count, body.ledger.budget);
    assert.equal(body.tokens.length, body.count);
    assert.deepEqual(
      body.ledger.stages.map((s) => s.stage),
      ['encode', 'density', 'globalcom2', 'foreground', 'super-tokens'],
    );
    assert.ok(body.tokens.some((t) => t.superToken && t.patch === null && t.mergedFrom > 0));
    assert.ok(body.tokens.every((t) => t.box.length === 4 && t.crop >= 0 && t.crop <= plan.tiles.length));

    assert.equal((await app.request(`/v1/documents/${docId}/pages/2/tokens`)).status, 404);
    assert.equal((await app.request(`/v1/documents/${docId}/pages/9/tokens`)).status, 404);

    // The crop images: cut from page 1's canvas (tile k is the canvas square of plan tile k-1;
    // the visual thumbnail is tile-sized), read as stored on page 3.
    const rawOf = async (url: string) => {
      const response = await app.request(url);
      assert.equal(response.status, 200, url);
      const { data, info } = await sharp(Buffer.from(await response.arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
      return { width: info.width, height: info.height, data: new Uint8Array(data) };
    };
    const t = plan.tiles[1];
    assert.deepEqual(await rawOf(`/v1/documents/${docId}/pages/1/crops/2.png`), cropSquare(canvas, t.x, t.y, t.size));
    const visual = await rawOf(`/v1/documents/${docId}/pages/1/crops/0.png`);
    assert.deepEqual([visual.width, visual.height], [plan.tile, plan.tile]);
    assert.ok(visual.data.some((v) => v < 128), 'the visual thumbnail shows the page’s ink');
    assert.deepEqual(await rawOf(`/v1/documents/${docId}/pages/3/crops/2.png`), images[2]);
    assert.equal((await app.request(`/v1/documents/${docId}/pages/1/crops/${plan.tiles.length + 1}.png`)).status, 404);
    await stores.store.close();
  });

  it('does nothing when the stage is off', async () => {
    const config = loadConfig({ FOLIO_DATA_DIR: dir, FOLIO_VISION_ENCODER: 'off' });
    const stores = openStores(config.dataDir);
    const summary = await encodeBatchVisualTokens({ settings: config.visual, thread, ...stores }, { docId: 'b'.repeat(64), firstPage: 1, lastPage: 3 }, () => {});
    assert.deepEqual([summary.pagesEncoded, summary.pagesSkipped], [0, 3]);
    await stores.store.close();
    assert.throws(() => loadConfig({ FOLIO_VISUAL_RETENTION: '1.5' }), /FOLIO_VISUAL_RETENTION/);
  });

  it('skips the stage, with the reason, when the configured encoder cannot be loaded', async () => {
    const config = loadConfig({ FOLIO_DATA_DIR: dir, FOLIO_VISION_ENCODER: path.join(dir, 'no-such-export') });
    const stores = openStores(config.dataDir);
    const summary = await encodeBatchVisualTokens({ settings: config.visual, thread, ...stores }, { docId: 'c'.repeat(64), firstPage: 1, lastPage: 2 }, () => {});
    assert.deepEqual([summary.pagesEncoded, summary.pagesSkipped], [0, 2]);
    assert.match(summary.encoderError ?? '', /none of model\.onnx/);
    await stores.store.close();
  });
});
