/**
 * Next-token choice from logits: greedy (argmax, ties to the lower id), or temperature sampling
 * with optional nucleus (top-p) truncation, drawn from a seeded generator so a run can be
 * repeated exactly.
 */
import { seededRandom } from '../math/random.ts';

export interface SamplingOptions {
  /** 0 (default) is greedy. */
  temperature?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches topP (default 1). */
  topP?: number;
  /** Seed of the random generator (default 0). */
  seed?: number;
}

export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** Probabilities of softmax(logits / temperature), in float64. */
export function softmax(logits: Float32Array, temperature = 1): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  const p = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    p[i] = Math.exp((logits[i] - max) / temperature);
    sum += p[i];
  }
  for (let i = 0; i < p.length; i++) p[i] /= sum;
  return p;
}

/**
 * The tokens top-p sampling may draw from, most likely first (ties to the lower id), and their
 * renormalised probabilities.
 */
export function nucleus(probs: Float64Array, topP: number): { ids: Int32Array; probs: Float64Array } {
  const order = Int32Array.from({ length: probs.length }, (_, i) => i);
  order.sort((a, b) => probs[b] - probs[a] || a - b);
  let kept = 0;
  let mass = 0;
  while (kept < order.length && (kept === 0 || mass < topP)) mass += probs[order[kept++]];
  const ids = order.slice(0, kept);
  const out = new Float64Array(kept);
  for (let i = 0; i < kept; i++) out[i] = probs[ids[i]] / mass;
  return { ids, probs: out };
}

export class Sampler {
  private readonly temperature: number;
  private readonly topP: number;
  private readonly random: () => number;

  constructor(options: SamplingOptions = {}) {
    this.temperature = options.temperature ?? 0;
    this.topP = options.topP ?? 1;
    if (this.temperature < 0) throw new Error(`Temperature must be ≥ 0, got ${this.temperature}`);
    if (!(this.topP > 0 && this.topP <= 1)) throw new Error(`topP must be in (0, 1], got ${this.topP}`);
    this.random = seededRandom(options.seed ?? 0);
  }

  get greedy(): boolean {
    return this.temperature === 0;
  }

  sample(logits: Float32Array): number {
    if (this.greedy) return argmax(logits);
    const probs = softmax(logits, this.temperature);
    const u = this.random();
    if (this.topP < 1) {
      const kept = nucleus(probs, this.topP);
      return kept.ids[draw(kept.probs, u)];
    }
    return draw(probs, u);
  }
}

/** Inverse-CDF draw; the last index absorbs rounding. */
function draw(probs: Float64Array, u: number): number {
  let acc = 0;
  for (let i = 0; i < probs.length; i++) {
    acc += probs[i];
    if (u < acc) return i;
  }
  return probs.length - 1;
}

/** KL(p ‖ q) of the next-token distributions softmax(pLogits) and softmax(qLogits), in nats. */
export function klDivergence(pLogits: Float32Array, qLogits: Float32Array): number {
  const p = softmax(pLogits);
  const q = softmax(qLogits);
  let kl = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) kl += p[i] * (Math.log(p[i]) - Math.log(Math.max(q[i], 1e-300)));
  return kl;
}
