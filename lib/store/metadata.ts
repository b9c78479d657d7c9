/**
 * The metadata store's interface, and its embedded implementation on SQLite: the API and the
 * worker open the same file (WAL mode lets readers run while one writer writes), so this one
 * needs them on one machine; lib/store/postgres.ts is the one for many.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Box, Paragraph, StatementTable, UnitKind } from '../../models/document/types.ts';
import type { DocumentRecord, DocumentStatus, PageCrops, PageRecord } from './records.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS documents (
  id TEXT PRIMARY KEY,
  filename TEXT,
  bytes INTEGER NOT NULL,
  status TEXT NOT NULL,
  page_count INTEGER,
  title TEXT,
  failure_reason TEXT,
  index_key TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pages (
  doc_id TEXT NOT NULL,
  page INTEGER NOT NULL,
  width REAL NOT NULL,
  height REAL NOT NULL,
  thumbnail_key TEXT,
  paragraph_count INTEGER NOT NULL,
  error TEXT,
  crops TEXT,
  ocr INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (doc_id, page)
);
CREATE TABLE IF NOT EXISTS paragraphs (
  doc_id TEXT NOT NULL,
  page INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL,
  text TEXT NOT NULL,
  size REAL,
  lines INTEGER,
  kind TEXT NOT NULL DEFAULT 'text',
  level INTEGER,
  section TEXT,
  cells TEXT,
  table_data TEXT,
  caption TEXT,
  image_key TEXT,
  refs TEXT,
  bold INTEGER,
  PRIMARY KEY (doc_id, page, idx)
);
-- One row each time extraction of a page starts: tests count re-extraction after a crash.
CREATE TABLE IF NOT EXISTS page_extractions (
  doc_id TEXT NOT NULL,
  page INTEGER NOT NULL,
  started_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS page_extractions_doc ON page_extractions (doc_id, page);
`;

export interface DocumentRow {
  id: string;
  filename: string | null;
  bytes: number;
  status: DocumentStatus;
  page_count: number | null;
  title: string | null;
  failure_reason: string | null;
  created_at: string;
  updated_at: string;
  pages_done: number;
  pages_with_errors: number;
}

export function toDocument(row: DocumentRow): DocumentRecord {
  return {
    id: row.id,
    filename: row.filename,
    bytes: row.bytes,
    status: row.status,
    pageCount: row.page_count,
    pagesDone: row.pages_done,
    pagesWithErrors: row.pages_with_errors,
    title: row.title,
    failureReason: row.failure_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface ParagraphRow {
  page: number;
  idx: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  text: string;
  size: number | null;
  lines: number | null;
  kind: UnitKind;
  level: number | null;
  section: string | null;
  cells: string | null;
  table_data: string | null;
  caption: string | null;
  image_key: string | null;
  refs: string | null;
  bold: number | null;
}

export function toParagraph(row: ParagraphRow): Paragraph {
  return {
    page: row.page,
    index: row.idx,
    bbox: [row.x0, row.y0, row.x1, row.y1] as Box,
    text: row.text,
    size: row.size ?? undefined,
    lines: row.lines ?? undefined,
    kind: row.kind,
    level: row.level,
    section: row.section ? (JSON.parse(row.section) as string[]) : [],
    cells: row.cells ? (JSON.parse(row.cells) as string[][]) : undefined,
    ...(row.table_data ? { table: JSON.parse(row.table_data) as StatementTable } : {}),
    caption: row.caption,
    imageKey: row.image_key,
    references: row.refs ? (JSON.parse(row.refs) as string[]) : [],
    ...(row.bold ? { bold: true } : {}),
  };
}

export interface StoredPage {
  page: number;
  width: number;
  height: number;
  thumbnailKey: string | null;
  paragraphs: Paragraph[];
  /** Why the page could not be read, or read only in part. */
  error: string | null;
  /** The AnyRes crop plan and the blob key of its canvas. */
  crops?: PageCrops | null;
  /** The text was read by OCR. */
  ocr?: boolean;
}

/** The structure pass's verdict on one unit. */
export interface UnitStructure {
  kind: string;
  level: number | null;
  section: string[];
  caption: string | null;
  references: string[];
}

/**
 * Documents, pages, paragraphs and the extraction log, wherever they live (an SQLite file, or
 * PostgreSQL shared by many machines). Every write is an upsert keyed by (doc, page), so a
 * retried activity never stores a page twice.
 */
export interface MetadataStore {
  close(): Promise<void>;
  /** Inserts a new document; returns false when it already exists (same bytes, same id). */
  /** Inserts the document as `queued` (or as `status` says); false when it was already there. */
  insertDocument(doc: { id: string; filename: string | null; bytes: number; status?: 'queued' | 'stored' }): Promise<boolean>;
  getDocument(id: string): Promise<DocumentRecord | undefined>;
  /** Newest first. */
  listDocuments(): Promise<DocumentRecord[]>;
  documentsWithStatus(status: DocumentStatus): Promise<string[]>;
  setStatus(id: string, status: DocumentStatus, failureReason?: string | null): Promise<void>;
  setInspection(id: string, info: { pageCount: number; title: string | null }): Promise<void>;
  setIndexKey(id: string, indexKey: string): Promise<void>;
  indexKeyOf(id: string): Promise<string | null>;
  /** Pages of the document already stored, ascending. */
  storedPages(docId: string): Promise<number[]>;
  logExtractionStart(docId: string, page: number): Promise<void>;
  /** How many times extraction of each page started, by page number. */
  extractionCounts(docId: string): Promise<Map<number, number>>;
  /** Stores one page and its paragraphs atomically; replaces an earlier copy of the page. */
  savePage(docId: string, page: StoredPage): Promise<void>;
  getPage(docId: string, page: number): Promise<PageRecord | undefined>;
  /** Records a page's visual tokens (blob key) and the stage's ledger; a rerun overwrites both. */
  setVisualTokens(docId: string, page: number, key: string, ledger: object): Promise<void>;
  visualTokens(docId: string, page: number): Promise<{ key: string; ledger: Record<string, unknown> } | undefined>;
  /**
   * Paragraphs of the document in (page, reading order). `content` leaves out running
   * headers and footers, which are not part of what the document says.
   */
  paragraphs(docId: string, options?: { content?: boolean }): Promise<Paragraph[]>;
  pageParagraphs(docId: string, page: number): Promise<Paragraph[]>;
  /** The document's tables that carry their data, in (page, reading order). */
  tables(docId: string): Promise<Paragraph[]>;
  /** A figure unit by page and reading-order index. */
  figure(docId: string, page: number, index: number): Promise<Paragraph | undefined>;
  /** Page heights, for the structure pass. */
  pageGeometry(docId: string): Promise<{ page: number; height: number }[]>;
  /** Records the structure pass's verdict on every paragraph (same order as `paragraphs`). */
  setStructure(docId: string, units: readonly Paragraph[], structure: readonly UnitStructure[]): Promise<void>;
}

export class SqliteMetadataStore implements MetadataStore {
  readonly db: Database.Database;

  constructor(file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 10000');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    this.migrate();
  }

  /** Adds columns that later versions introduced to tables an older version created. */
  private migrate(): void {
    const columns = new Set((this.db.prepare('PRAGMA table_info(paragraphs)').all() as { name: string }[]).map((c) => c.name));
    const added: [string, string][] = [
      ['size', 'REAL'],
      ['lines', 'INTEGER'],
      ['kind', "TEXT NOT NULL DEFAULT 'text'"],
      ['level', 'INTEGER'],
      ['section', 'TEXT'],
      ['cells', 'TEXT'],
      ['table_data', 'TEXT'],
      ['caption', 'TEXT'],
      ['image_key', 'TEXT'],
      ['refs', 'TEXT'],
      ['bold', 'INTEGER'],
    ];
    for (const [name, type] of added) {
      if (!columns.has(name)) this.db.exec(`ALTER TABLE paragraphs ADD COLUMN ${name} ${type}`);
    }
    const pageColumns = new Set((this.db.prepare('PRAGMA table_info(pages)').all() as { name: string }[]).map((c) => c.name));
    if (!pageColumns.has('crops')) this.db.exec('ALTER TABLE pages ADD COLUMN crops TEXT');
    if (!pageColumns.has('ocr')) this.db.exec('ALTER TABLE pages ADD COLUMN ocr INTEGER NOT NULL DEFAULT 0');
    // Visual-token stage: the blob of the page's kept tokens and its ledger (JSON).
    if (!pageColumns.has('visual_tokens_key')) this.db.exec('ALTER TABLE pages ADD COLUMN visual_tokens_key TEXT');
    if (!pageColumns.has('visual_ledger')) this.db.exec('ALTER TABLE pages ADD COLUMN visual_ledger TEXT');
  }

  async close(): Promise<void> {
    this.db.close();
  }

  /** Inserts a new document; returns false when it already exists (same bytes, same id). */
  async insertDocument(doc: { id: string; filename: string | null; bytes: number; status?: 'queued' | 'stored' }): Promise<boolean> {
    const now = new Date().toISOString();
    const result = this.db
      .prepare(
        `INSERT INTO documents (id, filename, bytes, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
      )
      .run(doc.id, doc.filename, doc.bytes, doc.status ?? 'queued', now, now);
    return result.changes === 1;
  }

  async getDocument(id: string): Promise<DocumentRecord | undefined> {
    const row = this.db
      .prepare(
        `SELECT d.*, (SELECT COUNT(*) FROM pages p WHERE p.doc_id = d.id) AS pages_done,
           (SELECT COUNT(*) FROM pages p WHERE p.doc_id = d.id AND p.error IS NOT NULL) AS pages_with_errors
         FROM documents d WHERE d.id = ?`,
      )
      .get(id) as DocumentRow | undefined;
    return row ? toDocument(row) : undefined;
  }

  async listDocuments(): Promise<DocumentRecord[]> {
    const rows = this.db
      .prepare(
        `SELECT d.*, (SELECT COUNT(*) FROM pages p WHERE p.doc_id = d.id) AS pages_done,
           (SELECT COUNT(*) FROM pages p WHERE p.doc_id = d.id AND p.error IS NOT NULL) AS pages_with_errors
         FROM documents d ORDER BY d.created_at DESC`,
      )
      .all() as DocumentRow[];
    return rows.map(toDocument);
  }

  async documentsWithStatus(status: DocumentStatus): Promise<string[]> {
    return (
      this.db.prepare('SELECT id FROM documents WHERE status = ?').all(status) as { id: string }[]
    ).map((row) => row.id);
  }

  async setStatus(id: string, status: DocumentStatus, failureReason: string | null = null): Promise<void> {
    this.db
      .prepare('UPDATE documents SET status = ?, failure_reason = ?, updated_at = ? WHERE id = ?')
      .run(status, failureReason, new Date().toISOString(), id);
  }

  async setInspection(id: string, info: { pageCount: number; title: string | null }): Promise<void> {
    this.db
      .prepare('UPDATE documents SET page_count = ?, title = ?, updated_at = ? WHERE id = ?')
      .run(info.pageCount, info.title, new Date().toISOString(), id);
  }

  async setIndexKey(id: string, indexKey: string): Promise<void> {
    this.db
      .prepare('UPDATE documents SET index_key = ?, updated_at = ? WHERE id = ?')
      .run(indexKey, new Date().toISOString(), id);
  }

  async indexKeyOf(id: string): Promise<string | null> {
    const row = this.db.prepare('SELECT index_key FROM documents WHERE id = ?').get(id) as
      | { index_key: string | null }
      | undefined;
    return row?.index_key ?? null;
  }

  /** Pages of the document already stored, ascending. */
  async storedPages(docId: string): Promise<number[]> {
    return (
      this.db.prepare('SELECT page FROM pages WHERE doc_id = ? ORDER BY page').all(docId) as {
        page: number;
      }[]
    ).map((row) => row.page);
  }

  async logExtractionStart(docId: string, page: number): Promise<void> {
    this.db
      .prepare('INSERT INTO page_extractions (doc_id, page, started_at) VALUES (?, ?, ?)')
      .run(docId, page, new Date().toISOString());
  }

  /** How many times extraction of each page started, by page number. */
  async extractionCounts(docId: string): Promise<Map<number, number>> {
    const rows = this.db
      .prepare('SELECT page, COUNT(*) AS n FROM page_extractions WHERE doc_id = ? GROUP BY page')
      .all(docId) as { page: number; n: number }[];
    return new Map(rows.map((row) => [row.page, row.n]));
  }

  /** Stores one page and its paragraphs atomically; replaces an earlier copy of the page. */
  async savePage(docId: string, page: StoredPage): Promise<void> {
    const save = this.db.transaction((p: StoredPage) => {
      this.db.prepare('DELETE FROM paragraphs WHERE doc_id = ? AND page = ?').run(docId, p.page);
      const insert = this.db.prepare(
        `INSERT INTO paragraphs (doc_id, page, idx, x0, y0, x1, y1, text, size, lines, kind, cells, table_data, image_key, bold)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const para of p.paragraphs) {
        insert.run(
          docId,
          p.page,
          para.index,
          ...para.bbox,
          para.text,
          para.size ?? null,
          para.lines ?? null,
          para.kind ?? 'text',
          para.cells ? JSON.stringify(para.cells) : null,
          para.table ? JSON.stringify(para.table) : null,
          para.imageKey ?? null,
          para.bold ? 1 : null,
        );
      }
      this.db
        .prepare(
          `INSERT INTO pages (doc_id, page, width, height, thumbnail_key, paragraph_count, error, crops, ocr)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(doc_id, page) DO UPDATE SET width = excluded.width,
             height = excluded.height, thumbnail_key = excluded.thumbnail_key,
             paragraph_count = excluded.paragraph_count, error = excluded.error, crops = excluded.crops,
             ocr = excluded.ocr`,
        )
        .run(docId, p.page, p.width, p.height, p.thumbnailKey, p.paragraphs.length, p.error, p.crops ? JSON.stringify(p.crops) : null, p.ocr ? 1 : 0);
    });
    save(page);
  }

  async getPage(docId: string, page: number): Promise<PageRecord | undefined> {
    const row = this.db
      .prepare(
        `SELECT page, width, height, thumbnail_key, paragraph_count, error, crops, ocr FROM pages
         WHERE doc_id = ? AND page = ?`,
      )
      .get(docId, page) as
      | {
          page: number;
          width: number;
          height: number;
          thumbnail_key: string | null;
          paragraph_count: number;
          error: string | null;
          crops: string | null;
          ocr: number;
        }
      | undefined;
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

  /** Records a page's visual tokens (blob key) and the stage's ledger; a rerun overwrites both. */
  async setVisualTokens(docId: string, page: number, key: string, ledger: object): Promise<void> {
    this.db.prepare('UPDATE pages SET visual_tokens_key = ?, visual_ledger = ? WHERE doc_id = ? AND page = ?').run(key, JSON.stringify(ledger), docId, page);
  }

  async visualTokens(docId: string, page: number): Promise<{ key: string; ledger: Record<string, unknown> } | undefined> {
    const row = this.db.prepare('SELECT visual_tokens_key, visual_ledger FROM pages WHERE doc_id = ? AND page = ?').get(docId, page) as
      | { visual_tokens_key: string | null; visual_ledger: string | null }
      | undefined;
    if (!row?.visual_tokens_key) return undefined;
    return { key: row.visual_tokens_key, ledger: row.visual_ledger ? (JSON.parse(row.visual_ledger) as Record<string, unknown>) : {} };
  }

  /**
   * Paragraphs of the document in (page, reading order). `content` leaves out running
   * headers and footers, which are not part of what the document says.
   */
  async paragraphs(docId: string, options: { content?: boolean } = {}): Promise<Paragraph[]> {
    const rows = this.db
      .prepare(
        `SELECT page, idx, x0, y0, x1, y1, text, size, lines, kind, level, section, cells, table_data, caption, image_key, refs, bold FROM paragraphs
         WHERE doc_id = ? ${options.content ? "AND kind NOT IN ('header', 'footer')" : ''}
         ORDER BY page, idx`,
      )
      .all(docId) as ParagraphRow[];
    return rows.map(toParagraph);
  }

  async pageParagraphs(docId: string, page: number): Promise<Paragraph[]> {
    const rows = this.db
      .prepare(
        `SELECT page, idx, x0, y0, x1, y1, text, size, lines, kind, level, section, cells, table_data, caption, image_key, refs, bold FROM paragraphs
         WHERE doc_id = ? AND page = ? ORDER BY idx`,
      )
      .all(docId, page) as ParagraphRow[];
    return rows.map(toParagraph);
  }

  /** The document's tables that carry their data, in (page, reading order). */
  async tables(docId: string): Promise<Paragraph[]> {
    const rows = this.db
      .prepare(
        `SELECT page, idx, x0, y0, x1, y1, text, size, lines, kind, level, section, cells, table_data, caption, image_key, refs, bold FROM paragraphs
         WHERE doc_id = ? AND kind = 'table' AND table_data IS NOT NULL ORDER BY page, idx`,
      )
      .all(docId) as ParagraphRow[];
    return rows.map(toParagraph);
  }

  /** A figure unit by page and reading-order index. */
  async figure(docId: string, page: number, index: number): Promise<Paragraph | undefined> {
    const row = this.db
      .prepare(
        `SELECT page, idx, x0, y0, x1, y1, text, size, lines, kind, level, section, cells, table_data, caption, image_key, refs, bold FROM paragraphs
         WHERE doc_id = ? AND page = ? AND idx = ? AND kind = 'figure'`,
      )
      .get(docId, page, index) as ParagraphRow | undefined;
    return row ? toParagraph(row) : undefined;
  }

  /** Page heights, for the structure pass. */
  async pageGeometry(docId: string): Promise<{ page: number; height: number }[]> {
    return this.db.prepare('SELECT page, height FROM pages WHERE doc_id = ? ORDER BY page').all(docId) as { page: number; height: number }[];
  }

  /** Records the structure pass's verdict on every paragraph (same order as `paragraphs`). */
  async setStructure(docId: string, units: readonly Paragraph[], structure: readonly UnitStructure[]): Promise<void> {
    const update = this.db.prepare('UPDATE paragraphs SET kind = ?, level = ?, section = ?, caption = ?, refs = ? WHERE doc_id = ? AND page = ? AND idx = ?');
    this.db.transaction(() => {
      units.forEach((unit, i) => {
        const s = structure[i];
        update.run(s.kind, s.level, JSON.stringify(s.section), s.caption, s.references.length ? JSON.stringify(s.references) : null, docId, unit.page, unit.index);
      });
    })();
  }
}
