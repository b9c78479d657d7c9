/**
 * Fetches a sentence-embedding ONNX export from the Hugging Face hub into a local directory, for
 * people whose machine has a network; the embedder itself only ever reads local files, and the
 * tests never call this. Files are fetched through lib/hub/download.ts (streamed to `.part`,
 * renamed when complete).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type HubOptions, hubRepoDownloader } from '../hub/download.ts';

export interface DownloadOptions extends HubOptions {
  /** Model file to fetch; default onnx/model.onnx, else model.onnx. */
  modelFile?: string;
}

const OPTIONAL_FILES = ['tokenizer_config.json', 'special_tokens_map.json', 'config.json', 'sentence_bert_config.json', 'config_sentence_transformers.json'];

/**
 * Downloads `repo` (e.g. "sentence-transformers/all-MiniLM-L6-v2") into `dir` and returns the
 * files written. Required: tokenizer.json and an ONNX model; the configs that say how to pool,
 * normalise and truncate are fetched when the repository has them.
 */
export async function downloadSentenceEmbedder(repo: string, dir: string, options: DownloadOptions = {}): Promise<string[]> {
  const revision = options.revision ?? 'main';
  const { get, written } = hubRepoDownloader(repo, dir, options);

  await get('tokenizer.json', true);
  for (const file of OPTIONAL_FILES) await get(file, false);
  // The pooling module's folder is named in modules.json; 1_Pooling is only the usual name.
  let poolingDir = '1_Pooling';
  if (await get('modules.json', false)) {
    const modules = JSON.parse(await readFile(join(dir, 'modules.json'), 'utf8')) as Array<{ path?: string; type?: string }>;
    poolingDir = modules.find((m) => m.type?.endsWith('.Pooling'))?.path ?? poolingDir;
  }
  await get(`${poolingDir}/config.json`, false);

  const candidates = options.modelFile ? [options.modelFile] : ['onnx/model.onnx', 'model.onnx'];
  let model: string | undefined;
  for (const file of candidates) {
    if (await get(file, false)) {
      model = file;
      break;
    }
  }
  if (!model) throw new Error(`${repo}@${revision} has no ${candidates.join(' or ')}`);
  // Models over 2 GB keep their weights beside the graph; onnxruntime looks for them there.
  await get(`${model}_data`, false);
  return written;
}
