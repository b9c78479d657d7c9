/**
 * `folio models pull`: fetches a Llama-family checkpoint from the hub into a local directory in
 * the layout loadCheckpoint reads. config.json comes first and is parsed before any weights are
 * fetched, so an unsupported architecture fails in a second rather than after gigabytes.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseLlmConfig } from '../../models/llm/config.ts';
import { type HubOptions, hubRepoDownloader } from '../hub/download.ts';

const OPTIONAL_FILES = ['generation_config.json', 'tokenizer_config.json', 'special_tokens_map.json'];

/** Downloads `repo` into `dir`; returns the files written, relative to `dir`. */
export async function downloadLlmCheckpoint(repo: string, dir: string, options: HubOptions = {}): Promise<string[]> {
  const { get, written } = hubRepoDownloader(repo, dir, options);
  await get('config.json', true);
  try {
    parseLlmConfig(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')));
  } catch (cause) {
    throw new Error(`${repo}: ${(cause as Error).message}; nothing else was downloaded`, { cause });
  }
  await get('tokenizer.json', true);
  for (const file of OPTIONAL_FILES) await get(file, false);

  if (await get('model.safetensors.index.json', false)) {
    const index = JSON.parse(await readFile(join(dir, 'model.safetensors.index.json'), 'utf8')) as { weight_map?: Record<string, string> };
    const shards = [...new Set(Object.values(index.weight_map ?? {}))];
    if (shards.length === 0) throw new Error(`${repo}: model.safetensors.index.json names no shard files`);
    for (const shard of shards) await get(shard, true);
  } else {
    await get('model.safetensors', true);
  }
  return written;
}
