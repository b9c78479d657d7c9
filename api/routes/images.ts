/** A page's crops and thumbnail, and figures, as the PNGs ingestion stored. */
import { Hono } from 'hono';
import type { Stores } from '../../lib/store/open.ts';
import { ApiError } from '../errors.ts';
import { findDocument, findPage } from '../lookup.ts';
import { pngResponse } from '../responses.ts';

/** Routes under /v1/documents. */
export function imageRoutes({ store, blobs }: Stores): Hono {
  const app = new Hono();

  app.get('/:id/pages/:n/crops/:k{[0-9]+\\.png}', async (c) => {
    const doc = await findDocument(store, c.req.param('id'));
    // No findPage here: a crop URL names one image, so a page that is not stored is a missing crop.
    const page = await store.getPage(doc.id, Number(c.req.param('n')));
    const k = Number.parseInt(c.req.param('k'), 10);
    const key = page?.crops?.keys[k];
    if (!key) throw new ApiError(404, 'crop_not_found', `No crop ${k} on page ${c.req.param('n')}.`);
    return pngResponse(c, await blobs.get(key));
  });

  app.get('/:id/figures/:figure{[0-9]+-[0-9]+\\.png}', async (c) => {
    const doc = await findDocument(store, c.req.param('id'));
    const [page, index] = c.req.param('figure').replace('.png', '').split('-').map(Number);
    const figure = await store.figure(doc.id, page, index);
    if (!figure?.imageKey) throw new ApiError(404, 'figure_not_found', `No figure ${page}-${index} in ${doc.id}.`);
    return pngResponse(c, await blobs.get(figure.imageKey));
  });

  app.get('/:id/pages/:n/thumbnail.png', async (c) => {
    const doc = await findDocument(store, c.req.param('id'));
    const page = await findPage(store, doc, c.req.param('n'));
    if (!page.thumbnailKey) {
      throw new ApiError(404, 'thumbnail_missing', `Page ${page.page} has no thumbnail${page.error ? `: ${page.error}` : ''}.`);
    }
    return pngResponse(c, await blobs.get(page.thumbnailKey));
  });

  return app;
}
