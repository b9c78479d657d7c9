/**
 * Folio's optional native addon (native/, built by `npm install` through scripts/build-native.mjs):
 * loaded once per thread, or null when it was not built, with the reason. Every caller keeps a
 * TypeScript or onnxruntime path for that case, giving the same results to float rounding.
 */
import { createRequire } from 'node:module';

export interface NativeAddon {
  /** native/decode-attention.c: one decode step of one layer's attention (models/llm/native-attention.ts). */
  attend(
    q: Float32Array,
    keys: Float32Array,
    values: Float32Array,
    capacity: number,
    kvHeads: number,
    threads: number,
    lo: number,
    counts: Int32Array,
    lists: Int32Array[] | null,
    out: Float32Array,
    sums: Float32Array | null,
  ): void;
  softVotes(q: Float32Array, keys: Float32Array, capacity: number, kvHeads: number, threads: number, lo: number, count: number, votes: Float32Array): void;
  /** native/patch-features.c: the built-in vision encoder's patch features (models/visual/encoders/patch-encoder.ts). */
  patchFeatures(rgb: Uint8Array, width: number, height: number, rows: number, cols: number, features: Float32Array, contrast: Float32Array): void;
  /** native/visual-compress.c: the compression's redundancy test (models/visual/compress/correlation.ts); radius < 0 looks everywhere. */
  redundancy(keys: Float32Array, n: number, dim: number, theta: number, rows: number, cols: number, radius: number, stride: number, redundant: Uint8Array): void;
  /** native/visual-compress.c: the foreground scorer's MLP (models/visual/compress/foreground.ts). */
  foregroundScores(
    z: Float32Array,
    rows: number,
    cols: number,
    dim: number,
    w1t: Float32Array,
    b1: Float32Array,
    w2: Float32Array,
    b2: number,
    only: Int32Array | null,
    out: Float32Array,
  ): void;
  /** native/visual-compress.c: super tokens (models/visual/compress/super-tokens.ts); temperature 0 is none; the outputs come zeroed. */
  superTokens(
    x: Float32Array,
    rows: number,
    cols: number,
    dim: number,
    cellRows: number,
    cellCols: number,
    iterations: number,
    temperature: number,
    mask: Uint8Array | null,
    tokens: Float32Array,
    neighbours: Int32Array,
    association: Float32Array,
    mass: Float32Array,
    members: Int32Array,
    assignment: Int32Array,
  ): void;
  /** native/huge-pages.c, Linux only: a zeroed, 2 MB-aligned buffer advised onto transparent huge pages. */
  hugePageBuffer?(bytes: number): ArrayBuffer;
}

const ADDON = '../../native/build/Release/folio_native.node';
let addon: NativeAddon | null | undefined;
let unavailable = '';

/** The addon, or null when it was not built (`nativeAddonError()` says why). */
export function nativeAddon(): NativeAddon | null {
  if (addon !== undefined) return addon;
  try {
    addon = createRequire(import.meta.url)(ADDON) as NativeAddon;
  } catch (error) {
    addon = null;
    unavailable = `Folio's native addon is not built (npm run build:native): ${(error as Error).message.split('\n')[0]}`;
  }
  return addon;
}

/** Why `nativeAddon()` is null ('' when it loaded). */
export function nativeAddonError(): string {
  nativeAddon();
  return unavailable;
}
