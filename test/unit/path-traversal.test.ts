/**
 * No URL reaches a file outside the data directory. Every operation of /openapi.json with a path
 * parameter gets, in each parameter in turn, traversal, absolute paths, NUL bytes, huge and
 * negative numbers and non-hex ids (the others valid, naming a stored document and page), and must
 * answer a 4xx in the error shape. Meanwhile every file path the process hands to node:fs is
 * recorded, and all of them must lie inside the data directory; a sentinel file sits where the
 * traversal points, outside it.
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

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-traversal-'));
const dataDir = path.join(root, 'data');
after(() => fs.rmSync(root, { recursive: true, force: true }));

// What "../../etc/passwd" from the data directory's blobs folder would reach.
const sentinel = path.join(root, 'etc', 'passwd');
fs.mkdirSync(path.dirname(sentinel), { recursive: true });
fs.writeFileSync(sentinel, 'sentinel: must never be read\n');

/** Records the path argument of every node:fs call that can open, read or probe a file. */
function spyOnFs(): { opened: string[]; restore(): void } {
  const opened: string[] = [];
  const record = (p: unknown) => {
    if (typeof p === 'string' || p instanceof URL || Buffer.isBuffer(p)) opened.push(path.resolve(p instanceof URL ? p.pathname : p.toString()));
  };
  const targets: [object, string[]][] = [
    [fs, ['openSync', 'open', 'readFileSync', 'readFile', 'existsSync', 'statSync', 'stat', 'lstatSync', 'accessSync', 'createReadStream', 'readdirSync', 'realpathSync']],
    [fs.promises, ['open', 'readFile', 'stat', 'lstat', 'access', 'readdir', 'realpath']],
  ];
  const originals: [Record<string, unknown>, string, unknown][] = [];
  for (const [target, names] of targets) {
    const object = target as Record<string, (...args: unknown[]) => unknown>;
    for (const name of names) {
      const original = object[name];
      originals.push([object, name, original]);
      object[name] = function (this: unknown, ...args: unknown[]) {
        record(args[0]);
        return original.apply(this, args);
      };
    }
  }
  return {
    opened,
    restore() {
      for (const [object, name, original] of originals) object[name] = original;
    },
  };
}

const BAD = ['..%2F..%2Fetc%2Fpasswd', '..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd', '%2E%2E', '%2Fetc%2Fpasswd', encodeURIComponent(sentinel), 'a%00b', '1%00', '99999999999999999999', '-1', '-1-1', 'zz', 'g'.repeat(64), 'A'.repeat(64)];

describe('path traversal', () => {
  it('answers a 4xx in the error shape to every bad path parameter and opens no file outside the data directory', async () => {
    const config = loadConfig({ FOLIO_DATA_DIR: dataDir, FOLIO_LOG_LEVEL: 'error' });
    const stores = openStores(config.dataDir);
    const docId = 'd'.repeat(64);
    await stores.store.insertDocument({ id: docId, filename: 'x.pdf', bytes: 1 });
    const thumbnailKey = await stores.blobs.put(new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
    await stores.store.savePage(docId, { page: 1, width: 612, height: 792, thumbnailKey, paragraphs: [], error: null, crops: null });
    const app = createApp({ ...appSettingsOf(config), client: {} as Client, indexes: new DocumentIndexCache(stores.store, stores.blobs), ...stores });
    const spec = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    const valid: Record<string, string> = { id: docId, n: '1', k: '0', figure: '1-0', table: '1-0' };

    const spy = spyOnFs();
    try {
      // The spy sees the blob store's reads: a valid thumbnail is read from inside the data dir.
      const thumbnail = await app.request(`/v1/documents/${docId}/pages/1/thumbnail.png`);
      assert.equal(thumbnail.status, 200);
      assert.ok(
        spy.opened.some((p) => p.startsWith(path.join(dataDir, 'blobs'))),
        `the spy records blob reads: ${spy.opened.join(', ')}`,
      );

      let sent = 0;
      for (const [template, methods] of Object.entries(spec.paths)) {
        const params = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
        for (const method of Object.keys(methods)) {
          for (const param of params) {
            for (const bad of BAD) {
              const url = template.replace(/\{([^}]+)\}/g, (_, name: string) => (name === param ? bad : (valid[name] ?? 'x')));
              const init: RequestInit = { method: method.toUpperCase() };
              if (method === 'post') Object.assign(init, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: 'What?' }) });
              const response = await app.request(url, init);
              assert.ok(response.status >= 400 && response.status < 500, `${method} ${url}: ${response.status}`);
              ErrorSchema.parse(await response.json());
              sent++;
            }
          }
        }
      }
      assert.ok(sent >= 12 * BAD.length, `${sent} requests`);
    } finally {
      spy.restore();
      await stores.store.close();
    }
    const outside = spy.opened.filter((p) => p !== dataDir && !p.startsWith(dataDir + path.sep));
    assert.deepEqual(outside, [], 'no path outside the data directory was touched');
  });

  it('the file spy itself catches a read outside the data directory', () => {
    const spy = spyOnFs();
    try {
      fs.readFileSync(sentinel);
    } finally {
      spy.restore();
    }
    // readFileSync opens through openSync, so the one read may be recorded more than once.
    assert.deepEqual([...new Set(spy.opened)], [sentinel]);
  });
});
