/**
 * The whole robustness corpus through real ingestion (`npm run test:robustness`): every PDF of
 * ../shared/corpus/robustness/MANIFEST.tsv must end `ready`, or `failed` with a readable reason,
 * without crashing the worker and within a time limit. Prints the counts by outcome.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { corpus, getDocument, startStack, type TestStack, uploadPdf } from '../helpers/stack.ts';

const DIR = path.join(corpus, 'robustness');
const PER_DOCUMENT_MS = Number(process.env.FOLIO_ROBUSTNESS_DOC_TIMEOUT_MS ?? 180_000);
/** Documents uploaded and not yet settled at any time (the worker runs a few activities at once). */
const IN_FLIGHT = 4;

interface Row {
  file: string;
  note: string;
}

function manifest(): Row[] {
  const [header, ...lines] = fs.readFileSync(path.join(DIR, 'MANIFEST.tsv'), 'utf8').trim().split('\n');
  const columns = header.split('\t');
  return lines.map((line) => {
    const cells = line.split('\t');
    return { file: cells[columns.indexOf('file')], note: cells[columns.indexOf('note')] };
  });
}

describe('robustness corpus', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startStack({ FOLIO_PAGE_TIMEOUT_MS: '20000' });
  });
  after(async () => {
    await stack?.stop();
  });

  it('ingests every file to ready or failed-with-a-reason, and the worker survives', { timeout: 3 * 3600_000 }, async (t) => {
    const rows = manifest();
    const outcomes = new Map<string, string[]>();
    const record = (outcome: string, file: string) => outcomes.set(outcome, [...(outcomes.get(outcome) ?? []), file]);
    // A few documents in flight at a time, so each one's time limit measures its own ingestion
    // rather than its place behind the whole corpus in the task queue.
    const settle = async (row: Row): Promise<void> => {
      const { status, body } = await uploadPdf(stack.api.url, fs.readFileSync(path.join(DIR, row.file)));
      if (!(status === 202 || status === 200)) {
        assert.ok(status >= 400 && status < 500, `${row.file}: HTTP ${status}`);
        record(`rejected at upload (${body.error?.code})`, row.file);
        return;
      }
      const deadline = Date.now() + PER_DOCUMENT_MS;
      let doc = await getDocument(stack.api.url, body.id);
      while (doc.status !== 'ready' && doc.status !== 'failed') {
        assert.equal(stack.worker.exitCode, null, `worker died while ingesting ${row.file}:\n${stack.workerLog().slice(-3000)}`);
        assert.ok(
          Date.now() < deadline,
          `${row.file} did not settle within ${PER_DOCUMENT_MS} ms (${doc.status}, ${doc.pages.done}/${doc.pages.total}); worker log:\n${stack.workerLog().slice(-3000)}`,
        );
        await new Promise((resolve) => setTimeout(resolve, 200));
        doc = await getDocument(stack.api.url, body.id);
      }
      if (doc.status === 'failed') {
        assert.ok((doc.failureReason ?? '').length > 10, `${row.file}: failed without a readable reason`);
        record('failed', `${row.file}: ${doc.failureReason}`);
      } else {
        record((doc.pages as { withErrors?: number }).withErrors ? 'ready, some pages with errors' : 'ready', row.file);
      }
    };
    const queue = [...rows];
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        for (let row = queue.shift(); row; row = queue.shift()) await settle(row);
      }),
    );
    assert.equal(stack.worker.exitCode, null, 'the worker crashed');
    for (const [outcome, files] of [...outcomes.entries()].sort()) {
      t.diagnostic(`${outcome}: ${files.length}`);
      if (outcome !== 'ready') for (const file of files) t.diagnostic(`  ${file}`);
    }
    const total = [...outcomes.values()].reduce((n, files) => n + files.length, 0);
    assert.equal(total, rows.length);
  });
});
