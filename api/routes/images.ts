/** A page's crops (cut from its stored canvas) and thumbnail, and figures, as PNGs. */
import { createRoute, OpenAPIHono, type RouteConfig, z } from '@hono/zod-openapi';
import type { Stores } from '../../lib/store/open.ts';
import { storedCropPng } from '../../lib/visual/stored-crops.ts';
import { ApiError, validationHook } from '../errors.ts';
import { findDocument, findPage } from '../lookup.ts';
import { pngResponse } from '../responses.ts';
import { bearer, CropParams, errors, FigureParams, PageParams, png } from '../schemas.ts';

const crop = createRoute({
  method: 'get',
  path: '/{id}/pages/{n}/crops/{k}.png',
  tags: ['pages'],
  summary: "One of the page's AnyRes crops (0: the visual thumbnail, then the grid tiles)",
  security: bearer,
  request: { params: CropParams },
  responses: { 200: png('The crop as PNG.'), ...errors(404) },
});

const figure = createRoute({
  method: 'get',
  path: '/{id}/figures/{figure}.png',
  tags: ['pages'],
  summary: 'A figure, cropped from its page',
  security: bearer,
  request: { params: FigureParams },
  responses: { 200: png('The figure as PNG.'), ...errors(404) },
});

const thumbnail = createRoute({
  method: 'get',
  path: '/{id}/pages/{n}/thumbnail.png',
  tags: ['pages'],
  summary: "The page's thumbnail",
  security: bearer,
  request: { params: PageParams },
  responses: { 200: png('The thumbnail as PNG.'), ...errors(404) },
});

/**
 * A route whose last segment is `{name}.png`: the contract writes it so, while the router needs
 * it as a parameter with a pattern (`{name{[0-9]+\\.png}}`), whose value then ends in ".png" and
 * is checked against the same pattern as the contract's parameter, with the suffix.
 */
function pngSuffixed<R extends RouteConfig & { request: { params: z.ZodObject } }, P extends string>(route: R, name: string, routerPath: P) {
  const declared = route.request.params.shape[name] as z.ZodString;
  const params = route.request.params.extend({ [name]: z.string().refine((value) => value.endsWith('.png') && declared.safeParse(value.slice(0, -4)).success, 'must end in .png') });
  return { ...route, hide: true, path: routerPath, request: { ...route.request, params } } as unknown as Omit<R, 'path'> & { path: P };
}

/** Routes under /v1/documents. */
export function imageRoutes({ store, blobs }: Stores): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: validationHook });
  app.openAPIRegistry.registerPath(crop);
  app.openAPIRegistry.registerPath(figure);

  app.openapi(pngSuffixed(crop, 'k', '/{id}/pages/{n}/crops/{k{[0-9]+\\.png}}'), async (c) => {
    const doc = await findDocument(store, c.req.param('id'));
    // No findPage here: a crop URL names one image, so a page that is not stored is a missing crop.
    const page = await store.getPage(doc.id, Number(c.req.param('n')));
    const k = Number.parseInt(c.req.param('k'), 10);
    const png = page?.crops ? await storedCropPng(page.crops, k, blobs) : null;
    if (!png) throw new ApiError(404, 'crop_not_found', `No crop ${k} on page ${c.req.param('n')}.`);
    return pngResponse(c, png);
  });

  app.openapi(pngSuffixed(figure, 'figure', '/{id}/figures/{figure{[0-9]+-[0-9]+\\.png}}'), async (c) => {
    const doc = await findDocument(store, c.req.param('id'));
    const [page, index] = c.req.param('figure').replace('.png', '').split('-').map(Number);
    const figure = await store.figure(doc.id, page, index);
    if (!figure?.imageKey) throw new ApiError(404, 'figure_not_found', `No figure ${page}-${index} in ${doc.id}.`);
    return pngResponse(c, await blobs.get(figure.imageKey));
  });

  app.openapi(thumbnail, async (c) => {
    const doc = await findDocument(store, c.req.param('id'));
    const page = await findPage(store, doc, c.req.param('n'));
    if (!page.thumbnailKey) {
      throw new ApiError(404, 'thumbnail_missing', `Page ${page.page} has no thumbnail${page.error ? `: ${page.error}` : ''}.`);
    }
    return pngResponse(c, await blobs.get(page.thumbnailKey));
  });

  return app;
}
