/**
 * Fetches a sentence-embedding ONNX export from the Hugging Face hub into a local directory, for
 * people whose machine has a network; the embedder itself only ever reads local files, and the
 * tests never call this. Each file is streamed to `<name>.part` and renamed when complete, so an
 * interrupted download never leaves a truncated model that looks finished.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';

export interface DownloadOptions {
  /** Branch, tag or commit; pin a commit for reproducible vectors. */
  revision?: string;
  /** Model file to fetch; default onnx/model.onnx, else model.onnx. */
  modelFile?: string;
  /** Hub access token for gated or private repositories. */
  token?: string;
  /** Hub origin, for mirrors. */
  endpoint?: string;
}

const OPTIONAL_FILES = ['tokenizer_config.json', 'special_tokens_map.json', 'config.json', 'sentence_bert_config.json', 'config_sentence_transformers.json'];

function fileUrl(endpoint: string, repo: string, revision: string, file: string): string {
  const path = file.split('/').map(encodeURIComponent).join('/');
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${path}`;
}

/** Downloads one file; returns false on 404 when the file is optional. */
async function fetchFile(url: string, target: string, token: string | undefined, required: boolean): Promise<boolean> {
  let response: Response;
  try {
    response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, redirect: 'follow' });
  } catch (cause) {
    throw new Error(`could not reach ${url}`, { cause });
  }
  if (response.status === 404 && !required) return false;
  if (!response.ok || !response.body) throw new Error(`GET ${url} answered ${response.status} ${response.statusText}`);
  await mkdir(dirname(target), { recursive: true });
  const partial = `${target}.part`;
  try {
    await pipeline(Readable.fromWeb(response.body as ReadableStream<Uint8Array>), createWriteStream(partial));
    await rename(partial, target);
  } catch (cause) {
    await rm(partial, { force: true });
    throw new Error(`download of ${url} to ${target} failed`, { cause });
  }
  return true;
}

/**
 * Downloads `repo` (e.g. "sentence-transformers/all-MiniLM-L6-v2") into `dir` and returns the
 * files written. Required: tokenizer.json and an ONNX model; the configs that say how to pool,
 * normalise and truncate are fetched when the repository has them.
 */
export async function downloadSentenceEmbedder(repo: string, dir: string, options: DownloadOptions = {}): Promise<string[]> {
  const revision = options.revision ?? 'main';
  const endpoint = (options.endpoint ?? 'https://huggingface.co').replace(/\/+$/, '');
  const written: string[] = [];
  const get = async (file: string, required: boolean): Promise<boolean> => {
    const ok = await fetchFile(fileUrl(endpoint, repo, revision, file), join(dir, file), options.token, required);
    if (ok) written.push(file);
    return ok;
  };

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
