/**
 * Metadata and batches on PostgreSQL, for an API and workers on different machines. Same
 * interfaces and same rows as the SQLite store. Writes stay safe when two workers retry the
 * same page at once: a page is saved in one transaction holding an advisory lock on
 * (document, page), and every insert keyed by a natural key is an upsert.
 */
import pg from 'pg';
import type { Paragraph } from '../../models/document/types.ts';
import {
  type BatchCounts,
  type BatchDocumentRecord,
  type BatchDocumentRow,
  type BatchOutcomeUpdate,
  type BatchRecord,
  type BatchSliceItem,
  type BatchStore,
  toBatchDocument,
} from './batches.ts';
import { type DocumentRow, type MetadataStore, type ParagraphRow, type StoredPage, toDocument, toParagraph, type UnitStructure } from './metadata.ts';
import { migrate } from './pg-migrations.ts';
import type { DocumentRecord, DocumentStatus, PageCrops, PageRecord } from './records.ts';

/** BIGINT and COUNT(*) arrive as strings by default; every count and size here fits a double. */
const TYPES = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export interface PostgresOptions {
  /** A postgres:// connection URL. */
  url: string;
  /** Connections in this process's pool. */
  poolSize?: number;
}

/** Opens a pool and brings the schema up to date; the stores below share it. */
export async function openPostgres(options: PostgresOptions): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 8, types: TYPES });
  // An idle connection the server dropped must not crash the process; the pool replaces it.
  pool.on('error', (error) => console.error('folio store: idle PostgreSQL connection failed:', error.message));
  try {
    await migrate(pool);
  } catch (error) {
    await pool.end();
    throw new Error(`cannot open the PostgreSQL metadata store at ${redact(options.url)}`, { cause: error });
  }
  return pool;
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable URL)';
  }
}

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

const DOCUMENT_SELECT = `SELECT d.*, (SELECT COUNT(*) FROM pages p WHERE p.doc_id = d.id) AS pages_done,
  (SELECT COUNT(*) FROM pages p WHERE p.doc_id = d.id AND p.error IS NOT NULL) AS pages_with_errors
  FROM documents d`;

const PARAGRAPH_COLUMNS = 'page, idx, x0, y0, x1, y1, text, size, lines, kind, level, section, cells, table_data, caption, image_key, refs, bold';

export class PostgresMetadataStore implements MetadataStore {
  /** `ownsPool`: closing the store ends the pool (the batch store borrows it). */
  constructor(
    readonly pool: pg.Pool,
    private readonly ownsPool = true,
  ) {}

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }

  async insertDocument(doc: { id: string; filename: string | null; bytes: number; status?: 'queued' | 'stored' }): Promise<boolean> {
    const now = new Date().toISOString();
    const result = await this.pool.query(
      `INSERT INTO documents (id, filename, bytes, status, created_at, updated_at)
       VALUES ($1, $2, $3, $5, $4, $4) ON CONFLICT (id) DO NOTHING`,
      [doc.id, doc.filename, doc.bytes, now, doc.status ?? 'queued'],
    );
    return result.rowCount === 1;
  }

  async getDocument(id: string): Promise<DocumentRecord | undefined> {
    const { rows } = await this.pool.query<DocumentRow>(`${DOCUMENT_SELECT} WHERE d.id = $1`, [id]);
    return rows[0] ? toDocument(rows[0]) : undefined;
  }

  async listDocuments(): Promise<DocumentRecord[]> {
    const { rows } = await this.pool.query<DocumentRow>(`${DOCUMENT_SELECT} ORDER BY d.created_at DESC`);
    return rows.map(toDocument);
  }

  async documentsWithStatus(status: DocumentStatus): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>('SELECT id FROM documents WHERE status = $1', [status]);
    return rows.map((row) => row.id);
  }

  async setStatus(id: string, status: DocumentStatus, failureReason: string | null = null): Promise<void> {
    await this.pool.query('UPDATE documents SET status = $1, failure_reason = $2, updated_at = $3 WHERE id = $4', [status, failureReason, new Date().toISOString(), id]);
  }

  async setInspection(id: string, info: { pageCount: number; title: string | null }): Promise<void> {
    await this.pool.query('UPDATE documents SET page_count = $1, title = $2, updated_at = $3 WHERE id = $4', [info.pageCount, info.title, new Date().toISOString(), id]);
  }

  async setIndexKey(id: string, indexKey: string): Promise<void> {
    await this.pool.query('UPDATE documents SET index_key = $1, updated_at = $2 WHERE id = $3', [indexKey, new Date().toISOString(), id]);
  }

  async indexKeyOf(id: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ index_key: string | null }>('SELECT index_key FROM documents WHERE id = $1', [id]);
    return rows[0]?.index_key ?? null;
  }

  async storedPages(docId: string): Promise<number[]> {
    const { rows } = await this.pool.query<{ page: number }>('SELECT page FROM pages WHERE doc_id = $1 ORDER BY page', [docId]);
    return rows.map((row) => row.page);
  }

  async logExtractionStart(docId: string, page: number): Promise<void> {
    await this.pool.query('INSERT INTO page_extractions (doc_id, page, started_at) VALUES ($1, $2, $3)', [docId, page, new Date().toISOString()]);
  }

  async extractionCounts(docId: string): Promise<Map<number, number>> {
    const { rows } = await this.pool.query<{ page: number; n: number }>('SELECT page, COUNT(*) AS n FROM page_extractions WHERE doc_id = $1 GROUP BY page', [docId]);
    return new Map(rows.map((row) => [row.page, row.n]));
  }

  async savePage(docId: string, p: StoredPage): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      // Two workers saving the same page (a retry racing a slow first attempt) take turns, so
      // the page ends with one attempt's paragraphs, never a mix or a key conflict.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1), $2)', [docId, p.page]);
      await client.query('DELETE FROM paragraphs WHERE doc_id = $1 AND page = $2', [docId, p.page]);
      if (p.paragraphs.length > 0) {
        const column = <T>(pick: (para: Paragraph) => T) => p.paragraphs.map(pick);
        await client.query(
          `INSERT INTO paragraphs (doc_id, page, idx, x0, y0, x1, y1, text, size, lines, kind, cells, table_data, image_key, bold)
           SELECT $1, $2, * FROM unnest($3::int[], $4::float8[], $5::float8[], $6::float8[], $7::float8[], $8::text[], $9::float8[],
             $10::int[], $11::text[], $12::text[], $13::text[], $14::text[], $15::int[])`,
          [
            docId,
            p.page,
            column((para) => para.index),
            column((para) => para.bbox[0]),
            column((para) => para.bbox[1]),
            column((para) => para.bbox[2]),
            column((para) => para.bbox[3]),
            column((para) => para.text),
            column((para) => para.size ?? null),
            column((para) => para.lines ?? null),
            column((para) => para.kind ?? 'text'),
            column((para) => (para.cells ? JSON.stringify(para.cells) : null)),
            column((para) => (para.table ? JSON.stringify(para.table) : null)),
            column((para) => para.imageKey ?? null),
            column((para) => (para.bold ? 1 : null)),
          ],
        );
      }
      await client.query(
        `INSERT INTO pages (doc_id, page, width, height, thumbnail_key, paragraph_count, error, crops, ocr)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (doc_id, page) DO UPDATE SET width = excluded.width,
           height = excluded.height, thumbnail_key = excluded.thumbnail_key,
           paragraph_count = excluded.paragraph_count, error = excluded.error, crops = excluded.crops,
           ocr = excluded.ocr`,
        [docId, p.page, p.width, p.height, p.thumbnailKey, p.paragraphs.length, p.error, p.crops ? JSON.stringify(p.crops) : null, p.ocr ? 1 : 0],
      );
    });
  }

  async getPage(docId: string, page: number): Promise<PageRecord | undefined> {
    const { rows } = await this.pool.query<{
      page: number;
      width: number;
      height: number;
      thumbnail_key: string | null;
      paragraph_count: number;
      error: string | null;
      crops: string | null;
      ocr: number;
    }>('SELECT page, width, height, thumbnail_key, paragraph_count, error, crops, ocr FROM pages WHERE doc_id = $1 AND page = $2', [docId, page]);
    const row = rows[0];
    return row
      ? {
          page: row.page,
          width: row.width,
          height: row.height,
          thumbnailKey: row.thumbnail_key,
          paragraphCount: row.paragraph_count,
          error: row.error,
          crops: row.crops ? (JSON.parse(row.crops) as PageCrops) : null,
          ocr: row.ocr === 1,
        }
      : undefined;
  }

  async setVisualTokens(docId: string, page: number, key: string, ledger: object): Promise<void> {
    await this.pool.query('UPDATE pages SET visual_tokens_key = $1, visual_ledger = $2 WHERE doc_id = $3 AND page = $4', [key, JSON.stringify(ledger), docId, page]);
  }

  async visualTokens(docId: string, page: number): Promise<{ key: string; ledger: Record<string, unknown> } | undefined> {
    const { rows } = await this.pool.query<{ visual_tokens_key: string | null; visual_ledger: string | null }>(
      'SELECT visual_tokens_key, visual_ledger FROM pages WHERE doc_id = $1 AND page = $2',
      [docId, page],
    );
    const row = rows[0];
    if (!row?.visual_tokens_key) return undefined;
    return { key: row.visual_tokens_key, ledger: row.visual_ledger ? (JSON.parse(row.visual_ledger) as Record<string, unknown>) : {} };
  }

  private async paragraphRows(where: string, params: unknown[]): Promise<Paragraph[]> {
    const { rows } = await this.pool.query<ParagraphRow>(`SELECT ${PARAGRAPH_COLUMNS} FROM paragraphs WHERE ${where}`, params);
    return rows.map(toParagraph);
  }

  async paragraphs(docId: string, options: { content?: boolean } = {}): Promise<Paragraph[]> {
    return this.paragraphRows(`doc_id = $1 ${options.content ? "AND kind NOT IN ('header', 'footer')" : ''} ORDER BY page, idx`, [docId]);
  }

  async pageParagraphs(docId: string, page: number): Promise<Paragraph[]> {
    return this.paragraphRows('doc_id = $1 AND page = $2 ORDER BY idx', [docId, page]);
  }

  async tables(docId: string): Promise<Paragraph[]> {
    return this.paragraphRows("doc_id = $1 AND kind = 'table' AND table_data IS NOT NULL ORDER BY page, idx", [docId]);
  }

  async figure(docId: string, page: number, index: number): Promise<Paragraph | undefined> {
    return (await this.paragraphRows("doc_id = $1 AND page = $2 AND idx = $3 AND kind = 'figure'", [docId, page, index]))[0];
  }

  async pageGeometry(docId: string): Promise<{ page: number; height: number }[]> {
    const { rows } = await this.pool.query<{ page: number; height: number }>('SELECT page, height FROM pages WHERE doc_id = $1 ORDER BY page', [docId]);
    return rows;
  }

  async setStructure(docId: string, units: readonly Paragraph[], structure: readonly UnitStructure[]): Promise<void> {
    if (units.length === 0) return;
    // One statement over arrays: atomic, and one round trip for a document of any size.
    await this.pool.query(
      `UPDATE paragraphs p SET kind = v.kind, level = v.level, section = v.section, caption = v.caption, refs = v.refs
       FROM unnest($2::int[], $3::int[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[]) AS v(page, idx, kind, level, section, caption, refs)
       WHERE p.doc_id = $1 AND p.page = v.page AND p.idx = v.idx`,
      [
        docId,
        units.map((unit) => unit.page),
        units.map((unit) => unit.index),
        structure.map((s) => s.kind),
        structure.map((s) => s.level),
        structure.map((s) => JSON.stringify(s.section)),
        structure.map((s) => s.caption),
        structure.map((s) => (s.references.length ? JSON.stringify(s.references) : null)),
      ],
    );
  }
}

export class PostgresBatchStore implements BatchStore {
  constructor(private readonly pool: pg.Pool) {}

  async createBatch(id: string, docIds: string[]): Promise<number> {
    const distinct = [...new Set(docIds)];
    await inTransaction(this.pool, async (client) => {
      await client.query('INSERT INTO batches (id, total, created_at) VALUES ($1, $2, $3)', [id, distinct.length, new Date().toISOString()]);
      await client.query('INSERT INTO batch_documents (batch_id, position, doc_id) SELECT $1, p - 1, d FROM unnest($2::text[]) WITH ORDINALITY AS t(d, p)', [id, distinct]);
    });
    return distinct.length;
  }

  async getBatch(id: string): Promise<BatchRecord | undefined> {
    const { rows } = await this.pool.query<{ id: string; total: number; created_at: string }>('SELECT id, total, created_at FROM batches WHERE id = $1', [id]);
    return rows[0] ? { id: rows[0].id, total: rows[0].total, createdAt: rows[0].created_at } : undefined;
  }

  async listBatches(limit = 100): Promise<BatchRecord[]> {
    const { rows } = await this.pool.query<{ id: string; total: number; created_at: string }>('SELECT id, total, created_at FROM batches ORDER BY created_at DESC, id LIMIT $1', [limit]);
    return rows.map((row) => ({ id: row.id, total: row.total, createdAt: row.created_at }));
  }

  async slice(batchId: string, from: number, count: number): Promise<BatchSliceItem[]> {
    const { rows } = await this.pool.query<{ position: number; doc_id: string; filename: string | null; status: DocumentStatus | null }>(
      `SELECT b.position, b.doc_id, d.filename, d.status FROM batch_documents b LEFT JOIN documents d ON d.id = b.doc_id
       WHERE b.batch_id = $1 AND b.position >= $2 ORDER BY b.position LIMIT $3`,
      [batchId, from, count],
    );
    return rows.map((row) => ({ position: row.position, docId: row.doc_id, filename: row.filename, status: row.status }));
  }

  async recordOutcomes(batchId: string, updates: BatchOutcomeUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    await this.pool.query(
      `UPDATE batch_documents b SET outcome = u.outcome, reason = u.reason, already_ready = u.already_ready
       FROM unnest($2::text[], $3::text[], $4::text[], $5::int[]) AS u(doc_id, outcome, reason, already_ready)
       WHERE b.batch_id = $1 AND b.doc_id = u.doc_id`,
      [batchId, updates.map((u) => u.docId), updates.map((u) => u.outcome), updates.map((u) => u.reason), updates.map((u) => (u.alreadyReady ? 1 : 0))],
    );
  }

  async cancelRemaining(batchId: string, from: number, reason: string): Promise<number> {
    const result = await this.pool.query(
      "UPDATE batch_documents SET outcome = 'cancelled', reason = $1 WHERE batch_id = $2 AND position >= $3 AND outcome IS NULL",
      [reason, batchId, from],
    );
    return result.rowCount ?? 0;
  }

  async documents(batchId: string, from = 0, count = 100_000): Promise<BatchDocumentRecord[]> {
    const { rows } = await this.pool.query<BatchDocumentRow>(
      `SELECT b.position, b.doc_id, d.filename, b.outcome, b.reason, b.already_ready, d.status, d.page_count,
         (SELECT COUNT(*) FROM pages p WHERE p.doc_id = b.doc_id) AS pages_done
       FROM batch_documents b LEFT JOIN documents d ON d.id = b.doc_id
       WHERE b.batch_id = $1 AND b.position >= $2 ORDER BY b.position LIMIT $3`,
      [batchId, from, count],
    );
    return rows.map(toBatchDocument);
  }

  async counts(batchId: string): Promise<BatchCounts> {
    const { rows } = await this.pool.query<BatchCounts>(
      `SELECT
         COUNT(*) FILTER (WHERE b.outcome IS NULL AND COALESCE(d.status, '') NOT IN ('ingesting', 'indexing')) AS queued,
         COUNT(*) FILTER (WHERE b.outcome IS NULL AND d.status IN ('ingesting', 'indexing')) AS running,
         COUNT(*) FILTER (WHERE b.outcome = 'ready') AS ready,
         COUNT(*) FILTER (WHERE b.outcome = 'failed') AS failed,
         COUNT(*) FILTER (WHERE b.outcome = 'cancelled') AS cancelled,
         COALESCE(SUM(b.already_ready), 0) AS "alreadyReady"
       FROM batch_documents b LEFT JOIN documents d ON d.id = b.doc_id WHERE b.batch_id = $1`,
      [batchId],
    );
    return rows[0];
  }

  async pages(batchId: string): Promise<{ done: number; total: number }> {
    const { rows } = await this.pool.query<{ done: number; total: number }>(
      `SELECT (SELECT COUNT(*) FROM pages p JOIN batch_documents b ON p.doc_id = b.doc_id WHERE b.batch_id = $1) AS done,
         (SELECT COALESCE(SUM(d.page_count), 0) FROM batch_documents b JOIN documents d ON d.id = b.doc_id WHERE b.batch_id = $1) AS total`,
      [batchId],
    );
    return rows[0];
  }
}
