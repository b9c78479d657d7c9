/**
 * Worker-thread entry of the visual-token activity: decodes a stored page's crop images (cut
 * from its canvas PNG), encodes them and compresses the tokens (lib/visual/page-tokens.ts), so
 * this CPU-bound work (seconds a page with an ONNX ViT) stays off the activity worker's event
 * loop. The encoder is loaded once per thread.
 */
import type { PageTokens, VisualLedger } from '../../models/visual/compress/pipeline.ts';
import type { CropPlan } from '../../models/visual/crop-plan.ts';
import { serveThread } from '../threads/serve.ts';
import { EncoderLoadError, visionEncoderOf } from './encoder-of.ts';
import { pageVisualTokens, shippedPipelineOptions } from './page-tokens.ts';
import { type CropSource, cropImagesOf } from './stored-crops.ts';

export type TokenThreadRequest =
  | { task: 'describe'; encoder: string }
  | { task: 'page'; encoder: string; retention: number; page: { width: number; height: number }; plan: CropPlan; source: CropSource };

export interface TokenThreadReply {
  name: string | null;
  tokens?: PageTokens;
  ledger?: VisualLedger;
}

/** The load failure's reason with its cause's, since the stage reports only the message. */
function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

serveThread<TokenThreadRequest, TokenThreadReply>(
  async (request) => {
    const encoder = await visionEncoderOf({ encoder: request.encoder }).catch((error: unknown) => {
      throw new EncoderLoadError(messageOf(error), { cause: error });
    });
    if (request.task === 'describe' || !encoder) return { name: encoder?.name ?? null };
    const started = performance.now();
    const images = await cropImagesOf(request.source, request);
    const { tokens, ledger } = await pageVisualTokens(encoder, request.page, request.plan, images, shippedPipelineOptions(request.retention), performance.now() - started);
    return { name: encoder.name, tokens, ledger };
  },
  ({ tokens }) => (tokens ? [...new Set([tokens.image, tokens.patch, tokens.box, tokens.score, tokens.mergedFrom, tokens.vectors].map((array) => array.buffer as ArrayBuffer))] : []),
);
