import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gradeNumeric } from '../../lib/eval/metrics.ts';
import { questionType } from '../../lib/eval/questions.ts';
import { firstNumber, printedNumbers, statedDecimals, wholeNumber } from '../../models/finance/numbers.ts';

describe('printed numbers', () => {
  it('reads currency, thousands commas, decimals, percentages and parentheses', () => {
    assert.deepEqual(
      printedNumbers('$10,495 then 37.8% then 1.60 then $ (1,197) and −3.5').map((n) => n.value),
      [10495, 37.8, 1.6, -1197, -3.5],
    );
    const percent = firstNumber('margin 37.8%');
    assert.equal(percent?.percent, true);
    assert.equal(firstNumber('1.60')?.decimals, 2);
    assert.equal(firstNumber('$10,495')?.currency, true);
  });

  it('does not read digits inside words, and applies scale words', () => {
    assert.deepEqual(printedNumbers('Form 10-K for Q2').map((n) => n.value), []);
    assert.equal(firstNumber('about 2.5 billion')?.value, 2.5e9);
  });

  it('tells a number-only answer from text that holds a number', () => {
    assert.equal(wholeNumber('$2,490,821')?.value, 2490821);
    assert.equal(wholeNumber(' (10,495) ')?.value, -10495);
    assert.equal(wholeNumber('Approximately 137,000 employees'), null);
    assert.equal(wholeNumber('one FedEx'), null);
  });

  it('reads the rounding a question states', () => {
    assert.equal(statedDecimals('Round to one decimal place.'), 1);
    assert.equal(statedDecimals('Round your answer to two decimal places.'), 2);
    assert.equal(statedDecimals('Rounded to the nearest whole number'), 0);
    assert.equal(statedDecimals('What was the revenue?'), null);
  });
});

describe('numeric grading', () => {
  it('accepts the stated rounding and rejects one place off', () => {
    const q = 'What is the margin? Round to one decimal place.';
    assert.equal(gradeNumeric('37.8%', '37.8%', q).correct, true);
    assert.equal(gradeNumeric('The margin was 37.9%', '37.8%', q).correct, true);
    assert.equal(gradeNumeric('38.0%', '37.8%', q).correct, false);
  });

  it('accepts 1% without a stated rounding, and an outflow as its magnitude', () => {
    const q = 'What was capex in 2019?';
    assert.equal(gradeNumeric('$ (10,495) (USD millions)', '$10,495', q).correct, true);
    assert.equal(gradeNumeric('10,550', '$10,495', q).correct, true);
    assert.equal(gradeNumeric('10,700', '$10,495', q).correct, false);
  });

  it('does not grade text answers, and a "not found" never matches', () => {
    assert.equal(gradeNumeric('137,000', 'Approximately 137,000 employees', 'How many?').numeric, false);
    assert.equal(gradeNumeric('Not found in this document.', '$10', 'q').correct, false);
    assert.equal(gradeNumeric('10', '$10', 'q', false).correct, false);
    assert.equal(gradeNumeric('no number here', '$10', 'q').predicted, null);
  });

  it('types a question by question_type, else kind', () => {
    const base = { id: 'x', doc: 'd.pdf', question: 'q', answer: null, evidence_pages: [] };
    assert.equal(questionType({ ...base, question_type: 'numerical', kind: 'text' }), 'numerical');
    assert.equal(questionType({ ...base, kind: 'text' }), 'text');
    assert.equal(questionType(base), 'all');
  });
});
