/**
 * The LLM runtime: ONNX graphs + Folio's KV cache + attention policies, checked
 * against the plain-TypeScript reference forward pass on tiny random checkpoints of each
 * architecture's config features; sparse policies against dense; sampling, stop ids, streaming,
 * cancellation and multi-turn cache reuse.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../lib/config.ts';
import { loadLlmModel } from '../../lib/llm/load-model.ts';
import { AttentionScratch, attendDecode, type Selection } from '../../models/llm/attention.ts';
import { parseLlmConfig } from '../../models/llm/config.ts';
import { OrtDecodeAttention } from '../../models/llm/decode-attention.ts';
import { generate } from '../../models/llm/generate.ts';
import { LlmGraphs } from '../../models/llm/graphs.ts';
import { KvCache } from '../../models/llm/kv-cache.ts';
import { LlmModel } from '../../models/llm/model.ts';
import {
  type AttentionPolicy,
  createPolicy,
  DensePolicy,
  POLICY_NAMES,
  type PolicyName,
  QuestPolicy,
  TidalDecodePolicy,
  TokenSelectPolicy,
} from '../../models/llm/policies/index.ts';
import { dequantizeBlocks, quantizeBlocks } from '../../models/llm/quantize.ts';
import { referenceLogits } from '../../models/llm/reference.ts';
import { argmax, nucleus, Sampler, softmax } from '../../models/llm/sampling.ts';
import { TopK } from '../../models/llm/top-k.ts';
import type { LlmConfig } from '../../models/llm/types.ts';
import { maxAbsDiff } from '../helpers/arrays.ts';
import { randomLlmWeights, writeLlmCheckpoint } from '../helpers/llm-checkpoint.ts';

const VOCAB = 101;

/** Small configs that switch on each architecture's features. */
const CONFIGS: Record<string, Record<string, unknown>> = {
  'llama (GQA, untied head, llama3 RoPE scaling)': {
    architectures: ['LlamaForCausalLM'],
    rope_theta: 500000,
    rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8 },
  },
  'llama with attention_bias (q/k/v/o biases)': { architectures: ['LlamaForCausalLM'], attention_bias: true },
  'qwen2 (q/k/v biases, tied embeddings)': { architectures: ['Qwen2ForCausalLM'], tie_word_embeddings: true, rope_theta: 1000000 },
  'mistral (sliding window 5)': { architectures: ['MistralForCausalLM'], sliding_window: 5 },
  'qwen2 (sliding window on layer 1 only, yarn RoPE)': {
    architectures: ['Qwen2ForCausalLM'],
    use_sliding_window: true,
    sliding_window: 4,
    max_window_layers: 1,
    rope_scaling: { type: 'yarn', factor: 4, original_max_position_embeddings: 8 },
  },
};

function tinyConfig(extra: Record<string, unknown>, layers = 2): LlmConfig {
  return parseLlmConfig({
    vocab_size: VOCAB,
    hidden_size: 64,
    intermediate_size: 96,
    num_hidden_layers: layers,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-6,
    max_position_embeddings: 512,
    tie_word_embeddings: false,
    ...extra,
  });
}

function ids(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => (i * 37 + seed * 11 + 3) % VOCAB);
}

describe('LLM runtime: dense logits match the reference forward pass', () => {
  for (const [name, extra] of Object.entries(CONFIGS)) {
    it(name, async () => {
      const config = tinyConfig(extra);
      const weights = randomLlmWeights(config, 7);
      const tokens = ids(14, 1);
      const reference = referenceLogits(config, weights, tokens);
      // Chunks of 4 so prefill crosses chunk boundaries (and the sliding window).
      for (const layout of ['fused', 'split'] as const) {
        const model = await LlmModel.load({ config, weights }, { layout, prefillChunk: 4 });
        try {
          const prefilled = await model.prefill(model.newSession(), tokens, true);
          assert.ok(maxAbsDiff(prefilled, reference) <= 1e-4, `${layout} prefill: ${maxAbsDiff(prefilled, reference)}`);
          // Decode path (TypeScript attention over the cache): prefill 3, then one token at a time.
          const session = model.newSession();
          await model.prefill(session, tokens.slice(0, 3));
          for (let i = 3; i < tokens.length; i++) {
            const logits = await model.step(session, tokens[i], new DensePolicy());
            const row = reference.subarray(i * VOCAB, (i + 1) * VOCAB);
            assert.ok(maxAbsDiff(logits, row) <= 1e-4, `${layout} decode at ${i}: ${maxAbsDiff(logits, row)}`);
          }
        } finally {
          await model.release();
        }
      }
    });
  }
});

describe('LLM runtime: scoring continuations from a shared prefill', () => {
  it('prefillFrom returns the rows of the reference from a position on, and a rewound session branches exactly', async () => {
    const config = tinyConfig(CONFIGS['qwen2 (q/k/v biases, tied embeddings)']);
    const weights = randomLlmWeights(config, 5);
    const prefix = ids(6, 2);
    const a = ids(5, 3);
    const b = ids(3, 4);
    const model = await LlmModel.load({ config, weights }, { prefillChunk: 4 });
    try {
      const session = model.newSession();
      await model.prefill(session, prefix);
      const base = session.cache.length;
      for (const continuation of [a, b, a]) {
        // Rows from the prefix's last token on: crossing a chunk boundary (chunks of 4).
        const logits = await model.prefillFrom(session, continuation, 1);
        const reference = referenceLogits(config, weights, [...prefix, ...continuation]).subarray((prefix.length + 1) * VOCAB);
        assert.equal(logits.length, (continuation.length - 1) * VOCAB);
        assert.ok(maxAbsDiff(logits, reference) <= 1e-4, `continuation of ${continuation.length}: ${maxAbsDiff(logits, reference)}`);
        session.rewind(base);
        assert.equal(session.cache.length, prefix.length);
        assert.deepEqual(session.tokens, prefix);
      }
      await assert.rejects(model.prefillFrom(session, a, a.length), /Logits from position/);
    } finally {
      await model.release();
    }
  });
});

describe('LLM runtime: quantised weights (MatMulNBits)', () => {
  it('block codes round-trip within half a step, a partial last block included', () => {
    const n = 3;
    const k = 40; // one full block of 32 and a partial one of 8
    const w = new Float32Array(n * k).map((_, i) => Math.sin(i * 1.7) * (1 + (i % 5)));
    for (const bits of [4, 8] as const) {
      const q = quantizeBlocks(w, n, k, bits);
      assert.equal(q.packed.length, n * 2 * ((32 * bits) / 8));
      const back = dequantizeBlocks(q);
      for (let i = 0; i < w.length; i++) {
        const scale = q.scales[Math.floor(i / k) * 2 + Math.floor((i % k) / 32)];
        assert.ok(Math.abs(back[i] - w[i]) <= scale / 2 + 1e-6, `${bits} bits, value ${i}: ${w[i]} → ${back[i]}`);
      }
    }
    const err = (bits: 4 | 8) => maxAbsDiff(dequantizeBlocks(quantizeBlocks(w, n, k, bits)), w);
    assert.ok(err(8) < err(4) / 8, `int8 error ${err(8)} vs int4 ${err(4)}`);
    // One partial block of 40 in a block of 128: padded with the zero point, same bound.
    const wide = quantizeBlocks(w, n, k, 4, 128);
    assert.equal(wide.packed.length, n * 64);
    const back = dequantizeBlocks(wide);
    for (let i = 0; i < w.length; i++) assert.ok(Math.abs(back[i] - w[i]) <= wide.scales[Math.floor(i / k)] / 2 + 1e-6);
  });

  it("FOLIO_LLM_WEIGHTS: unset or auto leaves the choice to the checkpoint, fp32/int8/int4/gguf accepted, anything else refused by name", () => {
    assert.equal(loadConfig({}).llm.weights, undefined);
    assert.equal(loadConfig({ FOLIO_LLM_WEIGHTS: 'auto' }).llm.weights, undefined);
    assert.equal(loadConfig({ FOLIO_LLM_WEIGHTS: 'gguf' }).llm.weights, 'gguf');
    assert.equal(loadConfig({ FOLIO_LLM_WEIGHTS: 'INT4' }).llm.weights, 'int4');
    assert.throws(() => loadConfig({ FOLIO_LLM_WEIGHTS: 'q4_k' }), /FOLIO_LLM_WEIGHTS must be one of auto, fp32, int8, int4, gguf/);
    assert.equal(loadConfig({}).llm.weightBlock, 32);
    assert.equal(loadConfig({ FOLIO_LLM_WEIGHT_BLOCK: '128' }).llm.weightBlock, 128);
    assert.throws(() => loadConfig({ FOLIO_LLM_WEIGHT_BLOCK: '100' }), /FOLIO_LLM_WEIGHT_BLOCK must be a power of two/);
  });

  it('FOLIO_LLM_ATTENTION: auto (the model picks) by default, native or ort by name, anything else refused', () => {
    assert.equal(loadConfig({}).llm.attention, undefined);
    assert.equal(loadConfig({ FOLIO_LLM_ATTENTION: 'auto' }).llm.attention, undefined);
    assert.equal(loadConfig({ FOLIO_LLM_ATTENTION: 'ORT' }).llm.attention, 'ort');
    assert.equal(loadConfig({ FOLIO_LLM_ATTENTION: 'native' }).llm.attention, 'native');
    assert.throws(() => loadConfig({ FOLIO_LLM_ATTENTION: 'gpu' }), /FOLIO_LLM_ATTENTION must be one of auto, native, ort/);
  });

  it('graphs with int8 and int4 weights compute the reference forward pass of the weights they stand for', async () => {
    for (const [name, extra] of Object.entries(CONFIGS).slice(0, 3)) {
      const config = tinyConfig(extra);
      const weights = randomLlmWeights(config, 5);
      const tokens = ids(10, 2);
      for (const [format, block] of [['int8', 32], ['int4', 32], ['int4', 64]] as const) {
        const bits = format === 'int8' ? 8 : 4;
        // The checkpoint as MatMulNBits sees it: every Linear weight through its block codes.
        // A tied head is quantised while the embedding lookup stays fp32: untie them for the reference.
        const seen = new Map(weights);
        const head = config.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
        for (const [key, t] of weights) {
          const through = () => dequantizeBlocks(quantizeBlocks(t.data, t.shape[0], t.shape[1], bits, block));
          if (key.endsWith('_proj.weight')) seen.set(key, { shape: t.shape, data: through() });
          if (key === head) seen.set('lm_head.weight', { shape: t.shape, data: through() });
        }
        const reference = referenceLogits({ ...config, tieWordEmbeddings: false }, seen, tokens);
        const exact = await LlmModel.load({ config, weights }, { weights: format, accuracyLevel: 1, weightBlock: block });
        const fast = await LlmModel.load({ config, weights }, { weights: format, weightBlock: block });
        try {
          const got = await exact.prefill(exact.newSession(), tokens, true);
          assert.ok(maxAbsDiff(got, reference) <= 1e-4, `${name} ${format}/${block}, fp32 arithmetic: ${maxAbsDiff(got, reference)}`);
          // Accuracy level 4 also quantises the activations to int8 per block: close, not exact.
          const approx = await fast.prefill(fast.newSession(), tokens, true);
          const range = reference.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
          assert.ok(maxAbsDiff(approx, reference) <= 0.05 * range, `${name} ${format}, int8 arithmetic: ${maxAbsDiff(approx, reference)} of ${range}`);
        } finally {
          await exact.release();
          await fast.release();
        }
      }
    }
  });

  it("'gguf' weights multiply each tensor's own blocks; mixed formats run side by side; the default follows the checkpoint", async () => {
    const config = tinyConfig(CONFIGS['qwen2 (q/k/v biases, tied embeddings)']);
    const plain = randomLlmWeights(config, 9);
    // A checkpoint as a GGUF file gives it: Linear weights with blocks, their values what the
    // blocks stand for. Value projections in 4 bits, the rest in 8 (block 16 on the MLP's down
    // projection, as Q6_K repacks), so q/k/v cannot share one product.
    const weights = new Map(plain);
    for (const [key, t] of plain) {
      if (!key.endsWith('_proj.weight') && key !== 'model.embed_tokens.weight') continue;
      const blocks = quantizeBlocks(t.data, t.shape[0], t.shape[1], key.includes('v_proj') ? 4 : 8, key.includes('down_proj') ? 16 : 32);
      weights.set(key, { shape: t.shape, data: dequantizeBlocks(blocks), blocks });
    }
    const tokens = ids(10, 4);
    const reference = referenceLogits(config, weights, tokens);
    const exact = await LlmModel.load({ config, weights }, { weights: 'gguf', accuracyLevel: 1 });
    const byDefault = await LlmModel.load({ config, weights });
    try {
      assert.equal(byDefault.weightFormat, 'gguf');
      const got = await exact.prefill(exact.newSession(), tokens, true);
      assert.ok(maxAbsDiff(got, reference) <= 1e-4, `fp32 arithmetic on the blocks: ${maxAbsDiff(got, reference)}`);
      const approx = await byDefault.prefill(byDefault.newSession(), tokens, true);
      const range = reference.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      assert.ok(maxAbsDiff(approx, reference) <= 0.05 * range, `int8 arithmetic: ${maxAbsDiff(approx, reference)} of ${range}`);
    } finally {
      await exact.release();
      await byDefault.release();
    }
    const fp32 = await LlmModel.load({ config, weights: plain });
    assert.equal(fp32.weightFormat, 'fp32');
    await fp32.release();
    await assert.rejects(LlmModel.load({ config, weights: plain }, { weights: 'gguf' }), /needs a GGUF checkpoint with quantised tensors/);
  });
});

describe('LLM runtime: attention policies', () => {
  const config = tinyConfig({ architectures: ['LlamaForCausalLM'] }, 6);
  const weights = randomLlmWeights(config, 11);
  let model: LlmModel;
  before(async () => {
    model = await LlmModel.load({ config, weights });
  });
  after(async () => {
    await model.release();
  });

  const prompt = ids(40, 2);
  const sparse = POLICY_NAMES.filter((p) => p !== 'dense');

  async function run(policy: AttentionPolicy, steps = 6) {
    return generate(model, prompt, { policy, maxNewTokens: steps, stop: [] });
  }

  async function stepLogits(policy: AttentionPolicy, feed: number[]): Promise<Float32Array[]> {
    const session = model.newSession();
    let logits = await model.prefill(session, prompt);
    const out = [logits];
    for (const id of feed) {
      logits = await model.step(session, id, policy);
      out.push(logits);
    }
    return out;
  }

  for (const name of sparse) {
    it(`${name} with a budget ≥ the context gives exactly the dense result`, async () => {
      const dense = await run(new DensePolicy());
      const policy = createPolicy(name, model.shape, { budget: prompt.length + 10, quest: { pageSize: 4 } });
      const result = await run(policy);
      assert.deepEqual(result.tokens, dense.tokens);
      const feed = dense.tokens.slice(0, 5);
      const a = await stepLogits(new DensePolicy(), feed);
      const b = await stepLogits(createPolicy(name, model.shape, { budget: prompt.length + 10, quest: { pageSize: 4 } }), feed);
      for (let i = 0; i < a.length; i++) assert.deepEqual(b[i], a[i]);
      for (const step of result.ledger.steps) for (const n of step.attended) assert.equal(n, step.position + 1);
    });

    it(`${name} with a small budget stays inside it, deterministically, and differs from dense`, async () => {
      const budget = 16;
      const first = await run(createPolicy(name, model.shape, { budget, quest: { pageSize: 4 } }));
      const second = await run(createPolicy(name, model.shape, { budget, quest: { pageSize: 4 } }));
      assert.deepEqual(first.tokens, second.tokens);
      assert.deepEqual(first.ledger.steps, second.ledger.steps);
      const feed = first.tokens.slice(0, 4);
      const dense = await stepLogits(new DensePolicy(), feed);
      const sparseLogits = await stepLogits(createPolicy(name, model.shape, { budget, quest: { pageSize: 4 } }), feed);
      assert.ok(maxAbsDiff(dense[1], sparseLogits[1]) > 1e-6, 'a 16-of-41 budget should change the logits');
      for (const step of first.ledger.steps) {
        assert.equal(step.attended.length, config.numLayers);
        for (const n of step.attended) assert.ok(n >= 1 && n <= step.position + 1);
      }
    });
  }

  it('every policy picks ascending positions in range, the newest included, within budget', async () => {
    const cache = new KvCache(config.numLayers, config.numKvHeads, config.headDim, 64);
    const data = new Float32Array(config.numKvHeads * 40 * config.headDim).map((_, i) => Math.sin(i * 0.37));
    for (let l = 0; l < config.numLayers; l++) cache.write(l, data, data, 40);
    cache.commit(40);
    const q = new Float32Array(config.numHeads * config.headDim).map((_, i) => Math.cos(i * 0.11));
    for (const [name, lo] of sparse.flatMap((p) => [[p, 0] as const, [p, 10] as const])) {
      const policy = createPolicy(name, model.shape, { budget: 12, quest: { pageSize: 4 } });
      policy.beginStep(40);
      for (let layer = 0; layer < config.numLayers; layer++) {
        const selection = await policy.select({ layer, q, kv: cache.layers[layer], capacity: cache.capacity, length: 40, lo });
        const lists: Int32Array[] =
          selection.kind === 'range'
            ? [Int32Array.from({ length: 40 - selection.lo }, (_, i) => selection.lo + i)]
            : selection.kind === 'shared'
              ? [selection.positions.subarray(0, selection.count)]
              : selection.positions.map((p, g) => p.subarray(0, selection.counts[g]));
        for (const list of lists) {
          assert.equal(list[list.length - 1], 39, `${name} layer ${layer} keeps the newest position`);
          for (let i = 1; i < list.length; i++) assert.ok(list[i] > list[i - 1], `${name} layer ${layer} ascending`);
          assert.ok(list[0] >= lo, `${name} layer ${layer} stays in the window`);
          if (selection.kind !== 'range') assert.ok(list.length <= 12, `${name} layer ${layer}: ${list.length} > budget`);
        }
        const scratch = new AttentionScratch(model.shape);
        scratch.ensure(40);
        attendDecode(q, cache.layers[layer], cache.capacity, 40, selection, new Float32Array(q.length), scratch, policy.observer(layer));
      }
    }
  });

  it('TidalDecode: dense layers before selection, exactly `budget` positions after, selections in the ledger', async () => {
    const budget = 10;
    const policy = new TidalDecodePolicy(model.shape, { budget });
    // 6 layers: selection at 2, re-selection at round(6·9/32) = 2 → none; make it explicit.
    const withReselection = new TidalDecodePolicy(model.shape, { budget, reselectionLayer: 4 });
    assert.deepEqual(policy.selectionLayers, [2]);
    assert.deepEqual(withReselection.selectionLayers, [2, 4]);
    // A re-selection layer right after the selection layer (12 layers: 3 after 2) would leave
    // the first selection unused: one selection, at 3, with layers 0–2 dense.
    assert.deepEqual(new TidalDecodePolicy({ ...model.shape, numLayers: 12 }, { budget }).selectionLayers, [3]);
    const adjacent = await run(new TidalDecodePolicy(model.shape, { budget, reselectionLayer: 3 }), 3);
    for (const step of adjacent.ledger.steps) {
      const context = step.position + 1;
      assert.deepEqual(Array.from(step.attended), [context, context, context, context, budget, budget]);
      assert.deepEqual(
        step.selections.map((s) => s.layer),
        [3],
      );
    }
    const result = await run(withReselection, 4);
    for (const step of result.ledger.steps) {
      const context = step.position + 1;
      assert.deepEqual(Array.from(step.attended), [context, context, context, budget, context, budget]);
      assert.deepEqual(
        step.selections.map((s) => s.layer),
        [2, 4],
      );
      for (const s of step.selections) {
        assert.equal(s.positions.length, budget);
        assert.equal(s.positions[budget - 1], step.position);
      }
    }
  });

  it('TidalDecode picks the positions with the highest logits summed over heads', async () => {
    const shape = { numLayers: 3, numHeads: 2, numKvHeads: 1, headDim: 4 };
    const cache = new KvCache(3, 1, 4, 16);
    // Keys: position j points along e0 with strength key[j]; q = e0 for both heads.
    const strength = [0.1, 3, 0.2, 5, 0.3, 4, 0.1, 0.2, 0.05, 1];
    const keys = new Float32Array(10 * 4);
    strength.forEach((s, j) => {
      keys[j * 4] = s;
    });
    for (let l = 0; l < 3; l++) cache.write(l, keys, keys, 10);
    cache.commit(10);
    const q = Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0);
    const policy = new TidalDecodePolicy(shape, { budget: 4, selectionLayer: 1, reselectionLayer: null });
    policy.beginStep(10);
    const scratch = new AttentionScratch(shape);
    const out = new Float32Array(8);
    for (let layer = 0; layer < 3; layer++) {
      const selection = await policy.select({ layer, q, kv: cache.layers[layer], capacity: cache.capacity, length: 10, lo: 0 });
      if (layer < 2) assert.equal(selection.kind, 'range');
      else assert.deepEqual(selection.kind === 'shared' ? Array.from(selection.positions.subarray(0, selection.count)) : null, [1, 3, 5, 9]);
      attendDecode(q, cache.layers[layer], cache.capacity, 10, selection, out, scratch, policy.observer(layer));
    }
  });

  it('TokenSelect: selection cache off at threshold 1, always reused at −1', async () => {
    const off = new TokenSelectPolicy(model.shape, { budget: 16, nInit: 2, nLocal: 4, threshold: 1 });
    await run(off, 4);
    assert.equal(off.hits, 0);
    assert.equal(off.misses, 3 * config.numLayers);
    const always = new TokenSelectPolicy(model.shape, { budget: 16, nInit: 2, nLocal: 4, threshold: -1 });
    const result = await run(always, 4);
    assert.equal(always.misses, config.numLayers);
    assert.equal(always.hits, 2 * config.numLayers);
    for (const step of result.ledger.steps) for (const n of step.attended) assert.ok(n <= 16);
  });

  it("Quest's page-score graph equals Σ_h Σ_c max(q·min, q·max) for pages [from, to) of every KV head", async () => {
    const { numHeads: H, numKvHeads: Hkv, headDim: d } = config;
    const g = H / Hkv;
    const pagesCapacity = 9;
    const min = new Float32Array(Hkv * pagesCapacity * d).map((_, i) => Math.sin(i * 0.37) - 0.5);
    const max = min.map((x, i) => x + Math.abs(Math.cos(i * 0.11)));
    const q = new Float32Array(H * d).map((_, i) => Math.sin(i * 1.3));
    const [from, to] = [2, 7];
    const scores = await model.graphs.pageScores(q, min, max, pagesCapacity, from, to);
    assert.equal(scores.length, Hkv * (to - from));
    for (let kv = 0; kv < Hkv; kv++) {
      for (let p = from; p < to; p++) {
        let expected = 0;
        for (let h = kv * g; h < (kv + 1) * g; h++) {
          for (let c = 0; c < d; c++) {
            const at = (kv * pagesCapacity + p) * d + c;
            expected += Math.max(q[h * d + c] * min[at], q[h * d + c] * max[at]);
          }
        }
        assert.ok(Math.abs(scores[kv * (to - from) + p - from] - expected) < 1e-4, `head ${kv} page ${p}`);
      }
    }
  });

  it('TokenSelect and Quest pick the same positions scoring in TypeScript and in the ORT graphs', async () => {
    const cache = new KvCache(config.numLayers, config.numKvHeads, config.headDim, 64);
    const data = new Float32Array(config.numKvHeads * 50 * config.headDim).map((_, i) => Math.sin(i * 0.53) + Math.cos(i * 0.071));
    for (let l = 0; l < config.numLayers; l++) cache.write(l, data, data, 50);
    cache.commit(50);
    const q = new Float32Array(config.numHeads * config.headDim).map((_, i) => Math.cos(i * 0.23));
    const ops = {
      softVotes: (qa: Float32Array, keys: Float32Array, capacity: number, lo: number, hi: number) => model.graphs.softVotes(qa, keys, capacity, lo, hi),
      pageScores: (qa: Float32Array, min: Float32Array, max: Float32Array, pagesCapacity: number, from: number, to: number) => model.graphs.pageScores(qa, min, max, pagesCapacity, from, to),
    };
    const query = { layer: 1, q, kv: cache.layers[1], capacity: cache.capacity, length: 50, lo: 0 };
    const plain = await new TokenSelectPolicy(model.shape, { budget: 14, nInit: 2, nLocal: 4 }).select(query);
    const viaOrt = await new TokenSelectPolicy(model.shape, { budget: 14, nInit: 2, nLocal: 4 }).select({ ...query, ops });
    assert.equal(plain.kind, 'perKvHead');
    assert.equal(viaOrt.kind, 'perKvHead');
    if (plain.kind === 'perKvHead' && viaOrt.kind === 'perKvHead') {
      for (let g = 0; g < config.numKvHeads; g++) {
        assert.equal(plain.counts[g], 14);
        assert.deepEqual(Array.from(viaOrt.positions[g].subarray(0, viaOrt.counts[g])), Array.from(plain.positions[g].subarray(0, plain.counts[g])));
      }
    }
    const questPlain = await new QuestPolicy(model.shape, { budget: 16, pageSize: 4 }).select(query);
    const questOrt = await new QuestPolicy(model.shape, { budget: 16, pageSize: 4 }).select({ ...query, ops });
    assert.equal(questPlain.kind, 'perKvHead');
    if (questPlain.kind === 'perKvHead' && questOrt.kind === 'perKvHead') {
      for (let g = 0; g < config.numKvHeads; g++) {
        assert.equal(questPlain.counts[g], 14); // three whole pages and the newest page's 2 positions
        assert.deepEqual(Array.from(questOrt.positions[g].subarray(0, questOrt.counts[g])), Array.from(questPlain.positions[g].subarray(0, questPlain.counts[g])));
      }
    }
  });

  it('Quest reads whole pages: the newest one and those whose key bounds promise the most', async () => {
    const shape = { numLayers: 1, numHeads: 2, numKvHeads: 1, headDim: 4 };
    const cache = new KvCache(1, 1, 4, 64);
    // 40 positions, pages of 4: keys small except position 13 (page 3) and 29 (page 7).
    const keys = new Float32Array(40 * 4).map((_, i) => 0.01 * Math.sin(i));
    keys[13 * 4] = 5;
    keys[29 * 4 + 1] = 3;
    cache.write(0, keys, keys, 40);
    cache.commit(40);
    const q = Float32Array.of(1, 0.5, 0, 0, 1, 0.5, 0, 0);
    const policy = new QuestPolicy(shape, { budget: 12, pageSize: 4 });
    const selection = await policy.select({ layer: 0, q, kv: cache.layers[0], capacity: cache.capacity, length: 40, lo: 0 });
    assert.equal(selection.kind, 'perKvHead');
    if (selection.kind === 'perKvHead') {
      assert.deepEqual(Array.from(selection.positions[0].subarray(0, selection.counts[0])), [12, 13, 14, 15, 28, 29, 30, 31, 36, 37, 38, 39]);
    }
    // The next step adds position 40 (a new page): the bounds of full pages are reused.
    cache.ensure(1);
    cache.write(0, new Float32Array(4), new Float32Array(4), 1);
    cache.commit(1);
    const next = await policy.select({ layer: 0, q, kv: cache.layers[0], capacity: cache.capacity, length: 41, lo: 0 });
    if (next.kind === 'perKvHead') assert.deepEqual(Array.from(next.positions[0].subarray(0, next.counts[0])), [12, 13, 14, 15, 28, 29, 30, 31, 40]);
  });

  it('streaming keeps the sink and the most recent window', async () => {
    const policy = createPolicy('streaming', model.shape, { budget: 8, streaming: { sink: 3 } });
    const selection = await policy.select({ layer: 0, q: new Float32Array(0), kv: { keys: new Float32Array(0), values: new Float32Array(0) }, capacity: 0, length: 30, lo: 0 });
    assert.equal(selection.kind, 'shared');
    if (selection.kind === 'shared') assert.deepEqual(Array.from(selection.positions.subarray(0, selection.count)), [0, 1, 2, 25, 26, 27, 28, 29]);
  });
});

describe('LLM runtime: attention kernel and cache', () => {
  it('sparse attention over a shared set equals dense attention restricted by hand', () => {
    const shape = { numHeads: 4, numKvHeads: 2, headDim: 8 };
    const cache = new KvCache(1, 2, 8, 4); // grows while writing
    const n = 20;
    const keys = new Float32Array(2 * n * 8).map((_, i) => Math.sin(i * 1.3));
    const values = new Float32Array(2 * n * 8).map((_, i) => Math.cos(i * 0.7));
    cache.ensure(n);
    cache.write(0, keys, values, n);
    cache.commit(n);
    const q = new Float32Array(32).map((_, i) => Math.sin(i));
    const chosen = [0, 3, 4, 11, 19];
    const out = new Float32Array(32);
    const selection: Selection = { kind: 'shared', positions: Int32Array.from(chosen), count: chosen.length };
    attendDecode(q, cache.layers[0], cache.capacity, n, selection, out, new AttentionScratch(shape), undefined);
    for (let h = 0; h < 4; h++) {
      const g = Math.floor(h / 2);
      const logits = chosen.map((j) => {
        let s = 0;
        for (let c = 0; c < 8; c++) s += q[h * 8 + c] * keys[(j * 2 + g) * 8 + c]; // written token-major
        return s / Math.sqrt(8);
      });
      const p = softmax(Float32Array.from(logits));
      for (let c = 0; c < 8; c++) {
        const expected = chosen.reduce((acc, j, i) => acc + p[i] * values[(j * 2 + g) * 8 + c], 0);
        assert.ok(Math.abs(out[h * 8 + c] - expected) < 1e-5);
      }
    }
  });

  it('the onnxruntime decode attention equals the TypeScript kernel, logits included', async () => {
    const config = tinyConfig({ architectures: ['LlamaForCausalLM'] }, 1);
    const graphs = await LlmGraphs.build(config, randomLlmWeights(config, 2));
    try {
      const shape = { numHeads: config.numHeads, numKvHeads: config.numKvHeads, headDim: config.headDim };
      const d = config.headDim;
      const n = 30;
      const cache = new KvCache(1, config.numKvHeads, d, 40);
      const keys = new Float32Array(config.numKvHeads * n * d).map((_, i) => Math.sin(i * 0.61));
      const values = new Float32Array(config.numKvHeads * n * d).map((_, i) => Math.cos(i * 0.29));
      cache.write(0, keys, values, n);
      cache.commit(n);
      const q = new Float32Array(config.numHeads * d).map((_, i) => Math.sin(i * 0.17));
      const selections: Selection[] = [
        { kind: 'range', lo: 0 },
        { kind: 'range', lo: 11 },
        { kind: 'shared', positions: Int32Array.of(0, 2, 9, 17, 28, 29, 99), count: 6 },
        { kind: 'perKvHead', positions: [Int32Array.of(1, 5, 29), Int32Array.of(0, 3, 4, 20, 29)], counts: [3, 5] },
      ];
      const ort = new OrtDecodeAttention(graphs, config.numKvHeads);
      for (const selection of selections) {
        const expected = new Float32Array(q.length);
        const got = new Float32Array(q.length);
        const seen: number[][] = [[], []];
        const record =
          (which: number) =>
          (sums: Float32Array, count: number): void => {
            seen[which].push(...sums.subarray(0, count));
          };
        if (selection.kind === 'perKvHead') {
          // Logit sums over all heads need the same positions for every KV head.
          assert.throws(() => attendDecode(q, cache.layers[0], cache.capacity, n, selection, expected, new AttentionScratch(shape), record(0)), /shared by every KV head/);
          await assert.rejects(ort.attend(q, cache.layers[0], cache.capacity, n, selection, got, record(1)), /shared by every KV head/);
          attendDecode(q, cache.layers[0], cache.capacity, n, selection, expected, new AttentionScratch(shape));
          await ort.attend(q, cache.layers[0], cache.capacity, n, selection, got);
        } else {
          attendDecode(q, cache.layers[0], cache.capacity, n, selection, expected, new AttentionScratch(shape), record(0));
          await ort.attend(q, cache.layers[0], cache.capacity, n, selection, got, record(1));
          // One call per layer, one sum per attended position, summed over every query head.
          assert.equal(seen[0].length, selection.kind === 'range' ? n - selection.lo : selection.count);
          assert.equal(seen[1].length, seen[0].length);
          assert.ok(maxAbsDiff(Float32Array.from(seen[1]), Float32Array.from(seen[0])) < 1e-5);
          // Spelled out for one position: Σ over query heads h of q_h · k_j / √d, k from h's KV head.
          const i = 3;
          const j = selection.kind === 'range' ? selection.lo + i : selection.positions[i];
          let naive = 0;
          for (let h = 0; h < config.numHeads; h++) {
            const g = Math.floor(h / (config.numHeads / config.numKvHeads));
            for (let c = 0; c < d; c++) naive += (q[h * d + c] * keys[(j * config.numKvHeads + g) * d + c]) / Math.sqrt(d); // written token-major
          }
          assert.ok(Math.abs(seen[1][i] - naive) < 1e-4, `${seen[1][i]} vs ${naive}`);
        }
        assert.ok(maxAbsDiff(got, expected) < 1e-5, `${selection.kind}: ${maxAbsDiff(got, expected)}`);
        // And without an observer (the graphs without the sum row).
        const unobserved = new Float32Array(q.length);
        await ort.attend(q, cache.layers[0], cache.capacity, n, selection, unobserved);
        assert.ok(maxAbsDiff(unobserved, expected) < 1e-5, `${selection.kind} (unobserved): ${maxAbsDiff(unobserved, expected)}`);
      }
    } finally {
      await graphs.release();
    }
  });

  it('stores token-major rows head-major, keeps earlier positions when it grows, and tiles a prefix', () => {
    const cache = new KvCache(2, 2, 4, 2);
    // 3 positions × 2 KV heads × 4 channels, token-major as the graphs emit them.
    const a = Float32Array.from({ length: 3 * 2 * 4 }, (_, i) => i);
    const row = (position: number, head: number) => Array.from(a.subarray((position * 2 + head) * 4, (position * 2 + head + 1) * 4));
    cache.ensure(3);
    cache.write(0, a, a, 3);
    cache.write(1, a, a, 3);
    cache.commit(3);
    cache.ensure(10);
    assert.ok(cache.capacity >= 13);
    const head1 = cache.layers[0].keys.subarray(cache.capacity * 4, cache.capacity * 4 + 12);
    assert.deepEqual(Array.from(head1), [...row(0, 1), ...row(1, 1), ...row(2, 1)]);
    cache.tile(8);
    assert.equal(cache.length, 8);
    const k = cache.layers[1].keys;
    for (let j = 0; j < 8; j++) assert.deepEqual(Array.from(k.subarray(cache.capacity * 4 + j * 4, cache.capacity * 4 + j * 4 + 4)), row(j % 3, 1));
  });

  it('top-k matches a full sort, ties to the lower index, ascending output', () => {
    const topk = new TopK();
    const scores = Float32Array.from({ length: 500 }, (_, i) => Math.round(Math.sin(i * 7.1) * 20));
    for (const k of [0, 1, 7, 100, 499, 500, 600]) {
      const out = new Int32Array(Math.max(k, 1));
      const n = topk.select(scores, scores.length, k, out, 5);
      const expected = Array.from(scores.keys())
        .sort((a, b) => scores[b] - scores[a] || a - b)
        .slice(0, Math.min(k, 500))
        .sort((a, b) => a - b)
        .map((i) => i + 5);
      assert.deepEqual(Array.from(out.subarray(0, n)), expected);
    }
    // NaN counts as -Infinity: below every number.
    const withNaN = Float64Array.of(Number.NaN, 3, Number.NaN, -5, 1);
    const picked = new Int32Array(3);
    assert.deepEqual(Array.from(picked.subarray(0, topk.select(withNaN, 5, 3, picked))), [1, 3, 4]);
  });

  it('top-k over many scores (sampled bound, and its fallback) matches a full sort', () => {
    const topk = new TopK();
    const bySort = (scores: Float64Array, k: number) =>
      Array.from(scores.keys())
        .sort((a, b) => (Number.isNaN(scores[b]) ? -Infinity : scores[b]) - (Number.isNaN(scores[a]) ? -Infinity : scores[a]) || a - b)
        .slice(0, k)
        .sort((a, b) => a - b);
    const n = 8192;
    // Coarse values: many ties at the threshold; some NaN.
    const coarse = Float64Array.from({ length: n }, (_, i) => (i % 97 === 0 ? Number.NaN : Math.round(Math.sin(i * 0.731) * 40)));
    // Every 8th score high: a strided sample sees only those, so its bound keeps too few for k = 2000.
    const strided = Float64Array.from({ length: n }, (_, i) => (i % 8 === 0 ? 100 : Math.cos(i) * 0.001));
    const random = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453));
    for (const scores of [coarse, strided, random]) {
      for (const k of [1, 100, 511, 2000]) {
        const out = new Int32Array(k);
        const count = topk.select(scores, n, k, out);
        assert.deepEqual(Array.from(out.subarray(0, count)), bySort(scores, k));
      }
    }
  });
});

describe('LLM runtime: sampling', () => {
  it('greedy takes the highest logit, ties to the lower id', () => {
    assert.equal(argmax(Float32Array.of(1, 3, 3, 2)), 1);
    assert.equal(new Sampler().sample(Float32Array.of(0, 5, 1)), 1);
  });

  it('nucleus keeps the smallest most-likely set reaching top-p', () => {
    const kept = nucleus(Float64Array.of(0.1, 0.5, 0.3, 0.1), 0.75);
    assert.deepEqual(Array.from(kept.ids), [1, 2]);
    assert.ok(Math.abs(kept.probs[0] - 0.625) < 1e-12);
  });

  it('temperature sampling follows the distribution and repeats with the seed', () => {
    const logits = Float32Array.of(Math.log(0.6), Math.log(0.3), Math.log(0.1));
    const draw = (seed: number) => {
      const sampler = new Sampler({ temperature: 1, seed });
      return Array.from({ length: 3000 }, () => sampler.sample(logits));
    };
    const a = draw(5);
    assert.deepEqual(a, draw(5));
    assert.notDeepEqual(a, draw(6));
    const freq = [0, 1, 2].map((t) => a.filter((x) => x === t).length / a.length);
    assert.ok(Math.abs(freq[0] - 0.6) < 0.04 && Math.abs(freq[1] - 0.3) < 0.04 && Math.abs(freq[2] - 0.1) < 0.03, `${freq}`);
    const nucleusOnly = new Sampler({ temperature: 1, topP: 0.5, seed: 1 });
    for (let i = 0; i < 200; i++) assert.equal(nucleusOnly.sample(logits), 0);
  });
});

describe('LLM runtime: generation', () => {
  const config = tinyConfig({ architectures: ['Qwen2ForCausalLM'], tie_word_embeddings: true }, 3);
  const weights = randomLlmWeights(config, 5);
  let model: LlmModel;
  before(async () => {
    model = await LlmModel.load({ config, weights, stopTokenIds: [] }, { prefillChunk: 8 });
  });
  after(async () => {
    await model.release();
  });

  it('greedy decoding is deterministic and matches the reference argmax chain', async () => {
    const prompt = ids(9, 3);
    const a = await generate(model, prompt, { maxNewTokens: 6 });
    const b = await generate(model, prompt, { maxNewTokens: 6 });
    assert.deepEqual(a.tokens, b.tokens);
    assert.equal(a.finishReason, 'length');
    const chain = [...prompt];
    for (let i = 0; i < 6; i++) {
      const logits = referenceLogits(config, weights, chain);
      chain.push(argmax(logits.subarray((chain.length - 1) * VOCAB)));
    }
    assert.deepEqual(a.tokens, chain.slice(prompt.length));
  });

  it('stops at a stop id, streams every token, and cancels through the signal', async () => {
    const prompt = ids(9, 4);
    const free = await generate(model, prompt, { maxNewTokens: 6 });
    const streamed: number[] = [];
    const stopped = await generate(model, prompt, { maxNewTokens: 6, stop: [free.tokens[2]], onToken: (id) => streamed.push(id) });
    const firstStop = free.tokens.indexOf(free.tokens[2]);
    assert.deepEqual(stopped.tokens, free.tokens.slice(0, firstStop + 1));
    assert.equal(stopped.finishReason, 'stop');
    assert.deepEqual(streamed, stopped.tokens);

    const controller = new AbortController();
    let seen = 0;
    const cancelled = await generate(model, prompt, {
      maxNewTokens: 6,
      onToken: () => {
        if (++seen === 2) controller.abort();
      },
      signal: controller.signal,
    });
    assert.equal(cancelled.finishReason, 'aborted');
    assert.deepEqual(cancelled.tokens, free.tokens.slice(0, 2));
  });

  it('a multi-turn session reuses its cache and matches recomputing the whole conversation', async () => {
    const turn1 = ids(10, 5);
    const turn2 = ids(7, 6);
    for (const policy of ['dense', 'tidaldecode'] as PolicyName[]) {
      const session = model.newSession();
      const first = await generate(model, turn1, { maxNewTokens: 4, session, policy, budget: 8 });
      const second = await generate(model, turn2, { maxNewTokens: 5, session, policy, budget: 8 });
      assert.equal(second.ledger.reusedTokens, turn1.length + 3);
      const recomputed = await generate(model, [...turn1, ...first.tokens, ...turn2], { maxNewTokens: 5, policy, budget: 8 });
      assert.deepEqual(second.tokens, recomputed.tokens, policy);
      assert.deepEqual(session.tokens, [...turn1, ...first.tokens, ...turn2, ...second.tokens.slice(0, -1)]);
    }
  });

  it('loads a checkpoint folder and answers chat messages with text', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'folio-llm-'));
    try {
      const checkpoint = await writeLlmCheckpoint(dir, { arch: 'llama', seed: 3 });
      const loaded = await loadLlmModel(dir);
      try {
        const pieces: string[] = [];
        const result = await generate(loaded, [{ role: 'user', content: 'What does Figure 4 plot?' }], {
          maxNewTokens: 5,
          stop: [],
          onToken: (_, text) => pieces.push(text),
        });
        assert.equal(result.tokens.length, 5);
        assert.equal(pieces.join(''), result.text);
        assert.equal(result.text, loaded.tokenizer?.decode(result.tokens, { skipSpecialTokens: true }));
        const prompt = loaded.promptIds([{ role: 'user', content: 'What does Figure 4 plot?' }]);
        const reference = referenceLogits(checkpoint.config, checkpoint.weights, prompt);
        assert.equal(result.tokens[0], argmax(reference.subarray((prompt.length - 1) * checkpoint.config.vocabSize)));
      } finally {
        await loaded.release();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
