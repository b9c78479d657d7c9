/**
 * Folio's OCR end to end on a scan-like PDF: a real page with a text layer is rendered, turned
 * into an image-only PDF with pdf-lib, opened and rendered again by Folio, and read by the OCR.
 * The original page's text layer is the answer key.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { openPdf } from '../../lib/pdf/open.ts';
import type { PDFDocumentProxy } from '../../lib/pdf/pdfjs.ts';
import { pageTextRuns } from '../../lib/pdf/text/runs.ts';
import { type RgbaImage, renderPagePixels } from '../../lib/pdf/render/canvas.ts';
import { fuseModel } from '../../models/ocr/fuse.ts';
import {
  closeOcrEngine,
  createOcrEngine,
  defaultModelPaths,
  type OcrEngine,
  type OcrLine,
  recognize,
} from '../../models/ocr/index.ts';
import { wordRecall } from '../../models/ocr/word-recall.ts';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpus = process.env.FOLIO_CORPUS ?? path.resolve(projectRoot, '..', 'shared', 'corpus');
const SOURCE = path.join(corpus, 'robustness', 'tracemonkey.pdf');
const PAGE = 1;
const DPI = 144;
const render = { dpi: DPI, maxPixels: 40_000_000 };

async function open(bytes: Uint8Array): Promise<PDFDocumentProxy> {
  // pdf.js takes ownership of the buffer it is given.
  return openPdf(new Uint8Array(bytes), { maxPages: 100 });
}

/** A one-page PDF whose only content is `image` stretched over a page of the given size in points. */
async function imageOnlyPdf(image: RgbaImage, widthPt: number, heightPt: number): Promise<Uint8Array> {
  const png = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 4 } })
    .removeAlpha()
    .png({ compressionLevel: 1 })
    .toBuffer();
  const pdf = await PDFDocument.create();
  const page = pdf.addPage([widthPt, heightPt]);
  page.drawImage(await pdf.embedPng(png), { x: 0, y: 0, width: widthPt, height: heightPt });
  return pdf.save();
}

/** The top `fraction` of an image, turned by 180°. */
function topTurned(image: RgbaImage, fraction: number): RgbaImage {
  const height = Math.round(image.height * fraction);
  const n = image.width * height;
  const data = new Uint8Array(n * 4);
  for (let p = 0; p < n; p++) data.set(image.data.subarray(4 * p, 4 * p + 4), 4 * (n - 1 - p));
  return { ...image, data, height };
}

function top(image: RgbaImage, fraction: number): RgbaImage {
  const height = Math.round(image.height * fraction);
  return { ...image, data: image.data.slice(0, image.width * height * 4), height };
}

const text = (lines: OcrLine[]) => lines.map((line) => line.text).join('\n');

describe('ocr of an image-only PDF', { timeout: 180_000 }, () => {
  let engine: OcrEngine;
  let referenceText = '';
  let titleBoxPx: [number, number, number, number] = [0, 0, 0, 0];
  let scanned: RgbaImage;

  before(async () => {
    engine = await createOcrEngine();
    const original = await open(fs.readFileSync(SOURCE));
    try {
      const page = await original.getPage(PAGE);
      const content = await page.getTextContent();
      referenceText = content.items.map((item) => ('str' in item ? item.str : '')).join(' ');
      const title = (await pageTextRuns(page)).find((run) => run.text.startsWith('Trace-based Just-in-Time'));
      assert.ok(title, 'the source page has its title in the text layer');
      const scale = DPI / 72;
      titleBoxPx = title.box.map((v) => v * scale) as [number, number, number, number];
      const viewport = page.getViewport({ scale: 1 });
      const pdf = await imageOnlyPdf(await renderPagePixels(original, page, render), viewport.width, viewport.height);
      const scan = await open(pdf);
      try {
        const scanPage = await scan.getPage(1);
        const scanText = await scanPage.getTextContent();
        assert.equal(scanText.items.length, 0, 'the rebuilt PDF has no text layer');
        scanned = await renderPagePixels(scan, scanPage, render);
      } finally {
        await scan.destroy();
      }
    } finally {
      await original.destroy();
    }
  });

  after(async () => {
    if (engine) await closeOcrEngine(engine);
  });

  it('reads the page with word recall ≥ 0.9 against the original text layer', async () => {
    assert.equal(scanned.width, 1224);
    assert.equal(scanned.height, 1584);
    const started = performance.now();
    const lines = await recognize(engine, scanned);
    const seconds = (performance.now() - started) / 1000;
    const recall = wordRecall(referenceText, text(lines));
    console.log(
      `ocr: ${lines.length} lines in ${seconds.toFixed(1)} s; word recall ${recall.strict.toFixed(3)} ` +
        `(space-insensitive ${recall.spaceInsensitive.toFixed(3)}) of ${recall.referenceWords} words`,
    );
    assert.ok(recall.referenceWords > 500, 'a dense page');
    assert.ok(recall.strict >= 0.9, `word recall ${recall.strict}`);

    // Lines come in reading order: no line starts above the previous row.
    for (let i = 1; i < lines.length; i++) {
      const [prev, cur] = [lines[i - 1].box, lines[i].box];
      assert.ok(cur[1] >= prev[1] - (prev[3] - prev[1]), `line ${i} is not above line ${i - 1}`);
    }
    for (const line of lines) {
      assert.ok(line.confidence >= 0.5 && line.confidence <= 1);
      const [x0, y0, x1, y1] = line.box;
      assert.ok(0 <= x0 && x0 < x1 && x1 <= scanned.width && 0 <= y0 && y0 < y1 && y1 <= scanned.height);
    }

    // The title's OCR box is where the text layer put it.
    const title = lines.find((line) => line.text.startsWith('Trace-based'));
    assert.ok(title, 'the title is read');
    const [a, b] = [title.box, titleBoxPx];
    const overlap = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0])) * Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
    const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - overlap;
    assert.ok(overlap / union > 0.6, `title box ${a} vs text layer ${b.map(Math.round)}`);
  });

  it('reads an upside-down scan the right way up', async () => {
    const upright = text(await recognize(engine, top(scanned, 0.3)));
    const turned = await recognize(engine, topTurned(scanned, 0.3));
    const recall = wordRecall(upright, text(turned));
    assert.ok(recall.referenceWords > 60, 'the top of the page has the title, authors and affiliations');
    assert.ok(recall.strict >= 0.9, `upside-down page: recall ${recall.strict} of the upright reading`);
    assert.ok(turned[0].text.startsWith('Trace-based'), `reading order starts at the title: ${turned[0].text}`);
  });
});

describe('ocr model rewriting on the shipped models', () => {
  it('fuses the detector, recogniser and classifier without changing their outputs', async () => {
    const paths = defaultModelPaths();
    const cases: [string, number[], number][] = [
      [paths.detection, [1, 3, 320, 256], 20],
      [paths.recognition, [2, 3, 48, 320], 20],
      [paths.classifier, [3, 3, 48, 192], 10],
    ];
    for (const [file, dims, minFused] of cases) {
      const original = new Uint8Array(fs.readFileSync(file));
      const { bytes, report } = fuseModel(original);
      assert.ok(report.hardSwish >= minFused, `${path.basename(file)}: ${JSON.stringify(report)}`);
      const input = new Float32Array(dims.reduce((a, b) => a * b, 1));
      for (let i = 0; i < input.length; i++) input[i] = ((i * 2654435761) % 1000) / 1000;
      const outputs: Float32Array[] = [];
      for (const model of [original, bytes]) {
        const session = await ort.InferenceSession.create(model, { logSeverityLevel: 3, intraOpNumThreads: 1 });
        const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, dims) });
        outputs.push(result[session.outputNames[0]].data as Float32Array);
        await session.release();
      }
      let worst = 0;
      for (let i = 0; i < outputs[0].length; i++) worst = Math.max(worst, Math.abs(outputs[0][i] - outputs[1][i]));
      assert.ok(worst < 1e-4, `${path.basename(file)}: outputs differ by up to ${worst}`);
    }
  });
});
