/** /readyz: whether this API can do its work now, Temporal and the stores each checked. */
import type { Client } from '@temporalio/client';
import type { Stores } from '../lib/store/open.ts';

export interface Check {
  ok: boolean;
  ms: number;
  error?: string;
}

const TEMPORAL_TIMEOUT_MS = 2000;

async function timed(run: () => Promise<unknown>): Promise<Check> {
  const started = performance.now();
  try {
    await run();
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { ok: false, ms: Math.round(performance.now() - started), error: (error as Error).message };
  }
}

/** A document id no PDF has (it is not a SHA-256 of anything stored): reading it touches the store and finds nothing. */
const PROBE_ID = '0'.repeat(64);

export async function readiness(deps: Stores & { client: Client }): Promise<{ ok: boolean; checks: { temporal: Check; metadata: Check; blobs: Check } }> {
  const [temporal, metadata, blobs] = await Promise.all([
    timed(async () => {
      const service = deps.client.workflowService;
      if (!service) throw new Error('no Temporal connection');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Temporal did not answer within ${TEMPORAL_TIMEOUT_MS} ms`)), TEMPORAL_TIMEOUT_MS);
      });
      try {
        await Promise.race([service.getSystemInfo({}), timeout]);
      } finally {
        clearTimeout(timer);
      }
    }),
    timed(async () => await deps.store.getDocument(PROBE_ID)),
    timed(async () => await deps.blobs.has(PROBE_ID)),
  ]);
  return { ok: temporal.ok && metadata.ok && blobs.ok, checks: { temporal, metadata, blobs } };
}
