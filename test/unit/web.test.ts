/**
 * The web page's server side (the page, its bundled script, what it is told) and the
 * server-sent events parser the page reads streamed answers with. The page itself runs in a
 * real browser in test/browser/.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { appSettingsOf, createApp } from '../../api/app.ts';
import type { WebPageConfig } from '../../api/routes/web.ts';
import { loadConfig } from '../../lib/config.ts';
import { DocumentIndexCache } from '../../lib/retrieval/document-index.ts';
import { openStores } from '../../lib/store/open.ts';
import { SseParser } from '../../web/sse.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-web-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function appWith(env: Record<string, string>) {
  const config = loadConfig({ FOLIO_DATA_DIR: dir, ...env });
  const stores = openStores(config.dataDir);
  // The page's routes never reach Temporal; the client is only there to satisfy the app's shape.
  const client = {} as Client;
  return createApp({ ...appSettingsOf(config), client, indexes: new DocumentIndexCache(stores.store, stores.blobs), ...stores });
}

function pageConfig(html: string): WebPageConfig {
  const match = /<script type="application\/json" id="folio-config">(.*?)<\/script>/s.exec(html);
  assert.ok(match, 'the page carries its configuration');
  return JSON.parse(match[1]) as WebPageConfig;
}

describe('web page routes', () => {
  it('serves the page without a key, tells it a key is needed, and never the keys themselves', async () => {
    const app = appWith({ FOLIO_API_KEYS: 'secret-one,secret-two', FOLIO_TEMPORAL_UI_URL: 'https://temporal.example/ui/', TEMPORAL_NAMESPACE: 'docs' });
    const response = await app.request('/');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const html = await response.text();
    assert.doesNotMatch(html, /secret-/);
    assert.deepEqual(pageConfig(html), { authRequired: true, temporalUi: { url: 'https://temporal.example/ui', namespace: 'docs' }, maxUploadBytes: 200 * 1024 * 1024 });
    assert.equal((await app.request('/v1/documents')).status, 401, 'the data still needs the key');
  });

  it('links the embedded dev server’s Web UI by default, and says when no key is needed', async () => {
    const app = appWith({ FOLIO_TEMPORAL_UI_PORT: '9233' });
    const config = pageConfig(await (await app.request('/')).text());
    assert.equal(config.authRequired, false);
    assert.deepEqual(config.temporalUi, { url: 'http://127.0.0.1:9233', namespace: 'default' });
  });

  it('bundles the page’s script from web/ into one file with no imports left', async () => {
    const app = appWith({});
    const response = await app.request('/assets/app.js');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/javascript/);
    const script = await response.text();
    assert.doesNotMatch(script, /^\s*import\s/m, 'everything is bundled');
    assert.match(script, /text\/event-stream/, 'the streamed-answer reader is in it');
    const css = await app.request('/assets/app.css');
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
    assert.equal((await app.request('/assets/other.js')).status, 404);
  });
});

describe('server-sent events parser', () => {
  it('splits events on blank lines, joins data lines and skips comments', () => {
    const parser = new SseParser();
    const events = parser.push(': a comment\nevent: evidence\ndata: {"a":\ndata: 1}\n\ndata: plain\n\n');
    assert.deepEqual(events, [
      { event: 'evidence', data: '{"a":\n1}' },
      { event: 'message', data: 'plain' },
    ]);
  });

  it('keeps a partial event across chunks, including a CRLF split between them', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push('event: tok'), []);
    assert.deepEqual(parser.push('en\r'), []);
    assert.deepEqual(parser.push('\ndata: {"text":"Hel'), []);
    assert.deepEqual(parser.push('lo"}\r\n\r'), [{ event: 'token', data: '{"text":"Hello"}' }]);
    assert.deepEqual(parser.push('\nevent: answer\rdata:x\r\r'), [{ event: 'answer', data: 'x' }]);
  });

  it('ignores an event with no data, and the name does not leak into the next one', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push('event: ping\n\ndata: next\n\n'), [{ event: 'message', data: 'next' }]);
  });
});
