/**
 * Trains the foreground scorer (models/visual/compress/foreground.ts) on labels the PDFs give for
 * free: a patch's target is the share of its box covered by text and figure units found by
 * extraction. Trains on the training documents of bench/visual-corpus.ts, evaluates on the
 * held-out ones, and writes models/visual/compress/foreground-weights.json (with the metrics).
 *
 *   npm run train:foreground            (FOLIO_TRAIN_LIMIT=n: at most n pages per document)
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FOREGROUND_INPUTS, type ForegroundWeights, scoreInputs, scorerInputs, standardize } from '../models/visual/compress/foreground.ts';
import { featureStats, TRAIN_DEFAULTS, trainForeground } from '../models/visual/compress/foreground-train.ts';
import { PATCH_FEATURE_DIM, patchFeatures } from '../models/visual/encoders/patch-encoder.ts';
import { cropImagesOf } from '../lib/visual/stored-crops.ts';
import { areaMask, boxCoverage, HELD_OUT_SLICES, type LabelledPage, loadCorpusPages, TRAIN_SLICES, tokenPool } from './visual-corpus.ts';

const GRID = 24;
const D = PATCH_FEATURE_DIM;

interface Samples {
  /** Base features of every valid token, its image's rows×cols features kept for the neighbourhood inputs. */
  images: { features: Float32Array; valid: Int32Array; targets: Float32Array }[];
  count: number;
}

async function samplesOf(pages: LabelledPage[]): Promise<Samples> {
  const images: Samples['images'] = [];
  let count = 0;
  for (const page of pages) {
    const mask = areaMask(page);
    const pool = tokenPool(page, GRID, GRID);
    const rgb = await cropImagesOf({ canvasPng: page.canvasPng }, page);
    rgb.forEach((image, k) => {
      const { features } = patchFeatures(image, GRID, GRID);
      const valid = pool.valid[k];
      const targets = Float32Array.from(valid, (p) => boxCoverage(mask, pool.boxes[k], p * 4));
      images.push({ features, valid, targets });
      count += valid.length;
    });
  }
  return { images, count };
}

function inputsOf(samples: Samples, stats: { mean: number[]; std: number[] }): { inputs: Float32Array; targets: Float32Array } {
  const inputs = new Float32Array(samples.count * FOREGROUND_INPUTS);
  const targets = new Float32Array(samples.count);
  let at = 0;
  for (const im of samples.images) {
    const all = scorerInputs(standardize(im.features, GRID * GRID, stats.mean, stats.std), GRID, GRID);
    im.valid.forEach((p, i) => {
      inputs.set(all.subarray(p * FOREGROUND_INPUTS, (p + 1) * FOREGROUND_INPUTS), at * FOREGROUND_INPUTS);
      targets[at++] = im.targets[i];
    });
  }
  return { inputs, targets };
}

function evaluate(w: ForegroundWeights, inputs: Float32Array, targets: Float32Array): Record<string, number> {
  const n = targets.length;
  const prob = scoreInputs(w, inputs, n);
  let loss = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const y = targets[i];
    loss -= y * Math.log(Math.max(prob[i], 1e-7)) + (1 - y) * Math.log(Math.max(1 - prob[i], 1e-7));
    const label = y >= 0.5;
    const predicted = prob[i] >= 0.5;
    if (label === predicted) correct++;
    if (predicted && label) tp++;
    if (predicted && !label) fp++;
    if (!predicted && label) fn++;
  }
  const round = (v: number) => Math.round(v * 10_000) / 10_000;
  return { tokens: n, bce: round(loss / n), accuracy: round(correct / n), precision: round(tp / Math.max(1, tp + fp)), recall: round(tp / Math.max(1, tp + fn)) };
}

async function main(): Promise<void> {
  const limit = process.env.FOLIO_TRAIN_LIMIT ? Number(process.env.FOLIO_TRAIN_LIMIT) : undefined;
  let t = performance.now();
  const trainPages = await loadCorpusPages(TRAIN_SLICES, { limit });
  const heldPages = await loadCorpusPages(HELD_OUT_SLICES, { limit });
  console.log(`pages: ${trainPages.length} training, ${heldPages.length} held out (${((performance.now() - t) / 1000).toFixed(1)} s to extract)`);
  t = performance.now();
  const train = await samplesOf(trainPages);
  const held = await samplesOf(heldPages);
  const all = new Float32Array(train.count * D);
  let at = 0;
  for (const im of train.images) {
    for (const p of im.valid) all.set(im.features.subarray(p * D, (p + 1) * D), (at++) * D);
  }
  const stats = featureStats(all, train.count);
  const trainSet = inputsOf(train, stats);
  const heldSet = inputsOf(held, stats);
  console.log(`tokens: ${train.count} training, ${held.count} held out (${((performance.now() - t) / 1000).toFixed(1)} s for features)`);
  t = performance.now();
  const weights = trainForeground(trainSet.inputs, trainSet.targets, train.count, stats, TRAIN_DEFAULTS, (epoch, loss) => console.log(`epoch ${epoch + 1}: training BCE ${loss.toFixed(4)}`));
  console.log(`trained in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const trainMetrics = evaluate(weights, trainSet.inputs, trainSet.targets);
  const heldMetrics = evaluate(weights, heldSet.inputs, heldSet.targets);
  console.log('training set:', trainMetrics);
  console.log('held-out set:', heldMetrics);
  weights.training = {
    script: 'bench/train-foreground.ts',
    options: TRAIN_DEFAULTS,
    grid: GRID,
    trainDocuments: TRAIN_SLICES,
    heldOutDocuments: HELD_OUT_SLICES,
    pages: { training: trainPages.length, heldOut: heldPages.length },
    target: 'share of the patch box covered by text/figure unit boxes; metrics threshold it at 0.5',
    trainingMetrics: trainMetrics,
    heldOutMetrics: heldMetrics,
  };
  const out = fileURLToPath(new URL('../models/visual/compress/foreground-weights.json', import.meta.url));
  writeFileSync(out, `${JSON.stringify(weights)}\n`);
  console.log(`wrote ${out}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
