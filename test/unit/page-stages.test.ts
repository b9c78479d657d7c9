/**
 * The stage runner on made-up stages (order, settings by key, failures recorded or fatal), the
 * page pipeline's own list, and a page whose figure crops and images fail under their own
 * stages' pixel limits.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractPage, pageStages } from '../../lib/pages/pipeline.ts';
import { reportedFailure, runStages, type Stage, type StageEntry, type StageFailure } from '../../lib/pages/run-stages.ts';
import { defaultPageSettings, type PageSettings } from '../../lib/pages/settings.ts';
import { openPdf } from '../../lib/pdf/open.ts';
import { cropSize } from '../../lib/pdf/render/crop.ts';
import { figurePdf } from '../helpers/make-pdfs.ts';
import { pageVisualTokens } from '../../lib/visual/page-tokens.ts';
import { cropImagesOf } from '../../lib/visual/stored-crops.ts';
import { shippedForegroundWeights } from '../../models/visual/compress/foreground.ts';
import { deserializePageTokens } from '../../models/visual/compress/token-blob.ts';
import { createPatchEncoder } from '../../models/visual/encoders/patch-encoder.ts';

interface Log {
  calls: string[];
}
interface Settings {
  a: { tag: string };
  b: { tag: string };
}

/** A stage that logs its name and settings, then fails when told to. */
function stage<S extends { tag: string } | undefined>(name: string, options: { fail?: unknown; onFailure?: Stage<Log, S>['onFailure'] } = {}): Stage<Log, S> {
  return {
    name,
    onFailure: options.onFailure,
    run: async (state, settings) => {
      await Promise.resolve();
      state.calls.push(`${name}:${settings?.tag ?? '-'}`);
      if ('fail' in options) throw options.fail;
    },
  };
}

const SETTINGS: Settings = { a: { tag: 'A' }, b: { tag: 'B' } };

describe('runStages', () => {
  it('runs the stages in list order, each with its own settings', async () => {
    const list: StageEntry<Log, Settings>[] = [
      { stage: stage('first'), settings: undefined },
      { stage: stage<Settings['b']>('b'), settings: 'b' },
      { stage: stage<Settings['a']>('a'), settings: 'a' },
      { stage: stage('last') },
    ];
    const state: Log = { calls: [] };
    assert.deepEqual(await runStages(list, state, SETTINGS), []);
    assert.deepEqual(state.calls, ['first:-', 'b:B', 'a:A', 'last:-']);
  });

  it('records a failure of a stage that declares onFailure, and the later stages still run', async () => {
    const error = new Error('no pixels');
    const list: StageEntry<Log, Settings>[] = [
      { stage: stage('first') },
      { stage: stage<Settings['a']>('crops', { fail: error, onFailure: { prefix: 'crop: ', precedence: 0 } }), settings: 'a' },
      { stage: stage('after') },
      { stage: stage<Settings['b']>('images', { fail: 'a string', onFailure: { precedence: 1 } }), settings: 'b' },
    ];
    const state: Log = { calls: [] };
    const failures = await runStages(list, state, SETTINGS);
    // What the failing stages did before they threw stays in the state.
    assert.deepEqual(state.calls, ['first:-', 'crops:A', 'after:-', 'images:B']);
    assert.deepEqual(
      failures.map(({ stage, message, precedence }) => ({ stage, message, precedence })),
      [
        { stage: 'crops', message: 'crop: no pixels', precedence: 0 },
        { stage: 'images', message: 'a string', precedence: 1 },
      ],
    );
    assert.equal(failures[0].error, error);
  });

  it('ends the run with the error itself when a stage without onFailure fails', async () => {
    const error = new Error('no text layer');
    const list: StageEntry<Log, Settings>[] = [
      { stage: stage<Settings['a']>('figures', { fail: new Error('kept'), onFailure: { precedence: 0 } }), settings: 'a' },
      { stage: stage('text', { fail: error }) },
      { stage: stage('never') },
    ];
    const state: Log = { calls: [] };
    await assert.rejects(runStages(list, state, SETTINGS), (thrown) => thrown === error);
    assert.deepEqual(state.calls, ['figures:A', 'text:-']);
  });
});

describe('reportedFailure', () => {
  const failure = (stage: string, precedence: number): StageFailure => ({ stage, message: stage, precedence, error: null });

  it('reports the highest precedence, the earliest among equals, and nothing when nothing failed', () => {
    assert.equal(reportedFailure([]), null);
    assert.equal(reportedFailure([failure('figures', 0), failure('crops', 0)])?.stage, 'figures');
    assert.equal(reportedFailure([failure('figures', 0), failure('images', 1), failure('crops', 0)])?.stage, 'images');
    assert.equal(reportedFailure([failure('images', 1), failure('late', 1)])?.stage, 'images');
  });
});

describe('the page stages', () => {
  it('find figures before the text runs, and only figures, the layout model, crops, images and visual tokens may fail without failing the page', () => {
    assert.deepEqual(
      pageStages.map((entry) => [entry.stage.name, entry.settings ?? null, entry.stage.onFailure ?? null]),
      [
        ['figures', 'figures', { precedence: 0 }],
        ['text runs', null, null],
        ['ocr', 'ocr', null],
        ['layout model', 'layout', { prefix: 'layout model: ', precedence: 0 }],
        ['paragraphs', null, null],
        ['figure crops', 'figureCrops', { prefix: 'figure crop: ', precedence: 0 }],
        ['images', 'images', { precedence: 1 }],
        ['visual tokens', 'visualTokens', { prefix: 'visual tokens: ', precedence: 0 }],
      ],
    );
  });

  it('keeps the text and the other figure when one figure is over its stage’s pixel limit; a render failure is reported first', async () => {
    const doc = await openPdf((await figurePdf()).bytes.slice(), { maxPages: 1 });
    try {
      const full = await extractPage(doc, 1, defaultPageSettings);
      const figures = full.paragraphs.filter((unit) => unit.kind === 'figure');
      assert.equal(figures.length, 2);
      assert.equal(full.figureCrops.length, 2);
      assert.equal(full.renderError, null);
      const dpi = defaultPageSettings.figureCrops.dpi;
      const pixels = figures.map((unit) => {
        const { width, height } = cropSize(unit.bbox, dpi);
        return width * height;
      });
      assert.notEqual(pixels[0], pixels[1]);
      const big = pixels[0] > pixels[1] ? 0 : 1;
      const limit = Math.max(...pixels) - 1;

      const cropLimited: PageSettings = { ...defaultPageSettings, figureCrops: { ...defaultPageSettings.figureCrops, maxPixels: limit } };
      const cropped = await extractPage(doc, 1, cropLimited);
      assert.deepEqual(cropped.paragraphs, full.paragraphs);
      assert.deepEqual(
        cropped.figureCrops.map((crop) => crop.index),
        [figures[1 - big].index],
      );
      assert.match(cropped.renderError ?? '', /^figure crop: Cropping \[.*\] on page 1 at 150 dpi needs .* the limit is \d+\.$/);
      // The images stage has its own limit, still the default: the thumbnail is there.
      assert.ok(cropped.thumbnailPng);
      assert.deepEqual(cropped.cropPlan, full.cropPlan);

      const bothLimited: PageSettings = { ...cropLimited, images: { ...defaultPageSettings.images, maxPixels: 1000 } };
      const unrendered = await extractPage(doc, 1, bothLimited);
      assert.deepEqual(unrendered.paragraphs, full.paragraphs);
      assert.equal(unrendered.thumbnailPng, null);
      assert.equal(unrendered.cropPlan, null);
      assert.equal(unrendered.figureCrops.length, 1);
      assert.match(unrendered.renderError ?? '', /^Page 1 would render to \d+×\d+ pixels\.$/);
    } finally {
      await doc.destroy();
    }
  });

  it('makes the visual tokens from the rendered crops with the built-in encoder, and leaves other encoders to their activity', async () => {
    const doc = await openPdf((await figurePdf()).bytes.slice(), { maxPages: 1 });
    try {
      const builtin = await extractPage(doc, 1, { ...defaultPageSettings, visualTokens: { encoder: 'builtin', retention: 0.25 } });
      assert.ok(builtin.visualTokens && builtin.cropPlan && builtin.cropCanvasPng);
      const { header, tokens } = deserializePageTokens(Buffer.from(builtin.visualTokens.blob));
      assert.equal(header.encoder, 'builtin-patch-24x24');
      assert.equal(builtin.visualTokens.ledger.encoder, header.encoder);
      assert.equal(tokens.count, header.ledger.budget);
      // The same tokens as the activity makes from the stored canvas.
      const images = await cropImagesOf({ canvasPng: builtin.cropCanvasPng }, { plan: builtin.cropPlan });
      const again = await pageVisualTokens(createPatchEncoder(), { width: builtin.width, height: builtin.height }, builtin.cropPlan, images, {
        retention: 0.25,
        foreground: { weights: shippedForegroundWeights() },
      });
      assert.deepEqual(Array.from(again.tokens.vectors), Array.from(tokens.vectors));
      assert.deepEqual(Array.from(again.tokens.patch), Array.from(tokens.patch));

      for (const visualTokens of [undefined, { encoder: 'off', retention: 0.25 }, { encoder: '/models/some-onnx-vit', retention: 0.25 }]) {
        const page = await extractPage(doc, 1, { ...defaultPageSettings, visualTokens });
        assert.equal(page.visualTokens, null, JSON.stringify(visualTokens));
        assert.ok(page.cropCanvasPng, 'the canvas is stored for the activity');
      }
    } finally {
      await doc.destroy();
    }
  });
});
