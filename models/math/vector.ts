/** Small vector helpers shared by the models (typed arrays in, numbers out). */

/** Cosine similarity; 0-length vectors count as orthogonal (denominator floored at 1e-12). */
export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.max(Math.sqrt(na) * Math.sqrt(nb), 1e-12);
}
