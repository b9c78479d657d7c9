/**
 * A bounded local copy of remote blobs: what a worker reads often (the PDF it is extracting,
 * the crops it encodes) and the indexes the API serves. Least recently used entries go first
 * once the total passes the limit. Blobs are content-addressed, so a cached file is never stale.
 *
 * The folder belongs to one process. Another process evicting under it only costs a download:
 * a file found missing is a miss.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { checkBlobKey } from './blobs.ts';

export class BlobCache {
  /** Key → size, least recently used first (a Map keeps insertion order; a hit re-inserts). */
  private readonly entries = new Map<string, number>();
  private total = 0;

  constructor(
    readonly root: string,
    readonly maxBytes: number,
  ) {
    fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
    // What an earlier run left, oldest access first, so a restart keeps the warm part.
    const found: { key: string; size: number; used: number }[] = [];
    for (const name of fs.readdirSync(root)) {
      if (!/^[0-9a-f]{64}$/.test(name)) continue;
      const stat = fs.statSync(path.join(root, name));
      found.push({ key: name, size: stat.size, used: Math.max(stat.atimeMs, stat.mtimeMs) });
    }
    for (const entry of found.sort((a, b) => a.used - b.used)) this.remember(entry.key, entry.size);
    fs.rmSync(path.join(root, 'tmp'), { recursive: true, force: true });
    fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
    this.evict(null);
  }

  get bytes(): number {
    return this.total;
  }

  private fileOf(key: string): string {
    return path.join(this.root, checkBlobKey(key));
  }

  private remember(key: string, size: number): void {
    const before = this.entries.get(key);
    if (before !== undefined) {
      this.entries.delete(key);
      this.total -= before;
    }
    this.entries.set(key, size);
    this.total += size;
  }

  private forget(key: string): void {
    const size = this.entries.get(key);
    if (size === undefined) return;
    this.entries.delete(key);
    this.total -= size;
  }

  /** Drops least recently used entries until the total fits; `keep` (just added) stays even if alone it does not. */
  private evict(keep: string | null): void {
    for (const [key] of this.entries) {
      if (this.total <= this.maxBytes) break;
      if (key === keep) continue;
      this.forget(key);
      fs.rmSync(this.fileOf(key), { force: true });
    }
  }

  /** The cached file's path (and marks it used), or null. */
  pathOf(key: string): string | null {
    if (!this.entries.has(key)) return null;
    const file = this.fileOf(key);
    if (!fs.existsSync(file)) {
      this.forget(key);
      return null;
    }
    this.remember(key, this.entries.get(key) as number);
    return file;
  }

  read(key: string): Buffer | null {
    const file = this.pathOf(key);
    if (!file) return null;
    try {
      return fs.readFileSync(file);
    } catch {
      this.forget(key);
      return null;
    }
  }

  /**
   * Keeps a copy of the bytes under `key`; returns its path. The newest entry stays even when
   * it alone passes the limit, so a reader that needs a file (the PDF parser) always gets one.
   */
  write(key: string, bytes: Uint8Array): string {
    const file = this.fileOf(key);
    const tmp = path.join(this.root, 'tmp', `${key}.${randomUUID()}`);
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
    this.remember(key, bytes.length);
    this.evict(key);
    return file;
  }
}
