/**
 * Worker-thread entry of the index build: builds one half of a document's index (the unit and
 * page parts, or the passage parts; lib/retrieval/document-index.ts) from its content
 * paragraphs and returns the parts serialised, ready to store (index-threads.ts says how many
 * threads build at once).
 */
import { serializeBm25 } from '../../models/retrieval/bm25.ts';
import { serializeSparse } from '../../models/retrieval/sparse.ts';
import { serveThread } from '../threads/serve.ts';
import { passageParts, unitParts } from './document-index.ts';
import type { IndexHalf, IndexHalfRequest } from './index-threads.ts';

const bytes = (buffer: Buffer | Uint8Array | Int32Array): Uint8Array => new Uint8Array(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength));

serveThread<IndexHalfRequest, IndexHalf>(
  async ({ half, paragraphs, rowUnits }) => {
    if (half === 'units') {
      const parts = unitParts(paragraphs, rowUnits);
      return {
        half,
        units: parts.units.length,
        pages: parts.pages,
        bm25: bytes(serializeBm25(parts.bm25)),
        unitSparse: bytes(serializeSparse(parts.unitSparse)),
        pageSparse: bytes(serializeSparse(parts.pageSparse)),
      };
    }
    const parts = passageParts(paragraphs, rowUnits);
    return { half, passageSparse: bytes(serializeSparse(parts.passageSparse)), passageUnits: bytes(parts.unitOfPassage) };
  },
  (reply) => (reply.half === 'units' ? [reply.bm25, reply.unitSparse, reply.pageSparse] : [reply.passageSparse, reply.passageUnits]).map((a) => a.buffer as ArrayBuffer),
);
