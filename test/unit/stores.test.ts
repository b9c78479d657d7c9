import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { BlobStore, sha256Hex } from '../../lib/store/blobs.ts';
import { MetadataStore } from '../../lib/store/metadata.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-unit-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('blob store', () => {
  it('keys blobs by sha256 and stores the same bytes once', () => {
    const blobs = new BlobStore(path.join(dir, 'blobs'));
    const bytes = new TextEncoder().encode('hello');
    const key = blobs.put(bytes);
    assert.equal(key, sha256Hex(bytes));
    assert.equal(blobs.put(bytes), key);
    assert.deepEqual(new Uint8Array(blobs.get(key)), bytes);
    assert.throws(() => blobs.pathOf('../../etc/passwd'), /not a blob key/);
  });
});

describe('metadata store (real SQLite file)', () => {
  const file = path.join(dir, 'meta.sqlite');

  it('inserts a document once and reports its pages', () => {
    const store = new MetadataStore(file);
    assert.equal(store.insertDocument({ id: 'a'.repeat(64), filename: 'x.pdf', bytes: 10 }), true);
    assert.equal(store.insertDocument({ id: 'a'.repeat(64), filename: 'x.pdf', bytes: 10 }), false);
    assert.equal(store.getDocument('a'.repeat(64))?.status, 'queued');
    store.close();
  });

  it('upserts pages so a retried page replaces, never duplicates, its paragraphs', () => {
    const store = new MetadataStore(file);
    const docId = 'a'.repeat(64);
    const page = (text: string) => ({
      page: 2,
      width: 612,
      height: 792,
      thumbnailKey: null,
      error: null,
      paragraphs: [{ page: 2, index: 0, bbox: [1, 2, 3, 4] as [number, number, number, number], text }],
    });
    store.savePage(docId, page('first try'));
    store.savePage(docId, page('second try'));
    assert.deepEqual(store.storedPages(docId), [2]);
    assert.deepEqual(
      store.paragraphs(docId).map((p) => p.text),
      ['second try'],
    );
    assert.equal(store.getDocument(docId)?.pagesDone, 1);
    store.logExtractionStart(docId, 2);
    store.logExtractionStart(docId, 2);
    assert.equal(store.extractionCounts(docId).get(2), 2);
    store.close();
  });
});
