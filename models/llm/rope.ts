/**
 * Rotary position embeddings as transformers' modeling_rope_utils computes them: the inverse
 * frequency of each rotated pair for plain RoPE and its scaling variants (linear, dynamic NTK,
 * Llama 3, YaRN), and cos/sin tables in HF's rotate_half layout, where dimension i of a head is
 * paired with dimension i + headDim/2 (not with i+1 as in the original paper's interleaving).
 *
 * Frequencies are computed in float64 (HF uses float32); the tables are float32.
 */
import type { LlmConfig } from './types.ts';

export interface RopeFrequencies {
  /** headDim/2 inverse frequencies; angle of pair i at position p is p · invFreq[i]. */
  invFreq: Float64Array;
  /** Multiplier of cos and sin (YaRN's attention factor; 1 otherwise). */
  attentionScaling: number;
}

export interface RopeTables {
  /** [positions × headDim], row r is position positions[r]; both halves of a row repeat the pair angles. */
  cos: Float32Array;
  sin: Float32Array;
}

/** Plain RoPE: theta^(-2i/d) for i = 0 … d/2 − 1. */
function defaultInverseFrequencies(base: number, dim: number): Float64Array {
  const inv = new Float64Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) inv[i] = 1 / base ** ((2 * i) / dim);
  return inv;
}

/**
 * Inverse frequencies for `config`. `seqLen` matters only for dynamic NTK scaling, whose base
 * grows once the sequence outgrows max_position_embeddings; transformers passes
 * max(position_ids) + 1 of the current forward call.
 */
export function ropeInverseFrequencies(config: LlmConfig, seqLen = 0): RopeFrequencies {
  const dim = config.headDim;
  const base = config.ropeTheta;
  const scaling = config.ropeScaling;
  if (scaling === null) return { invFreq: defaultInverseFrequencies(base, dim), attentionScaling: 1 };

  switch (scaling.type) {
    case 'linear': {
      const inv = defaultInverseFrequencies(base, dim);
      for (let i = 0; i < inv.length; i++) inv[i] /= scaling.factor;
      return { invFreq: inv, attentionScaling: 1 };
    }
    case 'dynamic': {
      const original = scaling.originalMaxPositions;
      const len = Math.max(seqLen, original);
      const grown = base * ((scaling.factor * len) / original - (scaling.factor - 1)) ** (dim / (dim - 2));
      return { invFreq: defaultInverseFrequencies(grown, dim), attentionScaling: 1 };
    }
    case 'llama3': {
      // Long wavelengths (beyond the original context / lowFreqFactor) are divided by the factor,
      // short ones (below original / highFreqFactor) are kept, the band between is blended.
      const inv = defaultInverseFrequencies(base, dim);
      const { factor, lowFreqFactor, highFreqFactor, originalMaxPositions } = scaling;
      const lowFreqWavelen = originalMaxPositions / lowFreqFactor;
      const highFreqWavelen = originalMaxPositions / highFreqFactor;
      for (let i = 0; i < inv.length; i++) {
        const wavelen = (2 * Math.PI) / inv[i];
        if (wavelen > lowFreqWavelen) {
          inv[i] /= factor;
        } else if (wavelen >= highFreqWavelen) {
          const smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
          inv[i] = ((1 - smooth) * inv[i]) / factor + smooth * inv[i];
        }
      }
      return { invFreq: inv, attentionScaling: 1 };
    }
    case 'yarn': {
      const { factor, originalMaxPositions, betaFast, betaSlow } = scaling;
      // Dimension whose pair completes `rotations` turns over the original context.
      const correctionDim = (rotations: number): number => (dim * Math.log(originalMaxPositions / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
      let low = correctionDim(betaFast);
      let high = correctionDim(betaSlow);
      if (scaling.truncate !== false) {
        low = Math.floor(low);
        high = Math.ceil(high);
      }
      low = Math.max(low, 0);
      high = Math.min(high, dim - 1);
      if (low === high) high += 0.001;
      const inv = new Float64Array(dim / 2);
      for (let i = 0; i < inv.length; i++) {
        const posFreq = base ** ((2 * i) / dim);
        const extrapolation = 1 / posFreq;
        const interpolation = 1 / (factor * posFreq);
        const ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
        const extrapolationWeight = 1 - ramp;
        inv[i] = interpolation * (1 - extrapolationWeight) + extrapolation * extrapolationWeight;
      }
      const attentionScaling = scaling.attentionFactor ?? (factor <= 1 ? 1 : 0.1 * Math.log(factor) + 1);
      return { invFreq: inv, attentionScaling };
    }
  }
}

/**
 * cos/sin tables for the given positions, laid out as transformers' rotary embedding returns
 * them: row r holds cat(freqs, freqs) · attentionScaling for position positions[r]. `seqLen`
 * defaults to max(positions) + 1 (what transformers uses for dynamic NTK).
 */
export function ropeCosSin(config: LlmConfig, positions: ArrayLike<number>, seqLen?: number): RopeTables {
  let longest = 0;
  for (let r = 0; r < positions.length; r++) longest = Math.max(longest, positions[r] + 1);
  const { invFreq, attentionScaling } = ropeInverseFrequencies(config, seqLen ?? longest);
  const dim = config.headDim;
  const half = dim / 2;
  const cos = new Float32Array(positions.length * dim);
  const sin = new Float32Array(positions.length * dim);
  for (let r = 0; r < positions.length; r++) {
    const row = r * dim;
    for (let i = 0; i < half; i++) {
      const angle = positions[r] * invFreq[i];
      const c = Math.cos(angle) * attentionScaling;
      const s = Math.sin(angle) * attentionScaling;
      cos[row + i] = c;
      cos[row + half + i] = c;
      sin[row + i] = s;
      sin[row + half + i] = s;
    }
  }
  return { cos, sin };
}

/**
 * Rotates one head vector in place: x·cos + rotate_half(x)·sin, rotate_half(x) = cat(−x₂, x₁).
 * `x` holds the head at `offset`; `cos`/`sin` rows start at `row`.
 */
export function applyRope(x: Float32Array | Float64Array, offset: number, cos: Float32Array, sin: Float32Array, row: number, headDim: number): void {
  const half = headDim / 2;
  for (let i = 0; i < half; i++) {
    const a = x[offset + i];
    const b = x[offset + half + i];
    x[offset + i] = a * cos[row + i] - b * sin[row + i];
    x[offset + half + i] = b * cos[row + half + i] + a * sin[row + half + i];
  }
}
