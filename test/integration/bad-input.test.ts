/**
 * Bad input gets a clear error and loses nothing: uploads that can be judged at the door get a
 * 4xx; PDFs that only the parser can judge (truncated, encrypted, damaged) end `failed` with a
 * readable reason. The worker stays up throughout and the next good PDF still ingests.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { corpus, startStack, type TestStack, uploadPdf, waitForDocument } from '../helpers/stack.ts';

const robustness = (name: string) => fs.readFileSync(path.join(corpus, 'robustness', name));
const MAX_UPLOAD = 3 * 1024 * 1024;

describe('bad input', () => {
  let stack: TestStack;

  before(async () => {
    stack = await startStack({ FOLIO_MAX_UPLOAD_BYTES: String(MAX_UPLOAD) });
  });
  after(async () => {
    await stack?.stop();
  });

  it('rejects an empty body with 400', async () => {
    const { status, body } = await uploadPdf(stack.api.url, new Uint8Array());
    assert.equal(status, 400);
    assert.equal(body.error?.code, 'empty_body');
  });

  it('rejects bytes that are not a PDF with 415', async () => {
    const { status, body } = await uploadPdf(stack.api.url, new TextEncoder().encode('<html>not a pdf</html>'));
    assert.equal(status, 415);
    assert.equal(body.error?.code, 'not_a_pdf');
    assert.match(body.error?.message ?? '', /not a PDF/);
  });

  it('rejects a multipart body without a file part, and one over the size limit with 413', async () => {
    const form = new FormData();
    form.set('note', 'no file here');
    const missing = await fetch(`${stack.api.url}/v1/documents`, { method: 'POST', body: form });
    assert.equal(missing.status, 400);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'missing_file');
    const big = new Uint8Array(MAX_UPLOAD + 1);
    big.set(new TextEncoder().encode('%PDF-1.4\n'));
    const { status, body } = await uploadPdf(stack.api.url, big);
    assert.equal(status, 413);
    assert.equal(body.error?.code, 'too_large');
  });

  const failing: [string, () => Uint8Array, RegExp][] = [
    // MANIFEST: "Missing 'endstream' or incorrect stream length | Couldn't find trailer dictionary".
    ['a truncated PDF (REDHAT-1531897-0.pdf)', () => robustness('REDHAT-1531897-0.pdf'), /damaged/],
    ['the first 5% of a real paper', () => {
      const bytes = fs.readFileSync(path.join(corpus, 'qa', 'pdfs', 'comet-paper.pdf'));
      return bytes.subarray(0, Math.floor(bytes.length * 0.05));
    }, /damaged/],
    // MANIFEST: "encrypted: user password required".
    ['an encrypted PDF (issue21579.pdf)', () => robustness('issue21579.pdf'), /encrypted.*password/],
    ['a PDF with a broken trailer (bug1020226.pdf)', () => robustness('bug1020226.pdf'), /damaged/],
  ];
  for (const [name, bytesOf, reason] of failing) {
    it(`accepts ${name}, then fails it with a readable reason`, async () => {
      const { status, body } = await uploadPdf(stack.api.url, bytesOf());
      assert.equal(status, 202);
      const doc = await waitForDocument(stack.api.url, body.id, 60_000);
      assert.equal(doc.status, 'failed');
      assert.match(doc.failureReason ?? '', reason);
      const ask = await fetch(`${stack.api.url}/v1/documents/${body.id}/answers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ question: 'anything?' }),
      });
      assert.equal(ask.status, 409);
    });
  }

  it('keeps the worker up, and the next good PDF still ingests', async () => {
    assert.equal(stack.worker.exitCode, null, `worker died:\n${stack.workerLog()}`);
    const { status, body } = await uploadPdf(stack.api.url, robustness('tracemonkey.pdf'));
    assert.equal(status, 202);
    const doc = await waitForDocument(stack.api.url, body.id, 120_000);
    assert.equal(doc.status, 'ready', doc.failureReason ?? '');
    assert.equal(doc.pages.total, 14);
    assert.equal(stack.worker.exitCode, null);
  });
});
