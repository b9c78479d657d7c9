/**
 * Opens the stores: SQLite and a blob folder under the data directory (the embedded default),
 * or PostgreSQL and S3-compatible object storage shared by processes on many machines.
 */
import path from 'node:path';
import { BlobCache } from './blob-cache.ts';
import { type BatchStore, SqliteBatchStore } from './batches.ts';
import { type BlobStore, FolderBlobStore } from './blobs.ts';
import { type MetadataStore, SqliteMetadataStore } from './metadata.ts';
import { openPostgres, PostgresBatchStore, PostgresMetadataStore } from './postgres.ts';
import { S3BlobStore, type S3Location, type S3Settings, s3ClientOf } from './s3-blobs.ts';

export interface Stores {
  store: MetadataStore;
  blobs: BlobStore;
  /** Batches live in the metadata database, beside the documents they list. */
  batches: BatchStore;
}

/** Where metadata and blobs live. Unset URLs mean the embedded stores under `dataDir`. */
export interface StorageSettings {
  /** The SQLite file and blob folder when they are local; the remote blobs' cache otherwise. */
  dataDir: string;
  /** postgres://… (FOLIO_DATABASE_URL). */
  databaseUrl: string | undefined;
  /** Connections per process. */
  databasePoolSize: number;
  /** From s3://bucket/prefix (FOLIO_BLOB_URL). */
  blobs: S3Location | undefined;
  /** Bound of the local copy of remote blobs. */
  blobCacheBytes: number;
  s3: S3Settings;
}

/** SQLite and a blob folder, both under `dataDir`: the embedded default. */
export function openStores(dataDir: string): Stores {
  const store = new SqliteMetadataStore(path.join(dataDir, 'folio.sqlite'));
  return {
    store,
    blobs: new FolderBlobStore(path.join(dataDir, 'blobs')),
    batches: new SqliteBatchStore(store.db),
  };
}

/** The stores the settings name, and how to release them (pool connections, open files). */
export async function openStorage(settings: StorageSettings): Promise<Stores & { close(): Promise<void> }> {
  let blobs: BlobStore;
  let releaseBlobs = () => {};
  if (settings.blobs) {
    const client = s3ClientOf(settings.s3);
    blobs = new S3BlobStore(client, settings.blobs, new BlobCache(path.join(settings.dataDir, 'blob-cache'), settings.blobCacheBytes));
    releaseBlobs = () => client.destroy();
  } else {
    blobs = new FolderBlobStore(path.join(settings.dataDir, 'blobs'));
  }
  if (settings.databaseUrl) {
    const pool = await openPostgres({ url: settings.databaseUrl, poolSize: settings.databasePoolSize });
    const store = new PostgresMetadataStore(pool);
    return {
      store,
      blobs,
      batches: new PostgresBatchStore(pool),
      async close() {
        releaseBlobs();
        await store.close();
      },
    };
  }
  const store = new SqliteMetadataStore(path.join(settings.dataDir, 'folio.sqlite'));
  return {
    store,
    blobs,
    batches: new SqliteBatchStore(store.db),
    async close() {
      releaseBlobs();
      await store.close();
    },
  };
}
