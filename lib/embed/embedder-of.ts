/**
 * The configured text embedder (FOLIO_EMBEDDER_DIR), loaded once per process and shared by
 * index building and question answering. No directory configured: no dense scoring.
 */
import path from 'node:path';
import { loadOnnxSentenceEmbedder } from '../../models/embed/onnx-embedder.ts';
import type { TextEmbedder } from '../../models/embed/text-embedder.ts';

export interface NamedEmbedder {
  /** Recorded with the vectors: a question must be embedded by the same model. */
  name: string;
  embedder: TextEmbedder;
}

const loaded = new Map<string, Promise<NamedEmbedder>>();

export interface EmbedderSettings {
  /** A sentence-transformers ONNX export folder; when set, retrieval adds dense scoring. */
  dir: string | undefined;
}

export function embedderOf(settings: EmbedderSettings): Promise<NamedEmbedder | null> {
  const dir = settings.dir;
  if (!dir) return Promise.resolve(null);
  let entry = loaded.get(dir);
  if (!entry) {
    entry = loadOnnxSentenceEmbedder(dir).then((embedder) => ({ name: path.basename(dir), embedder }));
    // A failed load is reported to its caller and retried next time, not cached.
    entry.catch(() => loaded.delete(dir));
    loaded.set(dir, entry);
  }
  return entry;
}
