import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Box } from '../../models/document/types.ts';
import { periodOfHeader } from '../../models/tables/periods.ts';
import { cellValue, findStatementTables, tableCells, type Word } from '../../models/tables/statement.ts';
import { rowUnit, tableUnit } from '../../models/tables/units.ts';

/** Words laid out like a printed statement: `x` is each word's left edge, or its right edge when `right` is set. */
function line(y: number, parts: [string, number, boolean?][], size = 9): Word[] {
  return parts.map(([text, x, right]) => {
    const width = text.length * size * 0.5;
    const box: Box = right ? [x - width, y, x, y + size] : [x, y, x + width, y + size];
    return { text, box, size };
  });
}

const R = true;

function statementWords(): Word[] {
  return [
    ...line(40, [['CONSOLIDATED', 150], ['STATEMENTS', 215], ['OF', 270], ['OPERATIONS', 285]]),
    ...line(52, [['(in', 200], ['millions,', 215], ['except', 258], ['per', 290], ['share', 306], ['data)', 333]]),
    ...line(70, [['Year', 400], ['Ended', 422], ['December', 450], ['31,', 492]]),
    ...line(82, [['2019', 420, R], ['2018', 490, R], ['2017', 560, R]]),
    ...line(96, [['Net', 50], ['sales:', 68]]),
    ...line(108, [['Products', 60], ['$', 380], ['118,573', 420, R], ['$', 450], ['141,915', 490, R], ['$', 520], ['160,408', 560, R]]),
    ...line(120, [['Services', 60], ['(1)', 98], ['87,436', 420, R], ['90,972', 490, R], ['—', 560, R]]),
    ...line(132, [['Total', 50], ['net', 75], ['sales', 93], ['205,009', 420, R], ['232,887', 490, R], ['160,408', 560, R]]),
    ...line(144, [['Other', 50], ['income', 77], ['(expense),', 108], ['net', 157], ['$', 380], ['(1,197)', 420, R], ['(300)', 490, R], ['57', 560, R]]),
    ...line(156, [['Net', 50], ['cash', 68], ['provided', 92], ['by', 132], ['operating', 146]]),
    ...line(168, [['activities', 60], ['11,588', 420, R], ['10,073', 490, R], ['3,033', 560, R]]),
    ...line(180, [['Diluted', 50], ['earnings', 85], ['per', 125], ['share', 142], ['$', 380], ['2.15', 420, R], ['1.60', 490, R], ['1.25', 560, R]]),
    ...line(220, [['The', 50], ['accompanying', 70], ['notes', 135], ['are', 165], ['an', 183], ['integral', 197], ['part', 235], ['of', 257], ['these', 270], ['statements', 297], ['in', 350], ['2019', 362], ['and', 388], ['2018.', 410]]),
  ];
}

describe('statement tables', () => {
  it('reads printed cells as numbers: parentheses negative, dashes empty, "$" and "%" part of the number', () => {
    assert.equal(cellValue('$ (1,197)'), -1197);
    assert.equal(cellValue('(10,495)'), -10495);
    assert.equal(cellValue('12.5%'), 12.5);
    assert.equal(cellValue('—'), null);
    assert.equal(cellValue('-'), null);
    assert.equal(cellValue('$'), null);
    assert.equal(cellValue('1.60'), 1.6);
  });

  it('reads periods from column headers: lengths, years, dates and points in time', () => {
    assert.deepEqual(periodOfHeader('Year Ended December 31, 2019'), { year: 2019, quarter: null, months: 12, end: '2019-12-31', label: 'Year Ended December 31, 2019' });
    assert.equal(periodOfHeader('Three Months Ended June 30, 2023')?.months, 3);
    assert.equal(periodOfHeader('Six Months Ended June 30, 2022')?.year, 2022);
    const balance = periodOfHeader('September 28, 2019');
    assert.deepEqual([balance?.months, balance?.end], [null, '2019-09-28']);
    assert.equal(periodOfHeader('2018')?.months, 12);
    assert.equal(periodOfHeader('Fiscal Q2')?.year, undefined);
  });

  it('takes the table scale from the first unit named, and gives per-share and share-count rows their own', () => {
    const unit = tableUnit('(In millions, except number of shares which are reflected in thousands and per share amounts)', true);
    assert.deepEqual([unit.scale, unit.currency], [1e6, 'USD']);
    assert.equal(tableUnit('(in thousands)', false).scale, 1e3);
    assert.equal(tableUnit('Dollars in billions', false).currency, 'USD');
    assert.equal(rowUnit('Diluted', ['Earnings per share'], ['11.89'], unit)?.perShare, true);
    assert.equal(rowUnit('Diluted', ['Shares used in computing earnings per share'], ['4,648,913'], unit)?.perShare, false);
    assert.equal(rowUnit('Gross margin percentage', [], ['37.8%', '38.3%'], unit)?.percent, true);
    assert.equal(rowUnit('Net income', [], ['55,256'], unit), null);
  });

  it('joins labels to their values, "$" to its number, wrapped labels into one, and reads the header into periods', () => {
    const found = findStatementTables(statementWords(), 7);
    assert.equal(found.length, 1);
    const { table } = found[0];
    assert.equal(table.page, 7);
    assert.match(table.title ?? '', /CONSOLIDATED STATEMENTS OF OPERATIONS/);
    assert.deepEqual([table.unit.scale, table.unit.currency], [1e6, 'USD']);
    assert.deepEqual(
      table.columns.map((column) => [column.period?.year, column.period?.months]),
      [
        [2019, 12],
        [2018, 12],
        [2017, 12],
      ],
    );
    const byLabel = new Map(table.rows.map((row) => [row.label, row]));
    assert.deepEqual(
      table.rows.map((row) => row.label),
      ['Net sales', 'Products', 'Services', 'Total net sales', 'Other income (expense), net', 'Net cash provided by operating activities', 'Diluted earnings per share'],
    );
    const products = byLabel.get('Products');
    assert.deepEqual(
      products?.cells.map((cell) => [cell.column, cell.text, cell.value]),
      [
        [0, '$ 118,573', 118573],
        [1, '$ 141,915', 141915],
        [2, '$ 160,408', 160408],
      ],
    );
    assert.deepEqual(products?.parents, ['Net sales']);
    assert.equal(byLabel.get('Net sales')?.heading, true);
    assert.ok((products?.level ?? 0) > (byLabel.get('Net sales')?.level ?? 0), 'items under a heading are indented a level');
    // The footnote marker is not a value, and the dash is an empty cell.
    assert.deepEqual(byLabel.get('Services')?.cells.map((cell) => cell.value), [87436, 90972, null]);
    assert.equal(byLabel.get('Total net sales')?.total, true);
    assert.deepEqual(byLabel.get('Other income (expense), net')?.cells.map((cell) => cell.value), [-1197, -300, 57]);
    assert.deepEqual(byLabel.get('Net cash provided by operating activities')?.cells.map((cell) => cell.value), [11588, 10073, 3033]);
    assert.equal(byLabel.get('Diluted earnings per share')?.unit?.perShare, true);
    // The prose line below, whose last number sits close to its words, is not a row.
    assert.ok(!table.rows.some((row) => row.label.startsWith('The accompanying')));
    const cells = tableCells(table);
    assert.deepEqual(cells[0].slice(1), table.columns.map((column) => column.header));
    assert.deepEqual(cells[2], ['Products', '$ 118,573', '$ 141,915', '$ 160,408']);
  });

  it('finds no table in prose with numbers, nor in a list of short lines', () => {
    const prose = [
      ...line(100, [['Revenue', 50], ['grew', 95], ['12%', 122], ['to', 145], ['$1,234', 158], ['million', 195]]),
      ...line(112, [['in', 50], ['2019', 62], ['and', 88], ['operating', 108], ['income', 155], ['rose', 190], ['5%.', 215]]),
      ...line(124, [['Costs', 50], ['fell', 82], ['3%', 104], ['to', 122], ['$456', 135], ['million.', 165]]),
    ];
    assert.deepEqual(findStatementTables(prose, 1), []);
  });
  it('reads a grouping column: a name centred on its rows, on one row\'s line or between two rows, heads those rows', () => {
    // A results table: "Dataset" names set once beside their rows, groups set apart by extra space.
    const words = [
      ...line(40, [['Dataset', 50], ['Feature', 120], ['Train', 260, R], ['Test', 330, R]]),
      ...line(52, [['Weight', 120], ['22.3', 260, R], ['5.0', 330, R]]),
      ...line(60, [['Displ.', 120], ['139.6', 260, R], ['37.0', 330, R]]),
      // Centred on four rows: between the second and the third, on no line of its own.
      ...line(64, [['Auto-MPG', 50]]),
      ...line(68, [['W,D', 120], ['159.6', 260, R], ['42.6', 330, R]]),
      ...line(76, [['W,D,HP', 120], ['149.6', 260, R], ['39.3', 330, R]]),
      ...line(88, [['Trestbps', 120], ['188.6', 260, R], ['49.0', 330, R]]),
      // Centred on three rows: on the middle row's line.
      ...line(96, [['Heart', 50], ['Chol.', 120], ['212.6', 260, R], ['53.0', 330, R]]),
      ...line(104, [['T,C', 120], ['235.6', 260, R], ['60.3', 330, R]]),
      ...line(116, [['Cap.', 120], ['Gain', 142], ['7407', 260, R], ['1903', 330, R]]),
      ...line(120, [['Adult', 50]]),
      ...line(124, [['Hours', 120], ['379', 260, R], ['84', 330, R]]),
    ];
    const [found] = findStatementTables(words, 1);
    const rows = found.table.rows;
    const under = (group: string) => rows.filter((row) => !row.heading && row.parents[0] === group).map((row) => row.label);
    assert.deepEqual(rows.filter((row) => row.heading).map((row) => row.label), ['Auto-MPG', 'Heart', 'Adult']);
    assert.deepEqual(under('Auto-MPG'), ['Weight', 'Displ.', 'W,D', 'W,D,HP']);
    assert.deepEqual(under('Heart'), ['Trestbps', 'Chol.', 'T,C']);
    assert.deepEqual(under('Adult'), ['Cap. Gain', 'Hours']);
    assert.equal(rows.find((row) => row.label === 'Hours')?.cells[1].value, 84);
  });

  it('keeps a statement\'s headings as headings: a heading on a line of its own is not a grouping name', () => {
    const [found] = findStatementTables(statementWords(), 1);
    const products = found.table.rows.find((row) => row.label === 'Products');
    assert.deepEqual(products?.parents, ['Net sales']);
    assert.equal(products?.level, 1);
  });

  it('takes the scale a page states once above its tables when a table names none', () => {
    const words = [
      ...line(20, [['(In', 250], ['millions)', 266]]),
      // Far above the table (another table or prose may stand between).
      ...line(140, [['Net', 50], ['sales', 68]]),
      ...line(152, [['Americas', 60], ['116,914', 420, R], ['112,093', 490, R]]),
      ...line(164, [['Europe', 60], ['60,288', 420, R], ['62,420', 490, R]]),
      ...line(176, [['Greater', 60], ['China', 95], ['43,678', 420, R], ['51,942', 490, R]]),
    ];
    const [found] = findStatementTables(words, 1);
    assert.deepEqual([found.table.unit.scale, found.table.unit.source], [1e6, 'In millions']);
    // Without it, the table says nothing of its scale.
    const [bare] = findStatementTables(words.slice(2), 1);
    assert.deepEqual([bare.table.unit.scale, bare.table.unit.source], [1, null]);
  });

  it('reads a period length printed left of the columns ("Quarters Ended June 30,") into every column', () => {
    const words = [
      ...line(40, [['Quarters', 50], ['Ended', 92], ['June', 122], ['30,', 145], ['2023', 420, R], ['2022', 490, R]]),
      ...line(52, [['Revenues', 50], ['6,497.5', 420, R], ['5,718.4', 490, R]]),
      ...line(64, [['Operating', 50], ['income', 98], ['3,104.1', 420, R], ['1,711.8', 490, R]]),
      ...line(76, [['Net', 50], ['income', 70], ['2,310.4', 420, R], ['1,188.0', 490, R]]),
    ];
    const [found] = findStatementTables(words, 1);
    assert.deepEqual(found.table.columns.map((c) => [c.period?.year, c.period?.months, c.period?.end]), [[2023, 3, '2023-06-30'], [2022, 3, '2022-06-30']]);
  });

  it('takes a header date wider than the numbers under it, starting left of them, as the column header', () => {
    // "Dec 26, 2020" begins left of the right-aligned values; it is still clear of the labels.
    const words = [
      ...line(40, [['Years', 50], ['Ended', 78], ['Dec', 390], ['26,', 406], ['2020', 440, R], ['Dec', 460], ['28,', 476], ['2019', 510, R]]),
      ...line(54, [['Statutory', 50], ['federal', 94], ['income', 128], ['tax', 160], ['rate', 176], ['21.0', 440, R], ['21.0', 510, R]]),
      ...line(66, [['Research', 56], ['and', 98], ['development', 116], ['credits', 172], ['(2.1)', 440, R], ['(2.3)', 510, R]]),
      ...line(78, [['Other', 56], ['1.8', 440, R], ['0.7', 510, R]]),
      ...line(90, [['Effective', 50], ['tax', 94], ['rate', 110], ['16.7', 440, R], ['12.5', 510, R]]),
    ];
    const [found] = findStatementTables(words, 1);
    assert.deepEqual(found.table.columns.map((c) => [c.header, c.period?.year, c.period?.end]), [['Dec 26, 2020', 2020, '2020-12-26'], ['Dec 28, 2019', 2019, '2019-12-28']]);
    assert.equal(found.table.rows.length, 4);
  });

  it('reads "n/m" and "N/A" as cells with no value, so a row ending in one stays a row of the table', () => {
    assert.equal(cellValue('n/m'), null);
    assert.equal(cellValue('N/A'), null);
    const words = [
      ...line(40, [['2023', 420, R], ['2022', 490, R], ['Change', 560, R]]),
      ...line(52, [['Revenues', 50], ['6,497.5', 420, R], ['5,718.4', 490, R], ['14', 560, R]]),
      ...line(64, [['Other', 50], ['operating', 78], ['expense', 124], ['(35.8)', 420, R], ['886.1', 490, R], ['n/m', 560, R]]),
      ...line(76, [['Operating', 50], ['income', 98], ['3,104.1', 420, R], ['1,711.8', 490, R], ['81', 560, R]]),
      ...line(88, [['Nonoperating', 50], ['expense', 112], ['(42.8)', 420, R], ['12.1', 490, R], ['N/A', 560, R]]),
      ...line(100, [['Net', 50], ['income', 70], ['2,310.4', 420, R], ['1,188.0', 490, R], ['94', 560, R]]),
    ];
    const found = findStatementTables(words, 1);
    assert.equal(found.length, 1, 'one table, not split at the "n/m" rows');
    const rows = found[0].table.rows.map((r) => [r.label, r.cells.map((c) => c.value)]);
    assert.deepEqual(rows[1], ['Other operating expense', [-35.8, 886.1, null]]);
    assert.deepEqual(rows[3], ['Nonoperating expense', [-42.8, 12.1, null]]);
    assert.equal(rows.length, 5);
  });
});
