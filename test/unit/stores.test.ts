import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { FolderBlobStore, sha256Hex } from '../../lib/store/blobs.ts';
import { SqliteMetadataStore } from '../../lib/store/metadata.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-unit-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('blob store', () => {
  it('keys blobs by sha256 and stores the same bytes once', async () => {
    const blobs = new FolderBlobStore(path.join(dir, 'blobs'));
    const bytes = new TextEncoder().encode('hello');
    const key = await blobs.put(bytes);
    assert.equal(key, sha256Hex(bytes));
    assert.equal(await blobs.put(bytes), key);
    assert.deepEqual(new Uint8Array(await blobs.get(key)), bytes);
    assert.throws(() => blobs.pathOf('../../etc/passwd'), /not a blob key/);
  });
});

describe('metadata store (real SQLite file)', () => {
  const file = path.join(dir, 'meta.sqlite');

  it('inserts a document once and reports its pages', async () => {
    const store = new SqliteMetadataStore(file);
    assert.equal(await store.insertDocument({ id: 'a'.repeat(64), filename: 'x.pdf', bytes: 10 }), true);
    assert.equal(await store.insertDocument({ id: 'a'.repeat(64), filename: 'x.pdf', bytes: 10 }), false);
    assert.equal((await store.getDocument('a'.repeat(64)))?.status, 'queued');
    await store.close();
  });

  it('upserts pages so a retried page replaces, never duplicates, its paragraphs', async () => {
    const store = new SqliteMetadataStore(file);
    const docId = 'a'.repeat(64);
    const page = (text: string) => ({
      page: 2,
      width: 612,
      height: 792,
      thumbnailKey: null,
      error: null,
      paragraphs: [{ page: 2, index: 0, bbox: [1, 2, 3, 4] as [number, number, number, number], text }],
    });
    await store.savePage(docId, page('first try'));
    await store.savePage(docId, page('second try'));
    assert.deepEqual(await store.storedPages(docId), [2]);
    assert.deepEqual(
      (await store.paragraphs(docId)).map((p) => p.text),
      ['second try'],
    );
    assert.equal((await store.getDocument(docId))?.pagesDone, 1);
    await store.logExtractionStart(docId, 2);
    await store.logExtractionStart(docId, 2);
    assert.equal((await store.extractionCounts(docId)).get(2), 2);
    await store.close();
  });
});
