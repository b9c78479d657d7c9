import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../bin/folio.ts';
import { loadConfig } from '../../lib/config.ts';
import { loadCheckpoint } from '../../lib/llm/checkpoint.ts';
import { layerSlidingWindow, parseLlmConfig } from '../../models/llm/config.ts';
import { referenceLogits } from '../../models/llm/reference.ts';
import { ropeCosSin, ropeInverseFrequencies } from '../../models/llm/rope.ts';
import {
  decodeTensorData,
  encodeSafetensors,
  floatToBfloat16,
  floatToHalf,
  halfToFloat,
  parseSafetensorsHeader,
  safetensorsHeaderLength,
} from '../../models/llm/safetensors.ts';
import type { LlmConfig, LlmWeights } from '../../models/llm/types.ts';
import { type GeneratedCheckpoint, randomLlmWeights, seededNormal, writeLlmCheckpoint, writeShapedLlmCheckpoint } from '../helpers/llm-checkpoint.ts';

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
};

const close = (actual: number, expected: number, tolerance = 1e-12): void => {
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${actual} ≠ ${expected}`);
};

const closeAll = (actual: ArrayLike<number>, expected: number[]): void => {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) close(actual[i], expected[i]);
};

/** A tiny model config.json; fields merged over a small Llama. */
function tinyConfig(overrides: Record<string, unknown> = {}): LlmConfig {
  return parseLlmConfig({
    architectures: ['LlamaForCausalLM'],
    vocab_size: 50,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 256,
    ...overrides,
  });
}

function randomIds(count: number, vocab: number, seed: number): number[] {
  const normal = seededNormal(seed);
  return Array.from({ length: count }, () => Math.floor(Math.abs(normal() * 1e6)) % vocab);
}

describe('config.json parsing', () => {
  it('reads a Llama 3.1 config: GQA, llama3 RoPE (rope_type key), eos list, HF defaults', () => {
    const config = parseLlmConfig({
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      hidden_size: 4096,
      intermediate_size: 14336,
      num_attention_heads: 32,
      num_hidden_layers: 32,
      num_key_value_heads: 8,
      vocab_size: 128256,
      max_position_embeddings: 131072,
      rope_theta: 500000.0,
      rope_scaling: { factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
      rms_norm_eps: 1e-5,
      bos_token_id: 128000,
      eos_token_id: [128001, 128008, 128009],
    });
    assert.equal(config.architecture, 'LlamaForCausalLM');
    assert.equal(config.headDim, 128);
    assert.equal(config.numKvHeads, 8);
    assert.equal(config.ropeTheta, 500000);
    assert.deepEqual(config.ropeScaling, { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 });
    assert.equal(config.rmsNormEps, 1e-5);
    assert.deepEqual(config.eosTokenIds, [128001, 128008, 128009]);
    assert.equal(config.bosTokenId, 128000);
    assert.equal(config.tieWordEmbeddings, false);
    assert.equal(config.attentionBias, false);
    assert.equal(config.slidingWindow, null);
  });

  it('applies defaults when fields are missing: kv heads = heads, theta 10000, eps 1e-6, Llama bos/eos 1/2', () => {
    const config = parseLlmConfig({ model_type: 'llama', hidden_size: 64, num_attention_heads: 4, num_hidden_layers: 1, intermediate_size: 96, vocab_size: 10 });
    assert.equal(config.numKvHeads, 4);
    assert.equal(config.headDim, 16);
    assert.equal(config.ropeTheta, 10000);
    assert.equal(config.rmsNormEps, 1e-6);
    assert.equal(config.maxPositions, 2048);
    assert.equal(config.bosTokenId, 1);
    assert.deepEqual(config.eosTokenIds, [2]);
  });

  it('Llama attention_bias covers o_proj too; Qwen2 biases stop at q/k/v', () => {
    const llama = tinyConfig({ attention_bias: true });
    assert.equal(llama.attentionBias, true);
    assert.equal(llama.attentionOutputBias, true);
    const qwen = parseLlmConfig({ architectures: ['Qwen2ForCausalLM'], hidden_size: 32, num_attention_heads: 4, num_key_value_heads: 2, tie_word_embeddings: true });
    assert.equal(qwen.attentionBias, true);
    assert.equal(qwen.attentionOutputBias ?? false, false);
    assert.equal(qwen.tieWordEmbeddings, true);
    assert.equal(qwen.slidingWindow, null, 'use_sliding_window defaults to false');
    assert.equal(qwen.maxPositions, 32768);
  });

  it('Qwen2 slides only with use_sliding_window, and only on layers from max_window_layers on', () => {
    const config = parseLlmConfig({ architectures: ['Qwen2ForCausalLM'], num_hidden_layers: 3, use_sliding_window: true, sliding_window: 16, max_window_layers: 1 });
    assert.equal(config.slidingWindow, 16);
    assert.deepEqual([0, 1, 2].map((l) => layerSlidingWindow(config, l)), [null, 16, 16]);
    const explicit = parseLlmConfig({
      architectures: ['Qwen2ForCausalLM'],
      num_hidden_layers: 2,
      use_sliding_window: true,
      sliding_window: 8,
      layer_types: ['sliding_attention', 'full_attention'],
    });
    assert.deepEqual([0, 1].map((l) => layerSlidingWindow(explicit, l)), [8, null]);
  });

  it('Mistral: sliding_window defaults to 4096 when absent, null turns it off, explicit head_dim wins', () => {
    assert.equal(parseLlmConfig({ architectures: ['MistralForCausalLM'] }).slidingWindow, 4096);
    const nemo = parseLlmConfig({ architectures: ['MistralForCausalLM'], hidden_size: 5120, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 128, sliding_window: null });
    assert.equal(nemo.slidingWindow, null);
    assert.equal(nemo.headDim, 128);
    assert.equal(layerSlidingWindow(parseLlmConfig({ architectures: ['MistralForCausalLM'], sliding_window: 7 }), 31), 7);
  });

  it('reads rope_scaling with the old `type` key, and transformers 5 rope_parameters', () => {
    assert.deepEqual(tinyConfig({ rope_scaling: { type: 'linear', factor: 2 } }).ropeScaling, { type: 'linear', factor: 2 });
    assert.deepEqual(tinyConfig({ rope_scaling: { type: 'dynamic', factor: 2 } }).ropeScaling, { type: 'dynamic', factor: 2, originalMaxPositions: 256 });
    const v5 = tinyConfig({ rope_parameters: { rope_type: 'default', rope_theta: 1e6 } });
    assert.equal(v5.ropeTheta, 1e6);
    assert.equal(v5.ropeScaling, null);
  });

  it('yarn: a given original length redefines the factor as max / original (as transformers does)', () => {
    const yarn = tinyConfig({ max_position_embeddings: 256, rope_scaling: { rope_type: 'yarn', factor: 2, original_max_position_embeddings: 64 } });
    assert.equal(yarn.ropeScaling?.type, 'yarn');
    assert.equal(yarn.ropeScaling?.factor, 4);
    // Qwen2.5's published yarn block next to max_position_embeddings 32768 therefore means factor 1.
    const qwen25 = parseLlmConfig({ architectures: ['Qwen2ForCausalLM'], rope_scaling: { type: 'yarn', factor: 4, original_max_position_embeddings: 32768 } });
    assert.equal(qwen25.ropeScaling?.factor, 1);
  });

  it('rejects what it cannot run, naming the field', () => {
    assert.throws(() => parseLlmConfig({ architectures: ['GPT2LMHeadModel'] }), /unsupported architecture GPT2LMHeadModel/);
    assert.throws(() => parseLlmConfig({ model_type: 'gpt2' }), /unsupported model_type "gpt2"/);
    assert.throws(() => tinyConfig({ rope_scaling: { rope_type: 'longrope', factor: 2 } }), /unsupported RoPE type "longrope"/);
    assert.throws(() => tinyConfig({ num_key_value_heads: 3 }), /not a multiple of num_key_value_heads/);
    assert.throws(() => tinyConfig({ hidden_act: 'gelu' }), /hidden_act "gelu"/);
    assert.throws(() => tinyConfig({ rope_scaling: { rope_type: 'llama3', factor: 8 } }), /low_freq_factor is required/);
    assert.throws(() => parseLlmConfig([1, 2]), /JSON object/);
  });
});

describe('RoPE', () => {
  // Head dim 8, theta 10000: plain inverse frequencies are 10000^(-2i/8) = 1, 0.1, 0.01, 0.001.
  const rope = (overrides: Record<string, unknown>) => tinyConfig({ hidden_size: 32, num_attention_heads: 4, ...overrides });

  it('plain and linear', () => {
    assert.deepEqual(Array.from(ropeInverseFrequencies(rope({})).invFreq, (v) => Number(v.toPrecision(12))), [1, 0.1, 0.01, 0.001]);
    const linear = ropeInverseFrequencies(rope({ rope_scaling: { type: 'linear', factor: 2 } }));
    closeAll(linear.invFreq, [0.5, 0.05, 0.005, 0.0005]);
    assert.equal(linear.attentionScaling, 1);
  });

  it('dynamic NTK: unchanged within max_position_embeddings, base grown beyond it', () => {
    const config = rope({ max_position_embeddings: 16, rope_scaling: { type: 'dynamic', factor: 2 } });
    closeAll(ropeInverseFrequencies(config, 16).invFreq, [1, 0.1, 0.01, 0.001]);
    // seq 32: base' = 10000 · (2·32/16 − 1)^(8/6) = 10000 · 3^(4/3), so invFreq_i = 10^(−i) · 3^(−i/3).
    const grown = ropeInverseFrequencies(config, 32).invFreq;
    closeAll(grown, [1, 0.06933612743506348, 0.004807498567691362, 0.001 / 3]);
  });

  it('llama3: short wavelengths kept, long divided by the factor, the band between blended', () => {
    // original 1000, low/high freq factors 1/4: wavelengths 2π/invFreq = 6.3, 63, 628, 6283.
    // 628 lies in [250, 1000]: s = (1000/628.3 − 1)/3 = 0.19718, invFreq = 0.01 · ((1 − s)/8 + s).
    const config = rope({ rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 1000 } });
    const inv = ropeInverseFrequencies(config).invFreq;
    closeAll(inv, [1, 0.1, 0.0029753525068469473, 0.000125]);
  });

  it('yarn: ramp between the correction dims, and the attention factor scales cos/sin', () => {
    // factor 256/64 = 4. Correction dims: 8·ln(64/(32·2π))/(2·ln 1e4) = −0.497 → floor 0 (low),
    // 8·ln(64/(2π))/(2·ln 1e4) = 1.008 → ceil 2 (high); ramp_i = clamp(i/2) = 0, 0.5, 1, 1;
    // invFreq = extrapolation·(1 − ramp) + extrapolation/4 · ramp.
    const config = rope({ max_position_embeddings: 256, rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 64 } });
    const { invFreq, attentionScaling } = ropeInverseFrequencies(config);
    closeAll(invFreq, [1, 0.0625, 0.0025, 0.00025]);
    close(attentionScaling, 1.138629436111989);
    const { cos, sin } = ropeCosSin(config, [3]);
    close(cos[0], Math.cos(3) * attentionScaling, 1e-6);
    close(cos[4], Math.cos(3) * attentionScaling, 1e-6);
    close(sin[1], Math.sin(3 * 0.0625) * attentionScaling, 1e-6);
    close(sin[5], Math.sin(3 * 0.0625) * attentionScaling, 1e-6);
  });

  it('cos/sin rows follow the positions given, in rotate_half layout', () => {
    const { cos, sin } = ropeCosSin(rope({}), [0, 7]);
    assert.equal(cos.length, 16);
    assert.deepEqual(Array.from(cos.subarray(0, 8)), [1, 1, 1, 1, 1, 1, 1, 1]);
    assert.deepEqual(Array.from(sin.subarray(0, 8)), [0, 0, 0, 0, 0, 0, 0, 0]);
    close(sin[8 + 1], Math.sin(0.7), 1e-6);
    close(sin[8 + 5], Math.sin(0.7), 1e-6);
  });
});

describe('safetensors', () => {
  it('half and bfloat16 conversions round to nearest even', () => {
    assert.equal(floatToHalf(1), 0x3c00);
    assert.equal(floatToHalf(-2), 0xc000);
    assert.equal(floatToHalf(65504), 0x7bff);
    assert.equal(floatToHalf(70000), 0x7c00, 'overflow is infinity');
    assert.equal(floatToHalf(2 ** -24), 1, 'smallest subnormal');
    assert.equal(floatToHalf(2 ** -25), 0, 'halfway to the smallest subnormal rounds to even (zero)');
    assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00, 'tie rounds to even');
    assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02, 'tie rounds to even (up)');
    assert.equal(halfToFloat(0x3c01), 1 + 2 ** -10);
    assert.equal(halfToFloat(0x0001), 2 ** -24);
    assert.equal(halfToFloat(0xfc00), Number.NEGATIVE_INFINITY);
    assert.equal(floatToBfloat16(1), 0x3f80);
    assert.equal(floatToBfloat16(1 + 2 ** -8), 0x3f80);
    assert.equal(floatToBfloat16(1 + 3 * 2 ** -8), 0x3f82);
    assert.equal(floatToBfloat16(-0.5), 0xbf00);
  });

  it('round-trips F32 exactly and F16/BF16 within their precision', () => {
    const normal = seededNormal(7);
    const a = Float32Array.from({ length: 60 }, () => normal());
    const b = Float32Array.from({ length: 7 }, () => normal() * 100);
    const tensors = [
      { name: 'a', shape: [3, 4, 5], data: a },
      { name: 'b.bias', shape: [7], data: b },
    ];
    for (const [dtype, relative] of [
      ['F32', 0],
      ['F16', 2 ** -11],
      ['BF16', 2 ** -8],
    ] as const) {
      const bytes = encodeSafetensors(tensors, dtype);
      const length = safetensorsHeaderLength(bytes);
      assert.equal((8 + length) % 8, 0, 'data section is 8-byte aligned');
      const header = parseSafetensorsHeader(bytes);
      assert.deepEqual(header.metadata, { format: 'pt' });
      for (const { name, shape, data } of tensors) {
        const entry = header.tensors.get(name);
        assert.ok(entry);
        assert.equal(entry.dtype, dtype);
        assert.deepEqual(entry.shape, shape);
        const decoded = decodeTensorData(dtype, bytes.subarray(header.dataOffset + entry.begin, header.dataOffset + entry.end));
        for (let i = 0; i < data.length; i++) {
          assert.ok(Math.abs(decoded[i] - data[i]) <= Math.abs(data[i]) * relative, `${dtype} ${name}[${i}]: ${decoded[i]} vs ${data[i]}`);
        }
      }
    }
  });

  it('rejects malformed files with a reason', () => {
    const bytes = encodeSafetensors([{ name: 'x', shape: [2], data: new Float32Array([1, 2]) }]);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + safetensorsHeaderLength(bytes))));
    const rewrite = (json: unknown): Uint8Array => {
      const text = new TextEncoder().encode(JSON.stringify(json));
      const out = new Uint8Array(8 + text.length);
      new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
      out.set(text, 8);
      return out;
    };
    assert.throws(() => parseSafetensorsHeader(rewrite({ ...header, x: { ...header.x, dtype: 'I64' } })), /dtype "I64"/);
    assert.throws(() => parseSafetensorsHeader(rewrite({ ...header, x: { ...header.x, shape: [3] } })), /needs 12 bytes, data_offsets span 8/);
    assert.throws(() => parseSafetensorsHeader(new Uint8Array([255, 255, 255, 255, 255, 255, 255, 255])), /implausible/);
    assert.throws(() => encodeSafetensors([{ name: 'y', shape: [3], data: new Float32Array(2) }]), /holds 3 values, data has 2/);
  });
});

describe('generated checkpoints on disk', () => {
  let root: string;
  const generated = new Map<string, GeneratedCheckpoint>();

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'folio-llm-ckpt-'));
    generated.set(
      'llama',
      await writeLlmCheckpoint(join(root, 'llama'), {
        arch: 'llama',
        configOverrides: { attention_bias: true, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 } },
      }),
    );
    generated.set(
      'qwen2',
      await writeLlmCheckpoint(join(root, 'qwen2'), { arch: 'qwen2', dtype: 'BF16', shards: 2, configOverrides: { rope_scaling: { rope_type: 'yarn', factor: 4 } } }),
    );
    generated.set('mistral', await writeLlmCheckpoint(join(root, 'mistral'), { arch: 'mistral', dtype: 'F16', seed: 3 }));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('loads each architecture with the weights exactly as generated (F32, sharded BF16, F16)', async () => {
    for (const [arch, made] of generated) {
      const loaded = await loadCheckpoint(made.dir);
      assert.deepEqual(loaded.config, made.config, arch);
      assert.equal(loaded.weights.size, made.weights.size, arch);
      for (const [name, tensor] of made.weights) {
        const got = loaded.weights.get(name);
        assert.ok(got, `${arch}: ${name}`);
        assert.deepEqual(got.shape, tensor.shape);
        assert.equal(maxAbsDiff(got.data, tensor.data), 0, `${arch}: ${name}`);
      }
    }
    const qwen = generated.get('qwen2') as GeneratedCheckpoint;
    assert.ok(qwen.files.includes('model.safetensors.index.json'), qwen.files.join(', '));
    assert.deepEqual(
      qwen.files.filter((f) => f.endsWith('.safetensors')),
      ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'],
    );
    assert.ok(!qwen.weights.has('lm_head.weight'), 'Qwen2 small ties its embeddings');
    assert.ok(qwen.weights.has('model.layers.0.self_attn.q_proj.bias'), 'Qwen2 has q/k/v biases');
    assert.ok((generated.get('llama') as GeneratedCheckpoint).weights.has('model.layers.1.self_attn.o_proj.bias'), 'Llama attention_bias adds o_proj.bias');
  });

  it('a checkpoint in the shapes of a published Qwen2.5 config.json, streamed to shards, loads as Qwen2 with q/k/v biases and tied embeddings', async () => {
    // Qwen2.5-0.5B-Instruct's config.json with the widths and depth scaled down (the bench,
    // bench/answer-latency.ts, writes the full sizes).
    const configJson = {
      architectures: ['Qwen2ForCausalLM'],
      model_type: 'qwen2',
      bos_token_id: 151643,
      eos_token_id: 151645,
      hidden_act: 'silu',
      hidden_size: 56,
      intermediate_size: 304,
      max_position_embeddings: 32768,
      max_window_layers: 21,
      num_attention_heads: 14,
      num_hidden_layers: 2,
      num_key_value_heads: 2,
      rms_norm_eps: 1e-6,
      rope_theta: 1000000.0,
      sliding_window: 32768,
      tie_word_embeddings: true,
      torch_dtype: 'bfloat16',
      use_sliding_window: false,
      vocab_size: 151936,
    };
    const made = await writeShapedLlmCheckpoint(join(root, 'qwen25-shaped'), { arch: 'qwen2', configJson, maxShardBytes: 4 * 2 ** 20 });
    assert.ok(made.files.includes('model.safetensors.index.json'), made.files.join(', '));
    assert.ok(made.files.filter((f) => f.endsWith('.safetensors')).length >= 2, made.files.join(', '));
    const loaded = await loadCheckpoint(made.dir);
    assert.equal(loaded.config.architecture, 'Qwen2ForCausalLM');
    assert.equal(loaded.config.attentionBias, true);
    assert.equal(loaded.config.attentionOutputBias ?? false, false);
    assert.equal(loaded.config.tieWordEmbeddings, true);
    assert.equal(loaded.config.slidingWindow, null);
    assert.equal(loaded.config.headDim, 4);
    assert.equal(loaded.config.ropeTheta, 1e6);
    assert.deepEqual(loaded.weights.get('model.embed_tokens.weight')?.shape, [151936, 56]);
    assert.deepEqual(loaded.weights.get('model.layers.1.self_attn.k_proj.bias')?.shape, [8]);
    assert.ok(!loaded.weights.has('lm_head.weight'));
    let parameters = 0;
    for (const t of loaded.weights.values()) parameters += t.data.length;
    assert.equal(parameters, made.parameters);
    // Random, not zero: BF16 normal deviates of the embedding's unit scale.
    const embed = loaded.weights.get('model.embed_tokens.weight')?.data ?? new Float32Array();
    let sq = 0;
    for (let i = 0; i < 10000; i++) sq += embed[i] * embed[i];
    close(Math.sqrt(sq / 10000), 1, 0.05);
  });

  it('returns tokenizer, chat template, generation config and stop ids', async () => {
    const qwen = await loadCheckpoint((generated.get('qwen2') as GeneratedCheckpoint).dir);
    assert.ok(qwen.chatTemplate?.includes('<|im_start|>'), 'the ChatML template is returned');
    assert.equal(qwen.generationConfig?.temperature, 0.7);
    const imEnd = qwen.tokenizer.tokenToId('<|im_end|>');
    const endOfText = qwen.tokenizer.tokenToId('<|endoftext|>');
    assert.ok(imEnd !== undefined && endOfText !== undefined, 'ChatML special tokens are in the vocabulary');
    assert.deepEqual([...qwen.stopTokenIds].sort(), [imEnd, endOfText].sort());
    assert.ok(qwen.config.vocabSize >= (endOfText ?? 0) + 1, `vocab_size ${qwen.config.vocabSize} covers the special tokens`);
  });

  it('reports a config/weights mismatch by tensor name and shape', async () => {
    const dir = join(root, 'mismatch');
    await writeLlmCheckpoint(dir, { arch: 'llama' });
    const configPath = join(dir, 'config.json');
    const json = JSON.parse(await readFile(configPath, 'utf8'));
    await writeFile(configPath, JSON.stringify({ ...json, intermediate_size: 96 }));
    await assert.rejects(loadCheckpoint(dir), /model\.layers\.0\.mlp\.gate_proj\.weight has shape \[128, 64\], config\.json implies \[96, 64\]/);
    await writeFile(configPath, JSON.stringify({ ...json, tie_word_embeddings: false }));
    // Untied is what was written: it loads. Now drop a tensor from the file.
    const loaded = await loadCheckpoint(dir);
    const tensors = [...loaded.weights].filter(([name]) => name !== 'model.norm.weight').map(([name, t]) => ({ name, ...t }));
    await writeFile(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
    await assert.rejects(loadCheckpoint(dir), /missing tensor model\.norm\.weight \(expected shape \[64\]\)/);
  });

  it('reports a truncated weight file', async () => {
    const dir = join(root, 'truncated');
    await writeLlmCheckpoint(dir, { arch: 'mistral' });
    await truncate(join(dir, 'model.safetensors'), 5000);
    await assert.rejects(loadCheckpoint(dir), (error: Error) => /truncated/.test(`${error.message} ${(error.cause as Error)?.message}`));
  });

  it('tokenizer round-trips text, non-ASCII included, and keeps special tokens whole', async () => {
    for (const arch of ['qwen2', 'llama', 'mistral']) {
      const { tokenizer } = await loadCheckpoint((generated.get(arch) as GeneratedCheckpoint).dir);
      for (const text of ['The reader looks at the pages.', "Le café à Zürich — 東京 🙂 🎉, it's 2024!\n\n  indented\ttab", '']) {
        const ids = tokenizer.encode(text, { addSpecialTokens: false });
        assert.equal(tokenizer.decode(ids), text, `${arch}: ${JSON.stringify(text)}`);
      }
      const common = tokenizer.encode('the document', { addSpecialTokens: false });
      assert.ok(common.length < 'the document'.length, `${arch}: learned merges shorten common words (${common.length} tokens)`);
    }
    const llama = await loadCheckpoint((generated.get('llama') as GeneratedCheckpoint).dir);
    const bos = llama.tokenizer.tokenToId('<|begin_of_text|>');
    assert.equal(llama.tokenizer.encode('hi')[0], bos, 'Llama 3 post-processor adds BOS');
    assert.equal(llama.tokenizer.decode(llama.tokenizer.encode('hi'), { skipSpecialTokens: true }), 'hi');
  });

  it('stream decoder never emits a broken character and adds up to the whole text', async () => {
    const { tokenizer } = await loadCheckpoint((generated.get('qwen2') as GeneratedCheckpoint).dir);
    const text = 'Prix: 12 € — 日本語のテキスト 🎉🙂 done';
    const ids = tokenizer.encode(text, { addSpecialTokens: false });
    const stream = tokenizer.streamDecoder();
    const pieces = ids.map((id) => stream.push(id));
    pieces.push(stream.flush());
    assert.equal(pieces.join(''), text);
    for (const piece of pieces) assert.ok(!piece.includes('\uFFFD'), `piece ${JSON.stringify(piece)}`);
    assert.ok(pieces.includes(''), 'some character spans several tokens (held back until complete)');
  });

  it('renders the real chat templates and encodes them with special tokens as single ids', async () => {
    const qwen = (await loadCheckpoint((generated.get('qwen2') as GeneratedCheckpoint).dir)).tokenizer;
    const chat = [{ role: 'user', content: 'What is on page 3?' }];
    const expected = '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is on page 3?<|im_end|>\n<|im_start|>assistant\n';
    assert.equal(qwen.renderChat(chat), expected);
    assert.equal(
      qwen.renderChat([{ role: 'system', content: 'Cite pages.' }, ...chat], { addGenerationPrompt: false }),
      '<|im_start|>system\nCite pages.<|im_end|>\n<|im_start|>user\nWhat is on page 3?<|im_end|>\n',
    );
    const ids = qwen.encodeChat(chat);
    assert.equal(ids[0], qwen.tokenToId('<|im_start|>'));
    assert.equal(ids.filter((id) => id === qwen.tokenToId('<|im_end|>')).length, 2);
    assert.equal(qwen.decode(ids), expected);

    const llama = (await loadCheckpoint((generated.get('llama') as GeneratedCheckpoint).dir)).tokenizer;
    const rendered = llama.renderChat([
      { role: 'system', content: 'Be brief. ' },
      { role: 'user', content: 'Hi' },
    ]);
    assert.equal(rendered, '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n');
    const llamaIds = llama.encodeChat([{ role: 'user', content: 'Hi' }]);
    assert.equal(llamaIds.filter((id) => id === llama.bosTokenId).length, 1, 'the template writes BOS; encoding adds no second one');

    const mistral = (await loadCheckpoint((generated.get('mistral') as GeneratedCheckpoint).dir)).tokenizer;
    assert.equal(
      mistral.renderChat([
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
        { role: 'user', content: 'Page?' },
      ]),
      '<s>[INST] Hi [/INST]Hello</s>[INST] Page? [/INST]',
    );
    assert.throws(() => mistral.renderChat([{ role: 'system', content: 'x' }]), (error: Error) => /alternate/.test(String((error.cause as Error)?.message)));
  });

  it('reference forward runs on every generated architecture and gives spread, finite logits', async () => {
    for (const [arch, made] of generated) {
      const ids = randomIds(12, made.config.vocabSize, 5);
      const logits = referenceLogits(made.config, made.weights, ids);
      assert.equal(logits.length, 12 * made.config.vocabSize);
      assert.ok(logits.every(Number.isFinite), arch);
      let sum = 0;
      let squares = 0;
      for (const v of logits) {
        sum += v;
        squares += v * v;
      }
      const std = Math.sqrt(squares / logits.length - (sum / logits.length) ** 2);
      assert.ok(std > 0.3 && std < 30, `${arch}: logit spread ${std}`);
    }
  });
});

describe('reference forward pass', () => {
  const rows = (logits: Float32Array, vocab: number, from: number, to: number) => logits.subarray(from * vocab, to * vocab);

  it('is causal: a prefix gives the same logits alone as inside a longer sequence, later tokens matter', () => {
    for (const overrides of [{}, { architectures: ['Qwen2ForCausalLM'], tie_word_embeddings: true }, { rope_scaling: { rope_type: 'yarn', factor: 4 } }]) {
      const config = tinyConfig(overrides);
      const weights = randomLlmWeights(config, 11);
      const ids = randomIds(9, config.vocabSize, 2);
      const whole = referenceLogits(config, weights, ids);
      const prefix = referenceLogits(config, weights, ids.slice(0, 5));
      assert.equal(maxAbsDiff(prefix, rows(whole, config.vocabSize, 0, 5)), 0);
      const changed = [...ids];
      changed[2] = (changed[2] + 1) % config.vocabSize;
      const other = referenceLogits(config, weights, changed);
      assert.equal(maxAbsDiff(rows(other, config.vocabSize, 0, 2), rows(whole, config.vocabSize, 0, 2)), 0);
      assert.ok(maxAbsDiff(rows(other, config.vocabSize, 3, 9), rows(whole, config.vocabSize, 3, 9)) > 1e-3, 'context changes later logits');
    }
  });

  it('GQA equals MHA whose KV heads are the GQA heads duplicated per group', () => {
    const gqa = tinyConfig({ num_key_value_heads: 2, attention_bias: true });
    const mha = tinyConfig({ num_key_value_heads: 4, attention_bias: true });
    const weights = randomLlmWeights(gqa, 4);
    const duplicated: LlmWeights = new Map(weights);
    const d = gqa.headDim;
    const group = gqa.numHeads / gqa.numKvHeads;
    for (let l = 0; l < gqa.numLayers; l++) {
      for (const proj of ['k_proj', 'v_proj']) {
        for (const kind of ['weight', 'bias']) {
          const name = `model.layers.${l}.self_attn.${proj}.${kind}`;
          const source = weights.get(name);
          assert.ok(source);
          const rowLength = kind === 'weight' ? gqa.hiddenSize : 1;
          const data = new Float32Array(mha.numKvHeads * d * rowLength);
          // MHA head h reads what GQA query head h read: KV head ⌊h / group⌋.
          for (let h = 0; h < mha.numKvHeads; h++) {
            const from = Math.floor(h / group) * d * rowLength;
            data.set(source.data.subarray(from, from + d * rowLength), h * d * rowLength);
          }
          duplicated.set(name, { shape: kind === 'weight' ? [mha.numKvHeads * d, gqa.hiddenSize] : [mha.numKvHeads * d], data });
        }
      }
    }
    const ids = randomIds(10, gqa.vocabSize, 8);
    const diff = maxAbsDiff(referenceLogits(gqa, weights, ids), referenceLogits(mha, duplicated, ids));
    assert.ok(diff <= 1e-5, `GQA vs duplicated MHA differ by ${diff}`);
  });

  it('tied embeddings equal an explicit lm_head holding the same matrix', () => {
    const tied = tinyConfig({ tie_word_embeddings: true });
    const untied = tinyConfig({ tie_word_embeddings: false });
    const weights = randomLlmWeights(tied, 9);
    const explicit: LlmWeights = new Map(weights);
    const embed = weights.get('model.embed_tokens.weight');
    assert.ok(embed);
    explicit.set('lm_head.weight', { shape: [...embed.shape], data: embed.data.slice() });
    const ids = randomIds(6, tied.vocabSize, 1);
    assert.equal(maxAbsDiff(referenceLogits(tied, weights, ids), referenceLogits(untied, explicit, ids)), 0);
    // And a different lm_head does change the logits (the tie is really used).
    const other = randomLlmWeights(untied, 10).get('lm_head.weight');
    assert.ok(other);
    explicit.set('lm_head.weight', other);
    const diff = maxAbsDiff(referenceLogits(tied, weights, ids), referenceLogits(untied, explicit, ids));
    assert.ok(diff > 1e-3, `another lm_head changed the logits by only ${diff}`);
  });

  it('sliding window w: a one-layer model at position r sees tokens r−w+1 … r and nothing earlier', () => {
    const config = parseLlmConfig({
      architectures: ['MistralForCausalLM'],
      vocab_size: 40,
      hidden_size: 32,
      intermediate_size: 48,
      num_hidden_layers: 1,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      sliding_window: 3,
    });
    const weights = randomLlmWeights(config, 12);
    const ids = randomIds(8, config.vocabSize, 3);
    const row6 = (tokens: number[]) => rows(referenceLogits(config, weights, tokens), config.vocabSize, 6, 7);
    const base = row6(ids);
    const at = (index: number) => ids.map((id, i) => (i === index ? (id + 1) % config.vocabSize : id));
    assert.equal(maxAbsDiff(row6(at(3)), base), 0, 'token 3 is outside the window of position 6');
    assert.ok(maxAbsDiff(row6(at(4)), base) > 1e-4, 'token 4 is inside it');
    const full = parseLlmConfig({ ...JSON.parse(JSON.stringify({ architectures: ['MistralForCausalLM'] })), vocab_size: 40, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2, sliding_window: null });
    const fullRow6 = (tokens: number[]) => rows(referenceLogits(full, weights, tokens), full.vocabSize, 6, 7);
    assert.ok(maxAbsDiff(fullRow6(at(3)), fullRow6(ids)) > 1e-4, 'without a window token 3 matters');
  });

  it('RoPE makes attention depend on relative position only: shifting all positions keeps the logits', () => {
    const config = tinyConfig({ rope_theta: 100 });
    const weights = randomLlmWeights(config, 13);
    const ids = randomIds(7, config.vocabSize, 4);
    const shifted = referenceLogits(config, weights, ids, { positions: ids.map((_, i) => i + 37) });
    const diff = maxAbsDiff(referenceLogits(config, weights, ids), shifted);
    assert.ok(diff <= 1e-4, `shifted positions changed the logits by ${diff}`);
  });
});

describe('folio models pull', () => {
  let root: string;
  let server: Server;
  let endpoint: string;
  const requests: { url: string; authorization?: string }[] = [];
  const repos = new Map<string, string>();

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'folio-llm-pull-'));
    repos.set('acme/tiny-qwen2', (await writeLlmCheckpoint(join(root, 'hub', 'qwen2'), { arch: 'qwen2', shards: 2 })).dir);
    repos.set('acme/tiny-llama', (await writeLlmCheckpoint(join(root, 'hub', 'llama'), { arch: 'llama' })).dir);
    repos.set('acme/flaky', repos.get('acme/tiny-llama') as string);
    const gpt2 = join(root, 'hub', 'gpt2');
    await writeLlmCheckpoint(gpt2, { arch: 'llama' });
    await writeFile(join(gpt2, 'config.json'), JSON.stringify({ architectures: ['GPT2LMHeadModel'], model_type: 'gpt2' }));
    repos.set('acme/gpt2', gpt2);
    // Serves <repo>/resolve/<revision>/<file> from the generated directories, as the hub does.
    server = createServer(async (request, response) => {
      requests.push({ url: request.url ?? '', authorization: request.headers.authorization });
      const match = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(request.url ?? '');
      const dir = match ? repos.get(match[1]) : undefined;
      if (!match || !dir || match[2] !== 'v1') {
        response.writeHead(404).end('not found');
        return;
      }
      let body: Buffer;
      try {
        body = await readFile(join(dir, decodeURIComponent(match[3])));
      } catch {
        response.writeHead(404).end('not found');
        return;
      }
      if (match[1] === 'acme/flaky' && match[3] === 'model.safetensors') {
        // The connection drops halfway through the weights.
        response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
        response.write(body.subarray(0, body.length >> 1), () => response.destroy());
        return;
      }
      response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(root, { recursive: true, force: true });
  });

  const run = async (args: string[]) => {
    const out = new PassThrough();
    const err = new PassThrough();
    const chunks: string[] = [];
    const errors: string[] = [];
    out.on('data', (c) => chunks.push(String(c)));
    err.on('data', (c) => errors.push(String(c)));
    const env = { FOLIO_DATA_DIR: join(root, 'data'), HF_ENDPOINT: endpoint, HF_TOKEN: 'hf_test_token' };
    const code = await runCli(['models', 'pull', ...args], loadConfig(env), { out, err });
    return { code, out: chunks.join(''), err: errors.join('') };
  };

  it('downloads a sharded checkpoint into $FOLIO_DATA_DIR/models/<repo> with the bearer token, loadable as is', async () => {
    requests.length = 0;
    const result = await run(['acme/tiny-qwen2', '--revision', 'v1']);
    assert.equal(result.code, 0, result.err);
    const dir = join(root, 'data', 'models', 'acme', 'tiny-qwen2');
    assert.equal(result.out.trim(), dir);
    const files = (await readdir(dir)).sort();
    assert.deepEqual(files, [
      'config.json',
      'generation_config.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    for (const file of files) assert.deepEqual(await readFile(join(dir, file)), await readFile(join(repos.get('acme/tiny-qwen2') as string, file)), file);
    assert.ok(requests.every((r) => r.authorization === 'Bearer hf_test_token'), 'every request carries HF_TOKEN');
    assert.ok(requests.some((r) => r.url.endsWith('/special_tokens_map.json')), 'optional files are asked for');
    const loaded = await loadCheckpoint(dir);
    assert.equal(loaded.config.architecture, 'Qwen2ForCausalLM');
  });

  it('downloads a single-file checkpoint into --dir', async () => {
    const dir = join(root, 'elsewhere');
    const result = await run(['acme/tiny-llama', '--revision', 'v1', '--dir', dir]);
    assert.equal(result.code, 0, result.err);
    assert.ok(existsSync(join(dir, 'model.safetensors')));
    assert.ok(!(await readdir(dir)).some((f) => f.endsWith('.part')), 'no partial files are left');
    assert.equal((await loadCheckpoint(dir)).config.architecture, 'LlamaForCausalLM');
  });

  it('stops after config.json when the architecture is unsupported, and reports missing revisions', async () => {
    const result = await run(['acme/gpt2', '--revision', 'v1']);
    assert.equal(result.code, 1);
    assert.match(result.err, /unsupported architecture GPT2LMHeadModel/);
    assert.ok(!existsSync(join(root, 'data', 'models', 'acme', 'gpt2', 'tokenizer.json')));
    const missing = await run(['acme/tiny-llama', '--revision', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /answered 404/);
  });

  it('an interrupted download leaves no file that looks finished', async () => {
    const result = await run(['acme/flaky', '--revision', 'v1']);
    assert.equal(result.code, 1);
    assert.match(result.err, /download of .*model\.safetensors .* failed/);
    const files = await readdir(join(root, 'data', 'models', 'acme', 'flaky'));
    assert.ok(files.includes('config.json'), files.join(', '));
    assert.ok(!files.some((f) => f.startsWith('model.safetensors')), `left behind: ${files.join(', ')}`);
  });

  it('prints usage for malformed arguments and rejects bad repository names', async () => {
    assert.equal((await run([])).code, 2);
    assert.equal((await run(['acme/x', '--bogus'])).code, 2);
    const bad = await run(['../etc', '--revision', 'v1']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /not a hub repository name/);
  });
});
