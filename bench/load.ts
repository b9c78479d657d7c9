/**
 * HTTP load: a real stack (Temporal dev server, worker, API) with several corpus documents
 * ingested, then C clients asking the documents' questions back to back for D seconds while one
 * more client uploads PDFs. Prints requests/s, p50/p99 latency of the answers and of the uploads,
 * and errors (any non-2xx or network failure; the target is 0). The baseline is the load with no
 * API keys; the second pass (a fresh stack and data directory, the same documents ingested again)
 * sets FOLIO_API_KEYS and sends the key, and the ratio of the two is printed.
 *
 * Each upload is a different two-page cut of the COMET paper (pdf-lib, with a numbered title), so
 * every one is a new document (hashed and stored), uploaded with ?ingest=false so that the second
 * pass is not decided by how many ingestion workflows the first pass queued on the worker.
 *
 *   npm run bench:load [-- --seconds 60 --clients 20 --docs comet-paper.pdf,gnuplot.pdf] [--json]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PDFDocument } from 'pdf-lib';
import { corpus, readQuestions, startStack, uploadPdf } from '../test/helpers/stack.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    clients: { type: 'string', default: '20' },
    // The three shorter QA documents (15, 62 and about 250 pages); octave.pdf (about 1,000) takes long to ingest on 2 cores.
    docs: { type: 'string', default: 'comet-paper.pdf,declaredesign-paper.pdf,gnuplot.pdf' },
    json: { type: 'boolean', default: false },
  },
});
const durationS = Number(values.seconds);
const clients = Number(values.clients);
if (!(durationS > 0) || !Number.isInteger(clients) || clients < 1) throw new Error('--seconds must be seconds > 0 and --clients a whole number from 1');

const DOCS = values.docs.split(',').map((name) => name.trim()).filter(Boolean);
const UPLOAD_PDF = path.join(corpus, 'qa', 'pdfs', 'comet-paper.pdf');
const KEY = 'bench-load-key';

interface Pass {
  requests: number;
  errors: number;
  errorSamples: string[];
  rps: number;
  p50: number;
  p99: number;
  uploads: number;
  uploadErrors: number;
  uploadP50: number;
  uploadP99: number;
  uploadRps: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function load(url: string, targets: { id: string; questions: string[] }[], headers: Record<string, string>): Promise<Pass> {
  const deadline = performance.now() + durationS * 1000;
  const latencies: number[] = [];
  const uploadLatencies: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  let uploadErrors = 0;
  const fail = (what: string) => {
    if (errorSamples.length < 5) errorSamples.push(what);
  };
  const asker = async (client: number) => {
    for (let i = client; performance.now() < deadline; i += clients) {
      const target = targets[i % targets.length];
      const question = target.questions[Math.floor(i / targets.length) % target.questions.length];
      const started = performance.now();
      try {
        const response = await fetch(`${url}/v1/documents/${target.id}/answers`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ question }),
        });
        await response.arrayBuffer();
        if (response.status !== 200) {
          errors++;
          fail(`answer: HTTP ${response.status}`);
        }
      } catch (error) {
        errors++;
        fail(`answer: ${(error as Error).message}`);
      }
      latencies.push(performance.now() - started);
    }
  };
  const source = await PDFDocument.load(fs.readFileSync(UPLOAD_PDF));
  const pageCount = source.getPageCount();
  const uploader = async () => {
    for (let n = 0; performance.now() < deadline; n++) {
      // Pages n and n+1 (mod the page count) with a title naming the run and the upload: new bytes every time.
      const cut = await PDFDocument.create();
      const pages = await cut.copyPages(source, [n % pageCount, (n + 1) % pageCount]);
      for (const page of pages) cut.addPage(page);
      cut.setTitle(`bench:load upload ${process.pid}-${Date.now()}-${n}`);
      const bytes = await cut.save();
      const started = performance.now();
      try {
        const response = await fetch(`${url}/v1/documents?ingest=false&filename=upload-${n}.pdf`, { method: 'POST', body: bytes, headers: { 'content-type': 'application/pdf', ...headers } });
        await response.arrayBuffer();
        if (response.status !== 202 && response.status !== 200) {
          uploadErrors++;
          fail(`upload: HTTP ${response.status}`);
        }
      } catch (error) {
        uploadErrors++;
        fail(`upload: ${(error as Error).message}`);
      }
      uploadLatencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all([...Array.from({ length: clients }, (_, c) => asker(c)), uploader()]);
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  uploadLatencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    errorSamples,
    rps: latencies.length / seconds,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    uploads: uploadLatencies.length,
    uploadErrors,
    uploadP50: quantile(uploadLatencies, 0.5),
    uploadP99: quantile(uploadLatencies, 0.99),
    uploadRps: uploadLatencies.length / seconds,
  };
}

function show(name: string, pass: Pass): void {
  console.log(
    `${name}: answers ${pass.requests} (${pass.rps.toFixed(1)} req/s, p50 ${pass.p50.toFixed(0)} ms, p99 ${pass.p99.toFixed(0)} ms, errors ${pass.errors}); ` +
      `uploads ${pass.uploads} (${pass.uploadRps.toFixed(2)} req/s, p50 ${pass.uploadP50.toFixed(0)} ms, p99 ${pass.uploadP99.toFixed(0)} ms, errors ${pass.uploadErrors})` +
      (pass.errorSamples.length ? `\n  e.g. ${pass.errorSamples.join('; ')}` : ''),
  );
}

/**
 * One pass on its own stack and data directory: the documents ingested, then the load. Each pass
 * has its own data directory because an API that starts on a data directory starts ingesting
 * every document still queued (`resumeQueued`), which would include the previous pass's
 * `?ingest=false` uploads and put hundreds of ingestions on the worker during the second pass.
 */
async function pass(keys: boolean): Promise<Pass> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-load-'));
  const headers: Record<string, string> = keys ? { authorization: `Bearer ${KEY}` } : {};
  const stack = await startStack({ FOLIO_LOG_LEVEL: 'warn', ...(keys ? { FOLIO_API_KEYS: KEY } : {}) }, { dataDir });
  try {
    const uploaded = [];
    for (const name of DOCS) {
      const { status, body } = await uploadPdf(stack.api.url, fs.readFileSync(path.join(corpus, 'qa', 'pdfs', name)), headers);
      if (status !== 202 && status !== 200) throw new Error(`upload of ${name}: HTTP ${status} ${JSON.stringify(body)}`);
      uploaded.push({ name, id: body.id });
    }
    // Uploaded together and ingested side by side.
    const ingestStarted = performance.now();
    const targets: { id: string; questions: string[] }[] = [];
    for (const { name, id } of uploaded) {
      const deadline = Date.now() + 1_800_000;
      let doc: { status: string; failureReason?: string | null; pages: { total: number } };
      for (;;) {
        doc = (await (await fetch(`${stack.api.url}/v1/documents/${id}`, { headers })).json()) as typeof doc;
        if (doc.status === 'ready' || doc.status === 'failed') break;
        if (Date.now() > deadline) throw new Error(`${name} still ${doc.status} after 30 minutes`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      if (doc.status !== 'ready') throw new Error(`${name} did not ingest: ${doc.failureReason}`);
      console.log(`${name}: ready, ${doc.pages.total} pages (${((performance.now() - ingestStarted) / 1000).toFixed(0)} s after upload)`);
      const questions = readQuestions(name).map((q) => q.question);
      if (questions.length > 0) targets.push({ id, questions });
    }
    console.log(`${targets.length} documents ready; ${clients} clients asking + 1 uploading for ${durationS} s, ${keys ? 'with FOLIO_API_KEYS (bearer key sent)' : 'without keys'}`);
    return await load(stack.api.url, targets, headers);
  } finally {
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const open = await pass(false);
  show('no keys  ', open);
  const keyed = await pass(true);
  show('with keys', keyed);
  const ratio = keyed.rps / open.rps;
  console.log(`throughput with keys / without: ${ratio.toFixed(3)}; p50 ${(keyed.p50 / open.p50).toFixed(3)}, p99 ${(keyed.p99 / open.p99).toFixed(3)}`);
  if (values.json) console.log(JSON.stringify({ durationS, clients, docs: DOCS, open, keyed, ratio }));
  if (open.errors + keyed.errors + open.uploadErrors + keyed.uploadErrors > 0) process.exitCode = 1;
}

await main();
