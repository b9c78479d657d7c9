/**
 * Faults survived by a batch (slow: `npm run test:faults`). A batch of 20 corpus PDFs and one
 * hostile file while the worker is SIGKILLed three times at random moments and started again;
 * then `npm start` itself, whose embedded dev server is SIGKILLed mid-batch and must be brought
 * back by the supervisor, with the worker and the API reconnecting on their own.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { type BatchCreatedView, type BatchView, batchIsClosed } from '../../api/views.ts';
import { SqliteMetadataStore } from '../../lib/store/metadata.ts';
import { freePort } from '../../lib/temporal/dev-server.ts';
import { corpus, projectRoot, startStack } from '../helpers/stack.ts';

/** Openable corpus files with text layers, from one page to a 62-page paper. */
const GOOD = [
  'robustness/attachment.pdf',
  'robustness/annotation-tx.pdf',
  'robustness/form_two_pages.pdf',
  'robustness/bug1937438_from_word.pdf',
  'robustness/acroform_calculation_order.pdf',
  'robustness/issue16063.pdf',
  'robustness/160F-2019.pdf',
  'robustness/ArabicCIDTrueType.pdf',
  'robustness/ThuluthFeatures.pdf',
  'robustness/bug1108301.pdf',
  'robustness/complex_ttf_font.pdf',
  'robustness/issue11656.pdf',
  'robustness/issue13211.pdf',
  'robustness/issue14046.pdf',
  'robustness/issue15340.pdf',
  'robustness/TAMReview.pdf',
  'robustness/tracemonkey.pdf',
  'robustness/pdkids.pdf',
  'qa/pdfs/comet-paper.pdf',
  'qa/pdfs/declaredesign-paper.pdf',
];
const HOSTILE = 'robustness/bug1020226.pdf';
/** Fast settings: the page stages are tested elsewhere; here the durability is. */
const FAST = { FOLIO_OCR_DPI: '0', FOLIO_VISION_ENCODER: 'off', FOLIO_PAGE_BATCH: '8' };

function batchForm(window: number): FormData {
  const form = new FormData();
  const files = [...GOOD.slice(0, 10), HOSTILE, ...GOOD.slice(10)];
  for (const file of files) form.append('file', new Blob([fs.readFileSync(path.join(corpus, file))]), path.basename(file));
  form.set('window', String(window));
  form.set('continueAsNewAfter', '8');
  return form;
}

async function waitForBatch(url: string, id: string, timeoutMs: number, until: (view: BatchView) => boolean): Promise<BatchView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${url}/v1/batches/${id}`);
    assert.equal(response.status, 200);
    const view = (await response.json()) as BatchView;
    if (view && until(view)) return view;
    if (Date.now() > deadline) throw new Error(`batch ${id} not there after ${timeoutMs} ms: ${JSON.stringify(view?.counts)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const settled = (view: BatchView) => batchIsClosed(view.phase);

/** The batch's result: the hostile file failed alone, every other document ready, each page stored once. */
async function checkOutcome(view: BatchView, dataDir: string): Promise<void> {
  assert.equal(view.phase, 'done');
  assert.equal(view.documents.length, GOOD.length + 1);
  const failed = view.documents.filter((doc) => doc.outcome !== 'ready');
  assert.deepEqual(
    failed.map((doc) => doc.filename),
    [path.basename(HOSTILE)],
  );
  assert.match(failed[0].reason ?? '', /damaged/);
  const store = new SqliteMetadataStore(path.join(dataDir, 'folio.sqlite'));
  try {
    for (const doc of view.documents.filter((d) => d.outcome === 'ready')) {
      const total = (await store.getDocument(doc.id))?.pageCount ?? 0;
      assert.ok(total > 0);
      assert.deepEqual(await store.storedPages(doc.id), Array.from({ length: total }, (_, i) => i + 1), `${doc.filename}: every page stored`);
      const rows = store.db.prepare('SELECT COUNT(*) AS n FROM pages WHERE doc_id = ?').get(doc.id) as { n: number };
      assert.equal(rows.n, total, `${doc.filename}: each page once`);
    }
  } finally {
    await store.close();
  }
}

describe('batch faults', () => {
  it('completes while the worker is SIGKILLed three times at random moments', async (t) => {
    const stack = await startStack(FAST);
    try {
      const response = await fetch(`${stack.api.url}/v1/batches`, { method: 'POST', body: batchForm(3) });
      assert.equal(response.status, 202);
      const created = (await response.json()) as BatchCreatedView;
      let pagesAtKill = 0;
      for (let kill = 1; kill <= 3; kill++) {
        // A random moment with work in flight: after 3 to 30 more pages were stored since the
        // last kill, and a random fraction of a second more.
        const more = 3 + Math.floor(Math.random() * 28);
        const before = await waitForBatch(stack.api.url, created.id, 300_000, (view) => view.pages.done >= pagesAtKill + more || settled(view));
        assert.ok(!settled(before), `the batch finished before kill ${kill}`);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 1000));
        pagesAtKill = before.pages.done;
        t.diagnostic(`kill ${kill}: ${JSON.stringify(before.counts)}, pages ${before.pages.done}/${before.pages.total}`);
        const exited = new Promise((resolve) => stack.worker.once('exit', resolve));
        stack.worker.kill('SIGKILL');
        await exited;
        await stack.startWorker();
      }
      const view = await waitForBatch(stack.api.url, created.id, 900_000, settled);
      await checkOutcome(view, stack.config.dataDir);
    } finally {
      await stack.stop();
    }
  });

  it('`npm start` brings its dev server back after a SIGKILL mid-batch, and the batch completes', async (t) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-faults-'));
    const [apiPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...FAST,
      FOLIO_DATA_DIR: dataDir,
      PORT: String(apiPort),
      FOLIO_TEMPORAL_DEV_PORT: String(temporalPort),
      FOLIO_TEMPORAL_UI_PORT: String(uiPort),
      FOLIO_TASK_QUEUE: `faults-${path.basename(dataDir)}`,
    };
    delete env.TEMPORAL_ADDRESS;
    delete env.FOLIO_SEARCH_ATTRIBUTES;
    let log = '';
    const start: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'bin', 'start.ts')], { env, cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    start.stdout?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    start.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    const waitForLog = async (pattern: RegExp, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(log)) {
        if (start.exitCode !== null || Date.now() > deadline) throw new Error(`no ${pattern} in the log:\n${log}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    try {
      await waitForLog(/folio: API on/, 120_000);
      const url = `http://127.0.0.1:${apiPort}`;
      const response = await fetch(`${url}/v1/batches`, { method: 'POST', body: batchForm(2) });
      assert.equal(response.status, 202, await response.clone().text());
      const created = (await response.json()) as BatchCreatedView;
      await waitForBatch(url, created.id, 120_000, (view) => view.counts.ready >= 3);

      const server = devServerChild(start.pid as number);
      assert.ok(server, 'the dev server is a child of npm start');
      process.kill(server, 'SIGKILL');
      t.diagnostic(`killed dev server ${server}`);
      await waitForLog(/dev server restarted/, 60_000);
      assert.notEqual(devServerChild(start.pid as number), server);

      const view = await waitForBatch(url, created.id, 900_000, settled);
      await checkOutcome(view, dataDir);
    } finally {
      const exited = new Promise((resolve) => start.once('exit', resolve));
      if (start.exitCode === null) start.kill('SIGTERM');
      const timer = setTimeout(() => start.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

/** The pid of the `temporal server start-dev` process among `parent`'s children, if any. */
function devServerChild(parent: number): number | null {
  const children = fs
    .readdirSync(`/proc/${parent}/task`)
    .flatMap((task) => fs.readFileSync(`/proc/${parent}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean))
    .map(Number);
  for (const pid of children) {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (cmdline.includes('start-dev')) return pid;
  }
  return null;
}
