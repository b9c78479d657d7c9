/**
 * The real CDLA layout model (npm run models:install -- layout-cdla) on a real page: Apple's
 * 2019 income statement. Its table region must cover the statement table Folio reads from the
 * words, and the page's running header must come out as a header, not as a table.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { closeLayoutDetector, createLayoutDetector, detectLayout } from '../../lib/layout/cdla.ts';
import { extractPage } from '../../lib/pages/pipeline.ts';
import { textOnlyPageSettings } from '../../lib/pages/settings.ts';
import { openPdf } from '../../lib/pdf/open.ts';
import { iou } from '../../models/layout/cdla.ts';
import { corpus, projectRoot } from '../helpers/stack.ts';

const modelFile = path.join(projectRoot, '.models', 'layout', 'layout_cdla.onnx');
const pdf = path.join(corpus, 'finance', 'pdfs', 'APPLE_2019_10K.pdf');
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
});
