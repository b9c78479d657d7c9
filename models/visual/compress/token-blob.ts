/**
 * A page's kept visual tokens as one blob: typed arrays behind a small JSON header (the
 * container format retrieval indexes use), never JSON number arrays.
 */
import { packArrays, unpackArrays } from '../../codec/arrays.ts';
import type { PageTokens, VisualLedger } from './pipeline.ts';

const FORMAT = 'folio-visual-tokens/1';

export interface TokenBlobHeader {
  encoder: string;
  count: number;
  dim: number;
  ledger: VisualLedger;
}

export function serializePageTokens(tokens: PageTokens, encoder: string, ledger: VisualLedger): Buffer {
  const header: TokenBlobHeader = { encoder, count: tokens.count, dim: tokens.dim, ledger };
  return packArrays(FORMAT, header, {
    image: Uint16Array.from(tokens.image),
    patch: tokens.patch,
    box: tokens.box,
    score: tokens.score,
    mergedFrom: tokens.mergedFrom,
    vectors: tokens.vectors,
  });
}

export function deserializePageTokens(buffer: Buffer): { header: TokenBlobHeader; tokens: PageTokens } {
  const { header, arrays } = unpackArrays<TokenBlobHeader>(FORMAT, buffer);
  return {
    header,
    tokens: {
      count: header.count,
      dim: header.dim,
      image: Uint8Array.from(arrays.image as Uint16Array),
      patch: arrays.patch as Int32Array,
      box: arrays.box as Float32Array,
      score: arrays.score as Float32Array,
      mergedFrom: arrays.mergedFrom as Int32Array,
      vectors: arrays.vectors as Float32Array,
    },
  };
}
