/**
 * Where a decode step's time goes on the REAL model (Gemma 3 270M GGUF by default), dense against
 * TidalDecode, in one run:
 *
 *   npm run bench:decode-breakdown [-- --model <file.gguf>] [--context 32768] [--steps 12]
 *                                    [--weights gguf|fp32|int8|int4] [--budget 2048] [--json]
 *
 * A 1,024-token prompt is prefilled and its K/V tiled to `--context` positions (KvCache.tile):
 * decode cost depends on how many positions a layer reads, not on what they hold, and a real
 * 32K prefill takes minutes. Each policy then decodes `--steps` greedy tokens from that cache
 * (one untimed warm-up step; two passes, the second reported). Per step: the first layer's
 * pre-attention graph, the per-layer graphs (post(l)+pre(l+1)), the final graph (last MLP, norm,
 * output projection), decode attention (all layers), the policy's selection, and the whole step.
 * The ratio dense ÷ policy is what a sparse policy buys; the attention share bounds it.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { loadLlmModel } from '../lib/llm/load-model.ts';
import { type AttentionPolicy, createPolicy, DensePolicy } from '../models/llm/policies/index.ts';
import { WEIGHT_FORMATS, type WeightFormat } from '../models/llm/quantize.ts';
import { argmax } from '../models/llm/sampling.ts';

const root = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: process.env.FOLIO_LLM_FILE ?? join(root, '.models', 'gemma-3-270m', 'gemma-3-270m-q4_k_m.gguf') },
    context: { type: 'string', default: '32768' },
    steps: { type: 'string', default: '12' },
    weights: { type: 'string' },
    budget: { type: 'string', default: '2048' },
    json: { type: 'boolean', default: false },
  },
});
if (values.weights !== undefined && !(WEIGHT_FORMATS as readonly string[]).includes(values.weights)) throw new Error(`--weights must be one of ${WEIGHT_FORMATS.join(', ')}`);
const context = Number(values.context);
const steps = Math.max(1, Number(values.steps));
const log = (line: string) => (values.json ? console.error(line) : console.log(line));

const model = await loadLlmModel(values.model, { weights: values.weights as WeightFormat | undefined });
const tokenizer = model.tokenizer;
if (!tokenizer) throw new Error('The model has no tokenizer');
let text = '';
for (let i = 0; text.length < 8000; i++) text += `Paragraph ${i}: the value ${i * 7} is stored in register ${i % 13} before the loop ends. `;
const prompt = tokenizer.encode(text).slice(0, 1024);
const session = model.newSession(context + steps + 8);
await model.prefill(session, prompt);
session.cache.tile(context);
session.tokens.length = 0;
for (let i = 0; i < context; i++) session.tokens.push(prompt[i % prompt.length]);

// Time inside each part of a step, by wrapping the calls the step makes.
const parts: Record<string, number> = {};
function timed<T extends object>(target: T, key: keyof T & string, part: string): void {
  const original = (target[key] as (...args: unknown[]) => unknown).bind(target);
  (target as Record<string, unknown>)[key] = (...args: unknown[]) => {
    const t = performance.now();
    const add = () => {
      parts[part] = (parts[part] ?? 0) + performance.now() - t;
    };
    const out = original(...args);
    if (out instanceof Promise) return out.finally(add);
    add();
    return out;
  };
}
const graphs = model.graphs;
timed(graphs, 'first', 'first graph');
timed(graphs, 'next', 'per-layer graphs');
timed(graphs, 'logits', 'final graph');
// The attention kernel the model runs (native when built, else onnxruntime).
const internals = model as unknown as { nativeAttention: object | null; ortAttention: object };
timed((model.attentionKernel === 'native' ? internals.nativeAttention : internals.ortAttention) as { attend: () => void }, 'attend', 'attention');

const results: Record<string, Record<string, number>> = {};
for (const pass of [0, 1]) {
  for (const name of ['dense', 'tidaldecode']) {
    const policy: AttentionPolicy = name === 'dense' ? new DensePolicy() : createPolicy('tidaldecode', model.shape, { budget: Number(values.budget) });
    timed(policy, 'select', 'selection');
    session.rewind(context);
    let id = argmax(await model.step(session, prompt[5], policy));
    for (const key of Object.keys(parts)) delete parts[key];
    const t = performance.now();
    for (let i = 0; i < steps; i++) id = argmax(await model.step(session, id, policy));
    const step = (performance.now() - t) / steps;
    if (pass === 1) results[name] = { step, ...Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, v / steps])) };
  }
}
log(`${values.model.split('/').pop()}, weights ${model.weightFormat}, attention ${model.attentionKernel}, ${context} cached positions, ${steps} steps`);
const names = ['step', 'first graph', 'per-layer graphs', 'attention', 'selection', 'final graph'];
log(`${'ms per step'.padEnd(18)} ${'dense'.padStart(8)} ${'tidaldecode'.padStart(12)}`);
for (const part of names) log(`${part.padEnd(18)} ${(results.dense[part] ?? 0).toFixed(2).padStart(8)} ${(results.tidaldecode[part] ?? 0).toFixed(2).padStart(12)}`);
const attentionShare = results.dense.attention / results.dense.step;
const summary = {
  model: values.model.split('/').pop(),
  weights: model.weightFormat,
  context,
  steps,
  ms_per_step: results,
  dense_over_tidaldecode: Number((results.dense.step / results.tidaldecode.step).toFixed(2)),
  attention_share_of_dense_step: Number(attentionShare.toFixed(3)),
  // If a policy made attention free, a step could be at most this much faster than dense.
  bound_with_free_attention: Number((1 / (1 - attentionShare)).toFixed(2)),
};
log(`dense ÷ TidalDecode ${summary.dense_over_tidaldecode}; attention ${(attentionShare * 100).toFixed(0)}% of a dense step, so free attention would give at most ${summary.bound_with_free_attention}×`);
if (values.json) console.log(JSON.stringify(summary));
await model.release();
