/** A stored page as JSON (text units, image URLs) and its kept visual tokens. */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { deserializePageTokens } from '../../models/visual/compress/token-blob.ts';
import type { Stores } from '../../lib/store/open.ts';
import { ApiError, validationHook } from '../errors.ts';
import { findDocument, findPage } from '../lookup.ts';
import { bearer, errors, json, PageParams, PageSchema, TokensSchema } from '../schemas.ts';
import { pageView, tokensView } from '../views.ts';

const page = createRoute({
  method: 'get',
  path: '/{id}/pages/{n}',
  tags: ['pages'],
  summary: "A page's units in reading order, with boxes and image URLs",
  security: bearer,
  request: { params: PageParams },
  responses: { 200: json(PageSchema, 'The page.'), ...errors(404) },
});

const tokens = createRoute({
  method: 'get',
  path: '/{id}/pages/{n}/tokens',
  tags: ['pages'],
  summary: "The page's kept visual tokens and the budget ledger",
  security: bearer,
  request: { params: PageParams },
  responses: { 200: json(TokensSchema, 'The kept tokens, with their boxes on the page.'), ...errors(404) },
});

/** Routes under /v1/documents. */
export function pageRoutes({ store, blobs }: Stores): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: validationHook });

  app.openapi(page, async (c) => {
    const doc = await findDocument(store, c.req.param('id'));
    const page = await findPage(store, doc, c.req.param('n'));
    return c.json(pageView(doc.id, page, await store.pageParagraphs(doc.id, page.page)), 200);
  });

  app.openapi(tokens, async (c) => {
    const doc = await findDocument(store, c.req.param('id'));
    const { page } = await findPage(store, doc, c.req.param('n'));
    const stored = await store.visualTokens(doc.id, page);
    if (!stored) throw new ApiError(404, 'tokens_not_found', `Page ${page} has no visual tokens (no crops, FOLIO_VISION_ENCODER=off, or not encoded yet).`);
    const { header, tokens } = deserializePageTokens(await blobs.get(stored.key));
    return c.json(tokensView(page, header, tokens, stored.ledger), 200);
  });

  return app;
}
