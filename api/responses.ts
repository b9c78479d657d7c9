/** Response shapes shared by routes (JSON errors are in errors.ts). */
import type { Context } from 'hono';

/**
 * A stored page image or figure as PNG, cached as immutable: the document id in its URL is the
 * hash of the PDF it was rendered from.
 */
export function pngResponse(c: Context, bytes: Uint8Array): Response {
  return c.body(new Uint8Array(bytes), 200, { 'content-type': 'image/png', 'cache-control': 'public, max-age=31536000, immutable' });
}
