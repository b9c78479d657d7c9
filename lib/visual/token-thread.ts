/**
 * Worker-thread entry of the visual-token stage: decodes a page's crop PNGs, encodes them and
 * compresses the tokens (lib/visual/page-tokens.ts), so this CPU-bound work (about 30 ms a page
 * with the built-in encoder, seconds with an ONNX ViT) stays off the activity worker's event
 * loop. The encoder is loaded once per thread.
 */
import { parentPort } from 'node:worker_threads';
import { shippedForegroundWeights } from '../../models/visual/compress/foreground.ts';
import type { CropPlan } from '../../models/visual/crop-plan.ts';
import type { PageTokens, VisualLedger } from '../../models/visual/compress/pipeline.ts';
import { visionEncoderOf } from './encoder-of.ts';
import { pageVisualTokens } from './page-tokens.ts';

export type TokenThreadRequest =
  | { id: number; task: 'describe'; encoder: string }
  | { id: number; task: 'page'; encoder: string; retention: number; page: { width: number; height: number }; plan: CropPlan; pngs: Uint8Array[] };

export type TokenThreadReply =
  | { id: number; ok: true; name: string | null; tokens?: PageTokens; ledger?: VisualLedger }
  | { id: number; ok: false; message: string; loadError: boolean };

const port = parentPort;
if (!port) throw new Error('token-thread.ts runs as a worker thread');

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

port.on('message', async (request: TokenThreadRequest) => {
  let encoder: Awaited<ReturnType<typeof visionEncoderOf>>;
  try {
    encoder = await visionEncoderOf({ visionEncoder: request.encoder });
  } catch (error) {
    port.postMessage({ id: request.id, ok: false, message: messageOf(error), loadError: true } satisfies TokenThreadReply);
    return;
  }
  if (request.task === 'describe' || !encoder) {
    port.postMessage({ id: request.id, ok: true, name: encoder?.name ?? null } satisfies TokenThreadReply);
    return;
  }
  try {
    const { tokens, ledger } = await pageVisualTokens(encoder, request.page, request.plan, request.pngs, {
      retention: request.retention,
      foreground: { weights: shippedForegroundWeights() },
    });
    const buffers = [tokens.image, tokens.patch, tokens.box, tokens.score, tokens.mergedFrom, tokens.vectors].map((array) => array.buffer as ArrayBuffer);
    port.postMessage({ id: request.id, ok: true, name: encoder.name, tokens, ledger } satisfies TokenThreadReply, [...new Set(buffers)]);
  } catch (error) {
    port.postMessage({ id: request.id, ok: false, message: messageOf(error), loadError: false } satisfies TokenThreadReply);
  }
});
