/**
 * The generation loop: dense chunked prefill of the prompt, then one decode step per new token
 * with the chosen attention policy; sampling, stop ids, a streaming callback per token and
 * cancellation through an AbortSignal. With a session, the prompt is appended to the cache of the
 * previous turns instead of recomputing them (multi-turn reuse).
 */
import { layerSlidingWindow } from './config.ts';
import { type Ledger, newLedger } from './ledger.ts';
import type { LlmModel, LlmSession } from './model.ts';
import { createPolicy, DEFAULT_BUDGET, type AttentionPolicy, type PolicyName, type PolicyOptions } from './policies/index.ts';
import { Sampler, type SamplingOptions } from './sampling.ts';
import type { ChatMessage } from './tokenizer.ts';

export interface GenerateOptions {
  maxNewTokens?: number;
  /** A policy by name (with `budget`) or an instance (default 'dense'). */
  policy?: PolicyName | AttentionPolicy;
  /** Positions per KV head at sparse layers (default 2048). */
  budget?: number;
  policyOptions?: Omit<PolicyOptions, 'budget'>;
  sampling?: SamplingOptions;
  /** Ids that end the reply (included in `tokens`); default the model's stop ids. */
  stop?: number[];
  /** Text that ends the reply (e.g. "\n" for a one-line answer); the reply is cut before it. */
  stopText?: string;
  /** Called once per generated id, with the text it completes when the model has a tokenizer. */
  onToken?: (id: number, text: string) => void;
  signal?: AbortSignal;
  /** Continue this conversation (its cache is reused and extended). */
  session?: LlmSession;
}

export type FinishReason = 'stop' | 'length' | 'aborted';

export interface GenerateResult {
  tokens: number[];
  text: string;
  finishReason: FinishReason;
  ledger: Ledger;
  session: LlmSession;
}

export async function generate(model: LlmModel, prompt: number[] | ChatMessage[], options: GenerateOptions = {}): Promise<GenerateResult> {
  const maxNewTokens = options.maxNewTokens ?? 256;
  const budget = options.budget ?? DEFAULT_BUDGET;
  const policy =
    typeof options.policy === 'object' ? options.policy : createPolicy(options.policy ?? 'dense', model.shape, { budget, ...options.policyOptions });
  const sampler = new Sampler(options.sampling);
  const stop = new Set(options.stop ?? model.stopTokenIds);
  const session = options.session ?? model.newSession();
  const ledger = newLedger(policy.name, policy.name === 'dense' ? null : budget, session.cache.length);
  ledger.layers = Array.from({ length: model.config.numLayers }, (_, layer) => {
    const window = layerSlidingWindow(model.config, layer);
    if (window === null) return policy.name;
    return policy.name === 'dense' || budget >= window ? `window ${window}` : `${policy.name} within window ${window}`;
  });
  const decoder = model.tokenizer?.streamDecoder({ skipSpecialTokens: true });
  const tokens: number[] = [];
  let text = '';
  let finishReason: FinishReason = 'length';
  let cut = false;

  const ids = [...session.pending, ...model.promptIds(prompt)];
  session.pending = [];
  ledger.promptTokens = ids.length;
  // Room for the whole reply up front: growing a long cache by doubling copies all of it.
  session.cache.reserve(session.cache.length + ids.length + maxNewTokens);
  try {
    const prefillStart = performance.now();
    let logits = ids.length === 1 ? await model.step(session, ids[0], policy, ledger.steps) : await model.prefill(session, ids, false, options.signal);
    ledger.prefillMs = performance.now() - prefillStart;
    const decodeStart = performance.now();
    for (let i = 0; i < maxNewTokens; i++) {
      if (options.signal?.aborted) {
        finishReason = 'aborted';
        break;
      }
      const id = sampler.sample(logits);
      tokens.push(id);
      const piece = decoder ? decoder.push(id) : '';
      text += piece;
      options.onToken?.(id, piece);
      if (options.stopText && text.includes(options.stopText)) {
        text = text.slice(0, text.indexOf(options.stopText));
        cut = true;
        finishReason = 'stop';
        session.pending = [id];
        break;
      }
      if (stop.has(id)) {
        finishReason = 'stop';
        session.pending = [id];
        break;
      }
      if (i === maxNewTokens - 1) {
        session.pending = [id];
        break;
      }
      logits = await model.step(session, id, policy, ledger.steps);
    }
    ledger.decodeMs = performance.now() - decodeStart;
  } catch (error) {
    if (options.signal?.aborted) finishReason = 'aborted';
    else throw error;
  }
  if (decoder && !cut) text += decoder.flush();
  return { tokens, text, finishReason, ledger, session };
}
