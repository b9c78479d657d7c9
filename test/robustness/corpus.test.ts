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
    // Upload everything first (the worker drains the queue), then wait for each in turn.
    const ids: { row: Row; id: string | null; status: number; code?: string }[] = [];
    for (const row of rows) {
      const { status, body } = await uploadPdf(stack.api.url, fs.readFileSync(path.join(DIR, row.file)));
      ids.push({ row, id: status === 202 || status === 200 ? body.id : null, status, code: body.error?.code });
    }
    for (const { row, id, status, code } of ids) {
      if (!id) {
        assert.ok(status >= 400 && status < 500, `${row.file}: HTTP ${status}`);
        record(`rejected at upload (${code})`, row.file);
        continue;
      }
      const deadline = Date.now() + PER_DOCUMENT_MS;
      let doc = await getDocument(stack.api.url, id);
      while (doc.status !== 'ready' && doc.status !== 'failed') {
        assert.ok(Date.now() < deadline, `${row.file} did not settle within ${PER_DOCUMENT_MS} ms (${doc.status}, ${doc.pages.done}/${doc.pages.total})`);
        assert.equal(stack.worker.exitCode, null, `worker died while ingesting ${row.file}:\n${stack.workerLog().slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
        doc = await getDocument(stack.api.url, id);
      }
      if (doc.status === 'failed') {
        assert.ok((doc.failureReason ?? '').length > 10, `${row.file}: failed without a readable reason`);
        record('failed', `${row.file}: ${doc.failureReason}`);
      } else {
        record((doc.pages as { withErrors?: number }).withErrors ? 'ready, some pages with errors' : 'ready', row.file);
      }
    }
    assert.equal(stack.worker.exitCode, null, 'the worker crashed');
    for (const [outcome, files] of [...outcomes.entries()].sort()) {
      t.diagnostic(`${outcome}: ${files.length}`);
      if (outcome !== 'ready') for (const file of files) t.diagnostic(`  ${file}`);
    }
    const total = [...outcomes.values()].reduce((n, files) => n + files.length, 0);
    assert.equal(total, rows.length);
  });
});
