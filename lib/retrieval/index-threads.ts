/**
 * The main-thread side of the index build's threads (index-thread.ts): two long-lived threads
 * per process, one per half of a build, so a document's two halves are built side by side.
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
  host ??= new ThreadHost({ name: 'index build', entry: new URL('./index-thread.ts', import.meta.url), threads: 2 });
  return host.request(request);
}
