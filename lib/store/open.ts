/** Opens the stores under the configured data directory: one way to lay the folder out. */
import path from 'node:path';
import { type BatchStore, SqliteBatchStore } from './batches.ts';
import { type BlobStore, FolderBlobStore } from './blobs.ts';
import { type MetadataStore, SqliteMetadataStore } from './metadata.ts';

export interface Stores {
  store: MetadataStore;
  blobs: BlobStore;
  /** Batches live in the metadata database, beside the documents they list. */
  batches: BatchStore;
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
