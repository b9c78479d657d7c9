/**
 * Records workflow histories for the replay test: ingests the given PDFs (and, with --batch, the
 * same PDFs again as one batch) on a real stack, then writes the history of every workflow the
 * dev server ran to `<out>/<workflow type>-<label>-<n>.bin` (the History message, protobuf-encoded). Run it on an older commit to keep
 * histories that today's workflow code must still replay.
 *
 *   npx tsx scripts/record-histories.ts --out test/histories --label 2026-12-03 [--batch] a.pdf b.pdf
 */
import fs from 'node:fs';
import path from 'node:path';
import { Connection, WorkflowClient } from '@temporalio/client';
import proto from '@temporalio/proto';
import { startStack, uploadPdf, waitForDocument } from '../test/helpers/stack.ts';

const args = process.argv.slice(2);
let out = 'test/histories';
let label = 'recorded';
let batch = false;
const files: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--out') out = args[++i];
  else if (args[i] === '--label') label = args[++i];
  else if (args[i] === '--batch') batch = true;
  else files.push(args[i]);
}
if (files.length === 0) throw new Error('usage: record-histories.ts --out DIR --label NAME [--batch] file.pdf …');

const stack = await startStack();
try {
  const ids: string[] = [];
  for (const file of files) {
    const { body } = await uploadPdf(stack.api.url, fs.readFileSync(file));
    ids.push(body.id);
    const doc = await waitForDocument(stack.api.url, body.id, 600_000);
    console.error(`${path.basename(file)}: ${doc.status}`);
  }
  if (batch) {
    const response = await fetch(`${stack.api.url}/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documents: ids }) });
    const created = (await response.json()) as { id: string };
    if (!response.ok) throw new Error(`batch: HTTP ${response.status} ${JSON.stringify(created)}`);
    for (let i = 0; i < 2400; i++) {
      const state = (await (await fetch(`${stack.api.url}/v1/batches/${created.id}`)).json()) as { phase: string };
      if (['done', 'failed', 'cancelled', 'terminated', 'timed_out'].includes(state.phase)) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  const connection = await Connection.connect({ address: stack.devServer.address });
  const client = new WorkflowClient({ connection });
  fs.mkdirSync(out, { recursive: true });
  const counts = new Map<string, number>();
  for await (const run of client.list()) {
    const history = await client.getHandle(run.workflowId, run.runId).fetchHistory();
    const n = (counts.get(run.type) ?? 0) + 1;
    counts.set(run.type, n);
    const target = path.join(out, `${run.type}-${label}-${n}.bin`);
    fs.writeFileSync(target, proto.temporal.api.history.v1.History.encode(history).finish());
    console.error(`wrote ${target} (${history.events?.length ?? 0} events)`);
  }
  await connection.close();
} finally {
  await stack.stop();
}
