/**
 * Loads a Hugging Face Llama-family checkpoint directory: config.json, the weights from
 * model.safetensors or the shards named by model.safetensors.index.json, tokenizer.json with
 * tokenizer_config.json (and its chat template), and generation_config.json when present.
 * Only the tensors the forward pass reads are read from disk, each by its byte range, so a
 * shard never has to fit in one Buffer.
 */
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseLlmConfig } from '../../models/llm/config.ts';
import { decodeTensorData, parseSafetensorsHeader, type SafetensorsEntry, safetensorsHeaderLength } from '../../models/llm/safetensors.ts';
import { chatTemplateOf, createLlmTokenizer, type LlmTokenizer } from '../../models/llm/tokenizer.ts';
import type { LlmConfig, LlmWeights } from '../../models/llm/types.ts';
import { expectedWeightShapes, weightShapeProblems } from '../../models/llm/weight-layout.ts';

/** generation_config.json, the fields a sampler uses (absent fields stay undefined). */
export interface GenerationConfig {
  eosTokenIds: number[];
  bosTokenId?: number;
  doSample?: boolean;
  temperature?: number;
  topP?: number;
  topK?: number;
  repetitionPenalty?: number;
  maxNewTokens?: number;
}

export interface LoadedCheckpoint {
  dir: string;
  config: LlmConfig;
  weights: LlmWeights;
  tokenizer: LlmTokenizer;
  /** tokenizer_config.json's chat_template source, or null for base models. */
  chatTemplate: string | null;
  generationConfig: GenerationConfig | null;
  /** Every id that ends a reply: config.json, generation_config.json and the tokenizer's eos_token. */
  stopTokenIds: number[];
}

type Json = Record<string, unknown>;

async function readJson(path: string, required: true): Promise<Json>;
async function readJson(path: string, required: false): Promise<Json | null>;
async function readJson(path: string, required: boolean): Promise<Json | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if (!required && (cause as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read ${path}`, { cause });
  }
  try {
    return JSON.parse(text) as Json;
  } catch (cause) {
    throw new Error(`${path} is not valid JSON`, { cause });
  }
}

/** Exactly `length` bytes from `position`, or an error naming the file when it ends before. */
export async function readExactly(handle: FileHandle, length: number, position: number, path: string): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw new Error(`${path} ends at byte ${position + done}, expected ${length} bytes from ${position}: truncated download?`);
    done += bytesRead;
  }
  return buffer;
}

export interface SafetensorsFile {
  path: string;
  dataOffset: number;
  tensors: Map<string, SafetensorsEntry>;
}

/** Reads just the header of a .safetensors file. */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (cause) {
    throw new Error(`cannot open ${path}`, { cause });
  }
  try {
    const length = safetensorsHeaderLength(await readExactly(handle, 8, 0, path));
    const header = parseSafetensorsHeader(await readExactly(handle, 8 + length, 0, path));
    const { size } = await handle.stat();
    for (const [name, entry] of header.tensors) {
      if (header.dataOffset + entry.end > size) throw new Error(`${path}: tensor ${name} ends past the end of the file (${size} bytes): truncated download?`);
    }
    return { path, dataOffset: header.dataOffset, tensors: header.tensors };
  } catch (cause) {
    throw new Error(`${path} is not a readable safetensors file`, { cause });
  } finally {
    await handle.close();
  }
}

/** Reads the named tensors of one file as float32. */
export async function readSafetensorsTensors(file: SafetensorsFile, names: Iterable<string>, into: LlmWeights = new Map()): Promise<LlmWeights> {
  const handle = await open(file.path, 'r');
  try {
    for (const name of names) {
      const entry = file.tensors.get(name);
      if (!entry) throw new Error(`${file.path} has no tensor ${name}`);
      const bytes = await readExactly(handle, entry.end - entry.begin, file.dataOffset + entry.begin, file.path);
      into.set(name, { shape: entry.shape, data: decodeTensorData(entry.dtype, bytes) });
    }
  } finally {
    await handle.close();
  }
  return into;
}

/** The weight files of a checkpoint: the index's shards, else model.safetensors. */
async function weightFiles(dir: string): Promise<SafetensorsFile[]> {
  const index = await readJson(join(dir, 'model.safetensors.index.json'), false);
  if (index === null) return [await readSafetensorsHeader(join(dir, 'model.safetensors'))];
  const weightMap = index.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null) throw new Error(`${join(dir, 'model.safetensors.index.json')} has no weight_map`);
  const shards = [...new Set(Object.values(weightMap as Record<string, string>))];
  const files: SafetensorsFile[] = [];
  for (const shard of shards) {
    if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\')) throw new Error(`model.safetensors.index.json names a bad shard file ${JSON.stringify(shard)}`);
    const file = await readSafetensorsHeader(join(dir, shard));
    // The index is what the checkpoint promises; each tensor must be in the shard it names.
    for (const [name, target] of Object.entries(weightMap as Record<string, string>)) {
      if (target === shard && !file.tensors.has(name)) throw new Error(`model.safetensors.index.json puts ${name} in ${shard}, which does not hold it`);
    }
    files.push(file);
  }
  return files;
}

/** Reads and validates the weights of `config` from the checkpoint's safetensors file(s). */
export async function loadLlmWeights(dir: string, config: LlmConfig): Promise<LlmWeights> {
  const files = await weightFiles(dir);
  const where = new Map<string, SafetensorsFile>();
  for (const file of files) for (const name of file.tensors.keys()) where.set(name, file);
  const shapes = new Map([...where].map(([name, file]) => [name, (file.tensors.get(name) as SafetensorsEntry).shape]));
  const problems = weightShapeProblems(config, shapes);
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join('\n  ');
    const more = problems.length > 10 ? `\n  … and ${problems.length - 10} more` : '';
    throw new Error(`weights in ${dir} do not match its config.json (${config.architecture}):\n  ${shown}${more}`);
  }
  const weights: LlmWeights = new Map();
  for (const file of files) {
    const wanted = [...expectedWeightShapes(config).keys()].filter((name) => where.get(name) === file);
    await readSafetensorsTensors(file, wanted, weights);
  }
  return weights;
}

function idList(value: unknown): number[] {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return list.filter((id): id is number => typeof id === 'number' && Number.isInteger(id));
}

export function parseGenerationConfig(json: Json): GenerationConfig {
  const num = (key: string): number | undefined => (typeof json[key] === 'number' ? (json[key] as number) : undefined);
  return {
    eosTokenIds: idList(json.eos_token_id),
    bosTokenId: num('bos_token_id'),
    doSample: typeof json.do_sample === 'boolean' ? json.do_sample : undefined,
    temperature: num('temperature'),
    topP: num('top_p'),
    topK: num('top_k'),
    repetitionPenalty: num('repetition_penalty'),
    maxNewTokens: num('max_new_tokens'),
  };
}

/** Loads everything in a checkpoint directory; errors name the file and what is wrong with it. */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const configJson = await readJson(join(dir, 'config.json'), true);
  let config: LlmConfig;
  try {
    config = parseLlmConfig(configJson);
  } catch (cause) {
    throw new Error(`${join(dir, 'config.json')}: ${(cause as Error).message}`, { cause });
  }
  const tokenizerJson = await readJson(join(dir, 'tokenizer.json'), true);
  const tokenizerConfig = (await readJson(join(dir, 'tokenizer_config.json'), false)) ?? {};
  const tokenizer = createLlmTokenizer(tokenizerJson, tokenizerConfig);
  const generationJson = await readJson(join(dir, 'generation_config.json'), false);
  const generationConfig = generationJson ? parseGenerationConfig(generationJson) : null;
  const weights = await loadLlmWeights(dir, config);
  const stopTokenIds = [...new Set([...config.eosTokenIds, ...(generationConfig?.eosTokenIds ?? []), ...tokenizer.eosTokenIds])];
  return {
    dir,
    config,
    weights,
    tokenizer,
    chatTemplate: chatTemplateOf(tokenizerConfig),
    generationConfig,
    stopTokenIds,
  };
}
