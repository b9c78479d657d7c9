/**
 * `npm start`: the whole stack in one process tree. A Temporal dev server with its Web UI
 * (state kept in the data directory) unless TEMPORAL_ADDRESS names a cluster, a worker, and
 * the API. Ctrl-C stops them in reverse order. A dev server that exits unexpectedly is started
 * again on the same port and state file; the worker and the API reconnect by themselves.
 */
import path from 'node:path';
import { loadConfig } from '../lib/config.ts';
import { findTemporalCli, type SupervisedDevServer, startSupervisedDevServer } from '../lib/temporal/dev-server.ts';
import { FOLIO_SEARCH_ATTRIBUTES } from '../workflows/search-attributes.ts';
import { startApi } from './api.ts';
import { createFolioWorker } from './worker.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  let devServer: SupervisedDevServer | null = null;
  if (!config.temporal.address) {
    devServer = await startSupervisedDevServer(
      {
        cli: findTemporalCli(config.temporal),
        port: config.temporal.devServerPort,
        uiPort: config.temporal.devServerUiPort,
        dbFile: path.join(config.dataDir, 'temporal.sqlite'),
        searchAttributes: FOLIO_SEARCH_ATTRIBUTES,
      },
      {
        onExit: (code, signal) => console.error(`temporal: dev server exited (${signal ?? `code ${code}`}); starting it again`),
        onRestart: (_server, restarts) => console.log(`temporal: dev server restarted (${restarts} so far)`),
        onRestartFailed: (error) => console.error(`temporal: restart failed, trying again: ${error.message}`),
      },
    );
    console.log(`temporal: dev server on ${devServer.address}, Web UI at ${devServer.uiUrl}`);
  }
  const { worker, close: closeWorker } = await createFolioWorker(config);
  const workerDone = worker.run();
  const api = await startApi(config);
  console.log(`folio: API on ${api.url} (data in ${config.dataDir}); Ctrl-C stops everything`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`folio: ${signal}, stopping`);
    await api.close().catch((error) => console.error('api close:', error));
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await workerDone.catch((error) => console.error('worker:', error));
    await closeWorker().catch(() => {});
    await devServer?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  workerDone.then(
    () => void stop('worker stopped'),
    (error) => {
      console.error('folio worker failed:', error);
      void stop('worker failed');
    },
  );
}

main().catch((error) => {
  console.error('folio failed to start:', error);
  process.exit(1);
});
