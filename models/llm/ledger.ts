/**
 * The decode ledger (the budget ledger, see ARCHITECTURE.md): for every generated token, how many cached
 * positions each layer attended (per KV head, averaged over KV heads when a policy picks per
 * head), and the positions chosen at the policy's selection layers. The API returns it with each
 * answer; tests and benchmarks read it to check that sparse layers stayed inside their budget.
 */
import type { Selection } from './attention.ts';
import type { LedgerSelection } from './policies/policy.ts';

export interface LedgerStep {
  /** Position of the token fed at this step (its K/V went into the cache here). */
  position: number;
  /** Per layer: positions attended per KV head (mean over KV heads). */
  attended: Float32Array;
  selections: LedgerSelection[];
}

export interface Ledger {
  policy: string;
  budget: number | null;
  promptTokens: number;
  /** Cache length before this call's prompt (multi-turn reuse). */
  reusedTokens: number;
  prefillMs: number;
  decodeMs: number;
  steps: LedgerStep[];
  /**
   * Per layer, the attention its decode steps ran: the policy's name on full-attention layers,
   * `window N` on a sliding-window layer the budget covers (it reads its N newest positions), or
   * `<policy> within window N` when the policy chose inside a wider window.
   */
  layers?: string[];
}

export function newLedger(policy: string, budget: number | null, reusedTokens: number): Ledger {
  return { policy, budget, promptTokens: 0, reusedTokens, prefillMs: 0, decodeMs: 0, steps: [] };
}

/** Positions per KV head a selection covers, averaged over KV heads. */
export function attendedCount(selection: Selection, numKvHeads: number, length: number): number {
  if (selection.kind === 'range') return length - selection.lo;
  if (selection.kind === 'shared') return selection.count;
  let sum = 0;
  for (let g = 0; g < numKvHeads; g++) sum += selection.counts[g];
  return sum / numKvHeads;
}
