/**
 * Dense retrieval over unit embeddings: cosine similarity of the question's vector with every
 * unit's, computed as a dot product over rows L2-normalised at build time. Vectors are a
 * row-major Float32Array (units × dimension).
 */
import { packArrays, unpackArrays } from '../codec/arrays.ts';

export interface DenseIndex {
  dimension: number;
  /** Row-major, each row L2-normalised (all-zero rows stay zero). */
  vectors: Float32Array;
  /** Which embedder made the vectors (a query must use the same one). */
  model: string;
}

export function normaliseRows(vectors: Float32Array, dimension: number): Float32Array {
  const out = new Float32Array(vectors.length);
  for (let row = 0; row < vectors.length / dimension; row++) {
    let norm = 0;
    for (let j = 0; j < dimension; j++) norm += vectors[row * dimension + j] ** 2;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let j = 0; j < dimension; j++) out[row * dimension + j] = vectors[row * dimension + j] * scale;
  }
  return out;
}

export function buildDenseIndex(vectors: Float32Array, dimension: number, model: string): DenseIndex {
  if (vectors.length % dimension !== 0) throw new Error(`${vectors.length} values do not make rows of ${dimension}`);
  return { dimension, vectors: normaliseRows(vectors, dimension), model };
}

/** Cosine similarity of `query` with every row; negative similarities count as no match. */
export function scoreDense(index: DenseIndex, query: Float32Array): Float32Array {
  if (query.length !== index.dimension) throw new Error(`query has ${query.length} dimensions, the index ${index.dimension}`);
  const q = normaliseRows(query, index.dimension);
  const rows = index.vectors.length / index.dimension;
  const scores = new Float32Array(rows);
  for (let row = 0; row < rows; row++) {
    let dot = 0;
    const base = row * index.dimension;
    for (let j = 0; j < index.dimension; j++) dot += index.vectors[base + j] * q[j];
    scores[row] = Math.max(0, dot);
  }
  return scores;
}

export function serializeDense(index: DenseIndex): Buffer {
  return packArrays('folio-dense/1', { dimension: index.dimension, model: index.model }, { vectors: index.vectors });
}

export function deserializeDense(buffer: Buffer): DenseIndex {
  const { header, arrays } = unpackArrays<{ dimension: number; model: string }>('folio-dense/1', buffer);
  return { ...header, vectors: arrays.vectors as Float32Array };
}
