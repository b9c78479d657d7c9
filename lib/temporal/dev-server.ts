/**
 * The embedded Temporal dev server (the Temporal CLI's `server start-dev`), used by `npm start`
 * when TEMPORAL_ADDRESS is unset and by the integration tests. The CLI comes from PATH,
 * TEMPORAL_CLI, or the project-local install that `npm run setup:temporal` makes.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The Temporal CLI: the one named explicitly, the project-local install, or the first on the search path. */
export function findTemporalCli(settings: { cli: string | undefined; searchPath: string }): string {
  const candidates = [
    settings.cli,
    path.join(projectRoot, '.tools', 'temporal', 'bin', 'temporal'),
    ...settings.searchPath.split(path.delimiter).map((dir) => path.join(dir, 'temporal')),
  ].filter((candidate): candidate is string => Boolean(candidate));
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (!found) {
    throw new Error('The Temporal CLI was not found. Run `npm run setup:temporal`, put `temporal` on PATH, or set TEMPORAL_CLI.');
  }
  return found;
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface DevServerOptions {
  port: number;
  /** The `temporal` binary (findTemporalCli). */
  cli: string;
  /** Web UI port; omit for a headless server. */
  uiPort?: number;
  /** SQLite file that keeps workflow state across restarts; omit for in-memory. */
  dbFile?: string;
  startTimeoutMs?: number;
  /** Custom search attributes to register at start, name → type (`Keyword`, `Int`, …). */
  searchAttributes?: Record<string, string>;
}

export interface DevServer {
  address: string;
  uiUrl: string | null;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Registers search attributes (name → type) on the default namespace. `start-dev
 * --search-attribute` does so only when it creates a new state file, so a server resuming an
 * older one would lack attributes added since; creating one that exists with its type is a no-op.
 * Retried until the deadline: the port answers a moment before the frontend does.
 */
async function registerSearchAttributes(cli: string, address: string, attributes: Record<string, string>, deadline: number): Promise<void> {
  const args = ['operator', 'search-attribute', 'create', '--address', address];
  for (const [name, type] of Object.entries(attributes)) args.push('--name', name, '--type', type);
  for (;;) {
    try {
      await new Promise<void>((resolve, reject) =>
        execFile(cli, args, { timeout: 10_000 }, (error, _stdout, stderr) => (error ? reject(new Error(stderr.trim() || error.message, { cause: error })) : resolve())),
      );
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Could not register search attributes on ${address}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const { cli } = options;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--log-level', 'error'];
  if (options.uiPort) args.push('--ui-port', String(options.uiPort));
  else args.push('--headless');
  if (options.dbFile) {
    fs.mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  const child = spawn(cli, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  while (!(await canConnect(options.port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Temporal dev server did not start on port ${options.port}: ${stderr.trim() || 'no output'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (options.searchAttributes && Object.keys(options.searchAttributes).length > 0) {
    try {
      await registerSearchAttributes(cli, `127.0.0.1:${options.port}`, options.searchAttributes, deadline);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
  }
  return {
    address: `127.0.0.1:${options.port}`,
    uiUrl: options.uiPort ? `http://127.0.0.1:${options.uiPort}` : null,
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface SupervisedDevServer {
  address: string;
  uiUrl: string | null;
  /** The server process running now (a new one after each restart). */
  current(): DevServer;
  /** How many times it was restarted. */
  restarts(): number;
  stop(): Promise<void>;
}

export interface SupervisorHooks {
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
  onRestart?: (server: DevServer, restarts: number) => void;
  onRestartFailed?: (error: Error) => void;
}

/**
 * The dev server, started again whenever it exits without being asked to: same port, same
 * state file, so workflows resume where they were and clients reconnect to the same address.
 * Restarts back off from half a second to ten seconds while they keep failing.
 */
export async function startSupervisedDevServer(options: DevServerOptions, hooks: SupervisorHooks = {}): Promise<SupervisedDevServer> {
  let server = await startDevServer(options);
  let stopping = false;
  let restarts = 0;
  const watch = (current: DevServer) => {
    current.process.once('exit', (code, signal) => {
      if (stopping) return;
      hooks.onExit?.(code, signal);
      void restart(500);
    });
  };
  const restart = async (delayMs: number): Promise<void> => {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (stopping) return;
    try {
      server = await startDevServer(options);
    } catch (error) {
      hooks.onRestartFailed?.(error as Error);
      return restart(Math.min(10_000, delayMs * 2));
    }
    restarts++;
    watch(server);
    hooks.onRestart?.(server, restarts);
    // A stop that came while the server was starting must not leave it running.
    if (stopping) await server.stop();
  };
  watch(server);
  return {
    address: server.address,
    uiUrl: server.uiUrl,
    current: () => server,
    restarts: () => restarts,
    async stop() {
      stopping = true;
      await server.stop();
    },
  };
}
