import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TextRun } from '../../lib/pdf/text/lines.ts';
import { statementTablesOf } from '../../lib/pdf/text/statements.ts';
import type { Box } from '../../models/document/types.ts';

function run(text: string, x: number, top: number, size = 9): TextRun {
  return { text, box: [x, top, x + text.length * size * 0.5, top + size * 1.2], size, endsLine: true };
}

/** A small income statement: a year header over two right-aligned value columns. */
function statement(top: number): TextRun[] {
  const rows: [string, string, string][] = [
    ['Net sales', '260,174', '265,595'],
    ['Cost of sales', '161,782', '163,756'],
    ['Gross margin', '98,392', '101,839'],
    ['Operating expenses', '34,462', '30,941'],
    ['Operating income', '63,930', '70,898'],
    ['Net income', '55,256', '59,531'],
  ];
  const runs = [run('2019', 400, top), run('2018', 480, top)];
  rows.forEach(([label, a, b], i) => {
    const y = top + 16 * (i + 1);
    runs.push(run(label, 40, y), run(a, 418 - a.length * 4.5, y), run(b, 498 - b.length * 4.5, y));
  });
  return runs;
}

const prose = [run('The Company designs, manufactures and markets smartphones and personal computers.', 40, 500), run('It sells a range of related services around the world.', 40, 514)];

describe('layout model table regions in the statement reader', () => {
  const runs = [...statement(100), ...prose];
  const none = statementTablesOf(runs, 1, []);

  it('finds the statement from the words alone (the baseline the regions add to)', () => {
    assert.equal(none.tables.length, 1);
    assert.equal(none.tables[0].rows.length, 6);
  });

  it('does not read a region again when the page-wide search already took its words', () => {
    const region: Box = [30, 90, 560, 220];
    const fused = statementTablesOf(runs, 1, [], [region]);
    assert.deepEqual(fused.tables, none.tables);
    assert.deepEqual(fused.rest, none.rest);
  });

  it('makes no table of prose a region covers: the region needs the words’ own evidence', () => {
    const fused = statementTablesOf(prose, 1, [], [[30, 490, 560, 540]]);
    assert.equal(fused.tables.length, 0);
    assert.equal(fused.rest.length, prose.length);
  });
});
