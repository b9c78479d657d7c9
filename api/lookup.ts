/** What a route's parameters name, looked up once for every route: found, or a 404 ApiError. */
import type { MetadataStore } from '../lib/store/metadata.ts';
import type { DocumentRecord, PageRecord } from '../lib/store/records.ts';
import { ApiError } from './errors.ts';

/** Document ids are the SHA-256 of the PDF; anything else cannot name a document. */
const DOC_ID = /^[0-9a-f]{64}$/;

export async function findDocument(store: MetadataStore, id: string): Promise<DocumentRecord> {
  const doc = DOC_ID.test(id) ? await store.getDocument(id) : undefined;
  if (!doc) throw new ApiError(404, 'document_not_found', `No document with id ${id}.`);
  return doc;
}

/** Page `n` as the route gave it (a string; pages count from 1). */
export async function findPage(store: MetadataStore, doc: DocumentRecord, n: string): Promise<PageRecord> {
  const number = Number(n);
  const page = Number.isInteger(number) && number >= 1 ? await store.getPage(doc.id, number) : undefined;
  if (!page) throw new ApiError(404, 'page_not_found', `Page ${n} of ${doc.id} is not stored.`);
  return page;
}
