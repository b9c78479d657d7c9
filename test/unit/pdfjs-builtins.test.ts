/**
 * Loading pdf.js must not leave slow JavaScript polyfills in place of native builtins for the
 * rest of the process (lib/pdf/pdfjs.ts), and pdf.js must still work afterwards with the
 * worker module it was handed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractPage } from '../../lib/pages/pipeline.ts';
import { textOnlyPageSettings } from '../../lib/pages/settings.ts';
import { openPdf } from '../../lib/pdf/open.ts';
import { restoredBuiltins } from '../../lib/pdf/pdfjs.ts';
import { twoColumnPdf } from '../helpers/make-pdfs.ts';

const isNative = (fn: unknown) => typeof fn === 'function' && /\{\s*\[native code\]\s*\}/.test(Function.prototype.toString.call(fn));

describe('pdf.js loading', () => {
  it('puts back the natives its polyfills replaced and keeps the ones Node lacks', () => {
    assert.ok(restoredBuiltins.includes('push'), `restored: ${restoredBuiltins.join(', ')}`);
    assert.ok(isNative(Array.prototype.push), 'Array.prototype.push is native');
    assert.ok(isNative(JSON.parse), 'JSON.parse is native');
    // Added, not replaced: pdf.js needs it on Node 20.
    assert.equal(typeof (Promise as unknown as { withResolvers?: unknown }).withResolvers, 'function');
  });

  it('still reads a PDF, through the worker handed to it', async () => {
    assert.ok((globalThis as { pdfjsWorker?: { WorkerMessageHandler?: unknown } }).pdfjsWorker?.WorkerMessageHandler);
    const doc = await openPdf(new Uint8Array((await twoColumnPdf()).bytes), { maxPages: 10 });
    try {
      const page = await extractPage(doc, 1, textOnlyPageSettings);
      assert.match(page.paragraphs.map((p) => p.text).join(' '), /Sentence 1\b/);
    } finally {
      await doc.destroy();
    }
  });
});
