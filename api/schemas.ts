/**
 * The API's contract as zod schemas: what each route takes (path, query, body) and answers.
 * The routes validate requests with them and /openapi.json is generated from them. The response
 * types in views.ts are what the code builds; the checks at the end of this file fail the type
 * check when a schema and its view type drift apart.
 */
import { z } from '@hono/zod-openapi';
import type { Answer } from '../lib/answer/types.ts';
import type { BatchCountsView, BatchCreatedView, BatchDocumentView, BatchSummaryView, BatchView, DocumentView, EvidenceEventView, PageView, TablesView, TableView, TextEventView, TokensView, UploadView } from './views.ts';

// ---- request parts -------------------------------------------------------------------------
// Every part of a URL that names something is held to a strict pattern here, before any handler
// runs, so no value can carry "..", a slash, a NUL byte or an absolute path towards the stores.

/** Questions longer than this are refused. */
export const MAX_QUESTION_CHARS = 2000;

const docId = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'must be a document id: 64 lowercase hex digits (the SHA-256 of the PDF)')
  .openapi({ description: 'Document id: the SHA-256 of the PDF, 64 lowercase hex digits.', example: 'a'.repeat(64) });

/** Page numbers count from 1; seven digits is far beyond any document Folio accepts. */
const pageNumber = z
  .string()
  .regex(/^[0-9]{1,7}$/, 'must be a page number (a whole number from 1)')
  .openapi({ description: 'Page number, from 1.', example: '1' });

export const DocParams = z.object({ id: docId });
export const PageParams = z.object({ id: docId, n: pageNumber });
export const CropParams = z.object({
  id: docId,
  n: pageNumber,
  k: z.string().regex(/^[0-9]{1,4}$/, 'must be a crop number from 0').openapi({ description: 'Crop number: 0 is the visual thumbnail, then the grid tiles in row order.', example: '0' }),
});
const pageIndexName = (what: string) =>
  z
    .string()
    .regex(/^[0-9]{1,7}-[0-9]{1,5}$/, `must name a ${what} as <page>-<index>`)
    .openapi({ description: `The ${what}'s page and reading-order index on it, "<page>-<index>".`, example: '3-1' });
export const FigureParams = z.object({ id: docId, figure: pageIndexName('figure') });
export const TableParams = z.object({ id: docId, table: pageIndexName('table') });
export const TableQuery = z.object({
  format: z.enum(['json', 'csv']).optional().openapi({ description: 'json (default) or csv.' }),
});

export const BatchParams = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,100}$/, 'must be a batch id')
    .openapi({ description: 'Batch id, as POST /v1/batches returned it.', example: 'batch-4f0c7a52-3b1e-4c3e-9c7a-0d5f2c1b9e11' }),
});
export const BatchListQuery = z.object({
  offset: z.string().regex(/^[0-9]{1,9}$/, 'must be a whole number').optional().openapi({ description: 'Documents to skip (default 0).' }),
  limit: z.string().regex(/^[0-9]{1,5}$/, 'must be a whole number').optional().openapi({ description: 'Documents to list, 1 to 10000 (default 1000).' }),
});

export const UploadQuery = z.object({
  filename: z.string().max(1000).optional().openapi({ description: "The file's name, for a raw application/pdf body." }),
  ingest: z.enum(['true', 'false']).optional().openapi({ description: 'false stores the PDF for a batch to ingest later.' }),
});

export const AnswerQuery = z.object({
  stream: z.enum(['true', 'false']).optional().openapi({ description: 'true answers as server-sent events (as does Accept: text/event-stream).' }),
});

export const QuestionBody = z
  .object({
    question: z
      .string()
      .max(MAX_QUESTION_CHARS, `must be at most ${MAX_QUESTION_CHARS} characters`)
      .regex(/\S/, 'must be a non-empty question')
      .openapi({ example: 'On what hardware were the experiments run?' }),
  })
  .openapi('Question');

const count = z.union([z.number().int().min(1), z.string().regex(/^[0-9]{1,9}$/)]).optional();
export const BatchBody = z
  .object({
    documents: z.array(docId).min(1).max(100_000).openapi({ description: 'Ids of stored documents (upload them first, e.g. with ?ingest=false).' }),
    window: count.openapi({ description: 'Documents ingested at once (at least 1).' }),
    continueAsNewAfter: count.openapi({ description: 'Documents per workflow run before it continues as new (at least 1).' }),
  })
  .openapi('BatchRequest');

/** A PDF as the raw request body, or as the binary part of a multipart form (no zod: the handlers read the stream). */
export const pdfBinary = { type: 'string', format: 'binary', contentMediaType: 'application/pdf' } as const;
export const pngBinary = { type: 'string', format: 'binary', contentMediaType: 'image/png' } as const;

// ---- responses -----------------------------------------------------------------------------

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ description: 'Stable machine-readable code, e.g. document_not_found, invalid_request, rate_limited.', example: 'invalid_request' }),
      message: z.string().openapi({ description: 'What went wrong, for a person.' }),
      field: z.string().optional().openapi({ description: 'For invalid_request: the request field that did not match its schema.', example: 'question' }),
    }),
  })
  .openapi('Error');

// Tuples are written out by hand: the generator emits them as `items: [ ... ]`, the pre-2020-12
// tuple form, which is not a valid schema in OpenAPI 3.1 (schemathesis refused the document).
const box = z
  .tuple([z.number(), z.number(), z.number(), z.number()])
  .openapi({ description: '[x0, y0, x1, y1] in PDF points, origin top left.', type: 'array', items: { type: 'number' }, minItems: 4, maxItems: 4 });
/**
 * [term, weight]. Not written with `prefixItems`: schemathesis 4.32.5 rewrites `prefixItems` into
 * the old `items: [...]` form and then rejects its own rewrite as an invalid 3.1 schema ("Schema
 * Error" on POST /v1/documents/{id}/answers), so each item is typed as "string or number".
 */
const termWeight = z
  .tuple([z.string(), z.number()])
  .openapi({ description: '[term, weight]', type: 'array', items: { type: ['string', 'number'] }, minItems: 2, maxItems: 2 } as unknown as { type: 'array' });
const documentStatus = z.enum(['stored', 'queued', 'ingesting', 'indexing', 'ready', 'failed']);
const unitKind = z.enum(['text', 'heading', 'caption', 'list', 'table', 'figure', 'header', 'footer']);

export const DocumentSchema = z
  .object({
    id: z.string(),
    status: documentStatus,
    filename: z.string().nullable(),
    bytes: z.number().int(),
    title: z.string().nullable(),
    pages: z.object({ done: z.number().int(), total: z.number().int().nullable(), withErrors: z.number().int() }),
    failureReason: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Document');
export const DocumentListSchema = z.object({ documents: z.array(DocumentSchema) }).openapi('DocumentList');
export const UploadSchema = z.object({ id: z.string(), status: documentStatus, created: z.boolean() }).openapi('Upload');

const unitSchema = z.object({
  readingOrder: z.number().int(),
  kind: unitKind.optional(),
  text: z.string(),
  bbox: box,
  section: z.array(z.string()),
  level: z.number().nullable(),
  fontSize: z.number().nullable(),
  cells: z.array(z.array(z.string())).optional(),
  caption: z.string().optional(),
  references: z.array(z.string()).optional(),
  figureId: z.string().optional(),
  image: z.string().nullable().optional(),
});
const size = z.object({ width: z.number(), height: z.number() });
export const PageSchema = z
  .object({
    page: z.number().int(),
    width: z.number(),
    height: z.number(),
    error: z.string().nullable(),
    textSource: z.enum(['ocr', 'text-layer']),
    thumbnail: z.string().nullable(),
    crops: z.object({ grid: z.object({ rows: z.number().int(), cols: z.number().int() }), tile: z.number().int(), canvas: size, images: z.array(z.string()) }).nullable(),
    units: z.array(unitSchema),
  })
  .openapi('Page');

export const TokensSchema = z
  .object({
    page: z.number().int(),
    encoder: z.string(),
    count: z.number().int(),
    tokens: z.array(
      z.object({
        crop: z.number().int(),
        patch: z.number().int().nullable(),
        superToken: z.boolean(),
        box: z.array(z.number()),
        score: z.number(),
        mergedFrom: z.number().int(),
      }),
    ),
    ledger: z.record(z.string(), z.unknown()),
  })
  .openapi('VisualTokens');

const valueUnit = z.object({ currency: z.string().nullable(), scale: z.number(), perShare: z.boolean(), percent: z.boolean(), source: z.string().nullable() });
const period = z.object({ year: z.number().int(), quarter: z.number().int().nullable(), months: z.number().int().nullable(), end: z.string().nullable(), label: z.string() });
export const TableSchema = z
  .object({
    id: z.string(),
    index: z.number().int(),
    caption: z.string().nullable(),
    page: z.number().int(),
    box,
    title: z.string().nullable(),
    labelHeader: z.string().optional(),
    unit: valueUnit,
    columns: z.array(z.object({ header: z.string(), period: period.nullable(), box })),
    rows: z.array(
      z.object({
        label: z.string(),
        level: z.number().int(),
        heading: z.boolean(),
        total: z.boolean(),
        parents: z.array(z.string()),
        cells: z.array(z.object({ text: z.string(), value: z.number().nullable(), column: z.number().int(), box })),
        unit: valueUnit.nullable(),
        box,
      }),
    ),
    continued: z.boolean(),
  })
  .openapi('Table');
export const TablesSchema = z.object({ documentId: z.string(), tables: z.array(TableSchema) }).openapi('Tables');

const evidenceLedger = {
  retrieval: z.object({
    scorers: z.array(z.enum(['bm25', 'sparse', 'passages', 'shape', 'pages', 'dense', 'labels'])),
    fusion: z.literal('rrf'),
    queryTerms: z.array(z.string()),
    labels: z.array(z.string()),
    unitsConsidered: z.number().int(),
    candidates: z.number().int(),
    pageRanking: z.array(z.number().int()),
    expansion: z.array(termWeight).optional(),
    concepts: z.array(z.string()).optional(),
  }),
  sampler: z.object({
    tokenBudget: z.number(),
    tokens: z.number(),
    selected: z.array(z.object({ page: z.number().int(), index: z.number().int(), score: z.number(), hit: z.boolean() })),
  }),
};
const usedCell = z.object({ page: z.number().int(), box, row: z.string(), column: z.string(), text: z.string(), value: z.number(), used: z.number() });
const llmLedger = z.object({
  kind: z.literal('llm'),
  model: z.string(),
  policy: z.string(),
  budget: z.number().nullable(),
  promptTokens: z.number().int(),
  generatedTokens: z.number().int(),
  finishReason: z.string(),
  rejectedPages: z.array(z.number().int()),
  attendedPerToken: z.array(z.number()),
  prefillMs: z.number(),
  decodeMs: z.number(),
});
const extractiveLedger = z.object({
  kind: z.literal('extractive'),
  passagesScored: z.number().int(),
  coverage: z.number(),
  notFoundReason: z.string().nullable(),
  llmRejected: z.string().optional(),
  numeric: z
    .object({
      status: z.enum(['answer', 'not-found', 'abstain']),
      formula: z.string().nullable().optional(),
      filled: z.string().optional(),
      cells: z.array(usedCell).optional(),
      reason: z.string().optional(),
    })
    .optional(),
  judge: z
    .object({
      model: z.string(),
      normalisation: z.string(),
      chosen: z.number().int(),
      candidates: z.array(
        z.object({
          answer: z.string(),
          page: z.number().int(),
          rank: z.number().int(),
          tokens: z.number().int(),
          logProb: z.number(),
          logProbWithoutQuestion: z.number().nullable(),
          score: z.number(),
        }),
      ),
      tokens: z.number().int(),
      ms: z.number(),
    })
    .optional()
    .openapi({ description: 'When the LLM judged the extractive reader\'s candidates (FOLIO_READER=judge): each candidate\'s log-probs and score.' }),
});
export const AnswerSchema = z
  .object({
    answer: z.string(),
    evidence: z.string().openapi({ description: 'The sentence the answer was taken from.' }),
    found: z.boolean(),
    citations: z.array(z.object({ page: z.number().int(), bbox: box, quote: z.string() })),
    ledger: z.object({
      ...evidenceLedger,
      reader: z.discriminatedUnion('kind', [extractiveLedger, llmLedger]),
      ms: z.object({ retrieve: z.number(), sample: z.number(), read: z.number(), total: z.number() }),
    }),
    llm: z.object({ text: z.string(), ledger: llmLedger }).optional(),
  })
  .openapi('Answer');
export const EvidenceEventSchema = z.object({ ...evidenceLedger, pages: z.array(z.number().int()) }).openapi('EvidenceEvent');
export const TextEventSchema = z.object({ text: z.string() }).openapi('TextEvent');

const batchPhase = z.enum(['running', 'paused', 'cancelling', 'cancelled', 'done', 'failed', 'terminated', 'timed_out', 'unknown', 'unreachable']);
const batchCounts = z.object({
  total: z.number().int(),
  queued: z.number().int(),
  running: z.number().int(),
  ready: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
  alreadyReady: z.number().int(),
});
const batchSummaryShape = {
  id: z.string(),
  phase: batchPhase,
  createdAt: z.string(),
  counts: batchCounts,
  pages: z.object({ done: z.number().int(), total: z.number().int() }),
  runs: z.number().int().nullable(),
};
export const BatchSummarySchema = z.object(batchSummaryShape).openapi('BatchSummary');
export const BatchListSchema = z.object({ batches: z.array(BatchSummarySchema) }).openapi('BatchList');
const batchDocument = z.object({
  id: z.string(),
  filename: z.string().nullable(),
  outcome: z.enum(['ready', 'failed', 'cancelled']).nullable(),
  reason: z.string().nullable(),
  alreadyReady: z.boolean(),
  status: documentStatus.nullable(),
  pages: z.object({ done: z.number().int(), total: z.number().int().nullable() }),
});
export const BatchSchema = z.object({ ...batchSummaryShape, documents: z.array(batchDocument) }).openapi('Batch');
export const BatchCreatedSchema = z
  .object({ id: z.string(), total: z.number().int(), documents: z.array(z.object({ id: z.string(), filename: z.string().nullable(), created: z.boolean() })) })
  .openapi('BatchCreated');
export const BatchSignalSchema = z.object({ id: z.string(), signal: z.enum(['cancel', 'pause', 'resume']) }).openapi('BatchSignal');

export const HealthSchema = z.object({ ok: z.boolean() }).openapi('Health');
const check = z.object({ ok: z.boolean(), ms: z.number(), error: z.string().optional() });
export const ReadySchema = z.object({ ok: z.boolean(), checks: z.object({ temporal: check, metadata: check, blobs: check }) }).openapi('Readiness');

// ---- route helpers -------------------------------------------------------------------------

const errorBodies: Record<number, string> = {
  400: 'The request does not match its schema (`field` names the part), or its body is malformed.',
  401: 'No valid API key (keys are configured).',
  404: 'What the URL names does not exist.',
  409: 'The resource is not in a state that allows this.',
  413: 'The body exceeds FOLIO_MAX_UPLOAD_BYTES.',
  415: 'The upload is not a PDF.',
  429: 'Too many requests for this key; Retry-After says when to try again.',
};

/** JSON error responses for the given statuses, plus the ones every /v1 route can give. */
export function errors(...statuses: number[]) {
  const all = [...new Set([400, 401, 429, ...statuses])].sort();
  return Object.fromEntries(all.map((status) => [status, { description: errorBodies[status], content: { 'application/json': { schema: ErrorSchema } } }]));
}

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

export function png(description: string) {
  return { description, content: { 'image/png': { schema: pngBinary } } };
}

// ---- the schemas and the view types must describe the same values ---------------------------

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Checks = [
  Same<z.infer<typeof DocumentSchema>, DocumentView>,
  Same<z.infer<typeof UploadSchema>, UploadView>,
  Same<z.infer<typeof PageSchema>, PageView>,
  Same<z.infer<typeof TokensSchema>, TokensView>,
  Same<z.infer<typeof TableSchema>, TableView>,
  Same<z.infer<typeof TablesSchema>, TablesView>,
  Same<z.infer<typeof AnswerSchema>, Answer>,
  Same<z.infer<typeof EvidenceEventSchema>, EvidenceEventView>,
  Same<z.infer<typeof TextEventSchema>, TextEventView>,
  Same<z.infer<typeof BatchSummarySchema>['counts'], BatchCountsView>,
  Same<z.infer<typeof BatchSummarySchema>, BatchSummaryView>,
  Same<z.infer<typeof BatchSchema>, BatchView>,
  Same<z.infer<typeof BatchSchema>['documents'][number], BatchDocumentView>,
  Same<z.infer<typeof BatchCreatedSchema>, BatchCreatedView>,
];
export const schemasMatchViews: Checks = [true, true, true, true, true, true, true, true, true, true, true, true, true, true];

/** What every /v1 route declares: the bearer key (needed when the server has keys configured). */
export const bearer = [{ bearer: [] }];
