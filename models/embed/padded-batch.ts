/**
 * Encoded texts → the int64 tensors a Hugging Face encoder graph takes. Rows are right-padded to
 * the longest text in the batch (not to the max length) because transformer cost grows with the
 * padded length and the mask makes the padding invisible to pooling.
 */
import type { EncodedText } from './sequence-encoder.ts';

export interface PaddedBatch {
  batch: number;
  seq: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
  positionIds: BigInt64Array;
  /** The attention mask again, as bytes for pooling. */
  mask: Uint8Array;
}

export function padBatch(texts: readonly EncodedText[], padId: number): PaddedBatch {
  const batch = texts.length;
  // At least one column: an empty text without special tokens must still make a valid tensor.
  const seq = Math.max(1, ...texts.map((t) => t.ids.length));
  const inputIds = new BigInt64Array(batch * seq).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(batch * seq);
  const tokenTypeIds = new BigInt64Array(batch * seq);
  const positionIds = new BigInt64Array(batch * seq);
  const mask = new Uint8Array(batch * seq);
  texts.forEach((text, b) => {
    for (let t = 0; t < seq; t++) positionIds[b * seq + t] = BigInt(t);
    text.ids.forEach((id, t) => {
      const at = b * seq + t;
      inputIds[at] = BigInt(id);
      tokenTypeIds[at] = BigInt(text.typeIds[t] ?? 0);
      attentionMask[at] = 1n;
      mask[at] = 1;
    });
  });
  return { batch, seq, inputIds, attentionMask, tokenTypeIds, positionIds, mask };
}
