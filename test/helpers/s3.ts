/**
 * A real S3-protocol server for tests: s3rver, in this process, on a free port, storing into a
 * temporary folder, with one bucket made up front.
 */
import fs from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
// @ts-expect-error s3rver ships no type declarations.
import S3rver from 's3rver';
import type { S3Settings } from '../../lib/store/s3-blobs.ts';
import { freePort } from './postgres.ts';

export interface TestS3 {
  bucket: string;
  endpoint: string;
  /** Settings as lib/config.ts reads them from AWS_* variables. */
  settings: S3Settings;
  /** The variables that point a Folio process at this server. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startS3(bucket = 'folio-test'): Promise<TestS3> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-s3-'));
  const port = await freePort();
  const server = new S3rver({ port, address: '127.0.0.1', directory: dir, silent: true, configureBuckets: [{ name: bucket }] }) as {
    run(): Promise<unknown>;
    close(): Promise<void>;
    httpServer?: Server;
  };
  await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  // s3rver accepts its own fixed credentials.
  const settings: S3Settings = { endpoint, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', sessionToken: undefined, forcePathStyle: true };
  return {
    bucket,
    endpoint,
    settings,
    env: { AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' },
    async stop() {
      // Clients keep connections alive; close them so the server can stop now.
      server.httpServer?.closeAllConnections();
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
