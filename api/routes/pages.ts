/** A stored page as JSON (text units, image URLs) and its kept visual tokens. */
import { Hono } from 'hono';
import { deserializePageTokens } from '../../models/visual/compress/token-blob.ts';
import type { Stores } from '../../lib/store/open.ts';
import { ApiError } from '../errors.ts';
import { findDocument, findPage } from '../lookup.ts';
import { pageView, tokensView } from '../views.ts';

/** Routes under /v1/documents. */
export function pageRoutes({ store, blobs }: Stores): Hono {
  const app = new Hono();

  app.get('/:id/pages/:n', async (c) => {
    const doc = await findDocument(store, c.req.param('id'));
    const page = await findPage(store, doc, c.req.param('n'));
    return c.json(pageView(doc.id, page, await store.pageParagraphs(doc.id, page.page)));
  });

  app.get('/:id/pages/:n/tokens', async (c) => {
    const doc = await findDocument(store, c.req.param('id'));
    const { page } = await findPage(store, doc, c.req.param('n'));
    const stored = await store.visualTokens(doc.id, page);
    if (!stored) throw new ApiError(404, 'tokens_not_found', `Page ${page} has no visual tokens (no crops, FOLIO_VISION_ENCODER=off, or not encoded yet).`);
    const { header, tokens } = deserializePageTokens(await blobs.get(stored.key));
    return c.json(tokensView(page, header, tokens, stored.ledger));
  });

  return app;
}
