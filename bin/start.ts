/**
 * `npm start`: the whole stack in one process tree. A Temporal dev server with its Web UI
 * (state kept in the data directory) unless TEMPORAL_ADDRESS names a cluster, a worker, and
 * the API. Ctrl-C stops them in reverse order.
 */
import path from 'node:path';
import { loadConfig } from '../lib/config.ts';
import { type DevServer, findTemporalCli, startDevServer } from '../lib/temporal/dev-server.ts';
import { startApi } from './api.ts';
import { createFolioWorker } from './worker.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  let devServer: DevServer | null = null;
  if (!config.temporal.address) {
    devServer = await startDevServer({
      cli: findTemporalCli(config.temporal),
      port: config.temporal.devServerPort,
      uiPort: config.temporal.devServerUiPort,
      dbFile: path.join(config.dataDir, 'temporal.sqlite'),
    });
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
