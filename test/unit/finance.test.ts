import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gradeNumeric, pageHitAtK, pageRecallAtK } from '../../lib/eval/metrics.ts';
import { questionType } from '../../lib/eval/questions.ts';
import { type CandidateUnit, readExtractive } from '../../models/answer/extractive.ts';
import { type Concept, conceptQueryTerms, conceptSynonyms, withSynonyms, expansionLabels, financeVocabulary, findConcepts, labelFit, makeVocabulary, normalizePhrase } from '../../models/finance/concepts.ts';
import { firstNumber, printedNumbers, statedDecimals, wholeNumber } from '../../models/finance/numbers.ts';
import { queryTerms } from '../../models/text/tokenize.ts';

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

describe('evidence-page measures', () => {
  it('recall@k counts every evidence page; hit@k asks for any one of them', () => {
    const ranking = [7, 3, 3, 9, 12];
    assert.equal(pageRecallAtK(ranking, [3, 12], 1), 0);
    assert.equal(pageRecallAtK(ranking, [3, 12], 2), 0.5, 'repeated pages count once toward k');
    assert.equal(pageRecallAtK(ranking, [3, 12], 4), 1);
    assert.equal(pageHitAtK(ranking, [3, 12], 1), 0);
    assert.equal(pageHitAtK(ranking, [3, 12], 2), 1);
    assert.equal(pageHitAtK(ranking, [], 5), 0);
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

describe('financial concept vocabulary', () => {
  const vocabulary = makeVocabulary([
    { id: 'revenue', gaap: [], terms: ['top line', 'net sales'], labels: ['Total net sales', 'Total revenues'] },
    { id: 'capex', gaap: [], terms: ['capex', 'capital expenditure'], labels: ['Purchases of property and equipment'] },
    { id: 'ocf', gaap: [], terms: ['cfo', 'operating cash flow'], labels: ['Net cash provided by operating activities'] },
    { id: 'fcf', gaap: [], terms: ['free cash flow'], labels: ['Free cash flow'], formula: 'ocf - capex' },
    { id: 'gross_profit', gaap: [], terms: ['gross margin'], labels: ['Gross margin'] },
    { id: 'gm_pct', gaap: [], terms: ['gross margin percentage'], labels: [], percent: true },
    { id: 'rnd', gaap: [], terms: ['r&d'], labels: ['Research and development'] },
  ]);

  it('normalises abbreviations, hyphens and possessives', () => {
    assert.equal(normalizePhrase("Company’s R & D, top-line"), 'company r&d top line');
    assert.equal(normalizePhrase('Property, plant and equipment, net'), 'property plant and equipment net');
  });

  it('finds the concepts a question names, the longest phrase winning', () => {
    const ids = (q: string) => findConcepts(q, vocabulary).map((m) => m.concept.id);
    assert.deepEqual(ids("What was the company's top-line in FY2019?"), ['revenue']);
    assert.deepEqual(ids('How much did it spend on R&D and capex?'), ['rnd', 'capex']);
    assert.deepEqual(ids('Gross margin percentage is gross margin / net sales'), ['gm_pct', 'gross_profit', 'revenue']);
    assert.deepEqual(ids('What is the capital structure?'), []);
  });

  it('expands a derived measure by the labels of its inputs', () => {
    const labels = expansionLabels(findConcepts('free cash flow in 2018', vocabulary), vocabulary);
    assert.ok(labels.includes('Net cash provided by operating activities'));
    assert.ok(labels.includes('Purchases of property and equipment'));
    const terms = conceptQueryTerms('What was capex?', 0.5, vocabulary);
    assert.equal(terms.get('purchas'), 0.5);
    assert.equal(terms.has('capex'), false);
  });

  it('weighs a concept\'s labels fully when the question\'s word for it is printed nowhere in the document', () => {
    const printed = new Set(['purchas', 'properti', 'equip']);
    assert.equal(conceptQueryTerms('What was capex?', 0.5, vocabulary, (term) => printed.has(term)).get('purchas'), 1);
    printed.add('capex');
    assert.equal(conceptQueryTerms('What was capex?', 0.5, vocabulary, (term) => printed.has(term)).get('purchas'), 0.5);
  });

  it('scores row labels against a concept', () => {
    const capex = vocabulary.byId.get('capex') as Concept;
    const ocf = vocabulary.byId.get('ocf') as Concept;
    assert.equal(labelFit('Purchases of property and equipment', capex), 1);
    assert.equal(labelFit('Net cash provided by operating activities of continuing operations', ocf), 0.8);
    assert.equal(labelFit('Net cash used in investing activities', ocf), 0);
  });

  it('rejects a formula over an unknown concept, and the shipped file loads', () => {
    assert.throws(() => makeVocabulary([{ id: 'x', gaap: [], terms: [], labels: [], formula: 'y + z' }]), /unknown concept "y"/);
    const shipped = financeVocabulary();
    assert.ok(shipped.concepts.length >= 30);
    assert.deepEqual(findConcepts('What was the D&A and net PP&E?', shipped).map((m) => m.concept.id), ['depreciation_and_amortization', 'net_ppe']);
  });
});

describe('concepts in the sentence reader', () => {
  it('lets a printed label cover the analyst word for it', () => {
    const synonyms = conceptSynonyms('What was the capex in 2019?');
    assert.deepEqual(synonyms[0].phraseTerms, ['capex']);
    const present = withSynonyms(new Set(['purchas', 'of', 'properti', 'and', 'equip']), synonyms);
    assert.equal(present.has('capex'), true);
    assert.equal(withSynonyms(new Set(['purchas', 'properti']), synonyms).has('capex'), false);
  });

  it('answers from the sentence that prints the label, not the one that repeats other words', () => {
    const units: CandidateUnit[] = [
      { page: 1, bbox: [0, 0, 1, 1], text: 'Capex guidance for 2020 will be announced later in the year.', score: 1 },
      { page: 2, bbox: [0, 0, 1, 1], text: 'In 2019, purchases of property and equipment were $10,495 million.', score: 0.9 },
    ];
    const question = 'How much was capex in 2019?';
    const idf = () => 1;
    const read = readExtractive(question, queryTerms(question), idf, units, (term) => term !== 'capex');
    assert.equal(read.found, true, read.notFoundReason ?? '');
    assert.equal(read.citations[0].page, 2);
  });
});
