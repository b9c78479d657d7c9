/**
 * The one way Folio fetches files from the Hugging Face hub (or a mirror), for people whose
 * machine has a network; models themselves only ever read local files, and tests point the
 * endpoint at a local server. Each file is streamed to `<name>.part` and renamed when complete,
 * so an interrupted download never leaves a truncated file that looks finished.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

export interface HubOptions {
  /** Branch, tag or commit; pin a commit for reproducible results. */
  revision?: string;
  /** Hub access token for gated or private repositories (sent as a bearer token). */
  token?: string;
  /** Hub origin, for mirrors (HF_ENDPOINT). */
  endpoint?: string;
}

/** `<endpoint>/<repo>/resolve/<revision>/<file>`, each path segment escaped. */
export function hubFileUrl(endpoint: string, repo: string, revision: string, file: string): string {
  const path = file.split('/').map(encodeURIComponent).join('/');
  return `${endpoint.replace(/\/+$/, '')}/${repo}/resolve/${encodeURIComponent(revision)}/${path}`;
}

/** Downloads one file; returns false on 404 when the file is optional. */
export async function fetchHubFile(url: string, target: string, token: string | undefined, required: boolean): Promise<boolean> {
  let response: Response;
  try {
    response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, redirect: 'follow' });
  } catch (cause) {
    throw new Error(`could not reach ${url}`, { cause });
  }
  if (response.status === 404 && !required) {
    await response.body?.cancel();
    return false;
  }
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

/** Fetches files of one repository into `dir`, keeping the list of files written. */
export interface HubRepoDownloader {
  /** Downloads `file` to `dir/file`; false when optional and absent. */
  get(file: string, required: boolean): Promise<boolean>;
  written: string[];
}

export function hubRepoDownloader(repo: string, dir: string, options: HubOptions = {}): HubRepoDownloader {
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo) || repo.split('/').some((part) => part === '.' || part === '..')) {
    throw new Error(`"${repo}" is not a hub repository name (expected owner/name)`);
  }
  const revision = options.revision ?? 'main';
  const endpoint = options.endpoint ?? DEFAULT_HUB_ENDPOINT;
  const written: string[] = [];
  return {
    written,
    async get(file: string, required: boolean): Promise<boolean> {
      if (file.split('/').some((part) => part === '' || part === '.' || part === '..')) throw new Error(`refusing to download the file name ${JSON.stringify(file)}`);
      const ok = await fetchHubFile(hubFileUrl(endpoint, repo, revision, file), join(dir, file), options.token, required);
      if (ok) written.push(file);
      return ok;
    },
  };
}
