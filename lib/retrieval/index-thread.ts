/**
 * Worker-thread entry of the index build: builds a document's lexical index parts
 * (lib/retrieval/document-index.ts) from its content paragraphs and returns them serialised,
 * ready to store.
 */
import { serializeBm25 } from '../../models/retrieval/bm25.ts';
import { serializeSparse } from '../../models/retrieval/sparse.ts';
import { serveThread } from '../threads/serve.ts';
import { lexicalIndexParts } from './document-index.ts';
import type { IndexParts, IndexRequest } from './index-threads.ts';

const bytes = (buffer: Buffer | Uint8Array | Int32Array): Uint8Array => new Uint8Array(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength));

serveThread<IndexRequest, IndexParts>(
  async ({ paragraphs, rowUnits }) => {
    const parts = lexicalIndexParts(paragraphs, rowUnits);
    return {
      units: parts.units.length,
      pages: parts.pages,
      bm25: bytes(serializeBm25(parts.bm25)),
      unitSparse: bytes(serializeSparse(parts.unitSparse)),
      pageSparse: bytes(serializeSparse(parts.pageSparse)),
      passageSparse: bytes(serializeSparse(parts.passageSparse)),
      passageUnits: bytes(parts.unitOfPassage),
    };
  },
  (reply) => [reply.bm25, reply.unitSparse, reply.pageSparse, reply.passageSparse, reply.passageUnits].map((a) => a.buffer as ArrayBuffer),
);
