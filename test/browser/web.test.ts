/**
 * Folio's web page in a real browser: Debian's Chromium driven by playwright-core, against a
 * real stack (Temporal dev server, worker, API). The COMET paper is uploaded through the page's
 * file input, becomes ready in the document list, a question is asked and its answer streams in,
 * and the citation opens the cited page with the cited box drawn where the box is on the page.
 * A second API over the same data with FOLIO_API_KEYS set checks the key prompt: the key goes
 * only in Authorization headers, never in a URL, and images come through blob: URLs.
 *
 * Screenshots go to test/browser/screenshots/ (not committed).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type RunningApi, startApi } from '../../bin/api.ts';
import { corpus, projectRoot, readQuestions, startStack, type TestStack } from '../helpers/stack.ts';

const COMET = path.join(corpus, 'qa', 'pdfs', 'comet-paper.pdf');
const MCDONALDS = path.join(corpus, 'finance', 'pdfs', 'MCDONALDS_2023Q2_EARNINGS.pdf');
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = path.join(projectRoot, 'test', 'browser', 'screenshots');
const INGEST_TIMEOUT_MS = 240_000;
const KEY = 'browser-test-key-7f3a';

interface Citation {
  page: number;
  bbox: [number, number, number, number];
  quote: string;
}
interface AnswerJson {
  answer: string;
  found: boolean;
  citations: Citation[];
  ledger: {
    sampler: { selected: unknown[] };
    retrieval: { pageRanking: number[] };
    reader: { notFoundReason?: string | null; numeric?: { status: string; filled?: string } };
  };
}

function financeQuestion(id: string): { question: string; answer: string | null; evidence_pages: number[] } {
  const line = fs
    .readFileSync(path.join(corpus, 'finance', 'questions.jsonl'), 'utf8')
    .split('\n')
    .find((l) => l.includes(`"id": "${id}"`));
  assert.ok(line, `finance question ${id}`);
  return JSON.parse(line);
}

async function launch(): Promise<{ context: BrowserContext; page: Page; errors: string[]; close(): Promise<void> }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 860 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  // Uncaught exceptions in the page's script; failed requests are the API's business, not errors here.
  page.on('pageerror', (error) => errors.push(error.message));
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

async function shoot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

async function askJson(apiUrl: string, docId: string, question: string, headers: Record<string, string> = {}): Promise<AnswerJson> {
  const response = await fetch(`${apiUrl}/v1/documents/${docId}/answers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ question }),
  });
  assert.equal(response.status, 200);
  return (await response.json()) as AnswerJson;
}

/** Asks through the page's ask box and waits until the final answer is shown. */
async function askOnPage(page: Page, question: string): Promise<void> {
  await page.getByLabel('Ask a question about this document').fill(question);
  await page.getByRole('button', { name: 'Ask', exact: true }).click();
  await page.locator('.answer[aria-busy="false"] .answer-text:not(.streaming)').waitFor({ timeout: 60_000 });
  await page.locator('.ask-status', { hasText: 'Answered in' }).waitFor();
}

/** The highlighted box must lie over the page image where the PDF box is, scaled to the image. */
async function assertHighlightAt(page: Page, bbox: number[], pageSize: { width: number; height: number }): Promise<void> {
  const highlight = page.locator('.overlay rect.highlight');
  await highlight.waitFor();
  assert.equal(await highlight.getAttribute('data-box'), bbox.map((v) => Math.round(v * 100) / 100).join(','));
  const image = await page.locator('.page-canvas').boundingBox();
  const rect = await highlight.boundingBox();
  assert.ok(image && rect, 'the page and the highlight are on screen');
  const sx = image.width / pageSize.width;
  const sy = image.height / pageSize.height;
  const expected = { x: image.x + bbox[0] * sx, y: image.y + bbox[1] * sy, width: (bbox[2] - bbox[0]) * sx, height: (bbox[3] - bbox[1]) * sy };
  // The stroke is drawn half outside the rectangle, so the box on screen may be a few pixels larger.
  for (const key of ['x', 'y', 'width', 'height'] as const) {
    assert.ok(Math.abs(rect[key] - expected[key]) <= 4, `highlight ${key} ${rect[key].toFixed(1)} vs ${expected[key].toFixed(1)}`);
  }
}

describe('the web page in Chromium', () => {
  let stack: TestStack;
  let docId: string;
  let statementsId: string;
  let browser: Awaited<ReturnType<typeof launch>>;

  before(async () => {
    assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);
    stack = await startStack();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('serves the page and its bundled assets without a key, with a strict content policy', async () => {
    const html = await fetch(`${stack.api.url}/`);
    assert.equal(html.status, 200);
    assert.match(html.headers.get('content-type') ?? '', /text\/html/);
    assert.match(html.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    const text = await html.text();
    assert.doesNotMatch(text, /(src|href)="(https?:)?\/\//, 'nothing loaded from another origin');
    const script = await fetch(`${stack.api.url}/assets/app.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    assert.ok((await script.text()).length > 1000);
    assert.equal((await fetch(`${stack.api.url}/assets/app.css`)).status, 200);
    assert.equal((await fetch(`${stack.api.url}/assets/nothing.js`)).status, 404);
  });

  it('uploads PDFs through the file input and shows them becoming ready', async () => {
    const { page } = browser;
    await page.goto(`${stack.api.url}/`);
    await page.getByRole('heading', { name: 'Ask your PDFs' }).waitFor();
    await page.locator('#file-input').setInputFiles([COMET, MCDONALDS]);
    const upload = page.locator('.upload', { hasText: 'comet-paper.pdf' });
    await upload.locator('.upload-state', { hasText: 'uploaded, ingesting' }).waitFor({ timeout: 30_000 });
    docId = (await upload.getAttribute('data-document-id')) ?? '';
    assert.match(docId, /^[0-9a-f]{64}$/);
    const second = page.locator('.upload', { hasText: 'MCDONALDS_2023Q2_EARNINGS.pdf' });
    await second.locator('.upload-state', { hasText: 'uploaded, ingesting' }).waitFor({ timeout: 30_000 });
    statementsId = (await second.getAttribute('data-document-id')) ?? '';
    assert.match(statementsId, /^[0-9a-f]{64}$/);
    const bar = upload.locator('progress');
    assert.equal(await bar.getAttribute('value'), await bar.getAttribute('max'), 'the upload bar is full');
    assert.ok(Number(await bar.getAttribute('max')) > 1000);

    const item = page.locator(`li.doc[data-document-id="${docId}"]`);
    await item.waitFor();
    assert.equal(await item.locator('.doc-name').textContent(), 'comet-paper.pdf');
    const link = await item.locator('a.doc-workflow').getAttribute('href');
    const ui = stack.config.api.temporalUi;
    assert.equal(link, `${ui.url}/namespaces/${ui.namespace}/workflows?query=${encodeURIComponent(`WorkflowId="ingest-${docId}"`)}`);
    await item.locator('button.doc-open').click();
    await shoot(page, '1-ingesting');
    await page.locator(`li.doc[data-document-id="${docId}"][data-status="ready"]`).waitFor({ timeout: INGEST_TIMEOUT_MS });
    assert.equal(await item.locator('.doc-pages').textContent(), '15/15 pages');
    assert.equal(await item.locator('.badge').textContent(), 'ready');
    await page.locator('.doc-header .badge', { hasText: 'ready' }).waitFor();
    assert.equal(await page.locator('.thumbs li').count(), 15);
    await page.locator('.thumbs li[data-page="1"] img').waitFor();
    assert.match((await page.locator('.thumbs li[data-page="1"] img').getAttribute('src')) ?? '', /^blob:/);
    await page.locator(`li.doc[data-document-id="${statementsId}"][data-status="ready"]`).waitFor({ timeout: INGEST_TIMEOUT_MS });
    assert.equal(await page.locator('li.doc').count(), 2);
  });

  it('streams an answer, shows the ledger, and opens the cited box on the cited page', async () => {
    const { page } = browser;
    const question = readQuestions('comet-paper.pdf').find((q) => q.id === 'q31');
    assert.ok(question);
    const expected = await askJson(stack.api.url, docId, question.question);
    assert.ok(expected.found && expected.citations.length > 0, 'the API answers this question with citations');

    await askOnPage(page, question.question);
    assert.equal(await page.locator('.answer-text').textContent(), expected.answer);
    const citations = page.locator('button.citation');
    assert.equal(await citations.count(), expected.citations.length);

    const ledger = page.locator('details.ledger');
    await ledger.locator('summary').click();
    assert.equal(await ledger.locator('table.sampler tbody tr').count(), expected.ledger.sampler.selected.length);
    assert.deepEqual(
      (await ledger.locator('dd .chips .chip').allTextContents()).map(Number),
      expected.ledger.retrieval.pageRanking,
    );
    await shoot(page, '2-answer-ledger');

    const first = expected.citations[0];
    assert.ok(question.evidence_pages.includes(first.page), `the first citation is on evidence page ${question.evidence_pages}`);
    await citations.first().click();
    await page.getByRole('heading', { name: `Page ${first.page} of 15` }).waitFor();
    const pageJson = (await (await fetch(`${stack.api.url}/v1/documents/${docId}/pages/${first.page}`)).json()) as { width: number; height: number; units: unknown[] };
    await page.locator('.page-image[src^="blob:"]').waitFor();
    await assertHighlightAt(page, first.bbox, pageJson);
    assert.equal(await page.locator('.overlay rect.unit').count(), pageJson.units.length, 'one box per unit');
    assert.equal(await page.locator('.thumbs button[aria-current="page"]').getAttribute('aria-label'), `Page ${first.page}`);
    await page.locator('.page-canvas').scrollIntoViewIfNeeded();
    await shoot(page, '3-citation-page');
  });

  it('says why when the document does not say', async () => {
    const { page } = browser;
    const question = readQuestions('comet-paper.pdf').find((q) => q.id === 'q40');
    assert.ok(question && question.answer === null);
    const expected = await askJson(stack.api.url, docId, question.question);
    assert.equal(expected.found, false);
    await askOnPage(page, question.question);
    assert.equal(await page.locator('.answer-text').textContent(), expected.answer);
    const reason = await page.locator('.not-found-reason').textContent();
    assert.equal(reason, `Why: ${expected.ledger.reader.notFoundReason}`);
    assert.equal(await page.locator('button.citation').count(), 0);
  });

  it('shows a page’s figure crops, tables as tables and its kept visual tokens', async () => {
    const { page } = browser;
    const figurePage = 6;
    await page.locator(`.thumbs li[data-page="${figurePage}"] button`).click();
    await page.getByRole('heading', { name: `Page ${figurePage} of 15` }).waitFor();
    const pageJson = (await (await fetch(`${stack.api.url}/v1/documents/${docId}/pages/${figurePage}`)).json()) as { units: { kind: string; image?: string | null }[] };
    const figures = pageJson.units.filter((u) => u.kind === 'figure' && u.image);
    assert.ok(figures.length > 0, 'page 6 has a figure with a crop');
    await page.locator('.figure-crop img[src^="blob:"]').first().waitFor();
    assert.equal(await page.locator('.figure-crop').count(), pageJson.units.filter((u) => u.kind === 'figure').length);

    const tokens = (await (await fetch(`${stack.api.url}/v1/documents/${docId}/pages/${figurePage}/tokens`)).json()) as { count: number };
    await page.getByLabel('kept visual tokens').check();
    await page.locator('.token-summary', { hasText: 'tokens kept' }).waitFor();
    assert.equal(await page.locator('.overlay rect.token').count(), tokens.count);
    await shoot(page, '4-figure-tokens');
    await page.getByLabel('kept visual tokens').uncheck();
    assert.equal(await page.locator('.overlay rect.token').count(), 0);

    const tablePage = 7;
    await page.locator(`.thumbs li[data-page="${tablePage}"] button`).click();
    await page.getByRole('heading', { name: `Page ${tablePage} of 15` }).waitFor();
    const tableJson = (await (await fetch(`${stack.api.url}/v1/documents/${docId}/pages/${tablePage}`)).json()) as { units: { kind: string; cells?: string[][] }[] };
    const tables = tableJson.units.filter((u) => u.kind === 'table');
    assert.ok(tables.length > 0, 'page 7 has tables');
    await page.locator('.page-tables table').first().waitFor();
    assert.equal(await page.locator('.page-tables .table-holder').count(), tables.length);
    assert.ok((await page.locator('.page-tables td').count()) > 4, 'the tables have cells');
    assert.deepEqual(browser.errors, []);
  });

  it('answers from statement table cells, highlights a cited cell, and shows the tables as tables', async () => {
    const { page } = browser;
    await page.locator(`li.doc[data-document-id="${statementsId}"] button.doc-open`).click();
    await page.locator('.doc-header h2', { hasText: 'MCDONALDS_2023Q2_EARNINGS.pdf' }).waitFor();
    const question = financeQuestion('fin_044');
    const expected = await askJson(stack.api.url, statementsId, question.question);
    assert.equal(expected.ledger.reader.numeric?.status, 'answer', 'the numeric reader computes it');
    assert.ok(expected.citations.length >= 2, 'one citation per cell used');
    await askOnPage(page, question.question);
    assert.equal(await page.locator('.answer-text').textContent(), expected.answer);
    const ledger = page.locator('details.ledger');
    await ledger.locator('summary').click();
    assert.match((await ledger.locator('dd', { hasText: expected.ledger.reader.numeric?.filled ?? '' }).first().textContent()) ?? '', /=/);
    const cell = expected.citations[1];
    await page.locator('button.citation').nth(1).click();
    await page.getByRole('heading', { name: `Page ${cell.page} of 6` }).waitFor();
    await page.locator('.page-image[src^="blob:"]').waitFor();
    const pageJson = (await (await fetch(`${stack.api.url}/v1/documents/${statementsId}/pages/${cell.page}`)).json()) as { width: number; height: number };
    await assertHighlightAt(page, cell.bbox, pageJson);
    await page.locator('.overlay rect.highlight').scrollIntoViewIfNeeded();
    await shoot(page, '6-table-cell');

    const tables = (await (await fetch(`${stack.api.url}/v1/documents/${statementsId}/tables`)).json()) as {
      tables: { id: string; page: number; rows: { label: string; cells: { text: string; box: [number, number, number, number] }[] }[] }[];
    };
    assert.ok(tables.tables.length > 0, 'the earnings release has statement tables');
    await page.getByRole('tab', { name: 'Tables' }).click();
    const listed = page.locator('#tables-view figure.statement');
    await listed.first().waitFor();
    assert.equal(await listed.count(), tables.tables.length);
    const first = tables.tables[0];
    const row = first.rows.find((r) => r.cells.length > 0);
    assert.ok(row);
    const statement = page.locator(`#tables-view figure.statement[data-table-id="${first.id}"]`);
    assert.equal(await statement.locator('tbody tr').count(), first.rows.length);
    await statement.locator('tbody tr').nth(first.rows.indexOf(row)).locator('button.cell').first().click();
    await page.getByRole('heading', { name: `Page ${first.page} of 6` }).waitFor();
    await page.locator('.page-image[src^="blob:"]').waitFor();
    const tablePage = (await (await fetch(`${stack.api.url}/v1/documents/${statementsId}/pages/${first.page}`)).json()) as { width: number; height: number };
    await assertHighlightAt(page, row.cells[0].box, tablePage);
    assert.deepEqual(browser.errors, []);
  });

  describe('with FOLIO_API_KEYS set', () => {
    let keyed: RunningApi;
    let keyedBrowser: Awaited<ReturnType<typeof launch>>;

    before(async () => {
      // A second API over the same data and Temporal, with keys: the document is already ingested.
      keyed = await startApi({ ...stack.config, api: { ...stack.config.api, keys: [KEY] } });
      keyedBrowser = await launch();
    });
    after(async () => {
      await keyedBrowser?.close();
      await keyed?.close();
    });

    it('asks for the key once and sends it only as a bearer header', async () => {
      const { page } = keyedBrowser;
      const requests: { url: string; authorization: string | undefined }[] = [];
      page.on('request', (request) => requests.push({ url: request.url(), authorization: request.headers().authorization }));

      await page.goto(`${keyed.url}/`);
      const dialog = page.getByRole('dialog', { name: 'API key' });
      await dialog.waitFor();
      await shoot(page, '5-key-prompt');
      await page.getByRole('textbox', { name: 'API key' }).fill('not-the-key');
      await page.getByRole('button', { name: 'Use this key' }).click();
      await page.locator('#key-error', { hasText: 'not accepted' }).waitFor();
      assert.ok(await dialog.isVisible(), 'a wrong key keeps the prompt up');
      await page.getByRole('textbox', { name: 'API key' }).fill(KEY);
      await page.getByRole('button', { name: 'Use this key' }).click();
      await dialog.waitFor({ state: 'hidden' });
      const item = page.locator(`li.doc[data-document-id="${docId}"][data-status="ready"]`);
      await item.waitFor();

      // Dropped files: the same PDF again (the API knows it) and a file that is not a PDF.
      const pdf = fs.readFileSync(COMET).toString('base64');
      await page.evaluate((base64) => {
        // Runs in the page; the test's own type-check knows no DOM, hence the local shapes.
        const page = globalThis as unknown as {
          DataTransfer: new () => { items: { add(file: unknown): void } };
          DragEvent: new (type: string, init: object) => unknown;
          document: { getElementById(id: string): { dispatchEvent(event: unknown): boolean } | null };
        };
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        const transfer = new page.DataTransfer();
        transfer.items.add(new File([bytes], 'comet-again.pdf', { type: 'application/pdf' }));
        transfer.items.add(new File(['hello'], 'notes.txt', { type: 'text/plain' }));
        page.document.getElementById('drop-zone')?.dispatchEvent(new page.DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      }, pdf);
      await page.locator('.upload', { hasText: 'comet-again.pdf' }).locator('.upload-state', { hasText: 'already here' }).waitFor();
      await page.locator('.upload', { hasText: 'notes.txt' }).locator('.upload-state', { hasText: 'not a PDF' }).waitFor();

      await item.locator('button.doc-open').click();
      await page.locator('.thumbs li[data-page="1"] img[src^="blob:"]').waitFor();
      const question = readQuestions('comet-paper.pdf').find((q) => q.id === 'q35');
      assert.ok(question);
      const expected = await askJson(keyed.url, docId, question.question, { authorization: `Bearer ${KEY}` });
      await askOnPage(page, question.question);
      assert.equal(await page.locator('.answer-text').textContent(), expected.answer);
      const cited = expected.citations[0];
      await page.locator('button.citation').first().click();
      await page.getByRole('heading', { name: `Page ${cited.page} of 15` }).waitFor();
      await page.locator('.page-image[src^="blob:"]').waitFor();
      const pageJson = (await (await fetch(`${keyed.url}/v1/documents/${docId}/pages/${cited.page}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { width: number; height: number };
      await assertHighlightAt(page, cited.bbox, pageJson);

      // A reload in the same tab keeps the key (sessionStorage): no second prompt.
      await page.reload();
      await page.locator(`li.doc[data-document-id="${docId}"]`).waitFor();
      assert.equal(await dialog.isVisible(), false);

      const api = requests.filter((r) => new URL(r.url).pathname.startsWith('/v1/'));
      assert.ok(api.length > 10, `the page called the API (${api.length} requests)`);
      assert.ok(requests.every((r) => !r.url.includes(KEY)), 'the key is in no URL');
      const authorized = api.filter((r) => r.authorization === `Bearer ${KEY}`);
      const refused = api.filter((r) => r.authorization === 'Bearer not-the-key');
      assert.equal(authorized.length + refused.length, api.length, 'every API request carried a key in its header');
      assert.equal(refused.length, 1, 'the wrong key was tried once, by the prompt');
      assert.deepEqual(keyedBrowser.errors, []);
    });
  });
});
