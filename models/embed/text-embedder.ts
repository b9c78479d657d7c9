/**
 * The contract retrieval code depends on for dense vectors, so a retriever never needs to know
 * whether the vectors come from an ONNX export, a remote service or a test double.
 */
export interface TextEmbedder {
  /** Length of one embedding row. */
  dimension: number;
  /** Embeds `texts` in order: texts.length × dimension values, row-major. */
  embed(texts: string[]): Promise<Float32Array>;
}
