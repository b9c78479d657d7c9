#!/usr/bin/env -S npx tsx
/**
 * The `folio` command line, a client of the HTTP API.
 *
 *   folio ingest <file.pdf>             upload, show progress, wait until ready
 *   folio ingest <files or folders…> [--concurrency N]
 *                                        every PDF under them as one batch, with a summary
 *   folio ask <id | file.pdf> "question" answer with page citations (ingests a file first)
 *   folio status <id>                    the document's state as JSON
 *   folio models pull <hub repo> [--revision r] [--dir d]
 *                                        download an LLM checkpoint (default $FOLIO_DATA_DIR/models/<repo>)
 *
 * FOLIO_URL (default http://127.0.0.1:$PORT) names the API; FOLIO_API_KEY is sent as a bearer key.
 * `models pull` talks to the hub instead (HF_ENDPOINT, HF_TOKEN).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnswerView, DocumentView, TablesView, TableView, TextEventView, UploadView } from '../api/views.ts';
import { tableCsv } from '../models/tables/csv.ts';
import { tableCells } from '../models/tables/statement.ts';
import { type FolioConfig, loadConfig } from '../lib/config.ts';
import { downloadLlmCheckpoint } from '../lib/llm/download-checkpoint.ts';
import { type GenerateTextOptions, generateText } from '../lib/llm/generate-text.ts';
import { POLICY_NAMES, type PolicyName } from '../models/llm/policies/index.ts';
import { WEIGHT_FORMATS, type WeightFormat } from '../models/llm/quantize.ts';
import { ingestMany } from './ingest-many.ts';

export class CliError extends Error {}

/** What the command line reads of the configuration. */
export type CliConfig = Pick<FolioConfig, 'cli' | 'hub' | 'dataDir'>;

async function call<T>(config: CliConfig, method: string, route: string, body?: string | Uint8Array, type?: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (type) headers['content-type'] = type;
  if (config.cli.apiKey) headers.authorization = `Bearer ${config.cli.apiKey}`;
  let response: Response;
  try {
    response = await fetch(`${config.cli.url}${route}`, { method, body, headers });
  } catch (error) {
    throw new CliError(`Cannot reach the Folio API at ${config.cli.url} (${(error as Error).message}). Is \`npm start\` running?`);
  }
  const payload = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (!response.ok) {
    throw new CliError(payload?.error?.message ?? `${method} ${route} failed with HTTP ${response.status}`);
  }
  return payload as T;
}

function progressBar(doc: DocumentView, width = 30): string {
  const total = doc.pages.total ?? 0;
  const share = total > 0 ? Math.min(1, doc.pages.done / total) : 0;
  const filled = Math.round(share * width);
  const count = total > 0 ? `${doc.pages.done}/${total} pages` : 'opening';
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${count} ${doc.status}`;
}

async function waitUntilSettled(config: CliConfig, id: string, out: NodeJS.WritableStream): Promise<DocumentView> {
  const tty = (out as { isTTY?: boolean }).isTTY === true;
  let last = '';
  for (;;) {
    const doc = await call<DocumentView>(config, 'GET', `/v1/documents/${id}`);
    const line = progressBar(doc);
    if (line !== last) {
      out.write(tty ? `\r${line}` : `${line}\n`);
      last = line;
    }
    if (doc.status === 'ready' || doc.status === 'failed') {
      if (tty) out.write('\n');
      return doc;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function ingest(config: CliConfig, file: string, progress: NodeJS.WritableStream): Promise<DocumentView> {
  if (!fs.existsSync(file)) throw new CliError(`No such file: ${file}`);
  const bytes = fs.readFileSync(file);
  const name = encodeURIComponent(path.basename(file));
  const created = await call<UploadView>(config, 'POST', `/v1/documents?filename=${name}`, bytes, 'application/pdf');
  const doc = await waitUntilSettled(config, created.id, progress);
  if (doc.status === 'failed') throw new CliError(`Ingestion of ${file} failed: ${doc.failureReason}`);
  return doc;
}

/** One server-sent event: its name and JSON data. */
interface ServerEvent {
  event: string;
  data: unknown;
}

/** Reads an SSE body event by event (`event:` and `data:` lines, blank line between events). */
async function* serverEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) yield { event, data: JSON.parse(data.join('\n')) };
      end = buffer.indexOf('\n\n');
    }
  }
}

/**
 * Asks over SSE: the answer's text is printed as the reader writes it (token by token with an
 * LLM reader), then its citations.
 */
async function askStreaming(config: CliConfig, id: string, question: string, out: NodeJS.WritableStream): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
  if (config.cli.apiKey) headers.authorization = `Bearer ${config.cli.apiKey}`;
  let response: Response;
  try {
    response = await fetch(`${config.cli.url}/v1/documents/${id}/answers`, { method: 'POST', body: JSON.stringify({ question }), headers });
  } catch (error) {
    throw new CliError(`Cannot reach the Folio API at ${config.cli.url} (${(error as Error).message}). Is \`npm start\` running?`);
  }
  if (!response.ok || !response.body) {
    const payload = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new CliError(payload?.error?.message ?? `asking failed with HTTP ${response.status}`);
  }
  let streamed = '';
  for await (const { event, data } of serverEvents(response.body)) {
    if (event === 'token') {
      const { text } = data as TextEventView;
      streamed += text;
      out.write(text);
    } else if (event === 'error') {
      throw new CliError((data as { error: { message: string } }).error.message);
    } else if (event === 'answer') {
      const answer = data as AnswerView;
      const { reader } = answer.ledger;
      // Only the extractive reader records a set-aside LLM answer.
      const rejected = reader.kind === 'extractive' ? reader.llmRejected : undefined;
      // The streamed text was the model's; when it was set aside, say so and show the answer used.
      const lines = streamed.trim() === answer.answer.trim() ? [''] : ['', ...(rejected ? [`(not used: ${rejected}; extractive answer follows)`] : []), answer.answer];
      // An answer computed from statement cells shows its formula with the numbers filled in;
      // a "not found" says why.
      const numeric = reader.kind === 'extractive' ? reader.numeric : undefined;
      const why = numeric?.filled && numeric.formula ? [`  ${numeric.formula}: ${numeric.filled}`] : !answer.found && reader.kind === 'extractive' && reader.notFoundReason ? [`  (${reader.notFoundReason})`] : [];
      out.write(`${[...lines, ...why].join('\n')}\n${formatCitations(answer)}`);
      return;
    }
  }
  throw new CliError('The answer stream ended before the answer arrived.');
}

function formatCitations(answer: AnswerView): string {
  if (answer.citations.length === 0) return '';
  return `\n${answer.citations.map((citation) => `  [p. ${citation.page}] "${citation.quote}"`).join('\n')}\n`;
}

const USAGE = `usage:
  folio ingest <file.pdf>
  folio ingest <files or folders…> [--concurrency N]
  folio ask <document id | file.pdf> "question"
  folio status <document id>
  folio tables <document id> [<table id> [--csv]]
  folio models pull <hub repo> [--revision <branch|tag|commit>] [--dir <directory>]
  folio generate --model <file.gguf | checkpoint folder> [--policy ${POLICY_NAMES.join('|')}] [--budget N]
                 [--max-tokens N] [--weights ${WEIGHT_FORMATS.join('|')}] [--chat] "prompt"`;

/** `generate --model m [options] "prompt"`; null when the arguments do not parse. */
function parseGenerateArgs(args: string[]): Omit<GenerateTextOptions, 'onText'> | null {
  let model: string | undefined;
  let prompt: string | undefined;
  const options: Partial<GenerateTextOptions> = {};
  const count = (value: string | undefined): number | null => {
    const n = Number(value);
    return Number.isInteger(n) && n >= 1 ? n : null;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = args[i + 1];
    if (arg === '--model' && value !== undefined) model = args[++i];
    else if (arg === '--policy' && (POLICY_NAMES as readonly string[]).includes(value)) options.policy = args[++i] as PolicyName;
    else if (arg === '--weights' && (WEIGHT_FORMATS as readonly string[]).includes(value)) options.weights = args[++i] as WeightFormat;
    else if ((arg === '--max-tokens' || arg === '--budget') && count(value) !== null) {
      if (arg === '--max-tokens') options.maxTokens = count(args[++i]) as number;
      else options.budget = count(args[++i]) as number;
    } else if (arg === '--chat') options.chat = true;
    else if (!arg.startsWith('--') && prompt === undefined) prompt = arg;
    else return null;
  }
  return model && prompt !== undefined ? { ...options, model, prompt } : null;
}

/** Streams the continuation to `out`; the timing and per-layer attention go to `err`. */
async function generateCommand(args: Omit<GenerateTextOptions, 'onText'>, io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream }): Promise<void> {
  const result = await generateText({ ...args, onText: (text) => io.out.write(text) });
  const { ledger } = result;
  const decoded = Math.max(1, result.tokens.length - 1);
  io.out.write('\n');
  io.err.write(
    `${result.promptTokens} prompt tokens, ${result.tokens.length} generated; load ${(result.loadMs / 1000).toFixed(1)} s, prefill ${ledger.prefillMs.toFixed(0)} ms, decode ${(ledger.decodeMs / decoded).toFixed(1)} ms/token (${ledger.policy}${ledger.budget ? `, budget ${ledger.budget}` : ''})\n`,
  );
  if (ledger.layers) io.err.write(`layers: ${ledger.layers.map((kind, layer) => `${layer}:${kind}`).join(' ')}\n`);
}

/** `ingest <paths…> [--concurrency N]`; null when the arguments do not parse. */
function parseIngestArgs(args: string[]): { paths: string[]; concurrency?: number } | null {
  const paths: string[] = [];
  let concurrency: number | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--concurrency' && i + 1 < args.length) {
      concurrency = Number(args[++i]);
      if (!Number.isInteger(concurrency) || concurrency < 1) return null;
    } else if (args[i].startsWith('--')) {
      return null;
    } else {
      paths.push(args[i]);
    }
  }
  return paths.length > 0 ? { paths, concurrency } : null;
}

/** `models pull <repo> [--revision r] [--dir d]`; returns null when the arguments do not parse. */
function parsePullArgs(args: string[]): { repo: string; revision?: string; dir?: string } | null {
  let repo: string | undefined;
  let revision: string | undefined;
  let dir: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if ((arg === '--revision' || arg === '--dir') && i + 1 < args.length) {
      if (arg === '--revision') revision = args[++i];
      else dir = args[++i];
    } else if (!arg.startsWith('--') && repo === undefined) {
      repo = arg;
    } else {
      return null;
    }
  }
  return repo === undefined ? null : { repo, revision, dir };
}

async function pullModel(config: CliConfig, args: { repo: string; revision?: string; dir?: string }, progress: NodeJS.WritableStream): Promise<string> {
  const dir = path.resolve(args.dir ?? path.join(config.dataDir, 'models', ...args.repo.split('/')));
  progress.write(`downloading ${args.repo}@${args.revision ?? 'main'} from ${config.hub.endpoint} into ${dir}\n`);
  let files: string[];
  try {
    files = await downloadLlmCheckpoint(args.repo, dir, { revision: args.revision, endpoint: config.hub.endpoint, token: config.hub.token });
  } catch (error) {
    // The causes say what went wrong underneath (HTTP status, refused connection, disk full).
    const messages: string[] = [];
    for (let e: unknown = error; e instanceof Error && messages.length < 5; e = e.cause) messages.push(e.message);
    throw new CliError(messages.join(': '));
  }
  progress.write(`${files.length} files: ${files.join(', ')}\n`);
  return dir;
}

/** One line per table, or one table as aligned text or CSV. */
async function tables(config: CliConfig, id: string, table: string | undefined, csv: boolean): Promise<string> {
  if (!table) {
    const { tables } = await call<TablesView>(config, 'GET', `/v1/documents/${id}/tables`);
    if (tables.length === 0) return 'no tables with data in this document\n';
    return tables
      .map((t) => {
        const scale = t.unit.scale === 1 ? '' : ` × ${t.unit.scale.toExponential(0).replace('e+', 'e')}`;
        const periods = t.columns.map((column) => column.period?.year ?? '?').join(', ');
        return `${t.id.padEnd(8)} p.${String(t.page).padEnd(4)} ${String(t.rows.length).padStart(3)} rows × ${t.columns.length} (${periods})${t.unit.currency ? ` ${t.unit.currency}` : ''}${scale}  ${t.title ?? ''}\n`;
      })
      .join('');
  }
  const view = await call<TableView>(config, 'GET', `/v1/documents/${id}/tables/${encodeURIComponent(table)}`);
  if (csv) return tableCsv(view);
  const cells = tableCells(view);
  const widths = cells[0].map((_, c) => Math.min(60, Math.max(...cells.map((row) => row[c].length))));
  const lines = cells.map((row) => row.map((cell, c) => (c === 0 ? cell.slice(0, widths[c]).padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  return `${view.title ?? `table ${view.id}`} (page ${view.page}${view.unit.source ? `, ${view.unit.source}` : ''})\n${lines.join('\n')}\n`;
}

export async function runCli(
  argv: string[],
  config: CliConfig,
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream },
): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'ingest' && rest.length === 1 && !fs.statSync(rest[0], { throwIfNoEntry: false })?.isDirectory()) {
      const doc = await ingest(config, rest[0], io.err);
      io.out.write(`${doc.id}\n`);
      return 0;
    }
    if (command === 'ingest' && rest.length >= 1) {
      const args = parseIngestArgs(rest);
      if (args) {
        const api = <T>(method: string, route: string, body?: string | Uint8Array, type?: string) => call<T>(config, method, route, body, type);
        try {
          return await ingestMany(api, args.paths, { concurrency: args.concurrency }, io);
        } catch (error) {
          if (error instanceof CliError) throw error;
          throw new CliError((error as Error).message);
        }
      }
    }
    if (command === 'ask' && rest.length === 2) {
      const [target, question] = rest;
      const id = /^[0-9a-f]{64}$/.test(target)
        ? target
        : fs.existsSync(target)
          ? createHash('sha256').update(fs.readFileSync(target)).digest('hex')
          : null;
      if (!id) throw new CliError(`"${target}" is neither a document id nor a file.`);
      if (id !== target) await ingest(config, target, io.err);
      await askStreaming(config, id, question, io.out);
      return 0;
    }
    if (command === 'models' && rest[0] === 'pull') {
      const args = parsePullArgs(rest.slice(1));
      if (args) {
        io.out.write(`${await pullModel(config, args, io.err)}\n`);
        return 0;
      }
    }
    if (command === 'generate') {
      const args = parseGenerateArgs(rest);
      if (args) {
        try {
          await generateCommand(args, io);
        } catch (error) {
          throw new CliError((error as Error).message);
        }
        return 0;
      }
    }
    if (command === 'tables' && rest.length >= 1 && rest.length <= 3 && (rest.length < 3 || rest[2] === '--csv')) {
      io.out.write(await tables(config, rest[0], rest[1], rest[2] === '--csv'));
      return 0;
    }
    if (command === 'status' && rest.length === 1) {
      io.out.write(`${JSON.stringify(await call<DocumentView>(config, 'GET', `/v1/documents/${rest[0]}`), null, 2)}\n`);
      return 0;
    }
    io.err.write(`${USAGE}\n`);
    return 2;
  } catch (error) {
    if (error instanceof CliError) {
      io.err.write(`folio: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runCli(process.argv.slice(2), loadConfig(), { out: process.stdout, err: process.stderr }).then(
    (code) => process.exit(code),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
