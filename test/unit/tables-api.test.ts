/** The tables routes over real stores: every table with its data, one as JSON or CSV. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { appSettingsOf, createApp } from '../../api/app.ts';
import type { TablesView, TableView } from '../../api/views.ts';
import { loadConfig } from '../../lib/config.ts';
import { DocumentIndexCache } from '../../lib/retrieval/document-index.ts';
import { openStores } from '../../lib/store/open.ts';
import { makeStatement, tableParagraph, textParagraph, yearPeriod } from '../helpers/statement.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-tables-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('tables API', () => {
  it('lists the tables with their data, and serves one as JSON and as CSV', async () => {
    const config = loadConfig({ FOLIO_DATA_DIR: dir });
    const stores = openStores(config.dataDir);
    const docId = 'd'.repeat(64);
    await stores.store.insertDocument({ id: docId, filename: 'filing.pdf', bytes: 1 });
    const table = makeStatement({
      page: 3,
      title: 'CONSOLIDATED STATEMENTS OF OPERATIONS',
      periods: [yearPeriod(2019), yearPeriod(2018)],
      headers: ['2019', '2018'],
      rows: [
        { label: 'Total net sales', cells: ['$ 280,522', '$ 232,887'], total: true },
        { label: 'Other income (expense), net', cells: ['(1,197)', null] },
      ],
    });
    await stores.store.savePage(docId, { page: 3, width: 612, height: 792, thumbnailKey: null, error: null, crops: null, paragraphs: [textParagraph(3, 0, 'Results of operations'), tableParagraph(table, 1)] });
    const app = createApp({ ...appSettingsOf(config), client: {} as Client, indexes: new DocumentIndexCache(stores.store, stores.blobs), ...stores });

    const list = (await (await app.request(`/v1/documents/${docId}/tables`)).json()) as TablesView;
    assert.equal(list.tables.length, 1, 'the text unit is not a table');
    assert.equal(list.tables[0].id, '3-1');
    assert.deepEqual(list.tables[0].rows[1].cells.map((cell) => cell.value), [-1197]);
    assert.equal(list.tables[0].unit.scale, 1e6);

    const one = (await (await app.request(`/v1/documents/${docId}/tables/3-1`)).json()) as TableView;
    assert.deepEqual(one.columns.map((column) => column.period?.year), [2019, 2018]);

    const csv = await app.request(`/v1/documents/${docId}/tables/3-1?format=csv`);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    assert.equal(await csv.text(), ',2019,2018\r\nTotal net sales,"$ 280,522","$ 232,887"\r\n"Other income (expense), net","(1,197)",\r\n');

    assert.equal((await app.request(`/v1/documents/${docId}/tables/3-0`)).status, 404);
    assert.equal((await app.request(`/v1/documents/${docId}/tables/3-1?format=xml`)).status, 400);
    await stores.store.close();
  });
});
