/**
 * What every vision encoder gives the token-compression stage: per image, a grid of patch
 * vectors, one global ([CLS]-like) vector and a CLS→patch score per patch. The compression
 * operators (models/compress) only see these typed arrays, so any encoder can drive them.
 */

/** An 8-bit RGB image, channels interleaved (sharp's raw output with the alpha removed). */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Where `clsScores` come from: exported attention (head-mean CLS-row log-probabilities, equal
 * to the pre-softmax logits up to a per-image constant), the cosine between the global token and
 * each patch (a stand-in for attention scores when no attention is exported), or the built-in
 * encoder's local contrast.
 */
export type ScoreSource = 'attention' | 'cls-cosine' | 'contrast';

export interface EncodedImage {
  /** Patch grid (row-major: patch i*cols + j). */
  rows: number;
  cols: number;
  dim: number;
  /** rows·cols × dim patch vectors. */
  patches: Float32Array;
  /** The global token: [CLS] when the model has one, else the mean patch. */
  global: Float32Array;
  /** rows·cols CLS→patch scores: higher means the global token attends to the patch more. */
  clsScores: Float32Array;
  scoreSource: ScoreSource;
}

export interface VisionEncoder {
  /** Recorded with stored tokens, so a changed encoder is noticed. */
  readonly name: string;
  /** The patch grid every encoded image has. */
  readonly grid: { rows: number; cols: number };
  /** Encodes a batch of images (thumbnail and crops of one page go in one call). */
  encode(images: readonly RgbImage[]): Promise<EncodedImage[]>;
  release?(): Promise<void>;
}
