/**
 * Batches of documents, in their own tables of the metadata database. A batch's document list
 * and each document's outcome live here rather than in the batch workflow's history, so a batch
 * of 100,000 documents stays a few hundred bytes of workflow state: the workflow reads the list
 * a slice at a time and writes each outcome back.
 */
import type Database from 'better-sqlite3';
import type { DocumentStatus } from './records.ts';

/** How one document of a batch ended; null while it has not. */
export type BatchOutcome = 'ready' | 'failed' | 'cancelled';

export interface BatchRecord {
  id: string;
  total: number;
  createdAt: string;
}

export interface BatchDocumentRecord {
  position: number;
  docId: string;
  filename: string | null;
  outcome: BatchOutcome | null;
  reason: string | null;
  /** The document was ready before the batch reached it, so the batch did not ingest it again. */
  alreadyReady: boolean;
  /** The document's own state in the store, now. */
  status: DocumentStatus | null;
  pagesDone: number;
  pageCount: number | null;
}

/** A document of a batch as the workflow reads it: its place, id and current status. */
export interface BatchSliceItem {
  position: number;
  docId: string;
  filename: string | null;
  status: DocumentStatus | null;
}

export interface BatchOutcomeUpdate {
  docId: string;
  outcome: BatchOutcome;
  reason: string | null;
  alreadyReady?: boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS batches (
  id TEXT PRIMARY KEY,
  total INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batch_documents (
  batch_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  doc_id TEXT NOT NULL,
  outcome TEXT,
  reason TEXT,
  already_ready INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (batch_id, position)
);
CREATE INDEX IF NOT EXISTS batch_documents_doc ON batch_documents (batch_id, doc_id);
`;

export interface BatchDocumentRow {
  position: number;
  doc_id: string;
  filename: string | null;
  outcome: BatchOutcome | null;
  reason: string | null;
  already_ready: number;
  status: DocumentStatus | null;
  pages_done: number | null;
  page_count: number | null;
}

/** Batches and their documents' outcomes, beside the documents in the metadata database. */
export function toBatchDocument(row: BatchDocumentRow): BatchDocumentRecord {
  return {
    position: row.position,
    docId: row.doc_id,
    filename: row.filename,
    outcome: row.outcome,
    reason: row.reason,
    alreadyReady: row.already_ready === 1,
    status: row.status,
    pagesDone: row.pages_done ?? 0,
    pageCount: row.page_count,
  };
}

export interface BatchStore {
  /**
   * Records a batch and its documents in order; a document named twice is kept once (its
   * first place), since it is one workflow. Returns the number of distinct documents.
   */
  createBatch(id: string, docIds: string[]): Promise<number>;
  getBatch(id: string): Promise<BatchRecord | undefined>;
  /** Newest first. */
  listBatches(limit?: number): Promise<BatchRecord[]>;
  /** Documents [from, from + count) of the batch, with each one's current status. */
  slice(batchId: string, from: number, count: number): Promise<BatchSliceItem[]>;
  recordOutcomes(batchId: string, updates: BatchOutcomeUpdate[]): Promise<void>;
  /** Records every document from `from` on that has no outcome yet as cancelled; returns how many. */
  cancelRemaining(batchId: string, from: number, reason: string): Promise<number>;
  /** The batch's documents in order, with outcome and each document's pages from the store. */
  documents(batchId: string, from?: number, count?: number): Promise<BatchDocumentRecord[]>;
  /**
   * Outcomes so far; of the unsettled documents, those the store shows ingesting or indexing
   * count as running, the rest as queued.
   */
  counts(batchId: string): Promise<BatchCounts>;
  /** Pages stored and pages known over the batch's documents (a document not yet opened adds none). */
  pages(batchId: string): Promise<{ done: number; total: number }>;
}

export interface BatchCounts {
  queued: number;
  running: number;
  ready: number;
  failed: number;
  cancelled: number;
  alreadyReady: number;
}

export class SqliteBatchStore implements BatchStore {
  /** The metadata store's database: a batch's documents are joined with the documents table. */
  constructor(private readonly db: Database.Database) {
    this.db.exec(SCHEMA);
  }

  /**
   * Records a batch and its documents in order; a document named twice is kept once (its
   * first place), since it is one workflow. Returns the number of distinct documents.
   */
  async createBatch(id: string, docIds: string[]): Promise<number> {
    const distinct = [...new Set(docIds)];
    const insertDoc = this.db.prepare('INSERT INTO batch_documents (batch_id, position, doc_id) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO batches (id, total, created_at) VALUES (?, ?, ?)').run(id, distinct.length, new Date().toISOString());
      for (const [position, docId] of distinct.entries()) insertDoc.run(id, position, docId);
    })();
    return distinct.length;
  }

  async getBatch(id: string): Promise<BatchRecord | undefined> {
    const row = this.db.prepare('SELECT id, total, created_at FROM batches WHERE id = ?').get(id) as
      | { id: string; total: number; created_at: string }
      | undefined;
    return row ? { id: row.id, total: row.total, createdAt: row.created_at } : undefined;
  }

  /** Newest first. */
  async listBatches(limit = 100): Promise<BatchRecord[]> {
    const rows = this.db.prepare('SELECT id, total, created_at FROM batches ORDER BY created_at DESC, id LIMIT ?').all(limit) as {
      id: string;
      total: number;
      created_at: string;
    }[];
    return rows.map((row) => ({ id: row.id, total: row.total, createdAt: row.created_at }));
  }

  /** Documents [from, from + count) of the batch, with each one's current status. */
  async slice(batchId: string, from: number, count: number): Promise<BatchSliceItem[]> {
    const rows = this.db
      .prepare(
        `SELECT b.position, b.doc_id, d.filename, d.status FROM batch_documents b LEFT JOIN documents d ON d.id = b.doc_id
         WHERE b.batch_id = ? AND b.position >= ? ORDER BY b.position LIMIT ?`,
      )
      .all(batchId, from, count) as { position: number; doc_id: string; filename: string | null; status: DocumentStatus | null }[];
    return rows.map((row) => ({ position: row.position, docId: row.doc_id, filename: row.filename, status: row.status }));
  }

  async recordOutcomes(batchId: string, updates: BatchOutcomeUpdate[]): Promise<void> {
    const update = this.db.prepare('UPDATE batch_documents SET outcome = ?, reason = ?, already_ready = ? WHERE batch_id = ? AND doc_id = ?');
    this.db.transaction(() => {
      for (const u of updates) update.run(u.outcome, u.reason, u.alreadyReady ? 1 : 0, batchId, u.docId);
    })();
  }

  /** Records every document from `from` on that has no outcome yet as cancelled; returns how many. */
  async cancelRemaining(batchId: string, from: number, reason: string): Promise<number> {
    return this.db
      .prepare("UPDATE batch_documents SET outcome = 'cancelled', reason = ? WHERE batch_id = ? AND position >= ? AND outcome IS NULL")
      .run(reason, batchId, from).changes;
  }

  /** The batch's documents in order, with outcome and each document's pages from the store. */
  async documents(batchId: string, from = 0, count = 100_000): Promise<BatchDocumentRecord[]> {
    const rows = this.db
      .prepare(
        `SELECT b.position, b.doc_id, d.filename, b.outcome, b.reason, b.already_ready, d.status, d.page_count,
           (SELECT COUNT(*) FROM pages p WHERE p.doc_id = b.doc_id) AS pages_done
         FROM batch_documents b LEFT JOIN documents d ON d.id = b.doc_id
         WHERE b.batch_id = ? AND b.position >= ? ORDER BY b.position LIMIT ?`,
      )
      .all(batchId, from, count) as BatchDocumentRow[];
    return rows.map(toBatchDocument);
  }

  /**
   * Outcomes so far; of the unsettled documents, those the store shows ingesting or indexing
   * count as running, the rest as queued.
   */
  async counts(batchId: string): Promise<BatchCounts> {
    const row = this.db
      .prepare(
        `SELECT
           COALESCE(SUM(b.outcome IS NULL AND COALESCE(d.status, '') NOT IN ('ingesting', 'indexing')), 0) AS queued,
           COALESCE(SUM(b.outcome IS NULL AND d.status IN ('ingesting', 'indexing')), 0) AS running,
           COALESCE(SUM(b.outcome = 'ready'), 0) AS ready,
           COALESCE(SUM(b.outcome = 'failed'), 0) AS failed,
           COALESCE(SUM(b.outcome = 'cancelled'), 0) AS cancelled,
           COALESCE(SUM(b.already_ready), 0) AS alreadyReady
         FROM batch_documents b LEFT JOIN documents d ON d.id = b.doc_id WHERE b.batch_id = ?`,
      )
      .get(batchId) as BatchCounts;
    return row;
  }

  /** Pages stored and pages known over the batch's documents (a document not yet opened adds none). */
  async pages(batchId: string): Promise<{ done: number; total: number }> {
    const row = this.db
      .prepare(
        `SELECT (SELECT COUNT(*) FROM pages p JOIN batch_documents b ON p.doc_id = b.doc_id WHERE b.batch_id = @batch) AS done,
           (SELECT COALESCE(SUM(d.page_count), 0) FROM batch_documents b JOIN documents d ON d.id = b.doc_id WHERE b.batch_id = @batch) AS total`,
      )
      .get({ batch: batchId }) as { done: number; total: number };
    return row;
  }
}
