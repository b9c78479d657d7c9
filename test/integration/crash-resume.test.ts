/**
 * Crash and resume: SIGKILL the worker while it ingests the 1158-page Octave manual, start a
 * fresh worker, and check that the document still becomes ready, that every page is stored
 * exactly once, and that no page stored before the kill was extracted again.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteMetadataStore } from '../../lib/store/metadata.ts';
import { corpus, startStack, type TestStack, uploadPdf, waitForDocument } from '../helpers/stack.ts';

const OCTAVE = path.join(corpus, 'qa', 'pdfs', 'octave.pdf');
const PAGES = 1158;

describe('crash and resume (octave.pdf)', () => {
  let stack: TestStack;

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.stop();
  });

  it('finishes after the worker is SIGKILLed mid-way, without re-extracting stored pages', async (t) => {
    const { status, body } = await uploadPdf(stack.api.url, fs.readFileSync(OCTAVE));
    assert.equal(status, 202);
    const docId = body.id;

    const midway = await waitForDocument(stack.api.url, docId, 300_000, (doc) => doc.pages.done >= 150 || doc.status !== 'ingesting' && doc.status !== 'queued');
    assert.equal(midway.status, 'ingesting', `expected to catch ingestion mid-way, found ${midway.status}`);

    const killed = new Promise((resolve) => stack.worker.once('exit', resolve));
    stack.worker.kill('SIGKILL');
    await killed;

    const store = new SqliteMetadataStore(path.join(stack.config.dataDir, 'folio.sqlite'));
    try {
      const storedBeforeKill = await store.storedPages(docId);
      assert.ok(storedBeforeKill.length >= 150 && storedBeforeKill.length < PAGES, `stored before kill: ${storedBeforeKill.length}`);

      await stack.startWorker();
      const done = await waitForDocument(stack.api.url, docId, 600_000);
      assert.equal(done.status, 'ready', done.failureReason ?? '');
      assert.deepEqual(done.pages, { done: PAGES, total: PAGES, withErrors: 0 });

      const stored = await store.storedPages(docId);
      assert.deepEqual(stored, Array.from({ length: PAGES }, (_, i) => i + 1), 'every page stored exactly once');
      const pageRows = store.db.prepare('SELECT COUNT(*) AS n FROM pages WHERE doc_id = ?').get(docId) as { n: number };
      assert.equal(pageRows.n, PAGES);
      const withoutThumbnail = store.db
        .prepare('SELECT COUNT(*) AS n FROM pages WHERE doc_id = ? AND thumbnail_key IS NULL')
        .get(docId) as { n: number };
      assert.equal(withoutThumbnail.n, 0);

      const counts = await store.extractionCounts(docId);
      const reExtractedStored = storedBeforeKill.filter((page) => (counts.get(page) ?? 0) !== 1);
      assert.deepEqual(reExtractedStored, [], 'pages stored before the kill were extracted again');
      for (let page = 1; page <= PAGES; page++) assert.ok((counts.get(page) ?? 0) >= 1, `page ${page} never extracted`);
      const extractedTwice = [...counts.values()].filter((n) => n > 1).length;
      t.diagnostic(`stored before kill: ${storedBeforeKill.length}; pages extracted more than once (in flight at the kill): ${extractedTwice}`);
      // Only pages in flight at the moment of the kill may be extracted twice: at most one per running batch.
      assert.ok(extractedTwice <= stack.config.ingest.batchParallelism, `extracted twice: ${extractedTwice}`);
    } finally {
      await store.close();
    }
  });
});
