/** Attention policies by name, so callers (API, CLI, bench) can pick one with a budget. */
import { DensePolicy } from './dense.ts';
import type { AttentionPolicy, PolicyShape } from './policy.ts';
import { QuestPolicy, type QuestOptions } from './quest.ts';
import { StreamingPolicy } from './streaming.ts';
import { TidalDecodePolicy, type TidalDecodeOptions } from './tidaldecode.ts';
import { TokenSelectPolicy, type TokenSelectOptions } from './tokenselect.ts';

export type { AttentionPolicy, LayerQuery, LedgerSelection, PolicyOps, PolicyShape } from './policy.ts';
export { DensePolicy, QuestPolicy, StreamingPolicy, TidalDecodePolicy, TokenSelectPolicy };

export const POLICY_NAMES = ['dense', 'streaming', 'tidaldecode', 'tokenselect', 'quest'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export interface PolicyOptions {
  /** Positions attended per KV head at sparse layers (ignored by dense). */
  budget?: number;
  streaming?: { sink?: number };
  tidaldecode?: Omit<TidalDecodeOptions, 'budget'>;
  tokenselect?: Omit<TokenSelectOptions, 'budget'>;
  quest?: Omit<QuestOptions, 'budget'>;
}

export const DEFAULT_BUDGET = 2048;

export function createPolicy(name: PolicyName, shape: PolicyShape, options: PolicyOptions = {}): AttentionPolicy {
  const budget = options.budget ?? DEFAULT_BUDGET;
  switch (name) {
    case 'dense':
      return new DensePolicy();
    case 'streaming':
      return new StreamingPolicy({ budget, ...options.streaming });
    case 'tidaldecode':
      return new TidalDecodePolicy(shape, { budget, ...options.tidaldecode });
    case 'tokenselect':
      return new TokenSelectPolicy(shape, { budget, ...options.tokenselect });
    case 'quest':
      return new QuestPolicy(shape, { budget, ...options.quest });
    default:
      throw new Error(`Unknown attention policy "${name as string}" (known: ${POLICY_NAMES.join(', ')})`);
  }
}
