/**
 * `npm run bench:fidelity`: what sparse decode attention costs in quality on the REAL trained
 * model (Gemma 3 270M, the GGUF file `npm run models:install -- gemma-3-270m` installs), on long
 * real text (the Octave and gnuplot manuals of the QA corpus, read with pdf.js as Folio reads PDFs).
 *
 * For each context length (default 4K, 8K, 16K, 32K; `--contexts`) and each policy (dense,
 * TidalDecode, TidalDecode re-selecting at layer 11, Quest, TokenSelect, StreamingLLM; budget
 * `--budget`, default 2048):
 * - perplexity of the next `--ppl-tokens` (256) tokens of the manual after the context, teacher
 *   forced one token at a time through `model.step` with the policy, so the positions the policy
 *   selects are what is measured; along the same steps, top-1 agreement and mean KL(dense ‖ policy);
 * - passkey retrieval: "The pass key is NNNNNN. Remember it." planted at `--depths` (10) depths of
 *   the context, the prompt ending "What is the pass key? The pass key is"; greedy decoding of
 *   `--passkey-tokens` (8) tokens; a hit when the key's digits appear in the continuation;
 * - decode ms/token (mean over the teacher-forced steps) and its ratio to dense, prefill time,
 *   the share of a dense decode step spent in the final graph (last layer's MLP, final norm and
 *   the 262,144-word output projection), peak RSS.
 * One dense prefill per (context, depth) is shared by every policy: each policy decodes from the
 * prefilled cache and the cache is truncated back (KvCache.truncate); policies keep their own
 * state (Quest's page bounds are built lazily from the cache, TokenSelect's selection cache), so
 * a fresh instance per run needs nothing from prefill.
 *
 * When llama-cpp-python is installed (`npm run models:install -- llama-cpp`, .models/pip/llama-cpp)
 * llama.cpp's dense decode tokens/s on the same contexts (2 threads) is measured too
 * (scripts/llama-cpp-decode-bench.py) and Folio's dense and TidalDecode speed compared with it.
 *
 * Gemma 3 270M: 18 layers, of which 5, 11 and 17 are global and the rest a 512-position sliding
 * window, so a sparse policy changes only those three layers. TidalDecode's default selection
 * layer 2 is a window layer (dense), so on this model it selects at its re-selection layer 5
 * (round(18·9/32)) and layers 11 and 17 read those positions: the default is already "without
 * re-selection"; the variant `tidaldecode_reselect11` re-selects at layer 11.
 *
 * `--weights` picks the Linear weights' format (default: the file's own quantised blocks, 'gguf';
 * `fp32` multiplies the dequantised values). Every policy runs on the same weights.
 *
 * Times are wall clock on a shared machine; fidelity numbers do not depend on load.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadLlmModel } from '../lib/llm/load-model.ts';
import { openPdf } from '../lib/pdf/open.ts';
import type { LlmSession } from '../models/llm/model.ts';
import { type AttentionPolicy, createPolicy, DensePolicy, TidalDecodePolicy } from '../models/llm/policies/index.ts';
import { WEIGHT_FORMATS, type WeightFormat } from '../models/llm/quantize.ts';
import { argmax, klDivergence } from '../models/llm/sampling.ts';

const root = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: process.env.FOLIO_LLM_FILE ?? join(root, '.models', 'gemma-3-270m', 'gemma-3-270m-q4_k_m.gguf') },
    contexts: { type: 'string', default: '4096,8192,16384,32768' },
    budget: { type: 'string', default: '2048' },
    depths: { type: 'string', default: '10' },
    'ppl-tokens': { type: 'string', default: '256' },
    'passkey-tokens': { type: 'string', default: '8' },
    threads: { type: 'string', default: '2' },
    weights: { type: 'string' },
    seed: { type: 'string', default: '1' },
    'no-llama-cpp': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const contexts = values.contexts.split(',').map(Number);
const budget = Number(values.budget);
const depthCount = Math.max(1, Number(values.depths));
const pplTokens = Number(values['ppl-tokens']);
const passkeyTokens = Number(values['passkey-tokens']);
const threads = Number(values.threads);
const log = (line: string) => (values.json ? console.error(line) : console.log(line));
const wallStart = performance.now();

let seed = Number(values.seed) >>> 0;
const random = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
};

// --- Text: the manuals, page by page, until there is enough for the longest context.
const maxContext = Math.max(...contexts);
async function manualText(charsWanted: number): Promise<string> {
  const parts: string[] = [];
  let chars = 0;
  for (const name of ['octave.pdf', 'gnuplot.pdf']) {
    const file = join('/work/shared/corpus/qa/pdfs', name);
    const doc = await openPdf(new Uint8Array(readFileSync(file)), { maxPages: 100_000 });
    try {
      // Skip the title pages and the table of contents (dot leaders, page numbers).
      for (let p = Math.min(20, doc.numPages); p <= doc.numPages && chars < charsWanted; p++) {
        const page = await doc.getPage(p);
        const content = await page.getTextContent();
        const text = content.items
          .map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : ''))
          .join('')
          .replace(/[ \t]+/g, ' ');
        page.cleanup();
        parts.push(text);
        chars += text.length;
      }
    } finally {
      await doc.destroy();
    }
    if (chars >= charsWanted) break;
  }
  return parts.join('\n');
}

log(`loading ${values.model}…`);
let t0 = performance.now();
if (values.weights !== undefined && !(WEIGHT_FORMATS as readonly string[]).includes(values.weights)) throw new Error(`--weights must be one of ${WEIGHT_FORMATS.join(', ')}`);
const model = await loadLlmModel(values.model, { threads, weights: values.weights as WeightFormat | undefined });
const tokenizer = model.tokenizer;
if (!tokenizer) throw new Error('The model has no tokenizer');
log(`  loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s; weights: ${model.weightFormat}; decode attention: ${model.attentionKernel}`);
t0 = performance.now();
const text = await manualText((maxContext + pplTokens + 1024) * 5);
const ids = tokenizer.encode(text); // with BOS
log(`  ${text.length} characters of manual text, ${ids.length} tokens (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
if (ids.length < maxContext + pplTokens + 1) throw new Error(`Only ${ids.length} tokens of text for a ${maxContext}-token context`);

// The time of the final graph (last layer's MLP, final norm, output projection) inside a step.
let logitsMs = 0;
const graphs = model.graphs;
const logitsGraph = graphs.logits.bind(graphs);
graphs.logits = async (attn, hidden, rows) => {
  const t = performance.now();
  const out = await logitsGraph(attn, hidden, rows);
  logitsMs += performance.now() - t;
  return out;
};

const shape = model.shape;
const variants: { name: string; make: () => AttentionPolicy }[] = [
  { name: 'dense', make: () => new DensePolicy() },
  { name: 'tidaldecode', make: () => createPolicy('tidaldecode', shape, { budget }) },
  { name: 'tidaldecode_reselect11', make: () => new TidalDecodePolicy(shape, { budget, selectionLayer: 5, reselectionLayer: 11 }) },
  { name: 'quest', make: () => createPolicy('quest', shape, { budget }) },
  { name: 'tokenselect', make: () => createPolicy('tokenselect', shape, { budget }) },
  { name: 'streaming', make: () => createPolicy('streaming', shape, { budget }) },
];

function logSoftmaxAt(logits: Float32Array, id: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  return logits[id] - max - Math.log(sum);
}

function rewind(session: LlmSession, length: number): void {
  session.cache.truncate(length);
  session.tokens.length = length;
}

interface PolicyPpl {
  ppl: number;
  msPerToken: number;
  top1: number;
  kl: number;
}

const perplexity: Record<string, Record<string, PolicyPpl>> = {};
const prefillMs: Record<string, number[]> = {};
const passkey: Record<string, Record<string, boolean[]>> = {};
const passkeyDepths: Record<string, number[]> = {};
const outputLayerShare: Record<string, number> = {};

const keyPrompt = tokenizer.encode('\nWhat is the pass key? The pass key is', { addSpecialTokens: false });
const bos = ids[0];
const hay = ids.slice(1);

for (const context of contexts) {
  // Perplexity, agreement and speed on the manual's own continuation.
  const session = model.newSession(context + Math.max(pplTokens, passkeyTokens) + 4);
  t0 = performance.now();
  let first = await model.prefill(session, ids.slice(0, context));
  prefillMs[context] = [Math.round(performance.now() - t0)];
  log(`${context}: prefill ${(prefillMs[context][0] / 1000).toFixed(1)} s (load average ${loadavg()[0].toFixed(1)})`);
  const target = ids.slice(context, context + pplTokens);
  let denseLogits: Float32Array[] = [];
  perplexity[context] = {};
  for (const variant of variants) {
    const policy = variant.make();
    let logits = first;
    let nll = 0;
    let agree = 0;
    let kl = 0;
    const kept: Float32Array[] = [];
    let stepMs = 0;
    logitsMs = 0;
    for (let i = 0; i < target.length; i++) {
      nll -= logSoftmaxAt(logits, target[i]);
      if (variant.name === 'dense') kept.push(logits);
      else if (i > 0) {
        // index 0 is the prefill's output, the same for every policy
        if (argmax(logits) === argmax(denseLogits[i])) agree++;
        kl += klDivergence(denseLogits[i], logits);
      }
      if (i === target.length - 1) break;
      const t = performance.now();
      logits = await model.step(session, target[i], policy);
      stepMs += performance.now() - t;
    }
    const steps = target.length - 1;
    if (variant.name === 'dense') {
      denseLogits = kept;
      outputLayerShare[context] = Number((logitsMs / stepMs).toFixed(3));
    }
    rewind(session, context);
    perplexity[context][variant.name] = {
      ppl: Number(Math.exp(nll / target.length).toFixed(3)),
      msPerToken: Number((stepMs / steps).toFixed(1)),
      top1: variant.name === 'dense' ? 1 : Number((agree / steps).toFixed(3)),
      kl: variant.name === 'dense' ? 0 : Number((kl / steps).toExponential(3)),
    };
    const r = perplexity[context][variant.name];
    log(`  ${variant.name.padEnd(24)} ppl ${r.ppl.toFixed(3)}  top-1 ${r.top1.toFixed(3)}  KL ${r.kl}  ${r.msPerToken} ms/token`);
  }
  denseLogits = [];
  log(`  final graph (last MLP + norm + 262,144-word projection): ${(outputLayerShare[context] * 100).toFixed(1)}% of a dense decode step`);
  first = new Float32Array(0);

  // Passkey retrieval: one prefill per depth, shared by the policies.
  passkey[context] = Object.fromEntries(variants.map((v) => [v.name, [] as boolean[]]));
  passkeyDepths[context] = [];
  for (let d = 0; d < depthCount; d++) {
    const depth = depthCount === 1 ? 0.5 : d / (depthCount - 1);
    const key = String(100000 + Math.floor(random() * 900000));
    const needle = tokenizer.encode(`\nThe pass key is ${key}. Remember it. ${key} is the pass key.\n`, { addSpecialTokens: false });
    const fill = context - 1 - needle.length - keyPrompt.length;
    const at = Math.round(depth * fill);
    const prompt = [bos, ...hay.slice(0, at), ...needle, ...hay.slice(at, fill), ...keyPrompt];
    rewind(session, 0);
    t0 = performance.now();
    const last = await model.prefill(session, prompt);
    prefillMs[context].push(Math.round(performance.now() - t0));
    passkeyDepths[context].push(Number(depth.toFixed(3)));
    const line: string[] = [];
    for (const variant of variants) {
      const policy = variant.make();
      const out: number[] = [];
      let logits = last;
      for (let i = 0; i < passkeyTokens; i++) {
        const id = argmax(logits);
        out.push(id);
        if (i < passkeyTokens - 1) logits = await model.step(session, id, policy);
      }
      rewind(session, prompt.length);
      const reply = tokenizer.decode(out, { skipSpecialTokens: true });
      const hit = reply.replace(/\D/g, '').includes(key);
      passkey[context][variant.name].push(hit);
      line.push(`${variant.name}:${hit ? 'ok' : `miss(${JSON.stringify(reply.trim().slice(0, 16))})`}`);
    }
    log(`  passkey ${key} at depth ${depth.toFixed(2)} (position ${at + 1}): ${line.join(' ')}`);
  }
}

// --- llama.cpp dense decode at the same contexts, when llama-cpp-python is installed.
const llamaPath = join(root, '.models', 'pip', 'llama-cpp');
let llamaCpp: Record<string, { prefill_ms: number; decode_ms_per_token: number; tokens_per_s: number }> | null = null;
if (!values['no-llama-cpp'] && existsSync(join(llamaPath, 'llama_cpp'))) {
  const dir = mkdtempSync(join(tmpdir(), 'folio-fidelity-'));
  try {
    llamaCpp = {};
    for (const context of contexts) {
      writeFileSync(join(dir, 'request.json'), JSON.stringify({ context: ids.slice(0, context), decode: ids.slice(context, context + 64), threads }));
      let out: Buffer;
      try {
        out = execFileSync('python3', [join(root, 'scripts', 'llama-cpp-decode-bench.py'), values.model, join(dir, 'request.json')], {
          env: { ...process.env, PYTHONPATH: llamaPath },
          stdio: ['ignore', 'pipe', 'inherit'],
          maxBuffer: 1 << 24,
        });
      } catch (error) {
        // A failed or killed baseline must not lose the fidelity results above.
        log(`llama.cpp ${context}: failed (${(error as Error).message.split('\n')[0]}); skipped`);
        continue;
      }
      const r = JSON.parse(out.toString()) as { prefill_ms: number; decode_ms_per_token: number };
      llamaCpp[context] = { prefill_ms: Math.round(r.prefill_ms), decode_ms_per_token: Number(r.decode_ms_per_token.toFixed(2)), tokens_per_s: Number((1000 / r.decode_ms_per_token).toFixed(1)) };
      log(`llama.cpp ${context}: prefill ${(r.prefill_ms / 1000).toFixed(1)} s, dense decode ${r.decode_ms_per_token.toFixed(1)} ms/token`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else log('llama.cpp: llama-cpp-python not installed (npm run models:install -- llama-cpp); skipped');

await model.release();

const accuracy: Record<string, Record<string, number>> = {};
const speedVsDense: Record<string, Record<string, number>> = {};
const vsLlama: Record<string, Record<string, number>> = {};
log('\ncontext policy                     ppl   Δppl%  top-1   mean KL    passkey  ms/token  ×dense');
for (const context of contexts) {
  accuracy[context] = {};
  speedVsDense[context] = {};
  const dense = perplexity[context].dense;
  for (const variant of variants) {
    const r = perplexity[context][variant.name];
    const hits = passkey[context][variant.name];
    accuracy[context][variant.name] = Number((hits.filter(Boolean).length / hits.length).toFixed(3));
    speedVsDense[context][variant.name] = Number((dense.msPerToken / r.msPerToken).toFixed(2));
    log(
      `${String(context).padEnd(7)} ${variant.name.padEnd(24)} ${r.ppl.toFixed(3).padStart(8)} ${(((r.ppl - dense.ppl) / dense.ppl) * 100).toFixed(2).padStart(6)} ${r.top1.toFixed(3).padStart(6)} ${String(r.kl).padStart(10)}  ${hits.filter(Boolean).length}/${hits.length}`.padEnd(80) +
        `${String(r.msPerToken).padStart(8)} ${speedVsDense[context][variant.name].toFixed(2).padStart(6)}`,
    );
  }
  if (llamaCpp?.[context]) {
    vsLlama[context] = {};
    for (const variant of variants) vsLlama[context][variant.name] = Number((llamaCpp[context].decode_ms_per_token / perplexity[context][variant.name].msPerToken).toFixed(2));
  }
}
const peakRssMb = Math.round((process.resourceUsage().maxRSS * 1024) / 2 ** 20);
const wallS = Math.round((performance.now() - wallStart) / 1000);
log(`peak RSS ${peakRssMb} MB; wall ${wallS} s`);

const summary = {
  model: values.model.split('/').pop(),
  text: 'octave.pdf (+ gnuplot.pdf) from page 20, pdf.js text',
  budget,
  attention_kernel: model.attentionKernel,
  weights: model.weightFormat,
  ppl_tokens: pplTokens,
  passkey_tokens: passkeyTokens,
  passkey_depths: passkeyDepths,
  perplexity: Object.fromEntries(contexts.map((c) => [c, Object.fromEntries(variants.map((v) => [v.name, perplexity[c][v.name].ppl]))])),
  top1_agreement_vs_dense: Object.fromEntries(contexts.map((c) => [c, Object.fromEntries(variants.slice(1).map((v) => [v.name, perplexity[c][v.name].top1]))])),
  mean_kl_vs_dense: Object.fromEntries(contexts.map((c) => [c, Object.fromEntries(variants.slice(1).map((v) => [v.name, perplexity[c][v.name].kl]))])),
  passkey_accuracy: accuracy,
  passkey_hits: passkey,
  decode_ms_per_token: Object.fromEntries(contexts.map((c) => [c, Object.fromEntries(variants.map((v) => [v.name, perplexity[c][v.name].msPerToken]))])),
  speedup_vs_dense: speedVsDense,
  llama_cpp_dense: llamaCpp,
  speed_vs_llama_cpp: llamaCpp ? vsLlama : null,
  output_graph_share_of_dense_step: outputLayerShare,
  prefill_ms: prefillMs,
  peak_rss_mb: peakRssMb,
  wall_s: wallS,
  timings: `wall clock; 1-minute load average at the end ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores (the bench itself keeps 2 busy)`,
};
if (values.json) console.log(JSON.stringify(summary));
