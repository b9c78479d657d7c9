/**
 * The one canvas helper behind page renders and figure crops: a window onto the page holds the
 * same pixels as that part of the whole page, and a window over its limit is refused with the
 * caller's reason.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PdfInputError } from '../../lib/pdf/errors.ts';
import { openPdf } from '../../lib/pdf/open.ts';
import type { PDFDocumentProxy } from '../../lib/pdf/pdfjs.ts';
import { renderPagePixels, renderPixels } from '../../lib/pdf/render/canvas.ts';
import { figurePdf } from '../helpers/make-pdfs.ts';

describe('renderPixels', () => {
  let doc: PDFDocumentProxy;
  before(async () => {
    doc = await openPdf((await figurePdf()).bytes.slice(), { maxPages: 1 });
  });
  after(async () => {
    await doc.destroy();
  });

  it('renders a window shifted to its origin: the same pixels as that part of the whole page', async () => {
    const page = await doc.getPage(1);
    const whole = await renderPagePixels(doc, page, { dpi: 72, maxPixels: 10_000_000 });
    // Windows a whole number of pixels from the corner at 72 dpi, so both renders sample the same
    // points: over the raster figure, and over the bar chart. Text is left out because glyph
    // edges are smoothed differently at different places on the canvas.
    for (const [x0, y0, width, height] of [
      [150, 140, 310, 210],
      [175, 395, 280, 160],
    ]) {
      const window = await renderPixels(doc, page, { scale: 1, width, height, origin: [x0, y0], maxPixels: width * height, tooLarge: () => 'unused' });
      assert.equal(window.length, width * height * 4);
      let inked = 0;
      for (let y = 0; y < height; y++) {
        const from = ((y0 + y) * whole.width + x0) * 4;
        const row = whole.data.subarray(from, from + width * 4);
        assert.deepEqual(window.subarray(y * width * 4, (y + 1) * width * 4), row, `window at ${x0}, ${y0}: row ${y}`);
        for (let i = 0; i < row.length; i += 4) if (row[i] < 200) inked++;
      }
      // The window is not blank paper, so the comparison says something.
      assert.ok(inked > 1000, `window at ${x0}, ${y0}: ${inked} inked pixels`);
    }
  });

  it('refuses a window over its pixel limit with the reason the caller gives, before rendering', async () => {
    const page = await doc.getPage(1);
    await assert.rejects(
      renderPixels(doc, page, { scale: 1, width: 100, height: 100, maxPixels: 9_999, tooLarge: () => 'too big a window' }),
      (error: unknown) => error instanceof PdfInputError && error.code === 'too_large' && error.message === 'too big a window',
    );
  });
});
