/**
 * API validation and auth with real stores and a stand-in Temporal client that records the
 * workflows it was asked to start (a unit test: the integration tests use a real server).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { appSettingsOf, createApp } from '../../api/app.ts';
import { ApiError } from '../../api/errors.ts';
import { findDocument, findPage } from '../../api/lookup.ts';
import { looksLikePdf } from '../../api/routes/documents.ts';
import { loadConfig } from '../../lib/config.ts';
import { DocumentIndexCache } from '../../lib/retrieval/document-index.ts';
import { openStores } from '../../lib/store/open.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-api-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function appWith(env: Record<string, string>) {
  const config = loadConfig({ FOLIO_DATA_DIR: dir, ...env });
  const stores = openStores(config.dataDir);
  const started: { workflowId: string; args: unknown[] }[] = [];
  const client = {
    workflow: {
      start: async (_name: string, options: { workflowId: string; args: unknown[] }) => {
        started.push({ workflowId: options.workflowId, args: options.args });
      },
    },
  } as unknown as Client;
  const app = createApp({ ...appSettingsOf(config), client, indexes: new DocumentIndexCache(stores.store, stores.blobs), ...stores });
  return { app, started, stores };
}

const pdfBytes = new TextEncoder().encode('%PDF-1.7\nnot really parsed here\n%%EOF');

describe('api', () => {
  it('requires a bearer key on /v1 when keys are configured', async () => {
    const { app } = appWith({ FOLIO_API_KEYS: 'k1, k2' });
    const anonymous = await app.request('/v1/documents');
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'unauthorized');
    const wrong = await app.request('/v1/documents', { headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    const right = await app.request('/v1/documents', { headers: { authorization: 'Bearer k2' } });
    assert.equal(right.status, 200);
    const health = await app.request('/healthz');
    assert.equal(health.status, 200);
  });

  it('stores an upload, starts one workflow per document, and is idempotent', async () => {
    const { app, started, stores } = appWith({});
    const first = await app.request('/v1/documents?filename=a.pdf', { method: 'POST', body: pdfBytes });
    assert.equal(first.status, 202);
    const { id } = (await first.json()) as { id: string };
    assert.ok(await stores.blobs.has(id));
    assert.equal((await stores.store.getDocument(id))?.filename, 'a.pdf');
    assert.deepEqual(
      started.map((s) => s.workflowId),
      [`ingest-${id}`],
    );
    await stores.store.setStatus(id, 'ingesting');
    const second = await app.request('/v1/documents', { method: 'POST', body: pdfBytes });
    assert.equal(second.status, 200);
    assert.equal(started.length, 1);
  });

  it('accepts multipart uploads with a "file" part', async () => {
    const { app, started } = appWith({});
    const form = new FormData();
    form.set('file', new Blob([new TextEncoder().encode('%PDF-1.4 other bytes')]), 'paper.pdf');
    const response = await app.request('/v1/documents', { method: 'POST', body: form });
    assert.equal(response.status, 202);
    assert.equal(started.length, 1);
  });

  it('answers 409 for a document that is not ready yet', async () => {
    const { app } = appWith({});
    const upload = await app.request('/v1/documents', { method: 'POST', body: new TextEncoder().encode('%PDF-1.4 third') });
    const { id } = (await upload.json()) as { id: string };
    const ask = await app.request(`/v1/documents/${id}/answers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ question: 'what?' }),
    });
    assert.equal(ask.status, 409);
    const bad = await app.request(`/v1/documents/${id}/answers`, { method: 'POST', body: 'not json' });
    assert.equal(bad.status, 400);
  });

  it('recognises PDFs by their header', () => {
    assert.equal(looksLikePdf(new TextEncoder().encode('junk\n%PDF-1.5')), true);
    assert.equal(looksLikePdf(new TextEncoder().encode('PK\u0003\u0004')), false);
    assert.equal(looksLikePdf(new TextEncoder().encode('%\u00e2\n1 0 obj\n<< /Type /Catalog >>\nendobj\n')), true, 'headerless but PDF syntax');
    assert.equal(looksLikePdf(new TextEncoder().encode('<html>1 0 obj</html>')), false);
  });

  it('looks pages up by whole numbers from 1, and answers a missing page by what the URL named', async () => {
    const { app, stores } = appWith({});
    const upload = await app.request('/v1/documents', { method: 'POST', body: new TextEncoder().encode('%PDF-1.4 pages') });
    const { id } = (await upload.json()) as { id: string };
    await stores.store.savePage(id, { page: 1, width: 612, height: 792, thumbnailKey: null, paragraphs: [], error: null, crops: null });
    const doc = await findDocument(stores.store, id);
    assert.equal((await findPage(stores.store, doc, '1')).page, 1);
    assert.equal((await findPage(stores.store, doc, '01')).page, 1);
    for (const n of ['0', '-1', '1.5', 'one', '2']) {
      await assert.rejects(findPage(stores.store, doc, n), (error: unknown) => error instanceof ApiError && error.status === 404 && error.code === 'page_not_found');
    }
    await assert.rejects(findDocument(stores.store, 'abc'), (error: unknown) => error instanceof ApiError && error.code === 'document_not_found');
    const code = async (url: string) => ((await (await app.request(url)).json()) as { error: { code: string } }).error.code;
    assert.equal(await code(`/v1/documents/${id}/pages/1.5`), 'invalid_request', 'a page number is a whole number');
    assert.equal(await code(`/v1/documents/${id}/pages/1/thumbnail.png`), 'thumbnail_missing');
    assert.equal(await code(`/v1/documents/${id}/pages/2/thumbnail.png`), 'page_not_found');
    assert.equal(await code(`/v1/documents/${id}/pages/2/crops/0.png`), 'crop_not_found', 'a crop URL names one image');
  });

  it('keeps the lower error as the cause of an ApiError', () => {
    const cause = new SyntaxError('Unexpected token');
    const error = new ApiError(400, 'invalid_json', 'The body must be JSON.', { cause });
    assert.equal(error.cause, cause);
    assert.equal(error.message, 'The body must be JSON.');
    assert.equal('cause' in new ApiError(404, 'x', 'y'), false, 'no cause property when none is given');
  });
});
