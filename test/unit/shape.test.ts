import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DocumentIndex, inMemoryDocumentIndex } from '../../lib/retrieval/document-index.ts';
import { retrieve } from '../../lib/retrieval/retrieve.ts';
import { answerShape, holdsShape, rowHoldsShape } from '../../models/answer/shape.ts';
import type { Paragraph } from '../../models/document/types.ts';

describe('what shape the answer must have', () => {
  it('a count of the thing the question names, up to the first function word', () => {
    const shape = answerShape('How many columns of data does the boxes style require?');
    assert.equal(shape?.kind, 'count');
    assert.deepEqual(shape?.kind === 'count' ? [...shape.nouns] : [], ['column']);
    assert.equal(answerShape('According to the report, how many full-time employees did we have?')?.kind, 'count');
    assert.equal(answerShape('What was the number of stores at year end?')?.kind, 'count');
  });

  it('a synonym names the thing counted by its head noun ("headcount" is written "employees")', () => {
    const shape = answerShape("What was the company's headcount at year end?", ['employees', 'full-time employees']);
    assert.ok(shape?.kind === 'count' && shape.nouns.has('employe'), JSON.stringify(shape));
  });

  it('a count word inside another ask is no count; money is no count', () => {
    assert.equal(answerShape('Which function sets the limit on the number of times a function may recurse?'), null);
    assert.equal(answerShape('On average, by how much does the method reduce the number of errors?'), null);
    assert.equal(answerShape('How many dollars did it cost?'), null);
  });

  it('a date, from "on what date" or "when did", not from a clause that starts with "when"', () => {
    assert.deepEqual(answerShape('On what date did the company file for bankruptcy?'), { kind: 'date' });
    assert.deepEqual(answerShape('When did the merger close?'), { kind: 'date' });
    assert.equal(answerShape('When Octave runs as root, to which directory do packages install?'), null);
  });
});

describe('which text holds the shape', () => {
  const employees = answerShape('How many employees did the company have?');
  if (!employees) throw new Error('a count question');

  it('a quantity just before the thing counted, a word or two between allowed', () => {
    assert.ok(holdsShape('As of December 31, 2015, we had approximately 765 employees.', employees));
    assert.ok(holdsShape('We had 79,390 full-time employees, of which 52 percent were in the US.', employees));
  });

  it('not a year, a percentage, money, or a number that ends its clause', () => {
    assert.equal(holdsShape('The 2015 Employee Stock Purchase Plan was approved.', employees), false);
    assert.equal(holdsShape('About 37% employees were women.', employees), false);
    assert.equal(holdsShape('Costs of $683 million relate to employee severance.', employees), false);
    assert.equal(holdsShape('Revenue grew 12 percent among employees of partners.', employees), false);
    assert.equal(holdsShape('The plan covers 12. Employees are eligible later.', employees), false);
    assert.equal(holdsShape('Employees number in the thousands.', employees), false);
  });

  it('a date written out or in digits', () => {
    const date = { kind: 'date' } as const;
    assert.ok(holdsShape('The Debtors filed petitions on January 29, 2019 in the court.', date));
    assert.ok(holdsShape('Filed 29 Jan 2019.', date));
    assert.ok(holdsShape('Effective 2019-01-29.', date));
    assert.equal(holdsShape('In fiscal 2019 revenue grew.', date), false);
  });

  it('a statement row holds a count when its label names the thing and its values are not money', () => {
    assert.ok(rowHoldsShape('Number of employees', null, employees));
    assert.equal(rowHoldsShape('Employee compensation', 'USD', employees), false);
    assert.equal(rowHoldsShape('Stores', null, employees), false);
  });
});

describe('the shape scorer in retrieval', () => {
  const box: [number, number, number, number] = [0, 0, 1, 1];
  const indexOf = (texts: readonly [number, string][]): DocumentIndex =>
    inMemoryDocumentIndex('test', texts.map(([page, text], i): Paragraph => ({ page, index: i, bbox: box, text })));
  // Many units speak of employees (benefit plans, costs); one counts them, in a long paragraph.
  const texts: [number, string][] = [];
  for (let page = 1; page <= 20; page++) {
    texts.push([page, page <= 8 ? `Employee benefit plan ${page}: employees of the company may defer compensation under the employee plan.` : `Section ${page} describes leases, tenants and property.`]);
  }
  const answer: [number, string] = [
    7,
    'Our culture values trust and growth across every office and region we serve. We invest in training, mentoring and leadership programs for our teams worldwide. As of year end we had 4,210 employees. Our offices are in several cities.',
  ];
  texts.push(answer);
  const best = (scores: Float32Array) => scores.indexOf(Math.max(...scores));

  it('puts the unit that counts the thing first, where the word scorers bury it', () => {
    const question = 'How many employees did the company have?';
    const without = retrieve(indexOf(texts), question, ['sparse', 'passages', 'pages']);
    const withShape = retrieve(indexOf(texts), question, ['sparse', 'passages', 'shape', 'pages']);
    assert.ok(withShape.scorers.includes('shape'));
    assert.equal(texts[best(withShape.scores)], answer);
    assert.notEqual(texts[best(without.scores)], answer, 'the case this scorer is for: without it another unit wins');
  });

  it('has nothing to say when the question asks for no shape', () => {
    const r = retrieve(indexOf(texts), 'Which plan lets employees defer compensation?', ['sparse', 'passages', 'shape', 'pages']);
    assert.equal(r.scorers.includes('shape'), false);
  });
});
