/**
 * Batches on a real dev server: a batch of corpus PDFs with a hostile one among them (uploaded
 * in one multipart request), continueAsNew at least twice with a small window and a low
 * threshold, the search attributes a batch leaves, cancel mid-batch, and a second batch over the
 * same files that ingests only what was not finished; `folio ingest` over a folder, twice.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { BatchCreatedView, BatchView } from '../../api/views.ts';
import { runCli } from '../../bin/folio.ts';
import { loadConfig } from '../../lib/config.ts';
import { findTemporalCli } from '../../lib/temporal/dev-server.ts';
import type { BatchResult } from '../../workflows/batch.ts';
import { corpus, startStack, type TestStack } from '../helpers/stack.ts';

const robustness = (name: string) => path.join(corpus, 'robustness', name);
/** One- and two-page files with text layers: quick to ingest. */
const GOOD = ['attachment.pdf', 'annotation-tx.pdf', 'form_two_pages.pdf', 'bug1937438_from_word.pdf', 'acroform_calculation_order.pdf', 'issue16063.pdf'];
/** A broken trailer: pdf.js cannot open it (the bad-input test checks its reason). */
const HOSTILE = 'bug1020226.pdf';

async function getBatch(stack: TestStack, id: string): Promise<BatchView> {
  const response = await fetch(`${stack.api.url}/v1/batches/${id}`);
  assert.equal(response.status, 200);
  return (await response.json()) as BatchView;
}

async function waitForBatch(stack: TestStack, id: string, timeoutMs: number, until = (view: BatchView) => !['running', 'paused', 'cancelling'].includes(view.phase)) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await getBatch(stack, id);
    if (until(view)) return view;
    if (Date.now() > deadline) throw new Error(`batch ${id} still ${view.phase} after ${timeoutMs} ms: ${JSON.stringify(view.counts)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function postJson<T>(stack: TestStack, route: string, body: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${stack.api.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as T };
}

/** Workflow ids matching a visibility query, through the Temporal CLI as a person would type it. */
function listWorkflows(stack: TestStack, query: string): string[] {
  const cli = findTemporalCli(loadConfig().temporal);
  const out = execFileSync(cli, ['workflow', 'list', '--address', stack.devServer.address, '--query', query, '--output', 'json'], { encoding: 'utf8' });
  const rows = out.trim() ? (JSON.parse(out) as { execution: { workflowId: string } }[]) : [];
  return rows.map((row) => row.execution.workflowId).sort();
}

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

describe('batches', () => {
  let stack: TestStack;
  let client: Client;
  let connection: Connection;
  const ids = new Map<string, string>();

  before(async () => {
    // No OCR and no visual tokens: the batch machinery is under test, not the page stages.
    stack = await startStack({ FOLIO_OCR_DPI: '0', FOLIO_VISION_ENCODER: 'off' });
    connection = await Connection.connect({ address: stack.devServer.address });
    client = new Client({ connection });
  });
  after(async () => {
    await connection?.close();
    await stack?.stop();
  });

  it('ingests a multipart batch with a hostile file: it fails alone, with its reason; continueAsNew twice; every document once', async () => {
    const form = new FormData();
    for (const name of [...GOOD.slice(0, 3), HOSTILE, ...GOOD.slice(3)]) {
      form.append('file', new Blob([fs.readFileSync(robustness(name))], { type: 'application/pdf' }), name);
    }
    form.set('window', '2');
    form.set('continueAsNewAfter', '3');
    const response = await fetch(`${stack.api.url}/v1/batches`, { method: 'POST', body: form });
    assert.equal(response.status, 202);
    const created = (await response.json()) as BatchCreatedView;
    assert.equal(created.total, GOOD.length + 1);
    for (const doc of created.documents) ids.set(doc.filename ?? '', doc.id);

    const view = await waitForBatch(stack, created.id, 120_000);
    assert.equal(view.phase, 'done');
    assert.equal(view.documents.length, GOOD.length + 1);
    const hostile = view.documents.find((doc) => doc.filename === HOSTILE);
    assert.equal(hostile?.outcome, 'failed');
    assert.match(hostile?.reason ?? '', /damaged/);
    for (const doc of view.documents.filter((d) => d.filename !== HOSTILE)) {
      assert.equal(doc.outcome, 'ready', `${doc.filename}: ${doc.reason}`);
      assert.equal(doc.status, 'ready');
      assert.ok((doc.pages.total ?? 0) >= 1 && doc.pages.done === doc.pages.total, `${doc.filename} pages ${JSON.stringify(doc.pages)}`);
    }
    assert.deepEqual({ ...view.counts }, { total: 7, queued: 0, running: 0, ready: 6, failed: 1, cancelled: 0, alreadyReady: 0 });

    // 7 documents, 3 per run: runs of 3, 3 and 1, so two continueAsNew.
    const result = (await client.workflow.getHandle(created.id).result()) as BatchResult;
    assert.equal(result.runs, 2);
    assert.equal(result.documents?.length, 7);
    assert.deepEqual(result.counts, { ready: 6, failed: 1, cancelled: 0, alreadyReady: 0 });

    // No document lost or run twice: one ingestDocument run per document, all closed.
    for (const id of ids.values()) assert.deepEqual(listWorkflows(stack, `WorkflowId="ingest-${id}"`), [`ingest-${id}`]);

    // The search attributes a batch leaves: its failed documents, and nothing else.
    const failedQuery = `FolioBatchId="${created.id}" AND FolioStatus="failed"`;
    let failed: string[] = [];
    for (let tries = 0; tries < 40; tries++) {
      failed = listWorkflows(stack, failedQuery);
      if (failed.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.deepEqual(failed, [`ingest-${ids.get(HOSTILE)}`]);
    assert.equal(listWorkflows(stack, `FolioBatchId="${created.id}" AND FolioStatus="ready"`).length, 6);
    const described = await client.workflow.getHandle(`ingest-${ids.get(HOSTILE)}`).describe();
    assert.equal(described.memo?.filename, HOSTILE);
    assert.equal(listWorkflows(stack, `FolioFilename="${HOSTILE}"`).length, 1);
  });

  it('cancels mid-batch: no child keeps running, ready documents stay ready; a new batch ingests only the rest', async () => {
    const readyId = ids.get(GOOD[0]) as string;
    const bytes = (name: string) => fs.readFileSync(name.includes('/') ? path.join(corpus, name) : robustness(name));
    const upload = async (name: string) => {
      const response = await fetch(`${stack.api.url}/v1/documents?ingest=false&filename=${path.basename(name)}`, { method: 'POST', body: bytes(name), headers: { 'content-type': 'application/pdf' } });
      assert.equal(response.status, 202);
      return ((await response.json()) as { id: string }).id;
    };
    // A 62-page paper keeps the window's one child busy long enough to cancel it mid-way.
    const slow = await upload('qa/pdfs/declaredesign-paper.pdf');
    const later = await upload('tracemonkey.pdf');
    const docs = [readyId, slow, later];
    const first = await postJson<BatchCreatedView>(stack, '/v1/batches', { documents: docs, window: 1 });
    assert.equal(first.status, 202);
    await waitForBatch(stack, first.body.id, 60_000, (view) => view.documents.some((doc) => doc.id === slow && doc.pages.done > 0));

    const cancel = await fetch(`${stack.api.url}/v1/batches/${first.body.id}/cancel`, { method: 'POST' });
    assert.equal(cancel.status, 202);
    const cancelled = await waitForBatch(stack, first.body.id, 60_000);
    assert.equal(cancelled.phase, 'cancelled');
    const outcome = (id: string) => cancelled.documents.find((doc) => doc.id === id);
    assert.equal(outcome(readyId)?.outcome, 'ready');
    assert.equal(outcome(readyId)?.alreadyReady, true);
    assert.equal(outcome(readyId)?.status, 'ready');
    assert.equal(outcome(slow)?.outcome, 'cancelled');
    assert.equal(outcome(slow)?.status, 'failed');
    assert.equal(outcome(later)?.outcome, 'cancelled');
    assert.deepEqual(listWorkflows(stack, 'WorkflowType="ingestDocument" AND ExecutionStatus="Running"'), []);
    const again = await fetch(`${stack.api.url}/v1/batches/${first.body.id}/resume`, { method: 'POST' });
    assert.equal(again.status, 409);

    const second = await postJson<BatchCreatedView>(stack, '/v1/batches', { documents: docs, window: 2 });
    const done = await waitForBatch(stack, second.body.id, 240_000);
    assert.equal(done.phase, 'done');
    assert.deepEqual(
      done.documents.map((doc) => [doc.id, doc.outcome, doc.alreadyReady]),
      [
        [readyId, 'ready', true],
        [slow, 'ready', false],
        [later, 'ready', false],
      ],
    );
    // The ready document was not ingested again: still its one run from the first batch.
    assert.deepEqual(listWorkflows(stack, `WorkflowId="ingest-${readyId}"`), [`ingest-${readyId}`]);
    const listed = (await (await fetch(`${stack.api.url}/v1/batches`)).json()) as { batches: { id: string; phase: string }[] };
    assert.deepEqual(
      listed.batches.filter((b) => b.id === first.body.id || b.id === second.body.id).map((b) => b.phase).sort(),
      ['cancelled', 'done'],
    );
  });

  it('`folio ingest <folder>`: a line per document, a summary, non-zero with a failure; a second run finishes at once', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-ingest-'));
    try {
      fs.mkdirSync(path.join(folder, 'nested', 'deeper'), { recursive: true });
      fs.copyFileSync(robustness(GOOD[1]), path.join(folder, GOOD[1]));
      fs.copyFileSync(robustness('TAMReview.pdf'), path.join(folder, 'nested', 'TAMReview.PDF'));
      fs.copyFileSync(robustness(HOSTILE), path.join(folder, 'nested', 'deeper', HOSTILE));
      fs.writeFileSync(path.join(folder, 'nested', 'notes.txt'), 'not a PDF, and not picked up');
      const config = { ...stack.config, cli: { url: stack.api.url, apiKey: undefined } };

      const out = sink();
      const err = sink();
      const code = await runCli(['ingest', folder, '--concurrency', '2'], config, { out: out.stream, err: err.stream });
      assert.equal(code, 1, err.text());
      assert.match(err.text(), /ready +.*TAMReview\.PDF \(23 pages\)/);
      assert.match(err.text(), /failed +.*bug1020226\.pdf: .*damaged/);
      assert.match(err.text(), /3\/3 documents/);
      assert.match(out.text(), /^outcome +pages +file +reason$/m);
      assert.match(out.text(), /3 documents: 2 ready, 1 failed, 0 cancelled/);
      assert.doesNotMatch(out.text() + err.text(), /notes\.txt/);

      // Without the hostile file every document is ready already: exit 0, nothing ingested again.
      fs.rmSync(path.join(folder, 'nested', 'deeper'), { recursive: true });
      const started = Date.now();
      const rerun = sink();
      const rerunCode = await runCli(['ingest', folder], config, { out: rerun.stream, err: sink().stream });
      assert.equal(rerunCode, 0, rerun.text());
      assert.match(rerun.text(), /2 documents: 2 ready, 0 failed/);
      assert.equal((rerun.text().match(/already ready/g) ?? []).length, 2);
      assert.ok(Date.now() - started < 15_000, `second run took ${Date.now() - started} ms`);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});
