/**
 * Scale out: one API and TWO worker processes, each over its own empty data folder, sharing a
 * real PostgreSQL, an S3 server (s3rver) and one Temporal dev server. A batch of 10 documents
 * (distinct page ranges of the gnuplot manual) goes in through POST /v1/batches; one worker is
 * SIGKILLed while Temporal shows it running an activity, and the other finishes the batch. Every
 * document must end ready, every page be stored exactly once (read in PostgreSQL), and the API
 * answer a question about each document from what the workers left in the database and bucket.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { PDFDocument } from 'pdf-lib';
import pg from 'pg';
import { type BatchCreatedView, type BatchView, batchIsClosed } from '../../api/views.ts';
import { type RunningApi, startApi } from '../../bin/api.ts';
import { loadConfig } from '../../lib/config.ts';
import { type DevServer, findTemporalCli, freePort, startDevServer } from '../../lib/temporal/dev-server.ts';
import { FOLIO_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.ts';
import { postgresBinDir, startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { startS3, type TestS3 } from '../helpers/s3.ts';
import { corpus, projectRoot } from '../helpers/stack.ts';

const skip = postgresBinDir() ? false : 'PostgreSQL server binaries are not installed (apt-get install postgresql)';
const SOURCE = path.join(corpus, 'qa', 'pdfs', 'gnuplot.pdf');
const DOCS = 10;
const PAGES_PER_DOC = 3;
/** Past the manual's front matter, so every range has body text. */
const FIRST_PAGE = 20;
/** Fast settings: the page stages are tested elsewhere; here the sharing and the kill are. */
const FAST = { FOLIO_OCR_DPI: '0', FOLIO_VISION_ENCODER: 'off', FOLIO_PAGE_BATCH: '1', FOLIO_EXTRACTION_THREADS: '1' };

async function cutDocuments(): Promise<Uint8Array[]> {
  const whole = await PDFDocument.load(fs.readFileSync(SOURCE));
  const out: Uint8Array[] = [];
  for (let d = 0; d < DOCS; d++) {
    const part = await PDFDocument.create();
    const first = FIRST_PAGE + d * PAGES_PER_DOC;
    for (const page of await part.copyPages(whole, [first, first + 1, first + 2])) part.addPage(page);
    out.push(await part.save());
  }
  return out;
}

interface Worker {
  child: ChildProcess;
  dir: string;
  log(): string;
}

describe('scale out: an API and two workers, each on its own empty folder, over PostgreSQL + S3', { skip }, () => {
  let postgres: TestPostgres;
  let s3: TestS3;
  let devServer: DevServer;
  let api: RunningApi;
  let env: NodeJS.ProcessEnv;
  let temporal: Connection;
  const dirs: string[] = [];
  const workers: Worker[] = [];

  const newDir = (name: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `folio-scale-${name}-`));
    dirs.push(dir);
    return dir;
  };

  const startWorker = async (name: string): Promise<Worker> => {
    const dir = newDir(name);
    let log = '';
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'bin', 'worker.ts')], {
      env: { ...env, FOLIO_DATA_DIR: dir },
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('folio worker: task queue')) resolve();
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        log += chunk.toString();
      });
      child.once('exit', (code) => reject(new Error(`worker ${name} exited with ${code} before it started:\n${log}`)));
    });
    const worker = { child, dir, log: () => log };
    workers.push(worker);
    return worker;
  };

  before(async () => {
    postgres = await startPostgres();
    s3 = await startS3();
    devServer = await startDevServer({ port: await freePort(), cli: findTemporalCli(loadConfig().temporal), searchAttributes: FOLIO_SEARCH_ATTRIBUTES });
    env = {
      ...process.env,
      ...FAST,
      ...s3.env,
      TEMPORAL_ADDRESS: devServer.address,
      FOLIO_TASK_QUEUE: `scale-${path.basename(newDir('queue'))}`,
      FOLIO_SEARCH_ATTRIBUTES: '1',
      FOLIO_DATABASE_URL: postgres.url,
      FOLIO_BLOB_URL: `s3://${s3.bucket}/folio`,
      PORT: '0',
    };
    api = await startApi(loadConfig({ ...env, FOLIO_DATA_DIR: newDir('api') }));
    temporal = await Connection.connect({ address: devServer.address });
  });

  after(async () => {
    await api?.close().catch(() => {});
    for (const { child } of workers) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await temporal?.close().catch(() => {});
    await devServer?.stop();
    await s3?.stop();
    await postgres?.stop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('ingests a batch of 10 while one worker is SIGKILLed with work in flight; every page once, every document answered', async (t) => {
    const [first, second] = [await startWorker('w1'), await startWorker('w2')];
    const form = new FormData();
    const pdfs = await cutDocuments();
    pdfs.forEach((bytes, i) => {
      form.append('file', new Blob([bytes]), `gnuplot-part-${i + 1}.pdf`);
    });
    form.set('window', '4');
    const response = await fetch(`${api.url}/v1/batches`, { method: 'POST', body: form });
    assert.equal(response.status, 202, await response.clone().text());
    const created = (await response.json()) as BatchCreatedView;
    assert.equal(created.documents.length, DOCS);

    const batch = async () => (await (await fetch(`${api.url}/v1/batches/${created.id}`)).json()) as BatchView;
    // Kill the first worker as soon as Temporal shows it running one of the batch's activities.
    const client = new Client({ connection: temporal });
    const identity = `${first.child.pid}@`;
    let killedWith: string | null = null;
    const deadline = Date.now() + 120_000;
    while (!killedWith) {
      const view = await batch();
      assert.ok(!batchIsClosed(view.phase), `the batch settled before worker 1 was seen running an activity: ${JSON.stringify(view.counts)}`);
      assert.ok(Date.now() < deadline, 'worker 1 never ran an activity of the batch');
      // Mid-batch: some pages stored already, some documents still to go.
      if (view.pages.done < 3) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      for (const workflowId of [created.id, ...created.documents.map((doc) => `ingest-${doc.id}`)]) {
        const description = await client.workflow
          .getHandle(workflowId)
          .describe()
          .catch(() => null);
        const running = description?.raw.pendingActivities?.find((a) => a.lastWorkerIdentity?.startsWith(identity) && a.lastStartedTime);
        if (running && description) {
          killedWith = `${running.activityType?.name} of ${workflowId} (${JSON.stringify(view.counts)}, pages ${view.pages.done}/${view.pages.total})`;
          const exited = new Promise((resolve) => first.child.once('exit', resolve));
          first.child.kill('SIGKILL');
          await exited;
          break;
        }
      }
      if (!killedWith) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    t.diagnostic(`SIGKILLed worker 1 while it ran ${killedWith}`);

    let view = await batch();
    for (const end = Date.now() + 300_000; !batchIsClosed(view.phase); view = await batch()) {
      assert.ok(Date.now() < end, `batch not done after 300 s: ${JSON.stringify(view.counts)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.equal(view.phase, 'done');
    assert.equal(second.child.exitCode, null, 'worker 2 is still running');
    assert.deepEqual(
      view.documents.filter((doc) => doc.outcome !== 'ready').map((doc) => `${doc.filename}: ${doc.outcome} ${doc.reason}`),
      [],
    );

    // Every page stored exactly once, read in PostgreSQL itself.
    const db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    try {
      for (const doc of created.documents) {
        const { rows: docs } = await db.query<{ status: string; page_count: number; index_key: string | null }>('SELECT status, page_count, index_key FROM documents WHERE id = $1', [doc.id]);
        assert.equal(docs.length, 1);
        assert.equal(docs[0].status, 'ready');
        assert.equal(docs[0].page_count, PAGES_PER_DOC);
        assert.ok(docs[0].index_key, `${doc.id}: an index`);
        const { rows: pages } = await db.query<{ page: number; n: string }>('SELECT page, COUNT(*) AS n FROM pages WHERE doc_id = $1 GROUP BY page ORDER BY page', [doc.id]);
        assert.deepEqual(
          pages.map((row) => [Number(row.page), Number(row.n)]),
          [
            [1, 1],
            [2, 1],
            [3, 1],
          ],
          `${doc.filename}: each page once`,
        );
        const { rows: twice } = await db.query('SELECT page, idx FROM paragraphs WHERE doc_id = $1 GROUP BY page, idx HAVING COUNT(*) > 1', [doc.id]);
        assert.deepEqual(twice, [], `${doc.filename}: no paragraph stored twice`);
      }

      // The API answers about every document: a question made of the words of its longest
      // paragraph, answered from the index it reads from the bucket.
      for (const doc of created.documents) {
        const { rows } = await db.query<{ text: string }>("SELECT text FROM paragraphs WHERE doc_id = $1 AND kind = 'text' ORDER BY length(text) DESC LIMIT 1", [doc.id]);
        assert.equal(rows.length, 1, `${doc.filename}: text`);
        const words = rows[0].text.split(/\s+/).filter((w) => /^[A-Za-z]{4,}$/.test(w)).slice(0, 8);
        assert.ok(words.length >= 3, `${doc.filename}: words in ${rows[0].text}`);
        const question = `${words.join(' ')}?`;
        const answer = await fetch(`${api.url}/v1/documents/${doc.id}/answers`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ question }),
        });
        assert.equal(answer.status, 200, await answer.clone().text());
        const body = (await answer.json()) as { answer: string; citations: { page: number }[] };
        assert.ok(body.answer.length > 0, `${doc.filename}: an answer to ${question}`);
        assert.ok(body.citations.length > 0, `${doc.filename}: citations for ${question} (answer: ${body.answer})`);
        for (const citation of body.citations) assert.ok(citation.page >= 1 && citation.page <= PAGES_PER_DOC);
      }
    } finally {
      await db.end();
    }

    // The workers' own folders hold no metadata and no blob store of their own.
    for (const worker of [first, second]) {
      assert.ok(!fs.existsSync(path.join(worker.dir, 'folio.sqlite')), 'a worker opened no SQLite file');
      assert.ok(!fs.existsSync(path.join(worker.dir, 'blobs')), 'a worker has no blob folder');
    }
    assert.match(second.log(), /folio worker: task queue/);
  });
});
