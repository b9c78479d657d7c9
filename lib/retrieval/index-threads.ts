/**
 * The main-thread side of the index build's thread (index-thread.ts): one long-lived thread per
 * process, which builds a document's two halves in turn. Two threads built them side by side
 * (octave.pdf's index 4.1 s instead of 5) but raised the worker's peak memory by 180 MB, more
 * than that second is worth next to the extraction threads.
 */
import type { Paragraph } from '../../models/document/types.ts';
import { ThreadHost } from '../threads/host.ts';

export interface IndexHalfRequest {
  half: 'units' | 'passages';
  paragraphs: Paragraph[];
  rowUnits: boolean;
}

export type IndexHalf =
  | { half: 'units'; units: number; pages: number[]; bm25: Uint8Array; unitSparse: Uint8Array; pageSparse: Uint8Array }
  | { half: 'passages'; passageSparse: Uint8Array; passageUnits: Uint8Array };

let host: ThreadHost<IndexHalfRequest, IndexHalf> | null = null;

export function buildInThread(request: IndexHalfRequest): Promise<IndexHalf> {
  host ??= new ThreadHost({ name: 'index build', entry: new URL('./index-thread.ts', import.meta.url), threads: 1 });
  return host.request(request);
}
