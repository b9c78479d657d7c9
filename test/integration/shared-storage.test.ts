/**
 * Shared storage end to end: metadata in a real PostgreSQL, blobs in an S3 server (s3rver), one
 * Temporal dev server, one worker process and two APIs. The second API has its own data
 * directory (so its own blob cache and index cache) and its own connection pool: all it knows
 * of the document comes from the database and the bucket. A PDF uploaded through the first API
 * must be ready, and answered the same, through the second.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningApi, startApi } from '../../bin/api.ts';
import { loadConfig } from '../../lib/config.ts';
import { postgresBinDir, startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { startS3, type TestS3 } from '../helpers/s3.ts';
import { corpus, readQuestions, startStack, type TestStack, uploadPdf, waitForDocument } from '../helpers/stack.ts';

const COMET = path.join(corpus, 'qa', 'pdfs', 'comet-paper.pdf');
const skip = postgresBinDir() ? false : 'PostgreSQL server binaries are not installed (apt-get install postgresql)';

interface Answer {
  answer: string;
  citations: { page: number; bbox: number[]; quote: string }[];
}

async function ask(apiUrl: string, docId: string, question: string): Promise<Answer> {
  const response = await fetch(`${apiUrl}/v1/documents/${docId}/answers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ question }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  const { answer, citations } = (await response.json()) as Answer;
  return { answer, citations };
}

describe('shared storage: two APIs and a worker on PostgreSQL + S3', { skip }, () => {
  let postgres: TestPostgres;
  let s3: TestS3;
  let stack: TestStack;
  let second: RunningApi;
  let secondDir: string;

  before(async () => {
    postgres = await startPostgres();
    s3 = await startS3();
    const shared = { FOLIO_DATABASE_URL: postgres.url, FOLIO_BLOB_URL: `s3://${s3.bucket}/folio`, ...s3.env };
    stack = await startStack(shared);
    secondDir = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-second-api-'));
    second = await startApi(loadConfig({ ...stack.env, FOLIO_DATA_DIR: secondDir }));
  });

  after(async () => {
    await second?.close().catch(() => {});
    await stack?.stop();
    await s3?.stop();
    await postgres?.stop();
    if (secondDir) fs.rmSync(secondDir, { recursive: true, force: true });
  });

  it('ingests through one API, and both answer the same with the same citations', async () => {
    const upload = await uploadPdf(stack.api.url, new Uint8Array(fs.readFileSync(COMET)));
    assert.equal(upload.status, 202, upload.body.error?.message ?? '');
    const ready = await waitForDocument(second.url, upload.body.id, 180_000);
    assert.equal(ready.status, 'ready', ready.failureReason ?? '');
    assert.equal(ready.pages.done, 15);

    // Nothing of the document is on the second API's disk but what it read from the bucket.
    assert.ok(!fs.existsSync(path.join(secondDir, 'folio.sqlite')), 'the second API opened no SQLite file');
    assert.ok(!fs.existsSync(path.join(secondDir, 'blobs')), 'the second API has no blob folder');

    const questions = readQuestions('comet-paper.pdf').filter((q) => q.answer !== null);
    assert.ok(questions.length >= 5);
    for (const q of questions) {
      const first = await ask(stack.api.url, upload.body.id, q.question);
      const other = await ask(second.url, upload.body.id, q.question);
      assert.ok(first.answer.length > 0, q.id);
      assert.ok(first.citations.length > 0, `${q.id}: no citations`);
      assert.deepEqual(other, first, q.id);
    }
  });
});
