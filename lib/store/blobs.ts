/**
 * Content-addressed blobs: a blob's key is the sha256 of its bytes, so writing the same bytes
 * twice is a no-op and a key never points at changed content. The interface, and its embedded
 * implementation in a local folder; lib/store/s3-blobs.ts keeps them in object storage.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const KEY_PATTERN = /^[0-9a-f]{64}$/;

/** Throws unless `key` is a blob key (64 hex digits), so no key can name a path or object outside the store. */
export function checkBlobKey(key: string): string {
  if (!KEY_PATTERN.test(key)) throw new Error(`not a blob key: ${JSON.stringify(key)}`);
  return key;
}

export interface BlobStore {
  has(key: string): Promise<boolean>;
  /** Stores the bytes and returns their key. */
  put(bytes: Uint8Array): Promise<string>;
  get(key: string): Promise<Buffer>;
  /**
   * A file on this machine holding the blob, for readers that open a path (the PDF parser in
   * its thread). Valid until the store's local cache evicts it; read it soon after.
   */
  localPath(key: string): Promise<string>;
}

/**
 * Blobs in a local folder. Writes go to a temporary file and are renamed into place, so a
 * crash never leaves a half-written blob under its key.
 */
export class FolderBlobStore implements BlobStore {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
    fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
  }

  pathOf(key: string): string {
    checkBlobKey(key);
    return path.join(this.root, key.slice(0, 2), key.slice(2, 4), key);
  }

  async has(key: string): Promise<boolean> {
    return fs.existsSync(this.pathOf(key));
  }

  async put(bytes: Uint8Array): Promise<string> {
    const key = sha256Hex(bytes);
    const target = this.pathOf(key);
    if (fs.existsSync(target)) return key;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const tmp = path.join(this.root, 'tmp', `${key}.${randomUUID()}`);
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, target);
    return key;
  }

  async get(key: string): Promise<Buffer> {
    return fs.readFileSync(this.pathOf(key));
  }

  async localPath(key: string): Promise<string> {
    return this.pathOf(key);
  }
}
