/** Opens the stores under the configured data directory: one way to lay the folder out. */
import path from 'node:path';
import { BatchStore } from './batches.ts';
import { BlobStore } from './blobs.ts';
import { MetadataStore } from './metadata.ts';

export interface Stores {
  store: MetadataStore;
  blobs: BlobStore;
  /** Batches live in the metadata database, beside the documents they list. */
  batches: BatchStore;
}

export function openStores(dataDir: string): Stores {
  const store = new MetadataStore(path.join(dataDir, 'folio.sqlite'));
  return {
    store,
    blobs: new BlobStore(path.join(dataDir, 'blobs')),
    batches: new BatchStore(store.db),
  };
}
