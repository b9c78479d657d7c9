/**
 * End to end over HTTP on a real Temporal dev server: upload the COMET paper, wait until it is
 * ready, ask every answerable question about it, and check that each answer cites one of the
 * question's evidence pages. Also: idempotent upload, thumbnails, the progress query, the CLI.
 * Every response the flow receives is held to what /openapi.json declares for it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import sharp from 'sharp';
import { ingestWorkflowId } from '../../api/ingestion.ts';
import { runCli } from '../../bin/folio.ts';
import { loadConfig } from '../../lib/config.ts';
import { type Contract, loadContract } from '../helpers/contract.ts';
import { corpus, readQuestions, startStack, type TestStack, waitForDocument } from '../helpers/stack.ts';

const COMET = path.join(corpus, 'qa', 'pdfs', 'comet-paper.pdf');

class Capture {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

describe('HTTP end to end (comet-paper.pdf)', () => {
  let stack: TestStack;
  let docId: string;
  let contract: Contract;
  const api = (p: string) => `${stack.api.url}${p}`;
  /** GETs (or sends) a request and returns its body once it is checked against the contract. */
  const call = async <T>(p: string, init: RequestInit = {}): Promise<{ status: number; body: T; headers: Headers }> => {
    const response = await fetch(api(p), init);
    return { status: response.status, headers: response.headers, body: await contract.check<T>(init.method ?? 'GET', p, response) };
  };

  before(async () => {
    stack = await startStack();
    contract = await loadContract(stack.api.url);
  });
  after(async () => {
    await stack?.stop();
  });

  it('accepts the upload with 202 and ingests it to ready', async () => {
    const { status, body } = await call<{ id: string; created: boolean }>('/v1/documents', {
      method: 'POST',
      body: fs.readFileSync(COMET),
      headers: { 'content-type': 'application/pdf' },
    });
    assert.equal(status, 202);
    assert.match(body.id, /^[0-9a-f]{64}$/);
    assert.equal(body.created, true);
    docId = body.id;
    await waitForDocument(stack.api.url, docId, 120_000);
    const { body: doc } = await call<{ status: string; failureReason: string | null; pages: unknown }>(`/v1/documents/${docId}`);
    assert.equal(doc.status, 'ready', doc.failureReason ?? '');
    assert.deepEqual(doc.pages, { done: 15, total: 15, withErrors: 0 });
    const { body: list } = await call<{ documents: { id: string }[] }>('/v1/documents');
    assert.deepEqual(
      list.documents.map((d) => d.id),
      [docId],
    );
  });

  it('treats the same PDF uploaded again as the same document, with no second workflow', async () => {
    const { status, body } = await call<{ id: string; created: boolean }>('/v1/documents', {
      method: 'POST',
      body: fs.readFileSync(COMET),
      headers: { 'content-type': 'application/pdf' },
    });
    assert.equal(status, 200);
    assert.equal(body.id, docId);
    assert.equal(body.created, false);
    const connection = await Connection.connect({ address: stack.devServer.address });
    try {
      const client = new Client({ connection });
      const runs = [];
      for await (const run of client.workflow.list({ query: `WorkflowId = '${ingestWorkflowId(docId)}'` })) runs.push(run);
      assert.equal(runs.length, 1);
      const progress = await client.workflow.getHandle(ingestWorkflowId(docId)).query<{ phase: string; pageCount: number; pagesDone: number }>('progress');
      assert.deepEqual({ phase: progress.phase, pageCount: progress.pageCount, pagesDone: progress.pagesDone }, { phase: 'ready', pageCount: 15, pagesDone: 15 });
    } finally {
      await connection.close();
    }
  });

  it('answers each answerable question with a citation on an evidence page', async () => {
    const questions = readQuestions('comet-paper.pdf').filter((q) => q.answer !== null);
    assert.ok(questions.length >= 5);
    for (const q of questions) {
      const { status, body: answer } = await call<{
        answer: string;
        citations: { page: number; bbox: number[]; quote: string }[];
        ledger: { sampler: { selected: unknown[] }; retrieval: { pageRanking: number[] } };
      }>(`/v1/documents/${docId}/answers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ question: q.question }),
      });
      assert.equal(status, 200);
      assert.ok(answer.answer.length > 0, q.id);
      assert.ok(answer.ledger.sampler.selected.length > 0, q.id);
      assert.ok(answer.ledger.retrieval.pageRanking.length > 0, q.id);
      for (const citation of answer.citations) {
        assert.equal(citation.bbox.length, 4);
        assert.ok(citation.bbox[0] <= citation.bbox[2] && citation.bbox[1] <= citation.bbox[3]);
        assert.ok(citation.quote.length > 0);
      }
      const cited = answer.citations.map((c) => c.page);
      assert.ok(
        cited.some((page) => q.evidence_pages.includes(page)),
        `${q.id}: cited pages ${cited.join(',')} miss evidence pages ${q.evidence_pages.join(',')}`,
      );
    }
  });

  it('serves page thumbnails as PNG and 404s for pages that do not exist', async () => {
    const { status, headers, body: png } = await call<Uint8Array>(`/v1/documents/${docId}/pages/1/thumbnail.png`);
    assert.equal(status, 200);
    assert.equal(headers.get('content-type'), 'image/png');
    const meta = await sharp(png).metadata();
    assert.equal(meta.format, 'png');
    assert.equal(Math.max(meta.width ?? 0, meta.height ?? 0), stack.config.pages.images.thumbnailMaxSide);
    const missing = await call<{ error: { code: string } }>(`/v1/documents/${docId}/pages/99/thumbnail.png`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'page_not_found');
  });

  it('shows a page\'s units with kind, box, section path and reading order', async () => {
    const { status, body: page } = await call<{
      width: number;
      height: number;
      units: { readingOrder: number; kind: string; text: string; bbox: number[]; section: string[] }[];
    }>(`/v1/documents/${docId}/pages/7`);
    assert.equal(status, 200);
    assert.ok(page.units.length > 5);
    assert.deepEqual(
      page.units.map((u) => u.readingOrder),
      page.units.map((_, i) => i),
    );
    for (const unit of page.units) {
      assert.ok(unit.bbox[0] >= 0 && unit.bbox[2] <= page.width + 1 && unit.bbox[3] <= page.height + 1, JSON.stringify(unit));
    }
    const heading = page.units.find((u) => u.kind === 'heading' && u.text.includes('Empirical Evaluation'));
    assert.ok(heading, 'the section heading on page 7 is recognised');
    const body = page.units.find((u) => u.text.startsWith('We will now evaluate'));
    assert.ok(body?.section.some((title) => title.includes('Empirical Evaluation')), JSON.stringify(body?.section));
    assert.ok(page.units.some((u) => u.kind === 'caption' && u.text.startsWith('Table 2')));
    assert.ok(page.units.some((u) => u.kind === 'footer' && u.text === '7'), 'the page number is a footer');
  });

  it('stores the AnyRes crop plan of every page: a visual thumbnail and grid tiles', async () => {
    const { body: page } = await call<{ crops: { grid: { rows: number; cols: number }; tile: number; images: string[] } }>(`/v1/documents/${docId}/pages/3`);
    assert.deepEqual(page.crops.grid, { rows: 2, cols: 2 }, 'a letter page fits the 672×672 grid');
    assert.equal(page.crops.images.length, 1 + 4);
    for (const url of page.crops.images) {
      const { status, body: png } = await call<Uint8Array>(url);
      assert.equal(status, 200);
      const meta = await sharp(png).metadata();
      assert.deepEqual([meta.width, meta.height], [page.crops.tile, page.crops.tile]);
    }
  });

  it('keeps a quarter of each page’s visual tokens, with boxes on the page and the budget ledger', async () => {
    const { status, body: view } = await call<{
      encoder: string;
      count: number;
      tokens: { crop: number; patch: number | null; box: number[]; mergedFrom: number }[];
      ledger: { retention: number; budget: number; stages: { stage: string; tokensIn: number; tokensOut: number }[] };
    }>(`/v1/documents/${docId}/pages/3/tokens`);
    assert.equal(status, 200);
    assert.equal(view.ledger.retention, 0.25);
    const encoded = view.ledger.stages.find((stage) => stage.stage === 'encode');
    assert.ok(encoded && encoded.tokensOut > 0, 'the encode stage is in the ledger');
    assert.equal(view.ledger.budget, Math.floor(encoded.tokensOut * 0.25), 'budget = retention × tokens encoded');
    assert.equal(view.count, view.ledger.budget, 'as many tokens kept as the budget allows');
    assert.equal(view.tokens.length, view.count);
    for (const token of view.tokens) {
      assert.ok(token.crop >= 0 && token.crop <= 4, `crop ${token.crop} of the thumbnail + 2×2 grid`);
      const [x0, y0, x1, y1] = token.box;
      assert.ok(x0 >= -1 && y0 >= -1 && x1 <= 613 && y1 <= 793 && x0 < x1 && y0 < y1, `box ${token.box} lies on the letter page`);
    }
  });

  it('serves every page, its tables (JSON and CSV), its figures and the operations routes as the contract declares', async () => {
    const figures: string[] = [];
    for (let n = 1; n <= 15; n++) {
      const { status, body } = await call<{ units: { figureId?: string }[] }>(`/v1/documents/${docId}/pages/${n}`);
      assert.equal(status, 200);
      for (const unit of body.units) if (unit.figureId) figures.push(unit.figureId);
    }
    assert.ok(figures.length > 0, 'the COMET paper has figures');
    for (const figure of figures) assert.equal((await call(`/v1/documents/${docId}/figures/${figure}.png`)).status, 200, figure);
    const { body: tables } = await call<{ tables: { id: string }[] }>(`/v1/documents/${docId}/tables`);
    assert.ok(tables.tables.length > 0, 'the COMET paper has tables');
    for (const table of tables.tables) {
      assert.equal((await call(`/v1/documents/${docId}/tables/${table.id}`)).status, 200, table.id);
      const csv = await call(`/v1/documents/${docId}/tables/${table.id}?format=csv`);
      assert.equal(csv.headers.get('content-type')?.split(';')[0], 'text/csv', table.id);
    }
    assert.equal((await call('/healthz')).status, 200);
    assert.equal((await call('/readyz')).status, 200);
    for (const component of ['Upload', 'Document', 'DocumentList', 'Answer', 'Page', 'VisualTokens', 'Tables', 'Table', 'Health', 'Readiness']) {
      assert.ok(contract.checked.get(component), `some ${component} response was checked`);
    }
  });

  it('returns JSON errors for unknown documents, bad questions and unknown routes', async () => {
    type ErrorBody = { error: { code: string } };
    const unknown = await call<ErrorBody>(`/v1/documents/${'0'.repeat(64)}`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'document_not_found');
    const noQuestion = await call<ErrorBody>(`/v1/documents/${docId}/answers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({}),
    });
    assert.equal(noQuestion.status, 400);
    assert.equal(noQuestion.body.error.code, 'invalid_request');
    const notPdf = await call<ErrorBody>('/v1/documents', { method: 'POST', body: 'not a pdf', headers: { 'content-type': 'application/pdf' } });
    assert.equal(notPdf.status, 415);
    const noTable = await call<ErrorBody>(`/v1/documents/${docId}/tables/99-9`);
    assert.equal(noTable.status, 404);
    const noFigure = await call<ErrorBody>(`/v1/documents/${docId}/figures/99-9.png`);
    assert.equal(noFigure.status, 404);
    const route = await call<ErrorBody>('/v1/nothing');
    assert.equal(route.status, 404);
    assert.equal(route.body.error.code, 'not_found');
  });

  it('the CLI asks by file and prints the answer with page citations', async () => {
    const out = new Capture();
    const err = new Capture();
    const code = await runCli(['ask', COMET, 'On what hardware were the COMET experiments run?'], loadConfig({ FOLIO_URL: stack.api.url }), {
      out: out as unknown as NodeJS.WritableStream,
      err: err as unknown as NodeJS.WritableStream,
    });
    assert.equal(code, 0, err.text);
    assert.match(out.text, /Xeon/);
    assert.match(out.text, /\[p\. 13\]/);
    assert.match(err.text, /15\/15 pages ready/);
  });
});
