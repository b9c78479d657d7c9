/** Full causal attention: every position in [lo, length). The oracle the sparse policies reduce to. */
import type { Selection } from '../attention.ts';
import type { AttentionPolicy, LayerQuery, LedgerSelection } from './policy.ts';

export class DensePolicy implements AttentionPolicy {
  readonly name = 'dense';
  beginStep(_length?: number): void {}
  select(query: LayerQuery): Selection {
    return { kind: 'range', lo: query.lo };
  }
  observer(): undefined {
    return undefined;
  }
  stepSelections(): LedgerSelection[] {
    return [];
  }
}
