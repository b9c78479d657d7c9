/** Opens the stores under the configured data directory: one way to lay the folder out. */
import path from 'node:path';
import { BlobStore } from './blobs.ts';
import { MetadataStore } from './metadata.ts';

export interface Stores {
  store: MetadataStore;
  blobs: BlobStore;
}

export function openStores(dataDir: string): Stores {
  return {
    store: new MetadataStore(path.join(dataDir, 'folio.sqlite')),
    blobs: new BlobStore(path.join(dataDir, 'blobs')),
  };
}
