/**
 * The PostgreSQL schema as an ordered list of migrations. Each runs once, in its own
 * transaction, and is recorded in `schema_migrations`; a new version appends an entry and never
 * edits an applied one. Every process applies what is missing when it opens the store, under an
 * advisory lock, so an API and workers started together do not race.
 *
 * Columns mirror the SQLite schema so both stores share their row mappers: JSON is kept as text
 * and flags as integers.
 */
import type pg from 'pg';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'documents, pages, paragraphs, extraction log, batches',
    sql: `
CREATE TABLE documents (
  id TEXT PRIMARY KEY,
  filename TEXT,
  bytes BIGINT NOT NULL,
  status TEXT NOT NULL,
  page_count INTEGER,
  title TEXT,
  failure_reason TEXT,
  index_key TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX documents_status ON documents (status);
CREATE TABLE pages (
  doc_id TEXT NOT NULL,
  page INTEGER NOT NULL,
  width DOUBLE PRECISION NOT NULL,
  height DOUBLE PRECISION NOT NULL,
  thumbnail_key TEXT,
  paragraph_count INTEGER NOT NULL,
  error TEXT,
  crops TEXT,
  ocr INTEGER NOT NULL DEFAULT 0,
  visual_tokens_key TEXT,
  visual_ledger TEXT,
  PRIMARY KEY (doc_id, page)
);
CREATE TABLE paragraphs (
  doc_id TEXT NOT NULL,
  page INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  x0 DOUBLE PRECISION NOT NULL, y0 DOUBLE PRECISION NOT NULL, x1 DOUBLE PRECISION NOT NULL, y1 DOUBLE PRECISION NOT NULL,
  text TEXT NOT NULL,
  size DOUBLE PRECISION,
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
CREATE TABLE page_extractions (
  doc_id TEXT NOT NULL,
  page INTEGER NOT NULL,
  started_at TEXT NOT NULL
);
CREATE INDEX page_extractions_doc ON page_extractions (doc_id, page);
CREATE TABLE batches (
  id TEXT PRIMARY KEY,
  total INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE batch_documents (
  batch_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  doc_id TEXT NOT NULL,
  outcome TEXT,
  reason TEXT,
  already_ready INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (batch_id, position)
);
CREATE INDEX batch_documents_doc ON batch_documents (batch_id, doc_id);
`,
  },
];

/** Any constant shared by every Folio process: the key of the advisory lock migrations run under. */
const MIGRATION_LOCK = 0x466f6c69;

/** Applies the migrations the database lacks; returns the versions applied now. */
export async function migrate(pool: pg.Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((row) => row.version));
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`PostgreSQL migration ${migration.version} (${migration.name}) failed`, { cause: error });
      }
      applied.push(migration.version);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    client.release();
  }
  return applied;
}
