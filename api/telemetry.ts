/**
 * What the API tells its operators: JSON log lines (pino), each carrying the request id of the
 * request it belongs to, and Prometheus metrics (prom-client) served at /metrics.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { type Logger, pino } from 'pino';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Answer } from '../lib/answer/types.ts';
import type { MetadataStore } from '../lib/store/metadata.ts';

export type { Logger };

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { service: 'folio-api' } });
}

const requestLogger = new AsyncLocalStorage<Logger>();
let processLogger: Logger = createLogger('info');

/**
 * The logger of the request being handled (its lines carry `reqId`), or the process's outside a
 * request. Code deep in a route logs through this without being handed the request.
 */
export function log(): Logger {
  return requestLogger.getStore() ?? processLogger;
}

/** A document failure's reason, reduced to a few kinds so the metric has few series. */
export function failureKind(reason: string | null): string {
  const text = (reason ?? '').toLowerCase();
  if (text.includes('cancel')) return 'cancelled';
  if (text.includes('encrypt') || text.includes('password')) return 'encrypted';
  if (text.includes('no pages')) return 'empty';
  if (text.includes('pages; the limit')) return 'too_many_pages';
  if (text.includes('memory') || text.includes('pixels') || text.includes('too large')) return 'too_large';
  if (text.includes('took longer') || text.includes('timed out') || text.includes('timeout')) return 'timeout';
  if (text.includes('invalid pdf') || text.includes('corrupt') || text.includes('damaged')) return 'corrupt';
  return 'other';
}

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'folio_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'folio_http_request_duration_seconds',
    help: 'Time to the response headers, by method and route pattern.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly answers = new Histogram({
    name: 'folio_answer_duration_seconds',
    help: 'Time to answer a question (retrieval, sampling and reading), by reader.',
    labelNames: ['reader'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  constructor(store: MetadataStore) {
    collectDefaultMetrics({ register: this.registry, prefix: 'folio_api_' });
    // Ingestion runs in the workers; the store is where its outcome is known, read at each scrape.
    const documents = new Gauge({ name: 'folio_documents', help: 'Stored documents by status.', labelNames: ['status'] as const, registers: [this.registry] });
    const pages = new Gauge({ name: 'folio_pages_ingested', help: 'Pages ingested, over all stored documents.', registers: [this.registry] });
    const failures = new Gauge({
      name: 'folio_document_failures',
      help: 'Failed documents by kind of reason (cancelled, encrypted, empty, too_many_pages, too_large, timeout, corrupt, other).',
      labelNames: ['reason'] as const,
      registers: [this.registry],
    });
    new Gauge({
      name: 'folio_store_scrape_ok',
      help: '1 when the document store could be read for this scrape, else 0.',
      registers: [this.registry],
      async collect() {
        documents.reset();
        failures.reset();
        try {
          const all = await store.listDocuments();
          for (const status of ['stored', 'queued', 'ingesting', 'indexing', 'ready', 'failed']) documents.set({ status }, 0);
          let done = 0;
          for (const doc of all) {
            documents.inc({ status: doc.status });
            done += doc.pagesDone;
            if (doc.status === 'failed') failures.inc({ reason: failureKind(doc.failureReason) });
          }
          pages.set(done);
          this.set(1);
        } catch (error) {
          log().error({ err: error }, 'metrics: cannot read the document store');
          this.set(0);
        }
      },
    });
  }

  answered(answer: Answer, seconds: number): void {
    this.answers.observe({ reader: answer.ledger.reader.kind }, seconds);
  }
}

/**
 * Per request: a child logger with the request id for everything logged while it is handled,
 * one access line when it ends, and the request metrics. Route labels are the route patterns
 * (`/v1/documents/:id`), never the raw paths, so ids make no new series.
 */
export function observe(logger: Logger, metrics: Metrics): MiddlewareHandler {
  processLogger = logger;
  return async (c, next) => {
    const started = process.hrtime.bigint();
    const reqLog = logger.child({ reqId: c.get('requestId') as string });
    await requestLogger.run(reqLog, next);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const route = matchedRoutes(c).findLast((r) => r.method !== 'ALL')?.path ?? 'unmatched';
    metrics.requests.inc({ method: c.req.method, route, status: String(c.res.status) });
    metrics.latency.observe({ method: c.req.method, route }, seconds);
    const line = { method: c.req.method, path: c.req.path, route, status: c.res.status, ms: Math.round(seconds * 1e4) / 10 };
    if (c.res.status >= 500) reqLog.error(line, 'request');
    else reqLog.info(line, 'request');
  };
}
