import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inMemoryDocumentIndex } from '../../lib/retrieval/document-index.ts';
import { retrieve } from '../../lib/retrieval/retrieve.ts';
import { topK } from '../../models/retrieval/bm25.ts';
import { columnName, indexUnits, rowText, rowUnitsOf, unitName } from '../../models/retrieval/row-units.ts';
import { makeStatement, tableParagraph, textParagraph, USD_MILLIONS, yearPeriod } from '../helpers/statement.ts';

const operations = makeStatement({
  page: 3,
  title: 'CONSOLIDATED STATEMENTS OF OPERATIONS',
  periods: [yearPeriod(2019), yearPeriod(2018), yearPeriod(2017)],
  rows: [
    { label: 'Net sales', cells: ['$ 260,174', '$ 265,595', '$ 229,234'], total: true },
    { label: 'Operating expenses:', heading: true },
    { label: 'Research and development', cells: ['16,217', '14,236', '11,581'], level: 1, parents: ['Operating expenses:'] },
    { label: 'Net income', cells: ['$ 55,256', '$ 59,531', '$ 48,351'], total: true },
    { label: 'Diluted', cells: ['$ 11.89', '$ 11.91', '$ 9.21'], unit: { ...USD_MILLIONS, scale: 1, perShare: true } },
  ],
});

const cashFlows = makeStatement({
  page: 5,
  title: 'CONSOLIDATED STATEMENTS OF CASH FLOWS',
  periods: [yearPeriod(2019), yearPeriod(2018)],
  rows: [
    { label: 'Net cash provided by operating activities', cells: ['69,391', '77,434'] },
    { label: 'Purchases of property and equipment', cells: ['(10,495)', '(13,313)'] },
    { label: 'Proceeds from sales of marketable securities', cells: ['56,988', '47,838'] },
  ],
});

describe('row units', () => {
  it('reads a row as label, period: value pairs and the unit', () => {
    assert.equal(rowText(operations, operations.rows[3]), 'Net income — 2019: $ 55,256; 2018: $ 59,531; 2017: $ 48,351 (USD millions)');
    assert.equal(rowText(operations, operations.rows[2]), 'Operating expenses: › Research and development — 2019: 16,217; 2018: 14,236; 2017: 11,581 (USD millions)');
    assert.equal(rowText(operations, operations.rows[4]).endsWith('(USD per share)'), true);
    assert.equal(unitName({ ...USD_MILLIONS, percent: true }), 'percent');
    assert.equal(columnName({ header: 'Three Months Ended', period: yearPeriod(2023, 3, 2), box: [0, 0, 1, 1] }, 0), 'Q2 2023');
    assert.equal(columnName({ header: '', period: null, box: [0, 0, 1, 1] }, 2), 'column 3');
  });

  it('makes one unit per row with values, carrying the row reference, the title and the row box', () => {
    const rows = rowUnitsOf(tableParagraph(operations, 4, ['Item 8']));
    assert.equal(rows.length, 4, 'the heading row is skipped');
    assert.equal(rows[0].caption, 'CONSOLIDATED STATEMENTS OF OPERATIONS');
    assert.equal(rows[0].row?.row, 0);
    assert.equal(rows[1].row?.table.rows[rows[1].row.row].label, 'Research and development');
    assert.deepEqual(rows[1].bbox, operations.rows[2].box);
    assert.deepEqual(rows[0].section, ['Item 8']);
    assert.equal(rowUnitsOf(textParagraph(1, 0, 'prose')).length, 0);
  });

  it('puts each table’s rows right after it, and leaves other paragraphs alone', () => {
    const units = indexUnits([textParagraph(3, 0, 'intro'), tableParagraph(operations, 1), textParagraph(3, 2, 'after')]);
    assert.deepEqual(units.map((u) => (u.row ? `row ${u.row.row}` : u.text.slice(0, 5))), ['intro', 'Net s', 'row 0', 'row 2', 'row 3', 'row 4', 'after']);
  });

  it('lets retrieval find the row a question names, by the analyst term too', () => {
    const index = inMemoryDocumentIndex('doc', [
      textParagraph(1, 0, 'We invest in research and development to build new products and services for customers.'),
      textParagraph(2, 0, 'Capital expenditures are planned to grow next year as we build data centers.'),
      tableParagraph(operations, 0),
      tableParagraph(cashFlows, 0),
    ]);
    const best = (question: string) => index.units[topK(retrieve(index, question, ['sparse']).scores, 1)[0]];
    assert.equal(best('What was net income in 2019?').row?.table.rows[3].label, 'Net income');
    const capex = best('What was the FY2019 capex amount?');
    assert.equal(capex.row ? capex.row.table.rows[capex.row.row].label : capex.text, 'Purchases of property and equipment');
    // Built without row units, the index holds the stored paragraphs only.
    assert.equal(inMemoryDocumentIndex('doc', [tableParagraph(operations, 0)], { rowUnits: false }).units.length, 1);
    // Without concept expansion, "capex" has no statement words to match.
    const plain = retrieve(index, 'What was the FY2019 capex amount?', ['sparse'], undefined, { conceptWeight: 0 });
    assert.equal(plain.scores.every((score) => score === 0), true);
  });
  it('gives a table continued from the page before that page\'s periods, title and unit', () => {
    const years = [yearPeriod(2019), yearPeriod(2018)];
    const first = makeStatement({ page: 40, title: 'CONSOLIDATED BALANCE SHEETS', periods: years, rows: [{ label: 'Total current assets', cells: ['162,819', '131,339'] }] });
    const headerless = (page: number, count: number) => ({
      ...makeStatement({ page, title: null, unit: { ...USD_MILLIONS, scale: 1, source: null }, periods: new Array(count).fill(null), rows: [{ label: 'Total liabilities', cells: new Array(count).fill('248,028') }] }),
      continued: true,
    });
    const rowsOf = (units: ReturnType<typeof indexUnits>) => units.filter((u) => u.row).map((u) => u.text);
    const joined = rowsOf(indexUnits([tableParagraph(first, 0), tableParagraph(headerless(41, 2), 0)]));
    assert.equal(joined[1], 'Total liabilities — 2019: 248,028; 2018: 248,028 (USD millions)');
    // Not the page right after, or other columns: it stays as printed.
    assert.doesNotMatch(rowsOf(indexUnits([tableParagraph(first, 0), tableParagraph(headerless(42, 2), 0)]))[1], /2019/);
    assert.doesNotMatch(rowsOf(indexUnits([tableParagraph(first, 0), tableParagraph(headerless(41, 3), 0)]))[1], /2019/);
  });
});
