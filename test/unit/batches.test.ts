/**
 * Batches without Temporal (the batch store's own tests are in stores.test.ts): the batch routes' validation
 * and start with a stand-in client that records the workflows it was asked to start, the CLI's
 * file collection and its progress, finished-document and summary lines.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { appSettingsOf, createApp } from '../../api/app.ts';
import { resumeQueued } from '../../api/ingestion.ts';
import { batchIsClosed } from '../../api/views.ts';
import { collectPdfs, finishedLine, formatDuration, progressLine, summaryTable } from '../../bin/ingest-many.ts';
import { loadConfig } from '../../lib/config.ts';
import { DocumentIndexCache } from '../../lib/retrieval/document-index.ts';
import { openStores } from '../../lib/store/open.ts';
import type { BatchInput } from '../../workflows/batch.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-batches-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const id = (c: string) => c.repeat(64);

describe('batch routes', () => {
  function appWith() {
    const config = loadConfig({ FOLIO_DATA_DIR: path.join(dir, 'api'), FOLIO_BATCH_WINDOW: '3', FOLIO_BATCH_CONTINUE_AFTER: '7' });
    const stores = openStores(config.dataDir);
    const started: { name: string; workflowId: string; args: unknown[] }[] = [];
    const client = {
      workflow: {
        start: async (name: string, options: { workflowId: string; args: unknown[] }) => {
          started.push({ name, workflowId: options.workflowId, args: options.args });
        },
      },
    } as unknown as Client;
    const app = createApp({ ...appSettingsOf(config), client, indexes: new DocumentIndexCache(stores.store, stores.blobs), ...stores });
    return { app, started, stores };
  }
  const pdf = (text: string) => new TextEncoder().encode(`%PDF-1.7\n${text}\n%%EOF`);

  it('rejects a bad batch: not JSON, no ids, unknown ids, a bad window, a non-PDF part', async () => {
    const { app, started } = appWith();
    const post = (body: string | FormData, type?: string) => app.request('/v1/batches', { method: 'POST', body, headers: type ? { 'content-type': type } : {} });
    assert.equal((await post('{', 'application/json')).status, 400);
    assert.equal((await post(JSON.stringify({ documents: [] }), 'application/json')).status, 400);
    assert.equal((await post(JSON.stringify({ documents: ['nope'] }), 'application/json')).status, 400);
    const unknown = await post(JSON.stringify({ documents: [id('9')] }), 'application/json');
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, 'document_not_found');
    const form = new FormData();
    form.append('file', new Blob([pdf('one')]), 'one.pdf');
    form.append('file', new Blob([new TextEncoder().encode('<html>')]), 'page.html');
    const notPdf = await post(form);
    assert.equal(notPdf.status, 415);
    assert.match(((await notPdf.json()) as { error: { message: string } }).error.message, /page\.html/);
    const badWindow = new FormData();
    badWindow.append('file', new Blob([pdf('one')]), 'one.pdf');
    badWindow.set('window', '0');
    assert.equal((await post(badWindow)).status, 400);
    assert.equal(started.length, 0, 'nothing started for a rejected request');
    assert.equal((await app.request('/v1/batches/batch-nope')).status, 404);
    assert.equal((await app.request('/v1/batches/batch-nope/cancel', { method: 'POST' })).status, 404);
  });

  it('stores the files of a multipart batch without starting them alone, and starts one batch workflow', async () => {
    const { app, started, stores } = appWith();
    const form = new FormData();
    form.append('file', new Blob([pdf('one')]), 'one.pdf');
    form.append('file', new Blob([pdf('two')]), 'two.pdf');
    form.append('file', new Blob([pdf('one')]), 'again.pdf');
    const response = await app.request('/v1/batches', { method: 'POST', body: form });
    assert.equal(response.status, 202);
    const created = (await response.json()) as { id: string; total: number; documents: { id: string; created: boolean }[] };
    assert.equal(created.total, 2, 'the same bytes twice are one document');
    assert.equal(started.length, 1);
    assert.equal(started[0].name, 'ingestBatch');
    assert.equal(started[0].workflowId, created.id);
    const input = started[0].args[0] as BatchInput;
    assert.deepEqual([input.total, input.window, input.continueAsNewAfter, input.searchAttributes], [2, 3, 7, true]);
    assert.equal((await stores.store.getDocument(created.documents[0].id))?.status, 'stored', 'the batch ingests it; a restarted API leaves it alone');

    // Deferred single uploads (the CLI's way), then a JSON batch over them.
    const deferred = await app.request('/v1/documents?ingest=false&filename=three.pdf', { method: 'POST', body: pdf('three') });
    assert.equal(deferred.status, 202);
    assert.equal(started.length, 1, '?ingest=false starts nothing');
    const three = ((await deferred.json()) as { id: string }).id;
    const json = await app.request('/v1/batches', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ documents: [three, created.documents[1].id], window: 5 }),
    });
    assert.equal(json.status, 202);
    assert.equal((started[1].args[0] as BatchInput).window, 5);
  });

  it('a restarted API resumes the queued uploads, not the stored ones a batch will ingest', async () => {
    const { app, started, stores } = appWith();
    const deferred = (await (await app.request('/v1/documents?ingest=false&filename=later.pdf', { method: 'POST', body: pdf('later') })).json()) as { id: string; status: string };
    assert.equal(deferred.status, 'stored');
    const form = new FormData();
    form.append('file', new Blob([pdf('in a batch')]), 'batch.pdf');
    assert.equal((await app.request('/v1/batches', { method: 'POST', body: form })).status, 202);
    // An upload accepted for ingestion whose workflow never started (the API died in between).
    await stores.store.insertDocument({ id: id('q'), filename: 'lost.pdf', bytes: 10 });
    const before = started.length;
    const client = { workflow: { start: async (name: string, options: { workflowId: string; args: unknown[] }) => started.push({ name, workflowId: options.workflowId, args: options.args }) } } as unknown as Client;
    const config = loadConfig({ FOLIO_DATA_DIR: path.join(dir, 'api') });
    assert.equal(await resumeQueued(client, appSettingsOf(config).ingestion, stores.store), 1);
    assert.deepEqual(started.slice(before).map((s) => (s.args[0] as { docId: string }).docId), [id('q')]);

    // The stored PDF uploaded again without ingest=false: queued, then started.
    const again = await app.request('/v1/documents?filename=later.pdf', { method: 'POST', body: pdf('later') });
    assert.equal(again.status, 200);
    assert.equal((started[started.length - 1].args[0] as { docId: string }).docId, deferred.id);
    assert.equal((await stores.store.getDocument(deferred.id))?.status, 'queued');
  });
});

describe('folio ingest over folders', () => {
  it('collects PDFs under folders recursively, sorted, each once; a named file whatever its name', async () => {
    const root = path.join(dir, 'tree');
    fs.mkdirSync(path.join(root, 'b', 'c'), { recursive: true });
    for (const file of ['z.pdf', 'b/a.PDF', 'b/c/d.pdf', 'b/notes.txt', 'named.bin']) fs.writeFileSync(path.join(root, file), 'x');
    const found = collectPdfs([root, path.join(root, 'b'), path.join(root, 'named.bin')]).map((file) => path.relative(root, file));
    assert.deepEqual(found, ['b/a.PDF', 'b/c/d.pdf', 'named.bin', 'z.pdf'].sort());
    assert.throws(() => collectPdfs([path.join(root, 'missing')]), /No such file or folder/);
  });

  it('draws progress with documents, pages, rate and ETA; lines per document; a summary table', async () => {
    const counts = { total: 10, queued: 5, running: 2, ready: 2, failed: 1, cancelled: 0, alreadyReady: 0 };
    const line = progressLine({ counts, pages: { done: 120, total: 300 } }, 30, 10);
    assert.equal(line, '[###-------] 3/10 documents (2 running, 1 failed), 120/300 pages, 4.0 pages/s, ETA 1m10s');
    assert.match(progressLine({ counts: { ...counts, ready: 9, queued: 0, running: 0 }, pages: { done: 1, total: 1 } }, 5), /ETA 0s/);
    assert.equal(formatDuration(7300), '2h01m');
    assert.equal(formatDuration(Number.NaN), '?');
    const ready = { id: id('a'), filename: 'a.pdf', outcome: 'ready' as const, reason: null, alreadyReady: false, status: 'ready' as const, pages: { done: 4, total: 4 } };
    const failed = { ...ready, id: id('b'), outcome: 'failed' as const, reason: 'The PDF is damaged.', status: 'failed' as const, pages: { done: 0, total: null } };
    assert.equal(finishedLine(ready, 'a.pdf'), 'ready      a.pdf (4 pages)');
    assert.equal(finishedLine(failed, 'b.pdf'), 'failed     b.pdf: The PDF is damaged.');
    const table = summaryTable([ready, { ...ready, id: id('c'), alreadyReady: true }, failed], (docId) => `${docId[0]}.pdf`);
    assert.deepEqual(table.split('\n'), [
      'outcome  pages  file   reason',
      '-------  -----  -----  -------------------',
      'ready        4  a.pdf',
      'ready        4  c.pdf  already ready',
      'failed       0  b.pdf  The PDF is damaged.',
      '',
      '3 documents: 2 ready, 1 failed, 0 cancelled',
    ]);
    assert.equal(batchIsClosed('unreachable'), false);
    assert.equal(batchIsClosed('cancelled'), true);
  });
});
