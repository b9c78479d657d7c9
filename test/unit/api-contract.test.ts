/**
 * The API's contract, on real stores in a temporary data directory: every /v1 operation in
 * /openapi.json needs the key when keys are set, and URLs that try to leave the data directory
 * or name pages no document has are refused with a 400 naming the field.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { appSettingsOf, createApp } from '../../api/app.ts';
import { ErrorSchema } from '../../api/schemas.ts';
import { loadConfig } from '../../lib/config.ts';
import { DocumentIndexCache } from '../../lib/retrieval/document-index.ts';
import { openStores } from '../../lib/store/open.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-contract-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function appWith(env: Record<string, string>) {
  const config = loadConfig({ FOLIO_DATA_DIR: dir, FOLIO_LOG_LEVEL: 'error', ...env });
  const stores = openStores(config.dataDir);
  return createApp({ ...appSettingsOf(config), client: {} as Client, indexes: new DocumentIndexCache(stores.store, stores.blobs), ...stores });
}

describe('api contract', () => {
  it('answers 401 without a key on every /v1 operation of /openapi.json', async () => {
    const app = appWith({ FOLIO_API_KEYS: 'k1' });
    const spec = (await (await app.request('/openapi.json')).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.equal(spec.openapi, '3.1.0');
    const operations = Object.entries(spec.paths).flatMap(([p, methods]) => (p.startsWith('/v1') ? Object.keys(methods).map((m) => [m, p] as const) : []));
    assert.ok(operations.length >= 15, `${operations.length} operations`);
    for (const [method, p] of operations) {
      const url = p.replace('{id}', 'a'.repeat(64)).replace('{n}', '1').replace('{k}', '0').replace('{figure}', '1-1').replace('{table}', '1-1');
      const response = await app.request(url, { method: method.toUpperCase() });
      assert.equal(response.status, 401, `${method} ${p}`);
      ErrorSchema.parse(await response.json());
    }
  });

  it('refuses traversal, absolute paths, NUL bytes and huge page numbers with a 400 naming the field', async () => {
    const app = appWith({});
    const cases: [string, string][] = [
      ['/v1/documents/..%2F..%2Fetc%2Fpasswd', 'id'],
      ['/v1/documents/%2Fetc%2Fpasswd', 'id'],
      ['/v1/documents/a%00b', 'id'],
      [`/v1/documents/${'a'.repeat(64)}/pages/99999999999999`, 'n'],
      [`/v1/documents/${'a'.repeat(64)}/tables/..%2F1`, 'table'],
    ];
    for (const [url, field] of cases) {
      const response = await app.request(url);
      assert.equal(response.status, 400, url);
      assert.equal(ErrorSchema.parse(await response.json()).error.field, field, url);
      assert.ok(response.headers.get('x-request-id'), 'every response has a request id');
    }
  });

  it('answers a malformed multipart body with 400, not 500', async () => {
    const app = appWith({});
    for (const [url, type] of [
      ['/v1/documents', 'multipart/form-data'],
      ['/v1/documents', 'multipart/form-data; boundary=b'],
      ['/v1/batches', 'multipart/form-data'],
    ]) {
      const response = await app.request(url, { method: 'POST', headers: { 'content-type': type }, body: '--b\r\n2039--b--\r\n' });
      assert.equal(response.status, 400, `${url} ${type}`);
      assert.equal(ErrorSchema.parse(await response.json()).error.code, 'invalid_request');
    }
  });

  it('publishes only OpenAPI 3.1 schemas: no tuple written as an array of items, nor with prefixItems (schemathesis rewrites it into one)', async () => {
    const spec = await (await appWith({}).request('/openapi.json')).json();
    const bad: string[] = [];
    const walk = (node: unknown, at: string) => {
      if (!node || typeof node !== 'object') return;
      if (!Array.isArray(node) && Array.isArray((node as { items?: unknown }).items)) bad.push(at);
      if (!Array.isArray(node) && 'prefixItems' in node) bad.push(`${at}/prefixItems`);
      for (const [key, value] of Object.entries(node)) walk(value, `${at}/${key}`);
    };
    walk(spec, '#');
    assert.deepEqual(bad, []);
  });

  it('limits requests per key with 429 and Retry-After', async () => {
    const app = appWith({ FOLIO_API_KEYS: 'k1', FOLIO_RATE_LIMIT: '2' });
    const auth = { authorization: 'Bearer k1' };
    assert.equal((await app.request('/v1/documents', { headers: auth })).status, 200);
    assert.equal((await app.request('/v1/documents', { headers: auth })).status, 200);
    const limited = await app.request('/v1/documents', { headers: auth });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal(ErrorSchema.parse(await limited.json()).error.code, 'rate_limited');
  });
});
