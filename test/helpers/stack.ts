/**
 * A real Folio stack for integration tests: a headless Temporal dev server (in memory), the
 * worker as a child process (so tests can SIGKILL it), and the API in this process, all on
 * free loopback ports over a fresh data directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningApi, startApi } from '../../bin/api.ts';
import { type FolioConfig, loadConfig } from '../../lib/config.ts';
import { type DevServer, findTemporalCli, freePort, startDevServer } from '../../lib/temporal/dev-server.ts';
import { FOLIO_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.ts';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const corpus = process.env.FOLIO_CORPUS ?? path.resolve(projectRoot, '..', 'shared', 'corpus');

export interface TestStack {
  config: FolioConfig;
  env: NodeJS.ProcessEnv;
  api: RunningApi;
  devServer: DevServer;
  worker: ChildProcess;
  /** Starts a (new) worker process and waits until it polls its task queue. */
  startWorker(): Promise<ChildProcess>;
  workerLog(): string;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Keep state in this folder across runs instead of a temporary one removed on stop. */
  dataDir?: string;
}

export async function startStack(extraEnv: Record<string, string> = {}, options: StackOptions = {}): Promise<TestStack> {
  const keepData = Boolean(options.dataDir);
  const dataDir = options.dataDir ? path.resolve(options.dataDir) : fs.mkdtempSync(path.join(os.tmpdir(), 'folio-test-'));
  fs.mkdirSync(dataDir, { recursive: true });
  const devServer = await startDevServer({
    port: await freePort(),
    cli: findTemporalCli(loadConfig().temporal),
    searchAttributes: FOLIO_SEARCH_ATTRIBUTES,
  });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FOLIO_DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: devServer.address,
    FOLIO_TASK_QUEUE: `test-${path.basename(dataDir)}`,
    PORT: '0',
    // The dev server above registers them, as `npm start`'s does.
    FOLIO_SEARCH_ATTRIBUTES: '1',
    ...extraEnv,
  };
  const config = loadConfig(env);
  let log = '';
  const startWorker = async (): Promise<ChildProcess> => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'bin', 'worker.ts')], {
      env,
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('folio worker: task queue')) resolve();
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => {
        log += chunk.toString();
      });
      child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it started:\n${log}`)));
    });
    stack.worker = child;
    return child;
  };
  const api = await startApi(config);
  const stack: TestStack = {
    config,
    env,
    api,
    devServer,
    worker: undefined as unknown as ChildProcess,
    startWorker,
    workerLog: () => log,
    async stop() {
      await api.close().catch(() => {});
      if (stack.worker && stack.worker.exitCode === null) {
        const exited = new Promise((resolve) => stack.worker.once('exit', resolve));
        stack.worker.kill('SIGTERM');
        const timer = setTimeout(() => stack.worker.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await devServer.stop();
      if (!keepData) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  await startWorker();
  return stack;
}

export interface DocumentView {
  id: string;
  status: string;
  pages: { done: number; total: number | null };
  failureReason: string | null;
}

export async function uploadPdf(apiUrl: string, bytes: Uint8Array, headers: Record<string, string> = {}) {
  const response = await fetch(`${apiUrl}/v1/documents`, {
    method: 'POST',
    body: bytes,
    headers: { 'content-type': 'application/pdf', ...headers },
  });
  return { status: response.status, body: (await response.json()) as { id: string; status: string; created: boolean; error?: { code: string; message: string } } };
}

export async function getDocument(apiUrl: string, id: string): Promise<DocumentView> {
  const response = await fetch(`${apiUrl}/v1/documents/${id}`);
  if (!response.ok) throw new Error(`GET document ${id}: HTTP ${response.status}`);
  return (await response.json()) as DocumentView;
}

/** Polls until the document is ready or failed (or `until` holds), or throws after the timeout. */
export async function waitForDocument(
  apiUrl: string,
  id: string,
  timeoutMs: number,
  until: (doc: DocumentView) => boolean = (doc) => doc.status === 'ready' || doc.status === 'failed',
): Promise<DocumentView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const doc = await getDocument(apiUrl, id);
    if (until(doc)) return doc;
    if (Date.now() > deadline) throw new Error(`document ${id} still ${doc.status} (${doc.pages.done}/${doc.pages.total}) after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export function readQuestions(doc: string): { id: string; question: string; answer: string | null; evidence_pages: number[]; kind: string }[] {
  return fs
    .readFileSync(path.join(corpus, 'qa', 'questions.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .filter((q) => q.doc === doc);
}
