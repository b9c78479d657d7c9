/**
 * The latency of one answer with Qwen2.5-0.5B-Instruct and Qwen2.5-1.5B-Instruct shaped models:
 * a 1,500-token prompt prefilled, then 100 tokens decoded, per attention policy and weight format.
 *
 *   npm run bench:answer-latency [-- --models 0.5b,1.5b] [--policies dense,tidaldecode,quest,tokenselect,streamingllm]
 *       [--budgets 2048,512] [--weights auto|fp32,int8,int4] [--prompt 1500] [--tokens 100]
 *       [--threads 2] [--block 32] [--dir data/answer-latency] [--json]
 *
 * The weights are random but every tensor has the shape the published config.json implies
 * (QWEN_CONFIGS below: hidden size, MLP width, layers, 2 KV heads, q/k/v biases, the 151,936-word
 * vocabulary with tied embeddings), written once as BF16 safetensors under `--dir` (not
 * committed; ~1 GB and ~3 GB) and read back through the checkpoint loader a real download goes
 * through. Latency does not depend on what the weights hold, only on their shapes and format;
 * what the model writes is meaningless.
 *
 * Each (model, weight format) runs in its own child process, so its peak RSS is its own and its
 * memory is returned before the next loads. In it:
 * - prefill_ms: the prompt (random ids) through the dense chunked prefill. Prefill is dense under
 *   every policy (policies choose what a decode step reads), so it is measured once and each
 *   policy's total uses it. A 16-token prefill on a throwaway session runs first, untimed, so
 *   the timed one is a loaded server's, not the first call's.
 * - decode: from that cache, 100 decode steps per policy, each feeding the greedy choice of the
 *   step before (the first from the prefill's logits), the cache truncated back to the prompt
 *   between policies. One untimed dense step runs first. decode_ms is the 100 steps' wall time.
 * - total_ms = prefill_ms + decode_ms: what a user waits for one answer of 100 tokens.
 * - peak_rss_mb: the child's maximum resident set (the load, with the fp32 copy of every weight
 *   and onnxruntime's own, is usually the high-water mark); rss_after_mb: resident after the run.
 *
 * A 1,600-token context fits in a budget of 2048 positions, so at the default budget every policy
 * reads every position and differs from dense only by its own overhead; the 512 budget is where
 * they read less. Dense runs once per model and format and is the baseline of both budgets.
 *
 * `--weights auto` (default) runs int4, then fp32 when the estimated fp32 peak fits in the memory
 * available at that moment (os.freemem(), i.e. MemAvailable). Times are wall clock on whatever
 * else the machine runs.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { freemem, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadCheckpoint } from '../lib/llm/checkpoint.ts';
import type { LedgerStep } from '../models/llm/ledger.ts';
import { LlmModel } from '../models/llm/model.ts';
import { createPolicy, DensePolicy, POLICY_NAMES, type PolicyName } from '../models/llm/policies/index.ts';
import { WEIGHT_FORMATS, type WeightFormat } from '../models/llm/quantize.ts';
import { argmax } from '../models/llm/sampling.ts';
import { writeShapedLlmCheckpoint } from '../test/helpers/llm-checkpoint.ts';

/** The fields both published configs hold with the same value. */
const QWEN25_SHARED: Record<string, unknown> = {
  architectures: ['Qwen2ForCausalLM'],
  model_type: 'qwen2',
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151645,
  hidden_act: 'silu',
  initializer_range: 0.02,
  max_position_embeddings: 32768,
  max_window_layers: 21,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  sliding_window: 32768,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  use_cache: true,
  use_sliding_window: false,
  vocab_size: 151936,
};

/**
 * The published config.json of each model (huggingface.co/Qwen/Qwen2.5-{0.5B,1.5B}-Instruct),
 * every field that decides a tensor's shape or the forward pass.
 */
const QWEN_CONFIGS: Record<string, Record<string, unknown>> = {
  '0.5b': { ...QWEN25_SHARED, hidden_size: 896, intermediate_size: 4864, num_attention_heads: 14, num_hidden_layers: 24 },
  '1.5b': { ...QWEN25_SHARED, hidden_size: 1536, intermediate_size: 8960, num_attention_heads: 12, num_hidden_layers: 28 },
};

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: '0.5b,1.5b' },
    policies: { type: 'string', default: 'dense,tidaldecode,quest,tokenselect,streamingllm' },
    budgets: { type: 'string', default: '2048,512' },
    weights: { type: 'string', default: 'auto' },
    prompt: { type: 'string', default: '1500' },
    tokens: { type: 'string', default: '100' },
    threads: { type: 'string', default: '2' },
    block: { type: 'string', default: '32' },
    dir: { type: 'string', default: 'data/answer-latency' },
    json: { type: 'boolean', default: false },
    // Internal: run one (model, format) and print its result as JSON.
    child: { type: 'string' },
    format: { type: 'string' },
  },
});

const log = (line: string) => {
  if (!values.json && !values.child) console.log(line);
  else console.error(line);
};
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
const promptTokens = Number(values.prompt);
const decodeTokens = Number(values.tokens);
const budgets = values.budgets.split(',').map(Number);
/** StreamingLLM is `streaming` in Folio's policy list. */
const policies = values.policies.split(',').map((name) => (name === 'streamingllm' ? 'streaming' : name)) as PolicyName[];
for (const name of policies) if (!POLICY_NAMES.includes(name)) throw new Error(`--policies: unknown policy ${name} (known: ${POLICY_NAMES.join(', ')}, streamingllm)`);
if (!policies.includes('dense')) policies.unshift('dense');
for (const b of budgets) if (!(Number.isInteger(b) && b > 0)) throw new Error(`--budgets: ${b} is not a positive integer`);

interface PolicyResult {
  policy: string;
  budget: number | null;
  decode_ms: number;
  decode_ms_per_token: number;
  total_ms: number;
  /** Mean positions read per layer at the last step (of the prompt + generated). */
  attended_last_step: number;
}

interface RunResult {
  model: string;
  weights: WeightFormat;
  parameters: number;
  load_ms: number;
  prefill_ms: number;
  prompt_tokens: number;
  decode_tokens: number;
  policies: PolicyResult[];
  peak_rss_mb: number;
  rss_after_mb: number;
  attention_kernel: string;
}

function randomIds(n: number, seed: number, below: number): number[] {
  let a = seed >>> 0;
  return Array.from({ length: n }, () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return a % below;
  });
}

async function runChild(model: string, format: WeightFormat, dir: string): Promise<RunResult> {
  let started = performance.now();
  const checkpoint = await loadCheckpoint(dir);
  const { config, weights } = checkpoint;
  let parameters = 0;
  for (const t of weights.values()) parameters += t.data.length;
  const llm = await LlmModel.load({ config, weights, stopTokenIds: [] }, { threads: Number(values.threads), weights: format, weightBlock: Number(values.block) });
  // The graphs hold their own copies; only the embedding rows stay in JavaScript (LlmModel keeps them).
  for (const name of [...weights.keys()]) if (name !== 'model.embed_tokens.weight') weights.delete(name);
  const loadMs = performance.now() - started;
  log(`  ${model} ${format}: loaded in ${(loadMs / 1000).toFixed(1)} s (${(parameters / 1e6).toFixed(0)}M parameters, decode attention ${llm.attentionKernel})`);

  const warm = llm.newSession(32);
  await llm.prefill(warm, randomIds(16, 3, config.vocabSize));
  const session = llm.newSession(promptTokens + decodeTokens + 4);
  const prompt = randomIds(promptTokens, 7, config.vocabSize);
  started = performance.now();
  const first = await llm.prefill(session, prompt);
  const prefillMs = performance.now() - started;
  log(`  ${model} ${format}: prefill ${promptTokens} tokens ${(prefillMs / 1000).toFixed(2)} s`);
  await llm.step(session, argmax(first), new DensePolicy());
  session.cache.truncate(promptTokens);
  session.tokens.length = promptTokens;

  const results: PolicyResult[] = [];
  const runs: { name: PolicyName; budget: number | null }[] = [{ name: 'dense', budget: null }];
  for (const budget of budgets) for (const name of policies) if (name !== 'dense') runs.push({ name, budget });
  for (const run of runs) {
    const policy = createPolicy(run.name, llm.shape, { budget: run.budget ?? undefined });
    const steps: LedgerStep[] = [];
    let next = argmax(first);
    const t0 = performance.now();
    for (let i = 0; i < decodeTokens; i++) next = argmax(await llm.step(session, next, policy, steps));
    const decodeMs = performance.now() - t0;
    session.cache.truncate(promptTokens);
    session.tokens.length = promptTokens;
    const last = steps[steps.length - 1]?.attended ?? new Float32Array(1);
    const result: PolicyResult = {
      policy: run.name,
      budget: run.budget,
      decode_ms: Math.round(decodeMs),
      decode_ms_per_token: Number((decodeMs / decodeTokens).toFixed(1)),
      total_ms: Math.round(prefillMs + decodeMs),
      attended_last_step: Math.round(last.reduce((a, b) => a + b, 0) / last.length),
    };
    results.push(result);
    log(`  ${model} ${format} ${run.name.padEnd(12)} budget ${String(run.budget ?? '–').padStart(4)}: ${result.decode_ms_per_token} ms/token, total ${(result.total_ms / 1000).toFixed(2)} s (reads ${result.attended_last_step} positions/layer at the last step)`);
  }
  const attentionKernel = llm.attentionKernel;
  await llm.release();
  return {
    model,
    weights: format,
    parameters,
    load_ms: Math.round(loadMs),
    prefill_ms: Math.round(prefillMs),
    prompt_tokens: promptTokens,
    decode_tokens: decodeTokens,
    policies: results,
    peak_rss_mb: mb(process.resourceUsage().maxRSS * 1024),
    rss_after_mb: mb(process.memoryUsage().rss),
    attention_kernel: attentionKernel,
  };
}

if (values.child) {
  const result = await runChild(values.child, values.format as WeightFormat, resolve(values.dir, values.child));
  console.log(JSON.stringify(result));
  process.exit(0);
}

/** Writes the model's checkpoint unless the one in `dir` was written from the same config. */
async function ensureCheckpoint(model: string, dir: string): Promise<void> {
  const marker = join(dir, 'bench-answer-latency.json');
  const wanted = JSON.stringify({ config: QWEN_CONFIGS[model], seed: 1, dtype: 'BF16' });
  const have = await readFile(marker, 'utf8').catch(() => null);
  if (have === wanted) return;
  log(`writing a random ${model} checkpoint in the Qwen2.5-${model.toUpperCase()}-Instruct shapes to ${dir} (once)…`);
  const started = performance.now();
  const made = await writeShapedLlmCheckpoint(dir, { arch: 'qwen2', configJson: QWEN_CONFIGS[model], seed: 1, dtype: 'BF16' });
  await writeFile(marker, wanted);
  log(`  ${(made.parameters / 1e6).toFixed(0)}M parameters, ${made.files.filter((f) => f.endsWith('.safetensors')).length} safetensors file(s), ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

/** Rough peak bytes of a load: the loader's fp32 copy of every weight plus the graphs' copy. */
function estimatedPeakBytes(parameters: number, format: WeightFormat): number {
  const graphBytes = format === 'fp32' ? 4 : format === 'int8' ? 1.1 : 0.6;
  // + the largest transposed/stacked temporary (the output layer) and the runtime itself.
  return parameters * (4 + graphBytes) + 1.5 * 2 ** 30;
}

function parameterCount(model: string): number {
  const c = QWEN_CONFIGS[model] as Record<string, number>;
  const h = c.hidden_size;
  const kv = (h / c.num_attention_heads) * c.num_key_value_heads;
  const layer = 2 * h + h * h + h + 2 * (kv * h + kv) + h * h + 3 * h * c.intermediate_size;
  return c.vocab_size * h + c.num_hidden_layers * layer + h;
}

function childRun(model: string, format: WeightFormat): Promise<RunResult> {
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', model, '--format', format, '--dir', values.dir, '--prompt', values.prompt, '--tokens', values.tokens, '--budgets', values.budgets, '--policies', policies.join(','), '--threads', values.threads, '--block', values.block];
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) done(JSON.parse(line) as RunResult);
      else fail(new Error(`the ${model} ${format} run ended with ${signal ?? `code ${code}`}${signal === 'SIGKILL' ? ' (out of memory?)' : ''}`));
    });
  });
}

const models = values.models.split(',').map((m) => m.toLowerCase());
for (const m of models) if (!QWEN_CONFIGS[m]) throw new Error(`--models: unknown model ${m} (known: ${Object.keys(QWEN_CONFIGS).join(', ')})`);
const formats: (WeightFormat | 'fp32?')[] = values.weights === 'auto' ? ['int4', 'fp32?'] : (values.weights.split(',') as WeightFormat[]);
for (const f of formats) if (f !== 'fp32?' && !WEIGHT_FORMATS.includes(f)) throw new Error(`--weights must be auto or a list of ${WEIGHT_FORMATS.join(', ')}`);

log(`one answer: ${promptTokens}-token prompt prefilled + ${decodeTokens} tokens decoded; policies ${policies.join(', ')}; budgets ${budgets.join(', ')}; ${values.threads} threads; machine ${mb(totalmem())} MB RAM, ${mb(freemem())} MB available`);
const runs: RunResult[] = [];
const skipped: { model: string; weights: string; reason: string }[] = [];
for (const model of models) {
  const dir = resolve(values.dir, model);
  await ensureCheckpoint(model, dir);
  for (const wanted of formats) {
    const format: WeightFormat = wanted === 'fp32?' ? 'fp32' : wanted;
    const need = estimatedPeakBytes(parameterCount(model), format);
    if (wanted === 'fp32?' && need > freemem() * 0.9) {
      const reason = `estimated peak ${mb(need)} MB > 90% of the ${mb(freemem())} MB available now`;
      skipped.push({ model, weights: format, reason });
      log(`  skipping ${model} fp32: ${reason}`);
      continue;
    }
    try {
      runs.push(await childRun(model, format));
    } catch (error) {
      skipped.push({ model, weights: format, reason: (error as Error).message });
      log(`  ${(error as Error).message}`);
    }
  }
}

const rows: string[] = ['| model | weights | policy | budget | prefill ms | decode ms/token | decode ms | total ms | total vs dense | peak RSS MB |', '|---|---|---|---|---|---|---|---|---|---|'];
const ratios: Record<string, Record<string, number>> = {};
for (const run of runs) {
  const dense = run.policies.find((p) => p.policy === 'dense') as PolicyResult;
  for (const p of run.policies) {
    const ratio = p.total_ms / dense.total_ms;
    const decodeRatio = dense.decode_ms / p.decode_ms;
    if (p.policy !== 'dense') {
      const key = `${run.model}/${run.weights}/${p.budget}`;
      ratios[key] ??= {};
      ratios[key][p.policy] = Number(decodeRatio.toFixed(2));
    }
    rows.push(`| ${run.model} | ${run.weights} | ${p.policy} | ${p.budget ?? '–'} | ${run.prefill_ms} | ${p.decode_ms_per_token} | ${p.decode_ms} | ${p.total_ms} | ${ratio.toFixed(2)} | ${run.peak_rss_mb} |`);
  }
}
log('');
for (const row of rows) log(row);
log('');
log('decode speed-up over dense (dense decode ms / policy decode ms):');
for (const [key, row] of Object.entries(ratios)) log(`  ${key}: ${Object.entries(row).map(([k, v]) => `${k} ${v}x`).join(', ')}`);
for (const s of skipped) log(`not run: ${s.model} ${s.weights}: ${s.reason}`);

if (values.json) {
  console.log(
    JSON.stringify({
      prompt_tokens: promptTokens,
      decode_tokens: decodeTokens,
      budgets,
      threads: Number(values.threads),
      runs,
      decode_speedup_vs_dense: ratios,
      skipped,
    }),
  );
}
