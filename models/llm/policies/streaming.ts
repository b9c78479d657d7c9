/**
 * StreamingLLM as the naive baseline: the first `sink` positions (attention sinks) plus the most
 * recent `budget − sink` positions, the same for every layer and head, whatever the query says.
 */
import type { Selection } from '../attention.ts';
import type { AttentionPolicy, LayerQuery, LedgerSelection } from './policy.ts';

export interface StreamingOptions {
  budget: number;
  /** Attention-sink positions kept at the start (default 4, as in the StreamingLLM paper). */
  sink?: number;
}

export class StreamingPolicy implements AttentionPolicy {
  readonly name = 'streaming';
  private readonly budget: number;
  private readonly sink: number;
  private positions = new Int32Array(0);

  constructor(options: StreamingOptions) {
    if (!(options.budget >= 1)) throw new Error(`Streaming budget must be ≥ 1, got ${options.budget}`);
    this.budget = Math.floor(options.budget);
    this.sink = Math.min(options.sink ?? 4, this.budget - 1);
  }

  beginStep(_length?: number): void {}

  select({ length, lo }: LayerQuery): Selection {
    const available = length - lo;
    if (this.budget >= available) return { kind: 'range', lo };
    if (this.positions.length < this.budget) this.positions = new Int32Array(this.budget);
    const window = this.budget - this.sink;
    let n = 0;
    for (let j = lo; j < lo + this.sink; j++) this.positions[n++] = j;
    for (let j = length - window; j < length; j++) this.positions[n++] = j;
    return { kind: 'shared', positions: this.positions, count: n };
  }

  observer(): undefined {
    return undefined;
  }

  stepSelections(): LedgerSelection[] {
    return [];
  }
}
