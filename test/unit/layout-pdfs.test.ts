/**
 * Layout on small PDFs the tests generate (pdf-lib), with known ground truth: reading order of
 * two columns (also when the content stream runs across the page line by line), a table's
 * cells with its caption, and figure boxes with their captions linked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractPage } from '../../lib/pages/pipeline.ts';
import { defaultFigureCropSettings, defaultOcrSettings, defaultPageImageSettings, type PageSettings } from '../../lib/pages/settings.ts';
import { openPdf } from '../../lib/pdf/open.ts';
import { structureDocument } from '../../lib/pdf/text/structure.ts';
import type { Box, Paragraph } from '../../models/document/types.ts';
import { boldHeadingPdf, figurePdf, tablePdf, twoColumnPdf } from '../helpers/make-pdfs.ts';

const OPTIONS: PageSettings = {
  ocr: { ...defaultOcrSettings, enabled: false },
  figureCrops: defaultFigureCropSettings,
  images: { ...defaultPageImageSettings, thumbnailMaxSide: 256, tile: 0 },
};

async function units(bytes: Uint8Array): Promise<{ paragraphs: Paragraph[]; height: number }> {
  const doc = await openPdf(new Uint8Array(bytes), { maxPages: 10 });
  try {
    const page = await extractPage(doc, 1, OPTIONS);
    const structure = structureDocument(page.paragraphs, [{ page: 1, height: page.height }]);
    return { paragraphs: page.paragraphs.map((p, i) => ({ ...p, ...structure[i] })), height: page.height };
  } finally {
    await doc.destroy();
  }
}

function iou(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  const area = (box: Box) => (box[2] - box[0]) * (box[3] - box[1]);
  return inter / (area(a) + area(b) - inter);
}

/** Sentence numbers in the order they appear in the extracted text. */
function sentenceOrder(paragraphs: Paragraph[]): number[] {
  const text = paragraphs.map((p) => p.text).join(' ');
  return [...text.matchAll(/Sentence (\d+)/g)].map((m) => Number(m[1]));
}

describe('layout on generated PDFs', () => {
  for (const order of ['columns', 'rows'] as const) {
    it(`reads two columns left then right when the stream runs by ${order}`, async () => {
      const { bytes, truth } = await twoColumnPdf({ order });
      const { paragraphs } = await units(bytes);
      assert.deepEqual(
        sentenceOrder(paragraphs),
        truth.sentences.map((s) => s.number),
      );
      // No paragraph mixes the two columns.
      for (const p of paragraphs) assert.ok(p.bbox[2] <= truth.columns[0][2] + 1 || p.bbox[0] >= truth.columns[1][0] - 1, JSON.stringify(p.bbox));
    });
  }

  it('extracts a table as one unit with its cells, linked to its caption', async () => {
    const { bytes, truth } = await tablePdf();
    const { paragraphs } = await units(bytes);
    const tables = paragraphs.filter((p) => p.kind === 'table');
    assert.equal(tables.length, 1);
    assert.deepEqual(
      tables[0].cells,
      truth.cells.map((row) => row.map((cell) => cell.text)),
    );
    assert.equal(tables[0].caption, truth.caption.text);
    assert.ok(iou(tables[0].bbox, truth.box) > 0.6, `table box ${tables[0].bbox} vs ${truth.box}`);
    assert.ok(paragraphs.some((p) => p.text === truth.paragraph.text), 'the paragraph stays a paragraph');
  });

  it('finds the raster and the vector figure, keeps their captions linked and prose out', async () => {
    const { bytes, truth } = await figurePdf();
    const { paragraphs } = await units(bytes);
    const figures = paragraphs.filter((p) => p.kind === 'figure');
    assert.equal(figures.length, truth.figures.length);
    for (const expected of truth.figures) {
      const found = figures.find((f) => iou(f.bbox, expected.box) >= 0.8);
      assert.ok(found, `no figure matches ${expected.kind} ${expected.box}: ${figures.map((f) => f.bbox).join(' | ')}`);
      assert.equal(found.caption, expected.caption.text);
    }
    for (const p of truth.paragraphs) assert.ok(paragraphs.some((u) => u.kind !== 'figure' && u.text === p.text), `paragraph kept: ${p.text.slice(0, 40)}`);
  });

  it('recognises body-size headings by their bold face and opens a section under each', async () => {
    const { bytes, truth } = await boldHeadingPdf();
    const { paragraphs } = await units(bytes);
    const headings = paragraphs.filter((p) => p.kind === 'heading');
    assert.deepEqual(
      headings.map((p) => p.text),
      truth.headings,
    );
    assert.ok(headings.every((p) => p.bold === true), 'headings are bold');
    truth.bodies.forEach((body, i) => {
      const unit = paragraphs.find((p) => p.text === body);
      assert.ok(unit, `body paragraph ${i} is one unit of its own`);
      assert.equal(unit.kind, 'text');
      assert.notEqual(unit.bold, true);
      assert.deepEqual(unit.section, [truth.headings[i]]);
    });
  });
});
