/**
 * A checkpoint folder (config.json, safetensors, tokenizer.json) or a GGUF file read from disk and
 * turned into a runnable model: the file side stays in lib/, the model in models/ only sees typed
 * arrays.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type LoadOptions, LlmModel } from '../../models/llm/model.ts';
import { type LoadedCheckpoint, loadCheckpoint } from './checkpoint.ts';
import { loadGgufCheckpoint } from './gguf-checkpoint.ts';

/** A folder holding a .gguf file (and no config.json) stands for that file. */
export async function loadAnyCheckpoint(path: string): Promise<LoadedCheckpoint> {
  if (path.toLowerCase().endsWith('.gguf')) return loadGgufCheckpoint(path);
  const entries = await readdir(path).catch(() => [] as string[]);
  const ggufs = entries.filter((name) => name.toLowerCase().endsWith('.gguf'));
  if (!entries.includes('config.json') && ggufs.length === 1) return loadGgufCheckpoint(join(path, ggufs[0]));
  if (!entries.includes('config.json') && ggufs.length > 1) throw new Error(`${path} holds several GGUF files (${ggufs.join(', ')}); name one`);
  return loadCheckpoint(path);
}

export async function loadLlmModel(dir: string, options: LoadOptions = {}): Promise<LlmModel> {
  const checkpoint = await loadAnyCheckpoint(dir);
  return LlmModel.load(
    { config: checkpoint.config, weights: checkpoint.weights, tokenizer: checkpoint.tokenizer, stopTokenIds: checkpoint.stopTokenIds },
    options,
  );
}
