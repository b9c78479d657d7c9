/**
 * OCR speed and accuracy: Folio's OCR (models/ocr) against @gutenye/ocr-node, the pipeline it
 * replaces, on the same rendered pages in the same process. Both get the same ONNX models and
 * thread count and are warmed up once first; on each page they run one after the other, in
 * alternating order, so a busy machine slows both alike. Word recall is against the page's text
 * layer (models/ocr/word-recall.ts: strict, and ignoring dropped spaces).
 *
 *   npm run bench:ocr [-- --pages 3] [--page file.pdf:2 …] [--dpi 144] [--threads 1] [--runs 1] [--json]
 *
 * `--threads` sets onnxruntime's intra-op threads for both pipelines (default 1, Folio's default).
 * Besides wall-clock seconds it reports CPU seconds (all threads of this process), which a machine
 * shared with other work disturbs much less than wall-clock time.
 *
 * @gutenye/ocr-node reads an encoded image from a path, so each page is also written as a PNG
 * to a temporary folder beforehand; decoding that PNG is part of its timed work, as in real use.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import GutenOcr from '@gutenye/ocr-node';
import sharp from 'sharp';
import { openPdf } from '../lib/pdf/open.ts';
import { type RgbaImage, renderPagePixels } from '../lib/pdf/render/canvas.ts';
import { closeOcrEngine, createOcrEngine, recognize } from '../models/ocr/index.ts';
import { type WordRecall, wordRecall } from '../models/ocr/word-recall.ts';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const corpus = process.env.FOLIO_CORPUS ?? path.resolve(projectRoot, '..', 'shared', 'corpus');

/** Dense text pages, most useful first; `--pages N` takes the first N. */
const DENSE_PAGES = [
  'qa/pdfs/comet-paper.pdf:2',
  'robustness/tracemonkey.pdf:1',
  'qa/pdfs/declaredesign-paper.pdf:8',
  'robustness/tracemonkey.pdf:3',
  'qa/pdfs/comet-paper.pdf:5',
  'qa/pdfs/octave.pdf:100',
  'qa/pdfs/gnuplot.pdf:50',
];

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '3' },
    page: { type: 'string', multiple: true },
    dpi: { type: 'string', default: '144' },
    threads: { type: 'string', default: '1' },
    runs: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
const dpi = Number(values.dpi);
const threads = Number(values.threads);
const runs = Math.max(1, Number(values.runs));
const pageCount = Number(values.pages);
const specs = values.page?.length ? values.page : DENSE_PAGES.slice(0, pageCount);

interface BenchPage {
  name: string;
  image: RgbaImage;
  png: string;
  reference: string;
}

async function loadPage(spec: string, tmp: string): Promise<BenchPage> {
  const match = /^(.*):(\d+)$/.exec(spec);
  if (!match) throw new Error(`--page wants file.pdf:N, got ${spec}`);
  const file = path.isAbsolute(match[1]) || fs.existsSync(match[1]) ? match[1] : path.join(corpus, match[1]);
  const doc = await openPdf(new Uint8Array(fs.readFileSync(file)), { maxPages: 100_000 });
  try {
    const page = await doc.getPage(Number(match[2]));
    const content = await page.getTextContent();
    const reference = content.items.map((item) => ('str' in item ? item.str : '')).join(' ');
    const image = await renderPagePixels(doc, page, { dpi, maxPixels: 100_000_000 });
    const png = path.join(tmp, `${path.basename(file, '.pdf')}-${match[2]}.png`);
    await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 4 } }).png().toFile(png);
    return { name: `${path.basename(file)}:${match[2]}`, image, png, reference };
  } finally {
    await doc.destroy();
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number; cpuSeconds: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await work();
  const used = process.cpuUsage(cpu);
  return { result, seconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fixed = (x: number, digits: number) => Number(x.toFixed(digits));

async function main(): Promise<void> {
  if (!values.page?.length && !(Number.isInteger(pageCount) && pageCount >= 1 && pageCount <= DENSE_PAGES.length)) {
    throw new Error(`--pages takes 1..${DENSE_PAGES.length}; name other pages with --page file.pdf:N`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-bench-ocr-'));
  try {
    const pages: BenchPage[] = [];
    for (const spec of specs) pages.push(await loadPage(spec, tmp));

    const folio = await createOcrEngine({ intraOpNumThreads: threads });
    const guten = await GutenOcr.create({ onnxOptions: { intraOpNumThreads: threads } });
    const runFolio = async (page: BenchPage) => (await recognize(folio, page.image)).map((line) => line.text).join('\n');
    const runGuten = async (page: BenchPage) =>
      ((await guten.detect(page.png)) as { text: string }[]).map((line) => line.text).join('\n');
    // Warm-up: first runs allocate arenas and pick kernels.
    await runFolio(pages[0]);
    await runGuten(pages[0]);

    const rows: {
      page: string;
      folio_s: number;
      baseline_s: number;
      folio_cpu_s: number;
      baseline_cpu_s: number;
      folio: WordRecall;
      baseline: WordRecall;
    }[] = [];
    for (let run = 0; run < runs; run++) {
      for (const [index, page] of pages.entries()) {
        const folioFirst = (index + run) % 2 === 0;
        const first = await timed(() => (folioFirst ? runFolio(page) : runGuten(page)));
        const second = await timed(() => (folioFirst ? runGuten(page) : runFolio(page)));
        const [f, g] = folioFirst ? [first, second] : [second, first];
        const row = {
          page: page.name,
          folio_s: f.seconds,
          baseline_s: g.seconds,
          folio_cpu_s: f.cpuSeconds,
          baseline_cpu_s: g.cpuSeconds,
          folio: wordRecall(page.reference, f.result),
          baseline: wordRecall(page.reference, g.result),
        };
        rows.push(row);
        console.log(
          `${page.name.padEnd(28)} folio ${row.folio_s.toFixed(2)} s (cpu ${row.folio_cpu_s.toFixed(2)}), recall ` +
            `${row.folio.strict.toFixed(3)} (${row.folio.spaceInsensitive.toFixed(3)})   @gutenye ${row.baseline_s.toFixed(2)} s ` +
            `(cpu ${row.baseline_cpu_s.toFixed(2)}), recall ${row.baseline.strict.toFixed(3)} ` +
            `(${row.baseline.spaceInsensitive.toFixed(3)})   ${row.folio.referenceWords} words`,
        );
      }
    }
    await closeOcrEngine(folio);

    const folioSeconds = mean(rows.map((r) => r.folio_s));
    const baselineSeconds = mean(rows.map((r) => r.baseline_s));
    const folioCpu = mean(rows.map((r) => r.folio_cpu_s));
    const baselineCpu = mean(rows.map((r) => r.baseline_cpu_s));
    const summary = {
      pages: pages.map((p) => p.name),
      runs,
      dpi,
      threads,
      folio_s_per_page: fixed(folioSeconds, 2),
      baseline_s_per_page: fixed(baselineSeconds, 2),
      speedup: fixed(baselineSeconds / folioSeconds, 2),
      folio_cpu_s_per_page: fixed(folioCpu, 2),
      baseline_cpu_s_per_page: fixed(baselineCpu, 2),
      cpu_speedup: fixed(baselineCpu / folioCpu, 2),
      folio_word_recall: fixed(mean(rows.map((r) => r.folio.strict)), 4),
      baseline_word_recall: fixed(mean(rows.map((r) => r.baseline.strict)), 4),
      folio_word_recall_space_insensitive: fixed(mean(rows.map((r) => r.folio.spaceInsensitive)), 4),
      baseline_word_recall_space_insensitive: fixed(mean(rows.map((r) => r.baseline.spaceInsensitive)), 4),
    };
    console.log(
      `\nFolio      ${summary.folio_s_per_page} s/page (cpu ${summary.folio_cpu_s_per_page})   word recall ` +
        `${summary.folio_word_recall} (space-insensitive ${summary.folio_word_recall_space_insensitive})`,
    );
    console.log(
      `@gutenye   ${summary.baseline_s_per_page} s/page (cpu ${summary.baseline_cpu_s_per_page})   word recall ` +
        `${summary.baseline_word_recall} (space-insensitive ${summary.baseline_word_recall_space_insensitive})`,
    );
    console.log(
      `speed-up   ${summary.speedup}× wall-clock, ${summary.cpu_speedup}× cpu ` +
        `(${pages.length} pages × ${runs} runs, ${dpi} dpi, ${threads} threads each)`,
    );
    if (values.json) console.log(JSON.stringify(summary));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
