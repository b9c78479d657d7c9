/**
 * The HTTP API (hono). Routes under /v1 need a bearer key when FOLIO_API_KEYS (or
 * FOLIO_API_KEY_HASHES) is set. The routes live in routes/, one file per resource, each with its
 * OpenAPI definition; this file mounts them, the operations routes (/healthz, /readyz, /metrics,
 * /openapi.json, /docs) and the middleware every request passes, and answers errors.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import type { ModelReader } from '../lib/answer/reader.ts';
import type { ApiSettings, FolioConfig } from '../lib/config.ts';
import type { EmbedderSettings } from '../lib/embed/embedder-of.ts';
import type { DocumentIndexCache } from '../lib/retrieval/document-index.ts';
import type { Stores } from '../lib/store/open.ts';
import { keyDigests, rateLimit, requireApiKey } from './auth.ts';
import { ApiError, errorResponse, HTTPException, httpExceptionResponse, validationHook } from './errors.ts';
import type { IngestionTarget } from './ingestion.ts';
import { readiness } from './readiness.ts';
import { mountReference } from './reference.ts';
import { answerRoutes } from './routes/answers.ts';
import { batchRoutes } from './routes/batches.ts';
import { documentRoutes } from './routes/documents.ts';
import { imageRoutes } from './routes/images.ts';
import { pageRoutes } from './routes/pages.ts';
import { tableRoutes } from './routes/tables.ts';
import { HealthSchema, json, ReadySchema } from './schemas.ts';
import { createLogger, type Logger, log, Metrics, observe } from './telemetry.ts';
import { webRoutes } from './routes/web.ts';

export interface AppDeps extends Stores {
  settings: ApiSettings;
  ingestion: IngestionTarget;
  embedder: EmbedderSettings;
  client: Client;
  indexes: DocumentIndexCache;
  /** The LLM reader when FOLIO_LLM_DIR is set; answers are extractive without it. */
  llm?: ModelReader | null;
  /** Where log lines go; by default JSON on stdout at settings.logLevel. */
  logger?: Logger;
}

/** The API process's slices of the configuration, in the shape `createApp` takes them. */
export function appSettingsOf(config: Pick<FolioConfig, 'api' | 'temporal' | 'ingest' | 'embedder' | 'batch'>): Pick<AppDeps, 'settings' | 'ingestion' | 'embedder'> {
  return {
    settings: config.api,
    ingestion: { taskQueue: config.temporal.taskQueue, ingest: config.ingest, batch: config.batch, searchAttributes: config.temporal.searchAttributes },
    embedder: config.embedder,
  };
}

const health = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['operations'],
  summary: 'Liveness: the process answers',
  responses: { 200: json(HealthSchema, 'Alive.') },
});

const ready = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['operations'],
  summary: 'Readiness: Temporal and the stores answer',
  responses: { 200: json(ReadySchema, 'Ready.'), 503: json(ReadySchema, 'Not ready: the failing checks say why.') },
});

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['operations'],
  summary: 'Prometheus metrics',
  responses: { 200: { description: 'Metrics in the Prometheus text format.', content: { 'text/plain': { schema: z.string() } } } },
});

/** The client's address as the Node server saw it (absent when the app is called in process). */
function clientAddress(c: { env?: unknown }): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'local';
}

export function createApp(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: validationHook });
  const logger = deps.logger ?? createLogger(deps.settings.logLevel);
  const metrics = new Metrics(deps.store);

  // The sub-apps have no error handlers of their own, so their errors end here too.
  app.onError((error, c) => {
    if (error instanceof ApiError) return errorResponse(c, error.status, error.code, error.message, error.field);
    if (error instanceof HTTPException) return httpExceptionResponse(c, error);
    log().error({ err: error }, 'unexpected error');
    return errorResponse(c, 500, 'internal', 'Something went wrong on the server.');
  });
  app.notFound((c) => errorResponse(c, 404, 'not_found', `No route for ${c.req.method} ${c.req.path}.`));

  app.use(requestId({ limitLength: 128 }));
  app.use(observe(logger, metrics));
  const origins = deps.settings.corsOrigins;
  if (origins.length > 0) {
    app.use(
      cors({
        origin: origins.includes('*') ? '*' : origins,
        allowHeaders: ['Authorization', 'Content-Type', 'Accept', 'X-Request-Id'],
        exposeHeaders: ['X-Request-Id', 'Retry-After', 'WWW-Authenticate'],
        maxAge: 600,
      }),
    );
  }

  app.openapi(health, (c) => c.json({ ok: true }, 200));
  app.openapi(ready, async (c) => {
    const report = await readiness(deps);
    return c.json(report, report.ok ? 200 : 503);
  });
  app.openapi(metricsRoute, async (c) => {
    c.header('content-type', metrics.registry.contentType);
    return c.text(await metrics.registry.metrics(), 200);
  });

  // Before the routes are mounted, so the key check and the limit run ahead of every one of them.
  app.use('/v1/*', requireApiKey(keyDigests(deps.settings.keys, deps.settings.keyHashes)));
  app.use('/v1/*', rateLimit(deps.settings.rateLimit.perMinute, deps.settings.rateLimit.burst, clientAddress));

  app.route('/v1/documents', documentRoutes(deps));
  app.route('/v1/documents', answerRoutes({ ...deps, metrics }));
  app.route('/v1/documents', pageRoutes(deps));
  app.route('/v1/documents', imageRoutes(deps));
  app.route('/v1/documents', tableRoutes(deps));
  app.route('/v1/batches', batchRoutes(deps));
  app.route('/', webRoutes(deps));

  mountReference(app);
  return app;
}
