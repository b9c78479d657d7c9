/** A document's tables as data: GET /v1/documents/:id/tables, and one table as JSON or CSV. */
import { Hono } from 'hono';
import type { Paragraph, StatementTable } from '../../models/document/types.ts';
import { tableCsv } from '../../models/tables/csv.ts';
import type { MetadataStore } from '../../lib/store/metadata.ts';
import { ApiError } from '../errors.ts';
import { findDocument } from '../lookup.ts';
import { type TablesView, tableView } from '../views.ts';

function withTable(unit: Paragraph): unit is Paragraph & { table: StatementTable } {
  return unit.table !== undefined;
}

/** Routes under /v1/documents. */
export function tableRoutes({ store }: { store: MetadataStore }): Hono {
  const app = new Hono();

  app.get('/:id/tables', async (c) => {
    const doc = await findDocument(store, c.req.param('id'));
    return c.json({ documentId: doc.id, tables: (await store.tables(doc.id)).filter(withTable).map(tableView) } satisfies TablesView);
  });

  app.get('/:id/tables/:table', async (c) => {
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
    if (format !== 'json') throw new ApiError(400, 'bad_format', `format must be json or csv, got "${format}".`);
    return c.json(tableView(unit));
  });

  return app;
}
