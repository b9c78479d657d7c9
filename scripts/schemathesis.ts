/**
 * `npm run test:schemathesis`: property-based tests of the HTTP API against its own
 * /openapi.json. Starts a real stack (Temporal dev server, worker, API) with an API key set,
 * ingests one corpus PDF so that generated requests can reach stored pages and tables, and runs
 * schemathesis (sending the key as `Authorization: Bearer`) with a bounded number of examples per
 * operation and the checks that hold for every response: no 5xx, the status, content type and
 * body as the spec declares. Prints a summary per run and exits 1 when schemathesis reports any
 * failure. Slow; not part of `npm test`.
 *
 * Options: --max-examples N (default 30), --seed N, --pdf PATH (default the COMET paper).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { corpus, projectRoot, startStack, uploadPdf } from '../test/helpers/stack.ts';

const { values } = parseArgs({
  options: {
    'max-examples': { type: 'string', default: '30' },
    seed: { type: 'string', default: '1' },
    pdf: { type: 'string', default: path.join(corpus, 'qa', 'pdfs', 'comet-paper.pdf') },
  },
});

const target = path.join(projectRoot, '.tools', 'python-schemathesis');
const CHECKS = ['not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_schema_conformance'];
const KEY = 'schemathesis-key';
const auth = { authorization: `Bearer ${KEY}` };

/** Runs a command with its output shown and kept (the summary is read from it). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], env, cwd: projectRoot });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    });
    child.once('error', (error) => reject(new Error(`${command} did not start`, { cause: error })));
    child.once('exit', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** The counts schemathesis prints at the end of a run ("Test cases: 812 generated, 812 passed"…). */
function summary(output: string): string {
  const plain = output.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
  const lines = plain.split('\n');
  const cases = lines.findIndex((line) => line.trim() === 'Test cases:');
  const counts = cases >= 0 ? `test cases: ${lines[cases + 1]?.trim()}` : 'test cases: (no count printed)';
  const last = lines.filter((line) => /^=+ .* =+$/.test(line.trim())).at(-1)?.replace(/=+/g, '').trim() ?? '';
  return `${counts}\n${last}`;
}

if ((await run('bash', [path.join(projectRoot, 'scripts', 'install-schemathesis.sh')])).code !== 0) throw new Error('installing schemathesis failed');

const stack = await startStack({ FOLIO_LOG_LEVEL: 'warn', FOLIO_API_KEYS: KEY });
let code = 1;
try {
  const { status, body } = await uploadPdf(stack.api.url, fs.readFileSync(values.pdf), auth);
  if (status !== 202 && status !== 200) throw new Error(`upload of ${values.pdf}: HTTP ${status} ${JSON.stringify(body)}`);
  const deadline = Date.now() + 300_000;
  let doc: { status: string; failureReason?: string | null; pages: { total: number } };
  for (;;) {
    const response = await fetch(`${stack.api.url}/v1/documents/${body.id}`, { headers: auth });
    doc = (await response.json()) as typeof doc;
    if (doc.status === 'ready' || doc.status === 'failed') break;
    if (Date.now() > deadline) throw new Error(`${values.pdf} still ${doc.status} after 300 s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  if (doc.status !== 'ready') throw new Error(`${values.pdf} did not ingest: ${doc.failureReason}`);
  // Two runs: one with generated ids (unknown documents, malformed ids), one with the stored
  // document's id fixed in /v1/documents/{id}..., so the fuzzer gets past "not found" to the
  // pages, tables and answers of a real document.
  const config = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'folio-schemathesis-')), 'schemathesis.toml');
  fs.writeFileSync(config, `[[operations]]\ninclude-path-regex = "^/v1/documents/\\\\{id\\\\}"\nparameters = { "path.id" = "${body.id}" }\n`);
  console.log(`document ${body.id} ready (${doc.pages.total} pages); running schemathesis on ${stack.api.url}/openapi.json`);
  const common = ['-m', 'schemathesis.cli'];
  const runArgs = [
    'run',
    `${stack.api.url}/openapi.json`,
    '--header',
    `Authorization: Bearer ${KEY}`,
    '--checks',
    CHECKS.join(','),
    '--max-examples',
    values['max-examples'],
    '--seed',
    values.seed,
    '--phases',
    'examples,coverage,fuzzing',
    // One worker: with two, Python 3.11's compile() raced in hypothesis's lambda descriptions
    // ("SystemError: AST constructor recursion depth mismatch", reported as Runtime Errors).
    '--workers',
    '1',
  ];
  const env = { ...process.env, PYTHONPATH: target };
  const free = await run('python3', [...common, ...runArgs], env);
  const fixed = await run('python3', [...common, '--config-file', config, ...runArgs], env);
  console.log(`\nschemathesis summary (generated ids): exit ${free.code}\n${summary(free.output)}`);
  console.log(`\nschemathesis summary (stored document's id): exit ${fixed.code}\n${summary(fixed.output)}`);
  code = free.code || fixed.code ? 1 : 0;
} finally {
  await stack.stop();
}
process.exitCode = code;
