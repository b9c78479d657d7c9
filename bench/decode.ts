/**
 * Decode speed and fidelity of the LLM runtime's attention policies (dense, TidalDecode,
 * TokenSelect, Quest, StreamingLLM), all in one run on
 * a mid-size random checkpoint (12 layers, hidden 768, 12 heads, 4 KV heads, MLP 2048, vocab
 * 32000; test/helpers/llm-checkpoint.ts's weights):
 *
 *   npm run bench:decode [-- --tokens 8] [--contexts 2048,8192,32768] [--budget 2048] [--threads 2]
 *                          [--layers 12] [--weights fp32|int8|int4] [--block 32] [--attention native|ort|ts]
 *                          [--no-layouts] [--no-kernels] [--json]
 *
 * `--layers` changes the depth only (same width). TidalDecode's layer plan (dense layers 0–1,
 * selection at 2, re-selection at round(L·9/32)) scans the whole cache in 4 layers whatever the
 * depth, so its speed-up over dense is bounded by L/4 even if everything but attention were
 * free: below 3× at 12 layers. `--layers 32` is the depth the paper's defaults were set for
 * (Llama 2/3 7–8B). `--weights int4` runs the Linear layers through MatMulNBits (quantize.ts),
 * cutting the per-token cost that no attention policy can touch.
 *
 * - prefill_ms: dense chunked prefill of 2K and 8K random tokens (ORT graphs).
 * - decode_ms_per_token: for each context length and policy, the same token sequence is fed one
 *   token at a time from the same prefilled cache (truncated back between policies); one warm-up
 *   step is not timed. Each policy runs twice (all policies in one order, then in the reverse
 *   order) and keeps its faster pass; CPU ms per token (all threads) is reported beside wall
 *   clock because a shared machine disturbs it less. The 32K cache is the 8K prefill's K/V tiled four times (KvCache.tile):
 *   a 32K dense prefill is quadratic and slow on 2 cores, and decode cost does not depend on
 *   what the keys hold, only on how many a policy reads.
 * - fidelity: along that sequence (dense greedy continuation), each sparse policy's next-token
 *   distribution against dense: top-1 agreement and mean KL(dense ‖ policy). Random weights give
 *   diffuse attention, a weak proxy for a trained model's (which concentrates on few positions);
 *   treat these numbers as a check that nothing is broken, not as a quality estimate.
 * - attention kernels: dense and TidalDecode ms/token on the 8K cache with decode attention in
 *   Folio's native kernel (native/, when built), onnxruntime and the TypeScript kernel. The main
 *   runs use `--attention` (default: native when built, else onnxruntime).
 * - layouts: dense decode ms/token at the first context with the fused graphs (post(l)+pre(l+1),
 *   L+1 ORT calls per token) and the split ones (2L+1 calls).
 * - peak_rss_mb: the process's maximum resident set.
 *
 * Times are wall clock on whatever else the machine is running; the ratios compare policies
 * measured back to back in the same process.
 */
import { parseArgs } from 'node:util';
import { parseLlmConfig } from '../models/llm/config.ts';
import type { LedgerStep } from '../models/llm/ledger.ts';
import { type DecodeAttentionKernel, LlmModel, type LlmSession } from '../models/llm/model.ts';
import { type AttentionPolicy, createPolicy, DensePolicy, TidalDecodePolicy, TokenSelectPolicy } from '../models/llm/policies/index.ts';
import { WEIGHT_FORMATS, type WeightFormat } from '../models/llm/quantize.ts';
import { argmax, klDivergence } from '../models/llm/sampling.ts';
import type { LlmConfig } from '../models/llm/types.ts';
import { nativeAddon } from '../models/native/addon.ts';
import { randomLlmWeights } from '../test/helpers/llm-checkpoint.ts';

const { values } = parseArgs({
  options: {
    tokens: { type: 'string', default: '8' },
    contexts: { type: 'string', default: '2048,8192,32768' },
    budget: { type: 'string', default: '2048' },
    threads: { type: 'string', default: '2' },
    layers: { type: 'string', default: '12' },
    weights: { type: 'string', default: 'fp32' },
    block: { type: 'string', default: '32' },
    'no-layouts': { type: 'boolean', default: false },
    'no-kernels': { type: 'boolean', default: false },
    attention: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const decodeTokens = Math.max(1, Number(values.tokens));
const contexts = values.contexts.split(',').map(Number);
const budget = Number(values.budget);
const threads = Number(values.threads);
const weightFormat = values.weights as WeightFormat;
if (!WEIGHT_FORMATS.includes(weightFormat)) throw new Error(`--weights must be one of ${WEIGHT_FORMATS.join(', ')}`);
const log = (line: string) => {
  if (!values.json) console.log(line);
  else console.error(line);
};

const config: LlmConfig = parseLlmConfig({
  architectures: ['LlamaForCausalLM'],
  vocab_size: 32000,
  hidden_size: 768,
  intermediate_size: 2048,
  num_hidden_layers: Number(values.layers),
  num_attention_heads: 12,
  num_key_value_heads: 4,
  rms_norm_eps: 1e-6,
  rope_theta: 500000,
  max_position_embeddings: 65536,
  tie_word_embeddings: false,
});

/** Every TokenSelect instance made, to report its selection-cache hit rate. */
const tokenSelects: TokenSelectPolicy[] = [];

interface Variant {
  name: string;
  make: () => AttentionPolicy;
}

const shape = { numLayers: config.numLayers, numHeads: config.numHeads, numKvHeads: config.numKvHeads, headDim: config.headDim };
const variants: Variant[] = [
  { name: 'dense', make: () => new DensePolicy() },
  { name: 'tidaldecode', make: () => createPolicy('tidaldecode', shape, { budget }) },
  // The paper's re-selection layer scaled to 12 layers is layer 3, right after the selection
  // layer 2, so four of twelve layers scan the whole cache; this variant shows the cost of that.
  { name: 'tidaldecode_no_reselection', make: () => new TidalDecodePolicy(shape, { budget, reselectionLayer: null }) },
  {
    name: 'tokenselect',
    make: () => {
      const policy = new TokenSelectPolicy(shape, { budget });
      tokenSelects.push(policy);
      return policy;
    },
  },
  { name: 'quest', make: () => createPolicy('quest', shape, { budget }) },
  { name: 'streaming', make: () => createPolicy('streaming', shape, { budget }) },
];

function randomIds(n: number, seed: number): number[] {
  let a = seed >>> 0;
  return Array.from({ length: n }, () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return a % config.vocabSize;
  });
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

log(`building the mid-size model (${config.numLayers} layers, hidden ${config.hiddenSize}, ${config.numHeads}/${config.numKvHeads} heads, vocab ${config.vocabSize}, ${weightFormat} weights${weightFormat === 'fp32' ? '' : `, ${values.block} per scale`})…`);
let started = performance.now();
const weights = randomLlmWeights(config, 1);
const model = await LlmModel.load({ config, weights, stopTokenIds: [] }, { threads, weights: weightFormat, weightBlock: Number(values.block), decodeAttention: values.attention as DecodeAttentionKernel | undefined });
const mainKernel = model.attentionKernel;
log(`  decode attention: ${mainKernel}`);
log(`  built in ${((performance.now() - started) / 1000).toFixed(1)} s`);

interface PolicyRun {
  msPerToken: number;
  cpuMsPerToken: number;
  logits: Float32Array[];
  attendedPerLayer: number[];
}

/** Feeds `feed` from the session's current cache with `policy`; restores the cache length after. */
async function decodeRun(session: LlmSession, policy: AttentionPolicy, first: Float32Array, feed: number[]): Promise<PolicyRun> {
  const base = session.cache.length;
  const baseTokens = session.tokens.length;
  const logits = [first];
  const steps: LedgerStep[] = [];
  logits.push(await model.step(session, feed[0], policy, steps)); // warm-up, not timed
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 1; i < feed.length; i++) logits.push(await model.step(session, feed[i], policy, steps));
  const msPerToken = (performance.now() - t0) / (feed.length - 1);
  const cpu = process.cpuUsage(cpu0);
  session.cache.truncate(base);
  session.tokens.length = baseTokens;
  const last = steps[steps.length - 1];
  return { msPerToken, cpuMsPerToken: (cpu.user + cpu.system) / 1000 / (feed.length - 1), logits, attendedPerLayer: Array.from(last.attended) };
}

const decodeMs: Record<string, Record<string, number>> = {};
const cpuMs: Record<string, Record<string, number>> = {};
const fidelity: Record<string, Record<string, { top1_agreement: number; mean_kl: number }>> = {};
const prefillMs: Record<string, number> = {};
const attended: Record<string, Record<string, number[]>> = {};

async function measureAt(context: number, session: LlmSession, lastLogits: Float32Array): Promise<void> {
  // The continuation every policy is fed: dense greedy decoding from this cache.
  const feed: number[] = [];
  let logits = lastLogits;
  const base = session.cache.length;
  for (let i = 0; i <= decodeTokens; i++) {
    const id = argmax(logits);
    feed.push(id);
    if (i < decodeTokens) logits = await model.step(session, id, new DensePolicy());
  }
  session.cache.truncate(base);
  session.tokens.length = base;
  decodeMs[context] = {};
  fidelity[context] = {};
  attended[context] = {};
  // Two passes, the policies in opposite orders, keeping each policy's faster pass: a busy
  // machine then penalises early and late policies alike.
  const runs = new Map<string, PolicyRun>();
  for (const order of [variants, [...variants].reverse()]) {
    for (const variant of order) {
      const run = await decodeRun(session, variant.make(), lastLogits, feed);
      const best = runs.get(variant.name);
      if (!best || run.msPerToken < best.msPerToken) runs.set(variant.name, run);
    }
  }
  const dense = runs.get('dense')!;
  cpuMs[context] = {};
  for (const variant of variants) {
    const run = runs.get(variant.name)!;
    decodeMs[context][variant.name] = Number(run.msPerToken.toFixed(2));
    cpuMs[context][variant.name] = Number(run.cpuMsPerToken.toFixed(2));
    attended[context][variant.name] = run.attendedPerLayer;
    if (variant.name !== 'dense') {
      let agree = 0;
      let kl = 0;
      // Compare the distributions after each fed token (index 0 is the shared prefill output).
      for (let i = 1; i < run.logits.length; i++) {
        if (argmax(run.logits[i]) === argmax(dense.logits[i])) agree++;
        kl += klDivergence(dense.logits[i], run.logits[i]);
      }
      const n = run.logits.length - 1;
      fidelity[context][variant.name] = { top1_agreement: Number((agree / n).toFixed(3)), mean_kl: Number((kl / n).toExponential(3)) };
    }
    log(
      `  ${context} ${variant.name.padEnd(28)} ${run.msPerToken.toFixed(1).padStart(8)} ms/token (${run.cpuMsPerToken.toFixed(1)} ms CPU)   attended per layer [${run.attendedPerLayer.map((n) => Math.round(n)).join(' ')}]`,
    );
  }
}

const prompt = randomIds(Math.max(...contexts.filter((c) => c <= 8192), 2048), 7);
// The longest prefilled context is what longer caches are tiled from (2048 when none is asked for).
const tileFrom = Math.max(...contexts.filter((c) => c <= 8192), 0) || 2048;
let tileSource: { session: LlmSession; logits: Float32Array } | null = null;

for (const context of contexts) {
  let session: LlmSession;
  let logits: Float32Array;
  if (context <= 8192) {
    session = model.newSession(context + decodeTokens + 2);
    started = performance.now();
    logits = await model.prefill(session, prompt.slice(0, context));
    prefillMs[context] = Math.round(performance.now() - started);
    log(`prefill ${context} tokens: ${(prefillMs[context] / 1000).toFixed(1)} s`);
    if (context === tileFrom) tileSource = { session, logits };
  } else {
    if (!tileSource) {
      const source = model.newSession(tileFrom + 2);
      tileSource = { session: source, logits: await model.prefill(source, prompt.slice(0, tileFrom)) };
    }
    session = tileSource.session;
    session.cache.reserve(context + decodeTokens + 2);
    const source = session.cache.length;
    session.cache.tile(context);
    session.tokens.push(...Array.from({ length: context - source }, (_, i) => session.tokens[i % source]));
    logits = tileSource.logits;
    log(`cache of ${context} positions: the ${source}-token prefill's K/V tiled`);
  }
  await measureAt(context, session, logits);
}

// The attention kernels (native, onnxruntime, TypeScript) on the largest prefilled cache, for
// dense and TidalDecode.
const kernels: Record<string, Record<string, number>> = {};
if (tileSource && !values['no-kernels']) {
  const { session } = tileSource;
  const base = session.cache.length;
  session.cache.truncate(Math.min(base, tileFrom));
  session.tokens.length = session.cache.length;
  const feed = randomIds(Math.min(decodeTokens, 4) + 1, 9);
  const kernelNames: DecodeAttentionKernel[] = nativeAddon() ? ['native', 'ort', 'ts'] : ['ort', 'ts'];
  for (const kernel of kernelNames) {
    model.attentionKernel = kernel;
    kernels[kernel] = {};
    for (const variant of variants.slice(0, 2)) {
      const run = await decodeRun(session, variant.make(), tileSource.logits, feed);
      kernels[kernel][variant.name] = Number(run.msPerToken.toFixed(2));
      log(`kernel ${kernel} at ${session.cache.length}: ${variant.name} ${run.msPerToken.toFixed(1)} ms/token`);
    }
  }
  model.attentionKernel = mainKernel;
}

let layouts: Record<string, number> | undefined;
if (!values['no-layouts']) {
  const context = contexts[0];
  const feed = randomIds(decodeTokens + 1, 3);
  layouts = {};
  for (const layout of ['fused', 'split'] as const) {
    const m = layout === 'fused' ? model : await LlmModel.load({ config, weights, stopTokenIds: [] }, { threads, layout, weights: weightFormat, weightBlock: Number(values.block), decodeAttention: mainKernel });
    const session = m.newSession(context + feed.length);
    await m.prefill(session, prompt.slice(0, context));
    await m.step(session, feed[0], new DensePolicy());
    const t0 = performance.now();
    for (let i = 1; i < feed.length; i++) await m.step(session, feed[i], new DensePolicy());
    layouts[layout] = Number(((performance.now() - t0) / (feed.length - 1)).toFixed(2));
    log(`layout ${layout}: dense decode at ${context}: ${layouts[layout]} ms/token`);
    if (m !== model) await m.release();
  }
}

const hits = tokenSelects.reduce((n, p) => n + p.hits, 0);
const lookups = tokenSelects.reduce((n, p) => n + p.hits + p.misses, 0);
log(`TokenSelect selection cache (cosine ≥ 0.9): ${hits} hits in ${lookups} sparse layer steps`);
const peakRssMb = mb(process.resourceUsage().maxRSS * 1024);
const ratios: Record<string, Record<string, number>> = {};
for (const [context, row] of Object.entries(decodeMs)) {
  ratios[context] = {};
  for (const [name, ms] of Object.entries(row)) if (name !== 'dense') ratios[context][name] = Number((row.dense / ms).toFixed(2));
}
log('speed-up over dense (dense ms / policy ms):');
for (const [context, row] of Object.entries(ratios)) log(`  ${context}: ${Object.entries(row).map(([k, v]) => `${k} ${v}x`).join(', ')}`);
log(`peak RSS ${peakRssMb} MB`);
await model.release();

const summary = {
  model: { layers: config.numLayers, hidden: config.hiddenSize, heads: config.numHeads, kv_heads: config.numKvHeads, intermediate: config.intermediateSize, vocab: config.vocabSize, weights: weightFormat, weight_block: weightFormat === 'fp32' ? null : Number(values.block) },
  budget,
  attention_kernel: mainKernel,
  decode_tokens: decodeTokens,
  decode_ms_per_token: decodeMs,
  decode_cpu_ms_per_token: cpuMs,
  speedup_vs_dense: ratios,
  fidelity_vs_dense: fidelity,
  prefill_ms: prefillMs,
  tokenselect_cache_hit_rate: lookups ? Number((hits / lookups).toFixed(3)) : null,
  cache_32k: `K/V of the ${tileFrom}-token prefill tiled (KvCache.tile)`,
  attention_kernel_ms_per_token: values['no-kernels'] ? undefined : { context: Math.min(tileFrom, 8192), ...kernels },
  layouts_dense_ms_per_token: layouts,
  peak_rss_mb: peakRssMb,
};
if (values.json) console.log(JSON.stringify(summary));
