/**
 * Workflow histories recorded by earlier versions of Folio (scripts/record-histories.ts) must
 * replay on today's workflow code: a worker upgraded while documents are mid-ingestion takes
 * over their workflows from those histories, and a change that makes the code take other steps
 * (a new activity, other arguments, another order) without `patched()` would fail them.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { projectRoot } from '../helpers/stack.ts';

const historiesDir = path.join(projectRoot, 'test', 'histories');
const workflowsPath = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

function recorded(): { name: string; history: proto.temporal.api.history.v1.History }[] {
  return fs
    .readdirSync(historiesDir)
    .filter((name) => name.endsWith('.bin'))
    .sort()
    .map((name) => ({ name, history: proto.temporal.api.history.v1.History.decode(fs.readFileSync(path.join(historiesDir, name))) }));
}

describe('workflow replay', () => {
  it('replays every recorded history on the current workflow code', { timeout: 300_000 }, async () => {
    const histories = recorded();
    assert.ok(histories.length > 0, 'no recorded histories');
    const types = new Set(histories.map((h) => h.name.split('-')[0]));
    // The document workflow and its children, and the batch workflow, are all covered.
    for (const type of ['ingestDocument', 'ingestBatch']) assert.ok(types.has(type), `no recorded ${type} history`);
    const failures: string[] = [];
    const results = Worker.runReplayHistories(
      { workflowsPath, replayName: 'folio-replay' },
      histories.map(({ name, history }) => ({ workflowId: name, history })),
    );
    let replayed = 0;
    for await (const result of results) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    assert.equal(replayed, histories.length);
    assert.deepEqual(failures, []);
  });
});
