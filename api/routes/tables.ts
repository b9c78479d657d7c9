/** A document's tables as data: GET /v1/documents/:id/tables, and one table as JSON or CSV. */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Paragraph, StatementTable } from '../../models/document/types.ts';
import { tableCsv } from '../../models/tables/csv.ts';
import type { MetadataStore } from '../../lib/store/metadata.ts';
import { ApiError, validationHook } from '../errors.ts';
import { findDocument } from '../lookup.ts';
import { bearer, DocParams, errors, json, TableParams, TableQuery, TableSchema, TablesSchema } from '../schemas.ts';
import { type TablesView, tableView } from '../views.ts';

const list = createRoute({
  method: 'get',
  path: '/{id}/tables',
  tags: ['tables'],
  summary: "The document's tables with their cells, values, units, periods and boxes",
  security: bearer,
  request: { params: DocParams },
  responses: { 200: json(TablesSchema, 'Every table of the document.'), ...errors(404) },
});

const one = createRoute({
  method: 'get',
  path: '/{id}/tables/{table}',
  tags: ['tables'],
  summary: 'One table, as JSON or CSV',
  security: bearer,
  request: { params: TableParams, query: TableQuery },
  responses: {
    200: {
      description: 'The table: JSON by default, CSV with format=csv.',
      content: { 'application/json': { schema: TableSchema }, 'text/csv': { schema: z.string() } },
    },
    ...errors(404),
  },
});

function withTable(unit: Paragraph): unit is Paragraph & { table: StatementTable } {
  return unit.table !== undefined;
}

/** Routes under /v1/documents. */
export function tableRoutes({ store }: { store: MetadataStore }): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: validationHook });

  app.openapi(list, async (c) => {
    const doc = await findDocument(store, c.req.param('id'));
    return c.json({ documentId: doc.id, tables: (await store.tables(doc.id)).filter(withTable).map(tableView) } satisfies TablesView, 200);
  });

  app.openapi(one, async (c) => {
    const doc = await findDocument(store, c.req.param('id'));
    const name = c.req.param('table');
    const unit = (await store.tables(doc.id)).find((t) => `${t.page}-${t.index}` === name);
    if (!unit || !withTable(unit)) throw new ApiError(404, 'table_not_found', `Document ${doc.id} has no table ${name} (tables are named <page>-<index>; GET /tables lists them).`);
    const format = c.req.query('format') ?? 'json';
    if (format === 'csv') {
      c.header('content-type', 'text/csv; charset=utf-8');
      c.header('content-disposition', `attachment; filename="${doc.id.slice(0, 12)}-table-${name}.csv"`);
      return c.body(tableCsv(unit.table));
    }
    return c.json(tableView(unit), 200);
  });

  return app;
}
