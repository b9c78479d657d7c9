/**
 * The per-document search index: BM25 over the document's paragraphs, built once by the
 * ingestion workflow, stored as a blob, loaded lazily and kept in a small LRU cache by readers.
 */
import { buildBm25, type Bm25Index, deserializeBm25, serializeBm25 } from '../../models/retrieval/bm25.ts';
import type { BlobStore } from '../store/blobs.ts';
import type { MetadataStore } from '../store/metadata.ts';
import type { Paragraph } from '../types.ts';

export interface DocumentIndex {
  docId: string;
  units: Paragraph[];
  bm25: Bm25Index;
}

/** Builds the index from stored paragraphs and records its blob key on the document. */
export function buildDocumentIndex(store: MetadataStore, blobs: BlobStore, docId: string): { units: number; key: string } {
  const units = store.paragraphs(docId);
  const bm25 = buildBm25(units.map((unit) => unit.text));
  const key = blobs.put(serializeBm25(bm25));
  store.setIndexKey(docId, key);
  return { units: units.length, key };
}

export class DocumentIndexCache {
  private readonly entries = new Map<string, DocumentIndex>();

  constructor(
    private readonly store: MetadataStore,
    private readonly blobs: BlobStore,
    private readonly capacity = 8,
  ) {}

  /** The document's index, or undefined when it has none yet. */
  get(docId: string): DocumentIndex | undefined {
    const cached = this.entries.get(docId);
    if (cached) {
      this.entries.delete(docId);
      this.entries.set(docId, cached);
      return cached;
    }
    const key = this.store.indexKeyOf(docId);
    if (!key) return undefined;
    const entry: DocumentIndex = { docId, units: this.store.paragraphs(docId), bm25: deserializeBm25(this.blobs.get(key)) };
    if (entry.units.length !== entry.bm25.unitCount) {
      throw new Error(`index of ${docId} has ${entry.bm25.unitCount} units but ${entry.units.length} paragraphs are stored`);
    }
    this.entries.set(docId, entry);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return entry;
  }
}
