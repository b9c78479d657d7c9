/**
 * Training of the foreground scorer (foreground.ts): a one-hidden-layer MLP fitted with Adam on
 * binary cross-entropy with soft targets (the share of the patch covered by text or figure
 * boxes). Seeded initialisation and shuffling, so the same data gives the same weights.
 */
import { PATCH_FEATURE_DIM, PATCH_FEATURES } from '../encoders/patch-encoder.ts';
import { FOREGROUND_INPUTS, type ForegroundWeights } from './foreground.ts';
import { seededRandom } from '../../math/random.ts';

export interface TrainOptions {
  hidden: number;
  epochs: number;
  batch: number;
  learningRate: number;
  /** L2 penalty on the weights. */
  weightDecay: number;
  seed: number;
}

export const TRAIN_DEFAULTS: TrainOptions = { hidden: 16, epochs: 8, batch: 256, learningRate: 3e-3, weightDecay: 1e-5, seed: 17 };

/** Per-feature mean and standard deviation over n rows of base features. */
export function featureStats(features: Float32Array, n: number): { mean: number[]; std: number[] } {
  const D = PATCH_FEATURE_DIM;
  const mean = new Float64Array(D);
  const sq = new Float64Array(D);
  for (let p = 0; p < n; p++) {
    for (let d = 0; d < D; d++) {
      const v = features[p * D + d];
      mean[d] += v;
      sq[d] += v * v;
    }
  }
  const m = Array.from(mean, (s) => s / Math.max(1, n));
  const s = Array.from(sq, (q, d) => Math.sqrt(Math.max(q / Math.max(1, n) - m[d] * m[d], 0)) || 1);
  return { mean: m, std: s };
}

class Adam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;
  constructor(
    readonly params: Float64Array,
    readonly lr: number,
  ) {
    this.m = new Float64Array(params.length);
    this.v = new Float64Array(params.length);
  }
  step(grad: Float64Array): void {
    this.t++;
    const b1 = 0.9;
    const b2 = 0.999;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    for (let i = 0; i < grad.length; i++) {
      this.m[i] = b1 * this.m[i] + (1 - b1) * grad[i];
      this.v[i] = b2 * this.v[i] + (1 - b2) * grad[i] * grad[i];
      this.params[i] -= (this.lr * (this.m[i] / c1)) / (Math.sqrt(this.v[i] / c2) + 1e-8);
    }
  }
}

/**
 * Fits the scorer on n rows of scorer inputs (n × FOREGROUND_INPUTS, see `scorerInputs`) with
 * targets in [0,1]. `stats` is the feature standardisation the inputs were built with.
 */
export function trainForeground(
  inputs: Float32Array,
  targets: Float32Array,
  n: number,
  stats: { mean: number[]; std: number[] },
  options: TrainOptions = TRAIN_DEFAULTS,
  onEpoch?: (epoch: number, loss: number) => void,
): ForegroundWeights {
  const I = FOREGROUND_INPUTS;
  const H = options.hidden;
  const random = seededRandom(options.seed);
  const w1 = Float64Array.from({ length: I * H }, () => (2 * random() - 1) * Math.sqrt(6 / (I + H)));
  const b1 = new Float64Array(H);
  const w2 = Float64Array.from({ length: H }, () => (2 * random() - 1) * Math.sqrt(6 / (H + 1)));
  const b2 = new Float64Array(1);
  const opt = [new Adam(w1, options.learningRate), new Adam(b1, options.learningRate), new Adam(w2, options.learningRate), new Adam(b2, options.learningRate)];
  const g1 = new Float64Array(I * H);
  const gb1 = new Float64Array(H);
  const g2 = new Float64Array(H);
  const gb2 = new Float64Array(1);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const hidden = new Float64Array(H);
  const delta = new Float64Array(H);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    let lossSum = 0;
    for (let start = 0; start < n; start += options.batch) {
      const end = Math.min(n, start + options.batch);
      g1.fill(0);
      gb1.fill(0);
      g2.fill(0);
      gb2.fill(0);
      for (let b = start; b < end; b++) {
        const p = order[b];
        const x = p * I;
        for (let h = 0; h < H; h++) hidden[h] = b1[h];
        for (let i = 0; i < I; i++) {
          const v = inputs[x + i];
          if (v === 0) continue;
          for (let h = 0; h < H; h++) hidden[h] += v * w1[i * H + h];
        }
        let s = b2[0];
        for (let h = 0; h < H; h++) s += Math.max(hidden[h], 0) * w2[h];
        const prob = 1 / (1 + Math.exp(-s));
        const y = targets[p];
        lossSum -= y * Math.log(Math.max(prob, 1e-7)) + (1 - y) * Math.log(Math.max(1 - prob, 1e-7));
        const ds = prob - y;
        gb2[0] += ds;
        for (let h = 0; h < H; h++) {
          const a = Math.max(hidden[h], 0);
          g2[h] += ds * a;
          delta[h] = hidden[h] > 0 ? ds * w2[h] : 0;
          gb1[h] += delta[h];
        }
        for (let i = 0; i < I; i++) {
          const v = inputs[x + i];
          if (v === 0) continue;
          for (let h = 0; h < H; h++) g1[i * H + h] += v * delta[h];
        }
      }
      const count = end - start;
      for (let i = 0; i < g1.length; i++) g1[i] = g1[i] / count + options.weightDecay * w1[i];
      for (let h = 0; h < H; h++) {
        gb1[h] /= count;
        g2[h] = g2[h] / count + options.weightDecay * w2[h];
      }
      gb2[0] /= count;
      opt[0].step(g1);
      opt[1].step(gb1);
      opt[2].step(g2);
      opt[3].step(gb2);
    }
    onEpoch?.(epoch, lossSum / Math.max(1, n));
  }
  const round = (v: number) => Math.round(v * 1e6) / 1e6;
  return {
    format: 'folio-foreground/1',
    features: [...PATCH_FEATURES],
    mean: stats.mean.map(round),
    std: stats.std.map(round),
    hidden: H,
    w1: Array.from(w1, round),
    b1: Array.from(b1, round),
    w2: Array.from(w2, round),
    b2: round(b2[0]),
  };
}
