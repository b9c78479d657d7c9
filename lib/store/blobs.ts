/**
 * Content-addressed blob store: a blob's key is the sha256 of its bytes, so writing the same
 * bytes twice is a no-op and a key never points at changed content. Writes go to a temporary
 * file and are renamed into place, so a crash never leaves a half-written blob under its key.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const KEY_PATTERN = /^[0-9a-f]{64}$/;

export class BlobStore {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
    fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
  }

  pathOf(key: string): string {
    if (!KEY_PATTERN.test(key)) throw new Error(`not a blob key: ${JSON.stringify(key)}`);
    return path.join(this.root, key.slice(0, 2), key.slice(2, 4), key);
  }

  has(key: string): boolean {
    return fs.existsSync(this.pathOf(key));
  }

  /** Stores the bytes and returns their key. */
  put(bytes: Uint8Array): string {
    const key = sha256Hex(bytes);
    const target = this.pathOf(key);
    if (fs.existsSync(target)) return key;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const tmp = path.join(this.root, 'tmp', `${key}.${randomUUID()}`);
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, target);
    return key;
  }

  get(key: string): Buffer {
    return fs.readFileSync(this.pathOf(key));
  }
}
