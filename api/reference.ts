/**
 * The contract served: /openapi.json (OpenAPI 3.1, generated from the routes' schemas) and /docs,
 * a browsable reference (Swagger UI) whose files come from the installed swagger-ui-dist
 * package, so it works with no network.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { ApiError } from './errors.ts';

const SWAGGER_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
/** The only files /docs serves from the package: a fixed list, so no URL reaches any other file. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Folio API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>
`;

// A file of its own rather than inline, so the page also works under a strict Content-Security-Policy.
const INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
  validatorUrl: null,
});
`;

export const OPENAPI_INFO = {
  title: 'Folio API',
  version: '1',
  description:
    'Ask questions of long PDFs, with citations a person can check. Routes under /v1 need `Authorization: Bearer <key>` when the server has API keys configured (FOLIO_API_KEYS or FOLIO_API_KEY_HASHES). Every error is `{"error": {"code", "message", "field"?}}`; every response carries an X-Request-Id.',
};

/** Adds the bearer scheme and the reference routes; call after every route is mounted. */
export function mountReference(app: OpenAPIHono): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'One of the keys in FOLIO_API_KEYS (or whose SHA-256 is in FOLIO_API_KEY_HASHES).',
  });
  // Generated once: the routes do not change while the server runs.
  let document: unknown;
  app.get('/openapi.json', (c) => {
    document ??= app.getOpenAPI31Document({ openapi: '3.1.0', info: OPENAPI_INFO, servers: [{ url: '/' }] });
    return c.json(document);
  });
  app.get('/docs', (c) => c.html(PAGE));
  app.get('/docs/assets/init.js', (c) => c.body(INIT, 200, { 'content-type': 'text/javascript; charset=utf-8' }));
  app.get('/docs/assets/:file', (c) => {
    const file = c.req.param('file');
    const type = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
    if (!type) throw new ApiError(404, 'not_found', `No file ${file} in the API reference.`);
    return c.body(fs.readFileSync(path.join(SWAGGER_DIR, file)), 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' });
  });
}
