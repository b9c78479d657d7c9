/**
 * The Temporal worker: runs ingestion workflows and activities. `npm run worker` starts one;
 * `npm start` starts one beside the API. Stops cleanly on SIGINT/SIGTERM (in-flight
 * activities finish or are retried elsewhere).
 */
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createBatchActivities } from '../activities/batch.ts';
import { createIngestActivities } from '../activities/ingest.ts';
import { createVisualTokenActivities } from '../activities/visual-tokens.ts';
import { type FolioConfig, loadConfig, temporalAddressOf } from '../lib/config.ts';
import { openStorage } from '../lib/store/open.ts';

const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

let runtimeInstalled = false;

export async function createFolioWorker(config: FolioConfig): Promise<{ worker: Worker; close: () => Promise<void> }> {
  if (!runtimeInstalled) {
    // Warnings and errors only: the SDK's info logs drown the worker's own output.
    Runtime.install({ logger: new DefaultLogger(config.worker.logLevel) });
    runtimeInstalled = true;
  }
  const stores = await openStorage(config.storage);
  const connection = await NativeConnection.connect({ address: temporalAddressOf(config.temporal) });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowsPath,
    activities: {
      ...createIngestActivities({ settings: config, ...stores }),
      ...createVisualTokenActivities({ settings: config.visual, ...stores }),
      ...createBatchActivities(stores),
    },
    maxConcurrentActivityTaskExecutions: config.worker.activitySlots,
  });
  return {
    worker,
    close: async () => {
      await connection.close();
      await stores.close();
    },
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const { worker, close } = await createFolioWorker(config);
  console.log(`folio worker: task queue ${config.temporal.taskQueue} on ${temporalAddressOf(config.temporal)}`);
  // Worker.run() installs SIGINT/SIGTERM handlers that shut it down gracefully.
  await worker.run();
  await close();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error) => {
    console.error('folio worker failed:', error);
    process.exit(1);
  });
}
