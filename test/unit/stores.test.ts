/**
 * The storage suite: the same tests against each pair of stores, SQLite + a blob folder (the
 * embedded default) and PostgreSQL + S3 (a real server started from the distribution's
 * packages, and s3rver in this process). The PostgreSQL pair is skipped, with the reason, only
 * where the PostgreSQL server binaries are not installed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { buildDocumentIndex, DocumentIndexCache } from '../../lib/retrieval/document-index.ts';
import { BlobCache } from '../../lib/store/blob-cache.ts';
import { FolderBlobStore, sha256Hex } from '../../lib/store/blobs.ts';
import { openStorage, openStores, type Stores } from '../../lib/store/open.ts';
import { migrate } from '../../lib/store/pg-migrations.ts';
import { S3BlobStore, s3ClientOf } from '../../lib/store/s3-blobs.ts';
import { postgresBinDir, startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { startS3, type TestS3 } from '../helpers/s3.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-stores-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const id = (c: string) => c.repeat(64);
const box = [1, 2, 3, 4] as [number, number, number, number];
const page = (n: number, texts: string[] = []) => ({
  page: n,
  width: 612,
  height: 792,
  thumbnailKey: null,
  error: null,
  paragraphs: texts.map((text, index) => ({ page: n, index, bbox: box, text })),
});

interface Backend {
  name: string;
  skip: string | false;
  open(): Promise<Stores & { close(): Promise<void> }>;
  /** Stores as another machine opens them: same database and bucket, its own empty local folder. */
  openElsewhere(): Promise<Stores & { close(): Promise<void> }>;
  stop(): Promise<void>;
}

function sqliteBackend(): Backend {
  const root = path.join(dir, 'sqlite');
  const open = async () => {
    const stores = openStores(root);
    return { ...stores, close: () => stores.store.close() };
  };
  return { name: 'SQLite + folder', skip: false, open, openElsewhere: open, async stop() {} };
}

function postgresS3Backend(): Backend {
  let server: TestPostgres | null = null;
  let s3: TestS3 | null = null;
  let machines = 0;
  const bin = postgresBinDir();
  const open = async () => {
    if (!server || !s3) {
      server = await startPostgres();
      s3 = await startS3();
    }
    machines++;
    return openStorage({
      dataDir: path.join(dir, `machine-${machines}`),
      databaseUrl: server.url,
      databasePoolSize: 4,
      blobs: { bucket: s3.bucket, prefix: 'folio/' },
      blobCacheBytes: 1024 * 1024,
      s3: s3.settings,
    });
  };
  return {
    name: 'PostgreSQL + S3',
    skip: bin ? false : 'PostgreSQL server binaries are not installed (apt-get install postgresql)',
    open,
    openElsewhere: open,
    async stop() {
      await s3?.stop();
      await server?.stop();
    },
  };
}

for (const backend of [sqliteBackend(), postgresS3Backend()]) {
  describe(`storage: ${backend.name}`, { skip: backend.skip }, () => {
    let stores: Stores & { close(): Promise<void> };
    before(async () => {
      stores = await backend.open();
    });
    after(async () => {
      await stores?.close();
      await backend.stop();
    });

    it('keys blobs by sha256, stores the same bytes once, and refuses what is not a key', async () => {
      const { blobs } = stores;
      const bytes = new TextEncoder().encode(`hello from ${backend.name}`);
      const key = await blobs.put(bytes);
      assert.equal(key, sha256Hex(bytes));
      assert.equal(await blobs.put(bytes), key);
      assert.deepEqual(new Uint8Array(await blobs.get(key)), bytes);
      assert.equal(await blobs.has(key), true);
      assert.deepEqual(new Uint8Array(fs.readFileSync(await blobs.localPath(key))), bytes);
      const absent = sha256Hex(new TextEncoder().encode('never stored'));
      assert.equal(await blobs.has(absent), false);
      await assert.rejects(blobs.get(absent));
      await assert.rejects(blobs.get('../../etc/passwd'), /not a blob key/);
    });

    it('serves blobs to a process with its own empty folder when the blobs are shared, a large one in parts', async () => {
      const large = new Uint8Array(17 * 1024 * 1024);
      for (let i = 0; i < large.length; i += 4096) large[i] = (i / 4096) % 251;
      const key = await stores.blobs.put(large);
      const other = await backend.openElsewhere();
      try {
        const back = await other.blobs.get(key);
        assert.equal(back.length, large.length);
        assert.equal(sha256Hex(back), key);
        assert.equal(await other.blobs.has(key), true);
      } finally {
        await other.close();
      }
    });

    it('inserts a document once and lists documents by status', async () => {
      const { store } = stores;
      assert.equal(await store.insertDocument({ id: id('a'), filename: 'x.pdf', bytes: 10 }), true);
      assert.equal(await store.insertDocument({ id: id('a'), filename: 'x.pdf', bytes: 10 }), false);
      const doc = await store.getDocument(id('a'));
      assert.equal(doc?.status, 'queued');
      assert.equal(doc?.bytes, 10);
      assert.equal(await store.getDocument(id('9')), undefined);
      await store.insertDocument({ id: id('e'), filename: null, bytes: 3 });
      await store.setStatus(id('e'), 'failed', 'damaged');
      assert.deepEqual(await store.documentsWithStatus('queued'), [id('a')]);
      assert.equal((await store.getDocument(id('e')))?.failureReason, 'damaged');
      assert.deepEqual(new Set((await store.listDocuments()).map((d) => d.id)), new Set([id('a'), id('e')]));
      await store.setInspection(id('a'), { pageCount: 4, title: 'A title' });
      assert.deepEqual([(await store.getDocument(id('a')))?.pageCount, (await store.getDocument(id('a')))?.title], [4, 'A title']);
    });

    it('upserts pages so a retried page replaces, never duplicates, its paragraphs', async () => {
      const { store } = stores;
      const docId = id('a');
      await store.savePage(docId, page(2, ['first try', 'and more']));
      await store.savePage(docId, page(2, ['second try']));
      assert.deepEqual(await store.storedPages(docId), [2]);
      assert.deepEqual(
        (await store.paragraphs(docId)).map((p) => p.text),
        ['second try'],
      );
      assert.equal((await store.getDocument(docId))?.pagesDone, 1);
      assert.equal((await store.getPage(docId, 2))?.paragraphCount, 1);
      await store.logExtractionStart(docId, 2);
      await store.logExtractionStart(docId, 2);
      assert.equal((await store.extractionCounts(docId)).get(2), 2);
    });

    it('keeps one copy of a page that two workers save at the same moment', async () => {
      const { store } = stores;
      const docId = id('a');
      const attempts = Array.from({ length: 6 }, (_, i) => page(3, Array.from({ length: 20 + i }, (_, k) => `attempt ${i} unit ${k}`)));
      await Promise.all(attempts.map((p) => store.savePage(docId, p)));
      const units = await store.pageParagraphs(docId, 3);
      const attempt = units[0].text.split(' ')[1];
      assert.ok(units.every((u) => u.text.startsWith(`attempt ${attempt} `)), 'the page holds one attempt, not a mix');
      assert.equal(units.length, 20 + Number(attempt));
      assert.equal((await store.getPage(docId, 3))?.paragraphCount, units.length);
      assert.deepEqual(await store.storedPages(docId), [2, 3]);
    });

    it('keeps page details, visual tokens, tables, figures and the structure pass', async () => {
      const { store, blobs } = stores;
      const docId = id('b');
      await store.insertDocument({ id: docId, filename: 'b.pdf', bytes: 1 });
      const thumbnailKey = await blobs.put(new TextEncoder().encode('png'));
      const table = { title: 'Income', columns: [], rows: [] } as never;
      await store.savePage(docId, {
        ...page(1),
        thumbnailKey,
        ocr: true,
        crops: { plan: { tiles: [] } as never, keys: [thumbnailKey] },
        error: 'thumbnail: too big',
        paragraphs: [
          { page: 1, index: 0, bbox: box, text: 'Running header' },
          { page: 1, index: 1, bbox: box, text: 'Revenue 10', kind: 'table', cells: [['Revenue', '10']], table },
          { page: 1, index: 2, bbox: box, text: 'A chart', kind: 'figure', imageKey: thumbnailKey, bold: true, size: 9.5, lines: 2 },
        ],
      });
      const stored = await store.getPage(docId, 1);
      assert.deepEqual([stored?.thumbnailKey, stored?.ocr, stored?.crops?.keys, stored?.error], [thumbnailKey, true, [thumbnailKey], 'thumbnail: too big']);
      assert.equal((await store.getDocument(docId))?.pagesWithErrors, 1);
      assert.deepEqual(await store.pageGeometry(docId), [{ page: 1, height: 792 }]);
      await store.setVisualTokens(docId, 1, thumbnailKey, { encoder: 'e', retention: 0.5 });
      assert.deepEqual(await store.visualTokens(docId, 1), { key: thumbnailKey, ledger: { encoder: 'e', retention: 0.5 } });
      assert.equal(await store.visualTokens(docId, 9), undefined);
      assert.deepEqual(
        (await store.tables(docId)).map((t) => [t.index, t.cells, t.table]),
        [[1, [['Revenue', '10']], table]],
      );
      const figure = await store.figure(docId, 1, 2);
      assert.deepEqual([figure?.imageKey, figure?.bold, figure?.size, figure?.lines], [thumbnailKey, true, 9.5, 2]);
      assert.equal(await store.figure(docId, 1, 1), undefined, 'a table is not a figure');
      const units = await store.paragraphs(docId);
      await store.setStructure(docId, units, [
        { kind: 'header', level: null, section: [], caption: null, references: [] },
        { kind: 'table', level: null, section: ['Results'], caption: 'Table 1', references: [] },
        { kind: 'figure', level: null, section: ['Results'], caption: 'Figure 1', references: ['p1-1'] },
      ]);
      const content = await store.paragraphs(docId, { content: true });
      assert.deepEqual(
        content.map((u) => [u.index, u.section, u.caption, u.references]),
        [
          [1, ['Results'], 'Table 1', []],
          [2, ['Results'], 'Figure 1', ['p1-1']],
        ],
      );
    });

    it('serves a re-indexed document from its new index', async () => {
      const { store, blobs } = stores;
      const docId = id('c');
      await store.insertDocument({ id: docId, filename: 'c.pdf', bytes: 1 });
      await store.savePage(docId, page(1, ['Net revenue grew to 12 million dollars in the year.']));
      const first = await buildDocumentIndex(store, blobs, docId);
      const cache = new DocumentIndexCache(store, blobs);
      assert.equal((await cache.get(docId))?.units.length, 1);
      await store.savePage(docId, page(2, ['Operating costs fell.', 'Headcount rose to 40.']));
      const second = await buildDocumentIndex(store, blobs, docId);
      assert.notEqual(second.key, first.key);
      assert.equal(await store.indexKeyOf(docId), second.key);
      assert.equal((await cache.get(docId))?.units.length, 3, 'the cached index is replaced once the index key changes');
      const elsewhere = await backend.openElsewhere();
      try {
        assert.equal((await new DocumentIndexCache(elsewhere.store, elsewhere.blobs).get(docId))?.units.length, 3);
      } finally {
        await elsewhere.close();
      }
    });

    it('keeps a batch in order, each document once, and reads it a slice at a time with current statuses', async () => {
      const { store, batches } = stores;
      for (const c of ['1', '2', '3']) await store.insertDocument({ id: id(c), filename: `${c}.pdf`, bytes: 1 });
      await store.setStatus(id('2'), 'ready');
      assert.equal(await batches.createBatch('batch-1', [id('1'), id('2'), id('1'), id('3')]), 3);
      assert.equal((await batches.getBatch('batch-1'))?.total, 3);
      assert.equal(await batches.getBatch('batch-none'), undefined);
      assert.deepEqual(
        (await batches.slice('batch-1', 0, 2)).map((item) => [item.position, item.docId, item.filename, item.status]),
        [
          [0, id('1'), '1.pdf', 'queued'],
          [1, id('2'), '2.pdf', 'ready'],
        ],
      );
      assert.deepEqual(
        (await batches.slice('batch-1', 2, 10)).map((item) => item.docId),
        [id('3')],
      );
      assert.deepEqual(await batches.slice('batch-1', 3, 10), []);
    });

    it('records outcomes, counts them, sums pages, and cancels only what is left', async () => {
      const { store, batches } = stores;
      await store.setInspection(id('1'), { pageCount: 3, title: null });
      await store.savePage(id('1'), page(1));
      await store.savePage(id('1'), page(2));
      await store.setStatus(id('1'), 'ingesting');
      assert.deepEqual(await batches.pages('batch-1'), { done: 2, total: 3 });
      assert.deepEqual(await batches.counts('batch-1'), { queued: 2, running: 1, ready: 0, failed: 0, cancelled: 0, alreadyReady: 0 });

      await batches.recordOutcomes('batch-1', [{ docId: id('2'), outcome: 'ready', reason: null, alreadyReady: true }]);
      assert.equal(await batches.cancelRemaining('batch-1', 0, 'stopped'), 2);
      assert.equal(await batches.cancelRemaining('batch-1', 0, 'stopped'), 0, 'a settled document is not cancelled again');
      assert.deepEqual(await batches.counts('batch-1'), { queued: 0, running: 0, ready: 1, failed: 0, cancelled: 2, alreadyReady: 1 });
      assert.deepEqual(
        (await batches.documents('batch-1')).map((doc) => [doc.docId, doc.outcome, doc.reason, doc.alreadyReady, doc.pagesDone, doc.pageCount]),
        [
          [id('1'), 'cancelled', 'stopped', false, 2, 3],
          [id('2'), 'ready', null, true, 0, null],
          [id('3'), 'cancelled', 'stopped', false, 0, null],
        ],
      );
      assert.deepEqual(
        (await batches.listBatches()).map((b) => b.id),
        ['batch-1'],
      );
    });
  });
}

describe('blob folder', () => {
  it('names no path outside itself', () => {
    const blobs = new FolderBlobStore(path.join(dir, 'folder'));
    assert.throws(() => blobs.pathOf('../../etc/passwd'), /not a blob key/);
  });
});

describe('blob cache', () => {
  const blob = (n: number) => {
    const bytes = new Uint8Array(10).fill(n);
    return { key: sha256Hex(bytes), bytes };
  };

  it('drops the least recently used blobs past its limit, and keeps what a restart finds', () => {
    const root = path.join(dir, 'cache');
    const cache = new BlobCache(root, 25);
    const [a, b, c] = [blob(1), blob(2), blob(3)];
    cache.write(a.key, a.bytes);
    cache.write(b.key, b.bytes);
    assert.ok(cache.read(a.key), 'a is used, so b is now the oldest');
    cache.write(c.key, c.bytes);
    assert.equal(cache.pathOf(b.key), null);
    assert.ok(cache.pathOf(a.key));
    assert.ok(cache.pathOf(c.key));
    assert.equal(cache.bytes, 20);
    assert.equal(fs.existsSync(path.join(root, b.key)), false, 'the evicted file is gone from disk');
    const again = new BlobCache(root, 25);
    assert.equal(again.bytes, 20);
    assert.deepEqual(again.read(c.key), Buffer.from(c.bytes));
  });

  it('keeps the newest blob even when it alone passes the limit, and treats a vanished file as a miss', () => {
    const cache = new BlobCache(path.join(dir, 'small-cache'), 5);
    const a = blob(4);
    const file = cache.write(a.key, a.bytes);
    assert.ok(fs.existsSync(file));
    fs.rmSync(file);
    assert.equal(cache.read(a.key), null);
    assert.equal(cache.bytes, 0);
  });
});

describe('PostgreSQL migrations', { skip: postgresBinDir() ? false : 'PostgreSQL server binaries are not installed' }, () => {
  it('apply once, in order, and are recorded', async () => {
    const server = await startPostgres();
    const pool = new pg.Pool({ connectionString: server.url, max: 2 });
    try {
      assert.deepEqual(await migrate(pool), [1]);
      assert.deepEqual(await migrate(pool), [], 'a second start applies nothing');
      const { rows } = await pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(
        rows.map((r) => r.version),
        [1],
      );
      await assert.rejects(migrate(pool, [{ version: 2, name: 'broken', sql: 'CREATE TABLE documents (id TEXT)' }]), /migration 2 \(broken\) failed/);
      const after = await pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      assert.equal(after.rows.length, 1, 'a failed migration is not recorded');
    } finally {
      await pool.end();
      await server.stop();
    }
  });
});

describe('S3 blob store', () => {
  it('reports a missing bucket with the blob it was storing', async () => {
    const s3 = await startS3();
    const client = s3ClientOf(s3.settings);
    try {
      const blobs = new S3BlobStore(client, { bucket: 'no-such-bucket', prefix: '' }, new BlobCache(path.join(dir, 'nb-cache'), 1000));
      await assert.rejects(blobs.put(new Uint8Array([1, 2, 3])), /cannot store blob s3:\/\/no-such-bucket\//);
    } finally {
      client.destroy();
      await s3.stop();
    }
  });
});
