/**
 * Folio's own web page: GET / (the HTML) and GET /assets/* (its script and style sheet). The
 * page calls the /v1 routes from the browser with the user's key; nothing here needs one, since
 * the page itself holds no data. The script is bundled from web/ with esbuild on its first
 * request and kept in memory, so there is no build step to forget and nothing generated in the
 * repository.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Hono } from 'hono';
import type { ApiSettings } from '../../lib/config.ts';
import { ApiError } from '../errors.ts';

const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');

/** What the page needs to know before its first request; nothing secret. */
export interface WebPageConfig {
  authRequired: boolean;
  temporalUi: { url: string; namespace: string };
  maxUploadBytes: number;
}

/**
 * Only this origin's script, style and data, and images from blob: URLs (the page fetches
 * images with the key and shows them from memory): the page works offline and no third party
 * sees what is read. The Temporal Web UI is only linked, never loaded.
 */
const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

async function bundleScript(): Promise<string> {
  const result = await build({
    entryPoints: [path.join(WEB_DIR, 'app.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

/** Routes at the root: the page and its assets. */
export function webRoutes({ settings }: { settings: Pick<ApiSettings, 'keys' | 'temporalUi' | 'maxUploadBytes'> }): Hono {
  const app = new Hono();
  let script: Promise<string> | undefined;
  const config: WebPageConfig = { authRequired: settings.keys.length > 0, temporalUi: settings.temporalUi, maxUploadBytes: settings.maxUploadBytes };
  // JSON inside <script type="application/json"> is data, not code; "<" is escaped so no value can close the tag.
  const html = fs.readFileSync(path.join(WEB_DIR, 'index.html'), 'utf8').replace('{{config}}', JSON.stringify(config).replaceAll('<', '\\u003c'));
  const css = fs.readFileSync(path.join(WEB_DIR, 'app.css'), 'utf8');

  const headers = { 'content-security-policy': CONTENT_SECURITY_POLICY, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

  app.get('/', (c) => c.html(html, 200, { ...headers, 'cache-control': 'no-cache' }));

  app.get('/assets/app.js', async (c) => {
    script ??= bundleScript().catch((error) => {
      // A failed build is not kept: the next request tries again (after the file is fixed).
      script = undefined;
      throw new ApiError(500, 'web_build_failed', `The web page's script could not be built: ${(error as Error).message}`, { cause: error });
    });
    return c.body(await script, 200, { ...headers, 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' });
  });

  app.get('/assets/app.css', (c) => c.body(css, 200, { ...headers, 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-cache' }));

  return app;
}
