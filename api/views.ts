/**
 * What the API answers with, built from store records and library results. The CLI reads
 * responses through these same types.
 */
import type { Box, Paragraph, StatementTable, UnitKind } from '../models/document/types.ts';
import type { PageTokens } from '../models/visual/compress/pipeline.ts';
import type { TokenBlobHeader } from '../models/visual/compress/token-blob.ts';
import type { CropPlan } from '../models/visual/crop-plan.ts';
import type { Answer } from '../lib/answer/types.ts';
import type { Evidence, EvidenceLedger } from '../lib/retrieval/evidence.ts';
import type { BatchDocumentRecord, BatchOutcome } from '../lib/store/batches.ts';
import type { DocumentRecord, DocumentStatus, PageRecord } from '../lib/store/records.ts';

export interface DocumentView {
  id: string;
  status: DocumentStatus;
  filename: string | null;
  bytes: number;
  title: string | null;
  pages: { done: number; total: number | null; withErrors: number };
  failureReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export function documentView(doc: DocumentRecord): DocumentView {
  return {
    id: doc.id,
    status: doc.status,
    filename: doc.filename,
    bytes: doc.bytes,
    title: doc.title,
    pages: { done: doc.pagesDone, total: doc.pageCount, withErrors: doc.pagesWithErrors },
    failureReason: doc.failureReason,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

/** The reply to an upload; `created` is false when the same PDF was uploaded before. */
export interface UploadView {
  id: string;
  status: DocumentStatus;
  created: boolean;
}

/** A page's unit in reading order; the optional parts are there only when the unit has them. */
export interface UnitView {
  readingOrder: number;
  kind?: UnitKind;
  text: string;
  bbox: Box;
  section: string[];
  level: number | null;
  fontSize: number | null;
  cells?: string[][];
  caption?: string;
  references?: string[];
  figureId?: string;
  image?: string | null;
}

export interface PageView {
  page: number;
  width: number;
  height: number;
  error: string | null;
  textSource: 'ocr' | 'text-layer';
  thumbnail: string | null;
  crops: { grid: CropPlan['grid']; tile: number; canvas: CropPlan['canvas']; images: string[] } | null;
  units: UnitView[];
}

export function pageView(docId: string, page: PageRecord, units: Paragraph[]): PageView {
  return {
    page: page.page,
    width: page.width,
    height: page.height,
    error: page.error,
    textSource: page.ocr ? 'ocr' : 'text-layer',
    thumbnail: page.thumbnailKey ? `/v1/documents/${docId}/pages/${page.page}/thumbnail.png` : null,
    crops: page.crops
      ? {
          grid: page.crops.plan.grid,
          tile: page.crops.plan.tile,
          canvas: page.crops.plan.canvas,
          images: Array.from({ length: page.crops.plan.tiles.length + 1 }, (_, k) => `/v1/documents/${docId}/pages/${page.page}/crops/${k}.png`),
        }
      : null,
    units: units.map((unit) => ({
      readingOrder: unit.index,
      kind: unit.kind,
      text: unit.text,
      bbox: unit.bbox,
      section: unit.section ?? [],
      level: unit.level ?? null,
      fontSize: unit.size ?? null,
      ...(unit.cells ? { cells: unit.cells } : {}),
      ...(unit.caption ? { caption: unit.caption } : {}),
      ...(unit.references?.length ? { references: unit.references } : {}),
      ...(unit.kind === 'figure'
        ? { figureId: `${unit.page}-${unit.index}`, image: unit.imageKey ? `/v1/documents/${docId}/figures/${unit.page}-${unit.index}.png` : null }
        : {}),
    })),
  };
}

export interface TokenView {
  /** The image at /crops/:k.png (0 = visual thumbnail). */
  crop: number;
  /** Null for a super token, which stands for merged patches rather than one. */
  patch: number | null;
  superToken: boolean;
  /** [x0, y0, x1, y1] in PDF points, rounded to hundredths. */
  box: number[];
  score: number;
  mergedFrom: number;
}

export interface TokensView {
  page: number;
  encoder: string;
  count: number;
  tokens: TokenView[];
  ledger: Record<string, unknown>;
}

export function tokensView(page: number, header: TokenBlobHeader, tokens: PageTokens, ledger: Record<string, unknown>): TokensView {
  return {
    page,
    encoder: header.encoder,
    count: tokens.count,
    tokens: Array.from({ length: tokens.count }, (_, t) => ({
      crop: tokens.image[t],
      patch: tokens.patch[t] >= 0 ? tokens.patch[t] : null,
      superToken: tokens.patch[t] < 0,
      box: Array.from(tokens.box.subarray(t * 4, t * 4 + 4), (v) => Math.round(v * 100) / 100),
      score: tokens.score[t],
      mergedFrom: tokens.mergedFrom[t],
    })),
    ledger,
  };
}

/** An answer is sent as the reader returned it, citations and ledger included. */
/** A table with its data; `id` ("<page>-<index>") names it in /tables/:table. */
export interface TableView extends StatementTable {
  id: string;
  index: number;
  caption: string | null;
}

export function tableView(unit: Paragraph & { table: StatementTable }): TableView {
  return { id: `${unit.page}-${unit.index}`, index: unit.index, caption: unit.caption ?? null, ...unit.table };
}

export interface TablesView {
  documentId: string;
  tables: TableView[];
}

export type AnswerView = Answer;

/** The first event of a streamed answer: what retrieval and the sampler kept, and its pages. */
export type EvidenceEventView = EvidenceLedger & { pages: number[] };

export function evidenceEventView(evidence: Evidence): EvidenceEventView {
  return { ...evidence.ledger, pages: [...new Set(evidence.candidates.map((unit) => unit.page))] };
}

/** A `token` event of a streamed answer: the next piece of the answer's text. */
export interface TextEventView {
  text: string;
}

/**
 * How a batch stands: the workflow's phase, or how its last run closed; `unreachable` while
 * Temporal cannot be asked (the counts then come from the store).
 */
export type BatchPhaseView = 'running' | 'paused' | 'cancelling' | 'cancelled' | 'done' | 'failed' | 'terminated' | 'timed_out' | 'unknown' | 'unreachable';

/** Phases after which a batch changes no more. */
export function batchIsClosed(phase: BatchPhaseView): boolean {
  return !['running', 'paused', 'cancelling', 'unreachable'].includes(phase);
}

/** One document of a batch: its outcome in the batch and its own state now. */
export interface BatchDocumentView {
  id: string;
  filename: string | null;
  /** null while the batch has not settled it. */
  outcome: BatchOutcome | null;
  reason: string | null;
  /** It was ready before the batch reached it, so it was not ingested again. */
  alreadyReady: boolean;
  status: DocumentStatus | null;
  pages: { done: number; total: number | null };
}

export function batchDocumentView(doc: BatchDocumentRecord): BatchDocumentView {
  return {
    id: doc.docId,
    filename: doc.filename,
    outcome: doc.outcome,
    reason: doc.reason,
    alreadyReady: doc.alreadyReady,
    status: doc.status,
    pages: { done: doc.pagesDone, total: doc.pageCount },
  };
}

export interface BatchCountsView {
  total: number;
  queued: number;
  running: number;
  ready: number;
  failed: number;
  cancelled: number;
  alreadyReady: number;
}

export interface BatchSummaryView {
  id: string;
  phase: BatchPhaseView;
  createdAt: string;
  counts: BatchCountsView;
  pages: { done: number; total: number };
  /** How many times the workflow continued as new (known while it runs). */
  runs: number | null;
}

export interface BatchView extends BatchSummaryView {
  documents: BatchDocumentView[];
}

/** The reply to creating a batch. */
export interface BatchCreatedView {
  id: string;
  total: number;
  documents: { id: string; filename: string | null; created: boolean }[];
}
