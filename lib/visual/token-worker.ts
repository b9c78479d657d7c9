/**
 * The activity side of the visual-token thread (token-thread.ts): one long-lived thread per
 * process, requests answered in turn. A thread that dies (out of memory, a native crash) fails
 * the request in progress with the reason and is replaced on the next request.
 */
import type { PageTokens, VisualLedger } from '../../models/visual/compress/pipeline.ts';
import type { CropPlan } from '../../models/visual/crop-plan.ts';
import { ThreadHost } from '../threads/host.ts';
import { EncoderLoadError } from './encoder-of.ts';
import type { CropSource } from './stored-crops.ts';
import type { TokenThreadReply, TokenThreadRequest } from './token-thread.ts';

export class VisualTokenThread {
  private readonly host = new ThreadHost<TokenThreadRequest, TokenThreadReply>({
    name: 'visual-token',
    entry: new URL('./token-thread.ts', import.meta.url),
    errors: [EncoderLoadError],
  });

  /** The encoder's name, or null when the stage is off; throws EncoderLoadError when it cannot load. */
  async describe(encoder: string): Promise<string | null> {
    return (await this.host.request({ task: 'describe', encoder })).name;
  }

  async encodePage(
    encoder: string,
    retention: number,
    page: { width: number; height: number },
    plan: CropPlan,
    source: CropSource,
  ): Promise<{ tokens: PageTokens; ledger: VisualLedger }> {
    const reply = await this.host.request({ task: 'page', encoder, retention, page, plan, source });
    if (!reply.tokens || !reply.ledger) throw new Error('the visual-token thread sent no tokens');
    return { tokens: reply.tokens, ledger: reply.ledger };
  }

  close(): Promise<void> {
    return this.host.close();
  }
}
