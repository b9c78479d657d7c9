/**
 * Writes random-weight Llama-family checkpoints in exactly the Hugging Face file layout, so the
 * loader and the runtime are tested against the files a hub download gives, without a download:
 * config.json, generation_config.json, model.safetensors (or two shards plus
 * model.safetensors.index.json; F32, F16 or BF16), a byte-level BPE tokenizer.json trained here on
 * a small English corpus, and tokenizer_config.json with the architecture's real chat template.
 *
 * Weights are seeded and scaled so activations stay near unit size through the layers (embeddings
 * ~N(0,1), projections ~N(0, 1/fan_in)), which keeps attention non-uniform and logits spread,
 * so a wrong rotation or mask shows up in the logits.
 */
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseLlmConfig } from '../../models/llm/config.ts';
import { decodeTensorData, encodeSafetensors, type NamedTensor, type SafetensorsDtype } from '../../models/llm/safetensors.ts';
import type { LlmConfig, LlmWeights } from '../../models/llm/types.ts';
import { expectedWeightShapes } from '../../models/llm/weight-layout.ts';
import { buildTokenizerJson, type TokenizerStyle, trainByteLevelBpe } from './byte-level-bpe.ts';
import { projectRoot } from './stack.ts';
import { seededRandom } from '../../models/math/random.ts';

export type LlmArchName = 'llama' | 'qwen2' | 'mistral';
export type LlmSize = 'small' | 'mid';

/** Training text for the tokenizer: plain English about the project, with a little non-ASCII. */
export const TOKENIZER_CORPUS = `Folio answers questions about long PDF documents on ordinary computers.
Every answer names the page, the box on the page and the quoted text it came from, so a person can
check it. The reader looks at the pages that matter: it ranks the units of the document, reads the
best of them and writes a short answer. When the answer is not in the document, it says so.
The model reads the question and the retrieved passages, then it writes the answer one token at a
time. Each token is a small piece of text: a word, part of a word, a space or a punctuation mark.
Long documents have hundreds or thousands of pages. The figures, the tables and the captions are
kept with the text around them. A table is read row by row; a figure is described by its caption.
What does Figure 4 plot? Which section defines the default width? Where is the bar chart?
The workflow is durable: if the worker stops, it resumes where it stopped. The index is built once
and kept on disk. Questions are answered in seconds, and the citations point at the exact lines.
Le café est servi à côté de la bibliothèque; naïve résumé, Zürich, São Paulo, 東京 and 日本語 text
appear in some documents too, with symbols such as ≤ ≥ → × and the odd emoji 🙂.
The quick brown fox jumps over the lazy dog. It's what they'd said: we'll see, you're right, I'm
sure they've read it. Numbers like 2024, 3.14 and 1,000 pages are common in reports.
`;

export interface LlmCheckpointOptions {
  arch: LlmArchName;
  size?: LlmSize;
  seed?: number;
  dtype?: SafetensorsDtype;
  /** 1 = model.safetensors; 2+ = model-0000i-of-0000n.safetensors with an index. */
  shards?: number;
  /** Fields merged over the generated config.json (e.g. rope_scaling, tie_word_embeddings). */
  configOverrides?: Record<string, unknown>;
  /** Tokenizer merges to learn; default 300 (small) or 3000 (mid). */
  merges?: number;
}

export interface GeneratedCheckpoint {
  dir: string;
  configJson: Record<string, unknown>;
  config: LlmConfig;
  /** The weights as stored (already rounded to the file's dtype). */
  weights: LlmWeights;
  files: string[];
}

interface Shape {
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  intermediate: number;
}

const SIZES: Record<LlmSize, Shape> = {
  small: { layers: 2, hidden: 64, heads: 4, kvHeads: 2, intermediate: 128 },
  mid: { layers: 12, hidden: 768, heads: 12, kvHeads: 4, intermediate: 2048 },
};

interface ArchTokens {
  style: TokenizerStyle;
  specials: string[];
  bos: string | null;
  eos: string;
  /** Extra stop token of generation_config.json (chat turn end). */
  turnEnd: string;
  pad: string | null;
  template: string;
  architecture: string;
  modelType: string;
}

/** Qwen2-Instruct's ChatML template (with its default system prompt). */
export const QWEN2_CHAT_TEMPLATE =
  "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Meta-Llama-3-Instruct's template. */
export const LLAMA3_CHAT_TEMPLATE =
  "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

/** Mistral-7B-Instruct-v0.1's template (user/assistant must alternate). */
export const MISTRAL_CHAT_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

const ARCH_TOKENS: Record<LlmArchName, ArchTokens> = {
  qwen2: {
    style: 'qwen2',
    specials: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'],
    bos: null,
    eos: '<|im_end|>',
    turnEnd: '<|endoftext|>',
    pad: '<|endoftext|>',
    template: QWEN2_CHAT_TEMPLATE,
    architecture: 'Qwen2ForCausalLM',
    modelType: 'qwen2',
  },
  llama: {
    style: 'llama3',
    specials: ['<|begin_of_text|>', '<|end_of_text|>', '<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>'],
    bos: '<|begin_of_text|>',
    eos: '<|eot_id|>',
    turnEnd: '<|end_of_text|>',
    pad: null,
    template: LLAMA3_CHAT_TEMPLATE,
    architecture: 'LlamaForCausalLM',
    modelType: 'llama',
  },
  mistral: {
    style: 'llama3',
    specials: ['<s>', '</s>', '[INST]', '[/INST]'],
    bos: '<s>',
    eos: '</s>',
    turnEnd: '</s>',
    pad: null,
    template: MISTRAL_CHAT_TEMPLATE,
    architecture: 'MistralForCausalLM',
    modelType: 'mistral',
  },
};

/** Normal deviates by Box–Muller over the seeded uniform generator. */
export function seededNormal(seed: number): () => number {
  const uniform = seededRandom(seed);
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const value = spare;
      spare = null;
      return value;
    }
    const u = uniform() || 1e-12;
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** Scale of each tensor's random values by its role. */
function initFor(name: string, shape: number[]): { mean: number; std: number } {
  if (name.endsWith('layernorm.weight') || name === 'model.norm.weight') return { mean: 1, std: 0.1 };
  if (name.endsWith('.bias')) return { mean: 0, std: 0.1 };
  if (name === 'model.embed_tokens.weight') return { mean: 0, std: 1 };
  // Linear [out, in]: unit-variance outputs for unit-variance inputs.
  return { mean: 0, std: 1 / Math.sqrt(shape[1]) };
}

/** Seeded random weights for `config`, every tensor the forward pass reads, rounded to `dtype`. */
export function randomLlmWeights(config: LlmConfig, seed = 1, dtype: SafetensorsDtype = 'F32'): LlmWeights {
  const normal = seededNormal(seed);
  const weights: LlmWeights = new Map();
  for (const [name, shape] of expectedWeightShapes(config)) {
    const { mean, std } = initFor(name, shape);
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = mean + std * normal();
    weights.set(name, { shape, data: dtype === 'F32' ? data : decodeTensorData(dtype, encodeSafetensorsData(data, dtype)) });
  }
  return weights;
}

/** Raw bytes of one tensor in `dtype` (the data section of a one-tensor file). */
function encodeSafetensorsData(data: Float32Array, dtype: SafetensorsDtype): Uint8Array {
  const file = encodeSafetensors([{ name: 't', shape: [data.length], data }], dtype);
  return file.subarray(file.length - data.length * (dtype === 'F32' ? 4 : 2));
}

/** config.json as the architecture's HF config class would save it (the fields that matter). */
function configJsonFor(arch: LlmArchName, shape: Shape, vocabSize: number, ids: Map<string, number>): Record<string, unknown> {
  const tokens = ARCH_TOKENS[arch];
  const base: Record<string, unknown> = {
    architectures: [tokens.architecture],
    model_type: tokens.modelType,
    vocab_size: vocabSize,
    hidden_size: shape.hidden,
    intermediate_size: shape.intermediate,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads,
    num_key_value_heads: shape.kvHeads,
    hidden_act: 'silu',
    max_position_embeddings: 4096,
    rms_norm_eps: 1e-6,
    rope_theta: arch === 'llama' ? 500000 : arch === 'qwen2' ? 1000000 : 10000,
    rope_scaling: null,
    tie_word_embeddings: arch === 'qwen2',
    torch_dtype: 'float32',
    bos_token_id: tokens.bos ? ids.get(tokens.bos) : ids.get(tokens.turnEnd),
    eos_token_id: ids.get(tokens.eos),
    initializer_range: 0.02,
  };
  if (arch === 'llama') Object.assign(base, { attention_bias: false, mlp_bias: false });
  if (arch === 'qwen2') Object.assign(base, { use_sliding_window: false, sliding_window: 4096, max_window_layers: shape.layers });
  if (arch === 'mistral') Object.assign(base, { sliding_window: shape.layers <= 2 ? 5 : 1024, head_dim: shape.hidden / shape.heads });
  return base;
}

async function readCorpus(size: LlmSize): Promise<string> {
  if (size === 'small') return TOKENIZER_CORPUS;
  // The bigger vocabulary of the benchmark model needs more text than the built-in paragraph.
  const readme = await readFile(join(projectRoot, 'README.md'), 'utf8').catch(() => '');
  return `${TOKENIZER_CORPUS}\n${readme}`;
}

/** Splits names into `count` groups of roughly equal bytes, in order. */
function shardNames(names: string[], sizes: Map<string, number>, count: number): string[][] {
  const total = names.reduce((sum, name) => sum + (sizes.get(name) ?? 0), 0);
  const shards: string[][] = Array.from({ length: count }, () => []);
  let running = 0;
  for (const name of names) {
    const index = Math.min(count - 1, Math.floor((running / total) * count));
    shards[index].push(name);
    running += sizes.get(name) ?? 0;
  }
  return shards.filter((s) => s.length > 0);
}

/** Writes a complete checkpoint directory and returns what was written, weights included. */
export async function writeLlmCheckpoint(dir: string, options: LlmCheckpointOptions): Promise<GeneratedCheckpoint> {
  const size = options.size ?? 'small';
  const dtype = options.dtype ?? 'F32';
  const shape = SIZES[size];
  const tokens = ARCH_TOKENS[options.arch];
  await mkdir(dir, { recursive: true });

  const bpe = trainByteLevelBpe(await readCorpus(size), options.merges ?? (size === 'small' ? 300 : 3000));
  const tokenizer = buildTokenizerJson(bpe, tokens.specials, tokens.style, tokens.bos ?? undefined);
  // Real checkpoints round the embedding rows up (e.g. Qwen2's 151936 for 151665 tokens).
  const vocabSize = Math.ceil(tokenizer.size / 64) * 64;
  const configJson = { ...configJsonFor(options.arch, shape, vocabSize, tokenizer.specialIds), ...options.configOverrides };
  configJson.torch_dtype = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[dtype];
  const config = parseLlmConfig(configJson);
  const weights = randomLlmWeights(config, options.seed ?? 1, dtype);

  const files: string[] = [];
  const write = async (name: string, content: string | Uint8Array): Promise<void> => {
    await writeFile(join(dir, name), content);
    files.push(name);
  };
  await write('config.json', `${JSON.stringify(configJson, null, 2)}\n`);
  const eos = [tokenizer.specialIds.get(tokens.eos), tokenizer.specialIds.get(tokens.turnEnd)].filter((id, i, all) => all.indexOf(id) === i);
  await write(
    'generation_config.json',
    `${JSON.stringify({ bos_token_id: configJson.bos_token_id, eos_token_id: eos.length === 1 ? eos[0] : eos, do_sample: true, temperature: 0.7, top_p: 0.8, top_k: 20, repetition_penalty: 1.05 }, null, 2)}\n`,
  );
  await write('tokenizer.json', JSON.stringify(tokenizer.tokenizerJson));
  const addedTokensDecoder = Object.fromEntries(
    [...tokenizer.specialIds].map(([content, id]) => [String(id), { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true }]),
  );
  const tokenizerConfig = {
    add_bos_token: false,
    add_eos_token: false,
    added_tokens_decoder: addedTokensDecoder,
    bos_token: tokens.bos,
    eos_token: tokens.eos,
    pad_token: tokens.pad,
    unk_token: null,
    chat_template: tokens.template,
    clean_up_tokenization_spaces: false,
    model_max_length: configJson.max_position_embeddings,
    tokenizer_class: tokens.style === 'qwen2' ? 'Qwen2Tokenizer' : 'PreTrainedTokenizerFast',
  };
  await write('tokenizer_config.json', `${JSON.stringify(tokenizerConfig, null, 2)}\n`);

  const names = [...weights.keys()];
  const named = (list: string[]): NamedTensor[] => list.map((name) => ({ name, ...(weights.get(name) as { shape: number[]; data: Float32Array }) }));
  const shardCount = options.shards ?? 1;
  if (shardCount <= 1) {
    await write('model.safetensors', encodeSafetensors(named(names), dtype));
  } else {
    const bytes = new Map(names.map((name) => [name, (weights.get(name)?.data.length ?? 0) * (dtype === 'F32' ? 4 : 2)]));
    const groups = shardNames(names, bytes, shardCount);
    const weightMap: Record<string, string> = {};
    let totalSize = 0;
    for (let i = 0; i < groups.length; i++) {
      const file = `model-${String(i + 1).padStart(5, '0')}-of-${String(groups.length).padStart(5, '0')}.safetensors`;
      for (const name of groups[i]) {
        weightMap[name] = file;
        totalSize += bytes.get(name) ?? 0;
      }
      await write(file, encodeSafetensors(named(groups[i]), dtype));
    }
    await write('model.safetensors.index.json', `${JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2)}\n`);
  }
  return { dir, configJson, config, weights, files };
}

/** Values generated and written per write call by writeShapedLlmCheckpoint. */
const CHUNK = 1 << 22;

export interface ShapedCheckpointOptions {
  arch: LlmArchName;
  /** A whole config.json, e.g. a published model's, whose shapes the random weights take. */
  configJson: Record<string, unknown>;
  seed?: number;
  /** On-disk dtype (default BF16, what Qwen2.5 and most hub checkpoints ship). */
  dtype?: SafetensorsDtype;
  /** Largest shard in bytes (default 2 GiB); more weights than that are split, with an index. */
  maxShardBytes?: number;
}

export interface ShapedCheckpoint {
  dir: string;
  config: LlmConfig;
  files: string[];
  parameters: number;
}

/**
 * A random-weight checkpoint in the exact shapes of a given config.json, written one tensor at a
 * time so that a model of billions of parameters never has to sit in memory (writeLlmCheckpoint
 * keeps every weight and builds each file in one buffer). The tokenizer is the small trained one
 * of the `arch` (token ids are all below its size; the embedding rows past it are random like
 * the rest); config.json is written as given.
 */
export async function writeShapedLlmCheckpoint(dir: string, options: ShapedCheckpointOptions): Promise<ShapedCheckpoint> {
  const dtype = options.dtype ?? 'BF16';
  const maxShardBytes = options.maxShardBytes ?? 2 ** 31;
  const tokens = ARCH_TOKENS[options.arch];
  const config = parseLlmConfig(options.configJson);
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  const write = async (name: string, content: string | Uint8Array): Promise<void> => {
    await writeFile(join(dir, name), content);
    files.push(name);
  };
  const bpe = trainByteLevelBpe(TOKENIZER_CORPUS, 300);
  const tokenizer = buildTokenizerJson(bpe, tokens.specials, tokens.style, tokens.bos ?? undefined);
  if (tokenizer.size > config.vocabSize) throw new Error(`the ${tokenizer.size}-token tokenizer does not fit a vocabulary of ${config.vocabSize}`);
  await write('config.json', `${JSON.stringify(options.configJson, null, 2)}\n`);
  await write('tokenizer.json', JSON.stringify(tokenizer.tokenizerJson));
  await write(
    'tokenizer_config.json',
    `${JSON.stringify({ add_bos_token: false, add_eos_token: false, bos_token: tokens.bos, eos_token: tokens.eos, pad_token: tokens.pad, unk_token: null, chat_template: tokens.template, model_max_length: config.maxPositions }, null, 2)}\n`,
  );

  const bytesPer = dtype === 'F32' ? 4 : 2;
  const shapes = [...expectedWeightShapes(config)];
  const sizeOf = (shape: number[]): number => shape.reduce((a, b) => a * b, 1) * bytesPer;
  const groups: [string, number[]][][] = [[]];
  let groupBytes = 0;
  for (const entry of shapes) {
    const size = sizeOf(entry[1]);
    if (groupBytes > 0 && groupBytes + size > maxShardBytes) {
      groups.push([]);
      groupBytes = 0;
    }
    groups[groups.length - 1].push(entry);
    groupBytes += size;
  }
  const normal = seededNormal(options.seed ?? 1);
  const weightMap: Record<string, string> = {};
  let parameters = 0;
  let totalSize = 0;
  for (let g = 0; g < groups.length; g++) {
    const file = groups.length === 1 ? 'model.safetensors' : `model-${String(g + 1).padStart(5, '0')}-of-${String(groups.length).padStart(5, '0')}.safetensors`;
    const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
    let offset = 0;
    for (const [name, shape] of groups[g]) {
      header[name] = { dtype, shape, data_offsets: [offset, offset + sizeOf(shape)] };
      offset += sizeOf(shape);
      weightMap[name] = file;
    }
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - (new TextEncoder().encode(json).length % 8)) % 8);
    const jsonBytes = new TextEncoder().encode(json);
    const prefix = new Uint8Array(8 + jsonBytes.length);
    new DataView(prefix.buffer).setBigUint64(0, BigInt(jsonBytes.length), true);
    prefix.set(jsonBytes, 8);
    const handle = await open(join(dir, file), 'w');
    try {
      await handle.write(prefix);
      for (const [name, shape] of groups[g]) {
        const { mean, std } = initFor(name, shape);
        const count = shape.reduce((a, b) => a * b, 1);
        // A few million values at a time keeps the buffer small whatever the tensor's size.
        for (let done = 0; done < count; done += CHUNK) {
          const n = Math.min(CHUNK, count - done);
          const values = new Float32Array(n);
          for (let i = 0; i < n; i++) values[i] = mean + std * normal();
          await handle.write(encodeSafetensorsData(values, dtype));
        }
        parameters += count;
      }
    } finally {
      await handle.close();
    }
    files.push(file);
    totalSize += offset;
  }
  if (groups.length > 1) await write('model.safetensors.index.json', `${JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2)}\n`);
  return { dir, config, files, parameters };
}
