/**
 * The main-thread side of the index build's thread (index-thread.ts): one long-lived thread per
 * process. Building the parts on two threads side by side (octave.pdf's index 4.1 s instead of
 * 5) raised the worker's peak memory by 180 MB, more than that second is worth next to the
 * extraction threads.
 */
import type { Paragraph } from '../../models/document/types.ts';
import { ThreadHost } from '../threads/host.ts';

export interface IndexRequest {
  paragraphs: Paragraph[];
  rowUnits: boolean;
}

/** The lexical parts, serialised as they are stored. */
export interface IndexParts {
  units: number;
  pages: number[];
  bm25: Uint8Array;
  unitSparse: Uint8Array;
  pageSparse: Uint8Array;
  passageSparse: Uint8Array;
  passageUnits: Uint8Array;
}

let host: ThreadHost<IndexRequest, IndexParts> | null = null;

const indexThread = () => {
  host ??= new ThreadHost({ name: 'index build', entry: new URL('./index-thread.ts', import.meta.url), threads: 1 });
  return host;
};

/** Starts the thread (if it is not running), so its start overlaps the caller's reading of the paragraphs. */
export function warmIndexThread(): void {
  indexThread().warm();
}

export function buildInThread(request: IndexRequest): Promise<IndexParts> {
  return indexThread().request(request);
}
