/**
 * Visual-token benchmark on the held-out pages of bench/visual-corpus.ts (documents the
 * foreground scorer never saw):
 *
 * - Foreground recall: the share of text + figure area (boxes from the PDF's own text and image
 *   units) covered by the boxes of the kept tokens, at retention 10%, 25%, 50%, for each method,
 *   the full pipeline, and the uniform-random and stride baselines, all on the same token pool
 *   (visual thumbnail patches + the crops' unpadded patches) with the same budget round(r·N).
 *   Two readings: any kept token counts ("all"), and only crop tokens count ("crops": the
 *   high-resolution detail; a thumbnail token covers ~4× the page area of a crop token).
 *   Super tokens are not counted as covering anything (their box is a whole coarse cell).
 * - Milliseconds per page with the built-in encoder: PNG decode, encode, compress (one thread;
 *   sharp is limited to one thread too).
 *
 *   npm run bench:visual            (FOLIO_BENCH_LIMIT=n: at most n pages per document;
 *                                    FOLIO_VISION_ENCODER=<ONNX export folder>: another encoder)
 */
import sharp from 'sharp';
import { densityBudgets, pickByScore, redundancy } from '../models/visual/compress/correlation.ts';
import { foregroundScores, shippedForegroundWeights } from '../models/visual/compress/foreground.ts';
import { seededRandom } from '../models/math/random.ts';
import { compressPage, PIPELINE_DEFAULTS, type PageVisualInput, type PipelineOptions } from '../models/visual/compress/pipeline.ts';
import { correlationKeys, DENSITY_DEFAULTS } from '../models/visual/compress/stages/density.ts';
import { GLOBALCOM2_DEFAULTS } from '../models/visual/compress/stages/globalcom2.ts';
import { SUPER_TOKEN_DEFAULTS } from '../models/visual/compress/stages/super-tokens.ts';
import { strideIndices, topk } from '../models/visual/compress/topk.ts';
import { loadOnnxVisionEncoder } from '../models/visual/encoders/onnx-vision-encoder.ts';
import { createPatchEncoder } from '../models/visual/encoders/patch-encoder.ts';
import { encodePageImages } from '../lib/visual/page-tokens.ts';
import { cropImagesOf } from '../lib/visual/stored-crops.ts';
import type { RgbImage } from '../models/visual/encoders/types.ts';
import { type AreaMask, areaMask, areaRecall, HELD_OUT_SLICES, loadCorpusPages, tokenPool } from './visual-corpus.ts';

sharp.concurrency(1);

const RETENTIONS = [0.1, 0.25, 0.5];
const GRID = 24;
const weights = shippedForegroundWeights();

/** A selection: per image, the kept patch indices. */
type Selection = Int32Array[];

interface PageCase {
  input: PageVisualInput;
  mask: AreaMask;
  pool: { valid: Int32Array[]; boxes: Float32Array[] };
  total: number;
  seed: number;
}

function flatPool(c: PageCase): { image: number; patch: number }[] {
  const out: { image: number; patch: number }[] = [];
  c.pool.valid.forEach((valid, image) => {
    for (const patch of valid) out.push({ image, patch });
  });
  return out;
}

function fromFlat(c: PageCase, chosen: ArrayLike<number>): Selection {
  const flat = flatPool(c);
  const out: number[][] = c.pool.valid.map(() => []);
  for (let i = 0; i < chosen.length; i++) out[flat[chosen[i]].image].push(flat[chosen[i]].patch);
  return out.map((a) => Int32Array.from(a));
}

const methods: Record<string, (c: PageCase, r: number) => Selection> = {
  'uniform-random': (c, r) => {
    const random = seededRandom(c.seed);
    const n = c.total;
    const order = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    return fromFlat(c, order.subarray(0, Math.round(r * n)));
  },
  stride: (c, r) => fromFlat(c, strideIndices(c.total, Math.round(r * c.total))),
  correlation: (c, r) => {
    const images = [c.input.thumbnail, ...c.input.crops];
    const densities = images.map((enc, k) => {
      const valid = c.pool.valid[k];
      const keys = correlationKeys(enc, weights);
      const validKeys = new Float32Array(valid.length * enc.dim);
      valid.forEach((p, i) => {
        validKeys.set(keys.subarray(p * enc.dim, (p + 1) * enc.dim), i * enc.dim);
      });
      return redundancy(validKeys, valid.length, enc.dim, DENSITY_DEFAULTS.theta).density;
    });
    const budgets = densityBudgets(densities, c.pool.valid.map((v) => v.length), Math.round(r * c.total), 16);
    return images.map((enc, k) => {
      const valid = c.pool.valid[k];
      const picked = pickByScore(Float32Array.from(valid, (p) => enc.clsScores[p]), budgets[k], 0.1);
      return Int32Array.from(picked, (i) => valid[i]);
    });
  },
  globalcom2: (c, r) => pipelineSelection(c, {
    retention: r,
    density: { ...DENSITY_DEFAULTS, theta: 1 },
    foreground: { weights: null },
    superTokens: { ...SUPER_TOKEN_DEFAULTS, cell: 0 },
  }),
  foreground: (c, r) => {
    const images = [c.input.thumbnail, ...c.input.crops];
    const features = [c.input.pixelFeatures.thumbnail, ...c.input.pixelFeatures.crops];
    const flatScores: number[] = [];
    images.forEach((enc, k) => {
      const fg = foregroundScores(weights, features[k], enc.rows, enc.cols);
      for (const p of c.pool.valid[k]) flatScores.push(fg[p]);
    });
    return fromFlat(c, topk(Float32Array.from(flatScores), Math.round(r * c.total)));
  },
  'pipeline, GlobalCom² thumb.': (c, r) => pipelineSelection(c, { retention: r, globalcom2: { ...GLOBALCOM2_DEFAULTS, thumbnailCap: 0 } }),
  'pipeline, no super tokens': (c, r) => pipelineSelection(c, { retention: r, superTokens: { ...SUPER_TOKEN_DEFAULTS, cell: 0 } }),
  pipeline: (c, r) => pipelineSelection(c, { retention: r }),
};

function pipelineSelection(c: PageCase, options: Partial<PipelineOptions>): Selection {
  const { tokens } = compressPage(c.input, { ...PIPELINE_DEFAULTS, foreground: { weights }, ...options });
  const out: number[][] = c.pool.valid.map(() => []);
  for (let t = 0; t < tokens.count; t++) if (tokens.patch[t] >= 0) out[tokens.image[t]].push(tokens.patch[t]);
  return out.map((a) => Int32Array.from(a));
}

function recallOf(c: PageCase, selection: Selection, cropsOnly: boolean): number {
  const boxes: number[] = [];
  selection.forEach((kept, image) => {
    if (cropsOnly && image === 0) return;
    for (const p of kept) for (let i = 0; i < 4; i++) boxes.push(c.pool.boxes[image][p * 4 + i]);
  });
  return areaRecall(c.mask, Float32Array.from(boxes));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : 0;
};

async function main(): Promise<void> {
  const limit = process.env.FOLIO_BENCH_LIMIT ? Number(process.env.FOLIO_BENCH_LIMIT) : undefined;
  const pages = await loadCorpusPages(HELD_OUT_SLICES, { limit });
  // FOLIO_VISION_ENCODER=<ONNX export folder> measures with that encoder (on its own patch grid).
  const onnxDir = process.env.FOLIO_VISION_ENCODER;
  const encoder = onnxDir && onnxDir !== 'builtin' ? await loadOnnxVisionEncoder(onnxDir, { threads: 1 }) : createPatchEncoder({ rows: GRID, cols: GRID });
  const grid = encoder.grid;
  console.log(`encoder: ${encoder.name} (${grid.rows}×${grid.cols} patches per image)`);
  const decodeMs: number[] = [];
  const encodeMs: number[] = [];
  const compressMs: number[] = [];
  const cpu: { decode: number[]; encode: number[]; compress: number[] } = { decode: [], encode: [], compress: [] };
  const cpuMs = (since: NodeJS.CpuUsage) => {
    const u = process.cpuUsage(since);
    return (u.user + u.system) / 1000;
  };
  const median3 = (f: () => number) => median([f(), f(), f()]);
  // One warm-up page so JIT compilation is not billed to the first measurement.
  const cropsOf = (page: (typeof pages)[number]) => cropImagesOf({ canvasPng: page.canvasPng }, page);
  if (pages.length > 0) {
    const { input } = await encodePageImages(encoder, pages[0], pages[0].plan, await cropsOf(pages[0]));
    compressPage(input, { ...PIPELINE_DEFAULTS, foreground: { weights } });
  }
  // Timing pass first, holding nothing but the pages, so garbage from the recall pass is not
  // billed to it. Each step runs 3 times per page and the page's median counts, which damps
  // the noise of a shared machine; CPU time of this process is recorded as well.
  for (const page of pages) {
    const decodeRuns: number[] = [];
    const decodeCpu: number[] = [];
    let images: RgbImage[] = [];
    for (let run = 0; run < 3; run++) {
      const c = process.cpuUsage();
      const t = performance.now();
      images = await cropsOf(page);
      decodeRuns.push(performance.now() - t);
      decodeCpu.push(cpuMs(c));
    }
    decodeMs.push(median(decodeRuns));
    cpu.decode.push(median(decodeCpu));
    const encodeRuns: number[] = [];
    const encodeCpu: number[] = [];
    for (let run = 0; run < 3; run++) {
      const c = process.cpuUsage();
      const t = performance.now();
      await encoder.encode(images);
      encodeRuns.push(performance.now() - t);
      encodeCpu.push(cpuMs(c));
    }
    encodeMs.push(median(encodeRuns));
    cpu.encode.push(median(encodeCpu));
    const { input } = await encodePageImages(encoder, page, page.plan, images);
    const compressCpu: number[] = [];
    compressMs.push(
      median3(() => {
        const c = process.cpuUsage();
        const t = performance.now();
        compressPage(input, { ...PIPELINE_DEFAULTS, foreground: { weights } });
        compressCpu.push(cpuMs(c));
        return performance.now() - t;
      }),
    );
    cpu.compress.push(median(compressCpu));
  }
  const imagesPerPage = pages.map((p) => p.plan.tiles.length + 1);

  // Recall pass: every method on every page.
  const cases: PageCase[] = [];
  for (const [i, page] of pages.entries()) {
    const { input } = await encodePageImages(encoder, page, page.plan, await cropsOf(page));
    const pool = tokenPool(page, grid.rows, grid.cols);
    cases.push({ input, mask: areaMask(page), pool, total: pool.valid.reduce((n, v) => n + v.length, 0), seed: 1000 + i });
  }
  const withInk = cases.filter((c) => c.mask.area > 0);
  const docs = [...new Set(pages.map((p) => p.doc))].join(', ');
  console.log(`held-out pages: ${cases.length} (${docs}); ${withInk.length} with text/figure boxes; tokens per page: mean ${mean(cases.map((c) => c.total)).toFixed(0)}`);
  console.log(`foreground share of page area: mean ${mean(withInk.map((c) => c.mask.area / (c.mask.width * c.mask.height))).toFixed(3)}\n`);

  const results: Record<string, Record<number, { all: number; crops: number }>> = {};
  for (const [name, select] of Object.entries(methods)) {
    results[name] = {};
    for (const r of RETENTIONS) {
      const all: number[] = [];
      const crops: number[] = [];
      for (const c of withInk) {
        const selection = select(c, r);
        const kept = selection.reduce((n, s) => n + s.length, 0);
        // Methods without super tokens keep exactly the budget in individual tokens.
        if ((!name.startsWith('pipeline') || name.includes('no super')) && kept !== Math.round(r * c.total)) throw new Error(`${name} kept ${kept} tokens, budget ${Math.round(r * c.total)}`);
        all.push(recallOf(c, selection, false));
        crops.push(recallOf(c, selection, true));
      }
      results[name][r] = { all: mean(all), crops: mean(crops) };
    }
  }
  const header = `${'method'.padEnd(28)}${RETENTIONS.map((r) => `r=${r} all  crops`.padStart(20)).join('')}`;
  console.log('Foreground recall (mean over pages; "all": any kept token, "crops": crop tokens only)');
  console.log(header);
  for (const [name, byR] of Object.entries(results)) {
    console.log(`${name.padEnd(28)}${RETENTIONS.map((r) => `${byR[r].all.toFixed(3)}  ${byR[r].crops.toFixed(3)}`.padStart(20)).join('')}`);
  }
  console.log('\nRatios, full pipeline over the baselines (all / crops):');
  for (const base of ['uniform-random', 'stride']) {
    console.log(
      `  vs ${base.padEnd(16)}${RETENTIONS.map((r) => `r=${r}: ${(results.pipeline[r].all / results[base][r].all).toFixed(2)}× / ${(results.pipeline[r].crops / results[base][r].crops).toFixed(2)}×`).join('   ')}`,
    );
  }
  const total = decodeMs.map((d, i) => d + encodeMs[i] + compressMs[i]);
  console.log(`\nWall milliseconds per page (median of 3 runs per page), ${encoder.name}, ${mean(imagesPerPage).toFixed(1)} images per page (visual thumbnail + tiles), one thread:`);
  console.log(`  PNG decode  median ${median(decodeMs).toFixed(1)}  mean ${mean(decodeMs).toFixed(1)}`);
  console.log(`  encode      median ${median(encodeMs).toFixed(1)}  mean ${mean(encodeMs).toFixed(1)}`);
  console.log(`  compress    median ${median(compressMs).toFixed(1)}  mean ${mean(compressMs).toFixed(1)}`);
  console.log(`  encode + compress  median ${median(encodeMs.map((e, i) => e + compressMs[i])).toFixed(1)}  mean ${mean(encodeMs.map((e, i) => e + compressMs[i])).toFixed(1)}`);
  console.log(`  all three   median ${median(total).toFixed(1)}  mean ${mean(total).toFixed(1)}  max ${Math.max(...total).toFixed(1)}`);
  const cpuTotal = cpu.encode.map((e, i) => e + cpu.compress[i]);
  console.log('CPU milliseconds per page of this process (process.cpuUsage; what the work costs without waiting for a core):');
  console.log(`  PNG decode  median ${median(cpu.decode).toFixed(1)}  mean ${mean(cpu.decode).toFixed(1)}`);
  console.log(`  encode      median ${median(cpu.encode).toFixed(1)}  mean ${mean(cpu.encode).toFixed(1)}`);
  console.log(`  compress    median ${median(cpu.compress).toFixed(1)}  mean ${mean(cpu.compress).toFixed(1)}`);
  console.log(`  encode + compress  median ${median(cpuTotal).toFixed(1)}  mean ${mean(cpuTotal).toFixed(1)}  max ${Math.max(...cpuTotal).toFixed(1)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
