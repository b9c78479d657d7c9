/**
 * The HTTP API (hono). Routes under /v1 need a bearer key when FOLIO_API_KEYS is set.
 * The routes live in routes/, one file per resource; this file mounts them and answers errors.
 */
import type { Client } from '@temporalio/client';
import { Hono } from 'hono';
import type { LlmReader } from '../lib/answer/llm.ts';
import type { ApiSettings, FolioConfig } from '../lib/config.ts';
import type { EmbedderSettings } from '../lib/embed/embedder-of.ts';
import type { DocumentIndexCache } from '../lib/retrieval/document-index.ts';
import type { Stores } from '../lib/store/open.ts';
import { requireApiKey } from './auth.ts';
import { ApiError, errorResponse } from './errors.ts';
import type { IngestionTarget } from './ingestion.ts';
import { answerRoutes } from './routes/answers.ts';
import { batchRoutes } from './routes/batches.ts';
import { documentRoutes } from './routes/documents.ts';
import { imageRoutes } from './routes/images.ts';
import { tableRoutes } from './routes/tables.ts';
import { pageRoutes } from './routes/pages.ts';
import { webRoutes } from './routes/web.ts';

export interface AppDeps extends Stores {
  settings: ApiSettings;
  ingestion: IngestionTarget;
  embedder: EmbedderSettings;
  client: Client;
  indexes: DocumentIndexCache;
  /** The LLM reader when FOLIO_LLM_DIR is set; answers are extractive without it. */
  llm?: LlmReader | null;
}

/** The API process's slices of the configuration, in the shape `createApp` takes them. */
export function appSettingsOf(config: Pick<FolioConfig, 'api' | 'temporal' | 'ingest' | 'embedder' | 'batch'>): Pick<AppDeps, 'settings' | 'ingestion' | 'embedder'> {
  return {
    settings: config.api,
    ingestion: { taskQueue: config.temporal.taskQueue, ingest: config.ingest, batch: config.batch, searchAttributes: config.temporal.searchAttributes },
    embedder: config.embedder,
  };
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();

  // The sub-apps have no error handlers of their own, so their errors end here too.
  app.onError((error, c) => {
    if (error instanceof ApiError) return errorResponse(c, error.status, error.code, error.message);
    console.error('folio api: unexpected error', error);
    return errorResponse(c, 500, 'internal', 'Something went wrong on the server.');
  });
  app.notFound((c) => errorResponse(c, 404, 'not_found', `No route for ${c.req.method} ${c.req.path}.`));

  app.get('/healthz', (c) => c.json({ ok: true }));
  // Before the routes are mounted, so the key check runs ahead of every one of them.
  app.use('/v1/*', requireApiKey(deps.settings.keys));

  app.route('/v1/documents', documentRoutes(deps));
  app.route('/v1/documents', answerRoutes(deps));
  app.route('/v1/documents', pageRoutes(deps));
  app.route('/v1/documents', imageRoutes(deps));
  app.route('/v1/documents', tableRoutes(deps));
  app.route('/v1/batches', batchRoutes(deps));
  app.route('/', webRoutes(deps));

  return app;
}
