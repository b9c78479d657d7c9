/** The API server process: `npm run api` (needs a reachable Temporal and a worker). */
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { appSettingsOf, createApp } from '../api/app.ts';
import { resumeQueued } from '../api/ingestion.ts';
import { createLogger } from '../api/telemetry.ts';
import { modelReaderOf } from '../lib/answer/reader.ts';
import { type FolioConfig, loadConfig, temporalAddressOf } from '../lib/config.ts';
import { DocumentIndexCache } from '../lib/retrieval/document-index.ts';
import { openStorage } from '../lib/store/open.ts';

export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

export async function startApi(config: FolioConfig): Promise<RunningApi> {
  const logger = createLogger(config.api.logLevel);
  const stores = await openStorage(config.storage);
  const connection = await Connection.connect({ address: temporalAddressOf(config.temporal) });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const settings = appSettingsOf(config);
  const resumed = await resumeQueued(client, settings.ingestion, stores.store);
  if (resumed > 0) logger.info({ resumed }, 'restarted ingestion of queued documents');
  const llm = modelReaderOf(config.reader, config.llm);
  if (llm) {
    // Load at start-up, so a bad checkpoint is reported now rather than at the first question.
    const model = await llm.load();
    logger.info({ reader: config.reader.kind, model: llm.name, ...(config.reader.kind === 'judge' ? { judge: config.reader.judge } : {}), policy: config.llm.policy, budget: config.llm.budget, weights: model.weightFormat, attention: model.attentionKernel }, 'LLM reader loaded');
  }
  const app = createApp({ ...settings, client, indexes: new DocumentIndexCache(stores.store, stores.blobs), llm, logger, ...stores });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.api.port, hostname: config.api.host }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.api.port;
  logger.info({ url: `http://${config.api.host}:${port}` }, 'listening');
  return {
    url: `http://${config.api.host}:${port}`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connection.close();
      await llm?.release();
      await stores.close();
    },
  };
}

async function main(): Promise<void> {
  const api = await startApi(loadConfig());
  const stop = async () => {
    await api.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error) => {
    console.error('folio api failed:', error);
    process.exit(1);
  });
}
