/**
 * Blobs in S3-compatible object storage, keyed as in the local folder (<prefix>ab/cd/<sha256>),
 * with a bounded local cache in front. Large blobs (PDFs) go up in parts. A blob read back is
 * checked against its key, so a damaged object is an error rather than wrong data.
 */
import { GetObjectCommand, HeadObjectCommand, NotFound, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { BlobCache } from './blob-cache.ts';
import { type BlobStore, checkBlobKey, sha256Hex } from './blobs.ts';

/** Where the bucket is and how to sign; unset fields fall back to the AWS SDK's own defaults. */
export interface S3Settings {
  /** A custom endpoint (MinIO, s3rver, another vendor); unset for AWS itself. */
  endpoint: string | undefined;
  region: string;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  sessionToken: string | undefined;
  /** Bucket in the path rather than the host name, which most non-AWS servers need. */
  forcePathStyle: boolean;
}

export interface S3Location {
  bucket: string;
  /** Key prefix, empty or ending in "/". */
  prefix: string;
}

/** Blobs from this size up are uploaded in parts (and resumable part by part by the SDK). */
export const MULTIPART_THRESHOLD = 16 * 1024 * 1024;
const PART_SIZE = 8 * 1024 * 1024;

export function s3ClientOf(settings: S3Settings): S3Client {
  return new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    credentials:
      settings.accessKeyId && settings.secretAccessKey
        ? { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey, sessionToken: settings.sessionToken }
        : undefined,
    // Content is verified by its sha256 key; the SDK's extra checksums are not understood by
    // every S3-compatible server.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

function isMissing(error: unknown): boolean {
  return error instanceof NotFound || (error instanceof S3ServiceException && (error.$metadata.httpStatusCode === 404 || error.name === 'NoSuchKey'));
}

export class S3BlobStore implements BlobStore {
  constructor(
    private readonly client: S3Client,
    private readonly location: S3Location,
    private readonly cache: BlobCache,
    private readonly multipartThreshold = MULTIPART_THRESHOLD,
  ) {}

  objectKey(key: string): string {
    checkBlobKey(key);
    return `${this.location.prefix}${key.slice(0, 2)}/${key.slice(2, 4)}/${key}`;
  }

  private where(key: string): string {
    return `s3://${this.location.bucket}/${this.objectKey(key)}`;
  }

  async has(key: string): Promise<boolean> {
    if (this.cache.pathOf(key)) return true;
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: this.objectKey(key) }));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw new Error(`cannot check blob ${this.where(key)}`, { cause: error });
    }
  }

  async put(bytes: Uint8Array): Promise<string> {
    const key = sha256Hex(bytes);
    // In the cache means stored: only uploaded or downloaded blobs are cached.
    if (this.cache.pathOf(key)) return key;
    const large = bytes.length >= this.multipartThreshold;
    // A large blob already stored (the same PDF uploaded again) is not sent again.
    if (!(large && (await this.has(key)))) {
      const params = { Bucket: this.location.bucket, Key: this.objectKey(key), Body: bytes };
      try {
        if (large) await new Upload({ client: this.client, params, partSize: PART_SIZE, queueSize: 4 }).done();
        else await this.client.send(new PutObjectCommand(params));
      } catch (error) {
        throw new Error(`cannot store blob ${this.where(key)} (${bytes.length} bytes)`, { cause: error });
      }
    }
    this.cache.write(key, bytes);
    return key;
  }

  async get(key: string): Promise<Buffer> {
    const cached = this.cache.read(key);
    if (cached) return cached;
    return this.download(key);
  }

  async localPath(key: string): Promise<string> {
    const cached = this.cache.pathOf(key);
    if (cached) return cached;
    const bytes = await this.download(key);
    return this.cache.pathOf(key) ?? this.cache.write(key, bytes);
  }

  private async download(key: string): Promise<Buffer> {
    let bytes: Buffer;
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: this.objectKey(key) }));
      if (!response.Body) throw new Error('the response has no body');
      bytes = Buffer.from(await response.Body.transformToByteArray());
    } catch (error) {
      if (isMissing(error)) throw new Error(`no blob ${this.where(key)}`, { cause: error });
      throw new Error(`cannot read blob ${this.where(key)}`, { cause: error });
    }
    const actual = sha256Hex(bytes);
    if (actual !== key) throw new Error(`blob ${this.where(key)} is damaged: its bytes hash to ${actual}`);
    this.cache.write(key, bytes);
    return bytes;
  }
}
