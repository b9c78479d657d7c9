/**
 * The visual-token kernels that run in Folio's native addon (native/patch-features.c,
 * native/visual-compress.c) against their TypeScript definitions, on the same real inputs in the
 * same process: the crop images of octave.pdf's first pages (visual thumbnail and tiles, as
 * ingestion cuts them), their patch features, and the keys, scores and super tokens the
 * compression computes from them with its default settings. Prints ms per page for each side, the
 * ratio, and the largest difference between the two results.
 *
 *   npm run bench:visual-kernels [-- --pages 60]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openPdf } from '../lib/pdf/open.ts';
import { renderPageImages } from '../lib/visual/page-images.ts';
import { redundancy, redundancyTs } from '../models/visual/compress/correlation.ts';
import { foregroundScores, foregroundScoresTs, shippedForegroundWeights, standardize } from '../models/visual/compress/foreground.ts';
import { DENSITY_DEFAULTS } from '../models/visual/compress/stages/density.ts';
import { SUPER_TOKEN_DEFAULTS } from '../models/visual/compress/stages/super-tokens.ts';
import { superTokens, superTokensTs } from '../models/visual/compress/super-tokens.ts';
import { PATCH_FEATURE_DIM, patchFeatures, patchFeaturesTs } from '../models/visual/encoders/patch-encoder.ts';
import type { RgbImage } from '../models/visual/encoders/types.ts';
import { nativeAddon, nativeAddonError } from '../models/native/addon.ts';
import { corpus } from '../test/helpers/stack.ts';

const { values } = parseArgs({ options: { pages: { type: 'string', default: '60' } } });
const pages = Number(values.pages);
if (!nativeAddon()) throw new Error(nativeAddonError());

const GRID = 24;
const D = PATCH_FEATURE_DIM;
const weights = shippedForegroundWeights();
const file = path.join(corpus, 'qa', 'pdfs', 'octave.pdf');
const doc = await openPdf(new Uint8Array(fs.readFileSync(file)), { maxPages: 100_000 });
const images: RgbImage[] = [];
for (let p = 1; p <= Math.min(pages, doc.numPages); p++) {
  const page = await doc.getPage(p);
  images.push(...(await renderPageImages(doc, page, { thumbnailMaxSide: 512, maxPixels: 40_000_000, tile: 336 })).crops);
  page.cleanup();
}
const features = images.map((image) => patchFeaturesTs(image, GRID, GRID).features);
const keys = features.map((f) => standardize(f, GRID * GRID, weights.mean, weights.std));
// The super-token stage merges what selection dropped: here every other token takes part.
const mask = Uint8Array.from({ length: GRID * GRID }, (_, p) => (p % 2 === 0 ? 1 : 0));
const superOptions = { cellRows: SUPER_TOKEN_DEFAULTS.cell, cellCols: SUPER_TOKEN_DEFAULTS.cell, iterations: SUPER_TOKEN_DEFAULTS.iterations, temperature: SUPER_TOKEN_DEFAULTS.temperature };
const scope = { rows: GRID, cols: GRID, radius: DENSITY_DEFAULTS.radius, stride: DENSITY_DEFAULTS.stride };

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
};
const kernels: { name: string; run: (k: number) => ArrayLike<number>; baseline: (k: number) => ArrayLike<number> }[] = [
  { name: 'patch features', run: (k) => patchFeatures(images[k], GRID, GRID).features, baseline: (k) => patchFeaturesTs(images[k], GRID, GRID).features },
  { name: 'redundancy', run: (k) => redundancy(keys[k], GRID * GRID, D, DENSITY_DEFAULTS.theta, scope).redundant, baseline: (k) => redundancyTs(keys[k], GRID * GRID, D, DENSITY_DEFAULTS.theta, scope).redundant },
  { name: 'foreground scores', run: (k) => foregroundScores(weights, features[k], GRID, GRID), baseline: (k) => foregroundScoresTs(weights, features[k], GRID, GRID) },
  { name: 'super tokens', run: (k) => superTokens(features[k], GRID, GRID, D, superOptions, mask).tokens, baseline: (k) => superTokensTs(features[k], GRID, GRID, D, superOptions, mask).tokens },
];

const perPage = images.length / pages;
console.log(`${images.length} images from ${pages} pages of ${path.basename(file)} (${perPage.toFixed(1)} per page); median of 5 passes`);
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const kernel of kernels) {
  const time = (fn: (k: number) => ArrayLike<number>) => {
    const passes: number[] = [];
    for (let pass = 0; pass < 5; pass++) {
      const started = performance.now();
      for (let k = 0; k < images.length; k++) fn(k);
      passes.push((performance.now() - started) / pages);
    }
    return median(passes);
  };
  const ts = time(kernel.baseline);
  const native = time(kernel.run);
  let diff = 0;
  for (let k = 0; k < images.length; k++) diff = Math.max(diff, maxDiff(kernel.run(k), kernel.baseline(k)));
  rows.push({ kernel: kernel.name, typescript_ms_per_page: Number(ts.toFixed(3)), native_ms_per_page: Number(native.toFixed(3)), speedup: Number((ts / native).toFixed(2)), max_difference: diff });
  console.log(`  ${kernel.name.padEnd(18)} TypeScript ${ts.toFixed(2).padStart(6)} ms/page   native ${native.toFixed(2).padStart(6)} ms/page   ${(ts / native).toFixed(2)}×   max |Δ| ${diff.toExponential(1)}`);
}
console.log(JSON.stringify({ pages, images: images.length, kernels: rows }));
