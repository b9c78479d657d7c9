/**
 * Retrieval options beyond the default fusion: weighted query terms, pseudo-relevance
 * feedback, per-scorer fusion weights and MMR diversity among the sampler's hits.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DocumentIndex, inMemoryDocumentIndex } from '../../lib/retrieval/document-index.ts';
import { retrieve } from '../../lib/retrieval/retrieve.ts';
import type { Paragraph } from '../../models/document/types.ts';
import { buildDenseIndex } from '../../models/retrieval/dense.ts';
import { denseSimilarity, mmrOrder, termOverlapSimilarity } from '../../models/retrieval/diversity.ts';
import { DEFAULT_FEEDBACK, feedbackTerms } from '../../models/retrieval/feedback.ts';
import { selectUnits } from '../../models/retrieval/sampler.ts';
import { buildSparseIndex, scoreSparse, scoreSparseWeighted } from '../../models/retrieval/sparse.ts';
import { queryTermsWithPairs } from '../../models/text/tokenize.ts';

const box: [number, number, number, number] = [0, 0, 1, 1];

/** An in-memory document index built the way a stored one is, with unit vectors when given. */
function indexOf(texts: readonly [number, string][], dense?: Float32Array, dimension = 0): DocumentIndex {
  const units: Paragraph[] = texts.map(([page, text], i) => ({ page, index: i, bbox: box, text }));
  return { ...inMemoryDocumentIndex('test', units), dense: dense ? buildDenseIndex(dense, dimension, 'test') : null };
}

function best(scores: Float32Array): number {
  let top = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[top]) top = i;
  return top;
}

describe('weighted sparse queries', () => {
  const index = buildSparseIndex([
    { page: 1, text: 'Spider plots are sometimes called radar charts.' },
    { page: 2, text: 'The default bar width is 0.8.' },
    { page: 3, text: 'Plot spider webs and bar charts.' },
  ]);

  it('equals the unweighted score when every weight is 1', () => {
    const terms = queryTermsWithPairs('spider plot bar width');
    const plain = scoreSparse(index, terms);
    const weighted = scoreSparseWeighted(index, new Map(terms.map((t) => [t, 1])));
    assert.deepEqual(Array.from(weighted), Array.from(plain));
  });

  it('scales each term’s contribution by its weight and ignores zero weights', () => {
    const spider = scoreSparse(index, ['spider']);
    const bar = scoreSparse(index, ['bar']);
    const mixed = scoreSparseWeighted(index, new Map([['spider', 1], ['bar', 0.25], ['chart', 0]]));
    for (let i = 0; i < mixed.length; i++) assert.ok(Math.abs(mixed[i] - (spider[i] + 0.25 * bar[i])) < 1e-6, `unit ${i}`);
  });
});

describe('pseudo-relevance feedback terms', () => {
  const idf = () => 1;
  const feedback = [
    { text: 'Radar charts are also known as spider plots; each variable has an axis.', score: 0.05 },
    { text: 'A spider plot draws one axis per variable, 12 axes at most.', score: 0.04 },
    { text: 'Polygon webs connect the axis points of a spider plot.', score: 0.03 },
  ];

  it('adds words the feedback units share, never the question’s own terms or numbers', () => {
    const added = feedbackTerms(feedback, ['radar', 'chart'], idf, { ...DEFAULT_FEEDBACK, minUnits: 2 });
    assert.ok(added.has('spider') && added.has('axi') && added.has('plot'), [...added.keys()].join(' '));
    assert.ok(!added.has('radar') && !added.has('chart'));
    assert.ok(!added.has('12'), 'numbers do not expand a query');
    assert.ok(!added.has('polygon'), 'a word of one unit only stays out with minUnits 2');
    assert.ok(!added.has('also') && !added.has('the'), 'stopwords stay out');
  });

  it('weights the strongest term at `weight`, the rest below it, best first', () => {
    const added = feedbackTerms(feedback, ['radar'], idf, { units: 3, terms: 4, weight: 0.4, minUnits: 1 });
    const weights = [...added.values()];
    assert.equal(weights.length, 4);
    assert.ok(Math.abs(weights[0] - 0.4) < 1e-9);
    for (let i = 1; i < weights.length; i++) assert.ok(weights[i] <= weights[i - 1] && weights[i] > 0);
  });

  it('uses only the first `units` feedback units, and returns nothing without positive scores', () => {
    const one = feedbackTerms(feedback, [], idf, { units: 1, terms: 50, weight: 0.3, minUnits: 1 });
    assert.ok(!one.has('polygon') && one.has('radar'));
    assert.equal(feedbackTerms(feedback.map((f) => ({ ...f, score: 0 })), [], idf).size, 0);
  });

  it('ranks by idf too: a word frequent in the document loses to a rarer shared one', () => {
    const rare = (term: string) => (term === 'spider' ? 3 : 0.1);
    const added = feedbackTerms(feedback, [], rare, { units: 3, terms: 1, weight: 0.3, minUnits: 2 });
    assert.deepEqual([...added.keys()], ['spider']);
  });
});

describe('retrieve with feedback and fusion weights', () => {
  const filler = (i: number): [number, string] => [10 + i, `Unrelated appendix ${i} about licensing, fonts and printing margins.`];
  const texts: [number, string][] = [
    [1, 'Radar charts: the spider plot, one axis per variable.'],
    [1, 'Radar charts are spider plot webs with an axis per variable.'],
    filler(0),
    filler(1),
    filler(2),
    // Never names radar charts: only the expanded query finds it.
    [5, 'A spider plot axis per variable; set the axis limits with rlim.'],
    filler(3),
    filler(4),
  ];
  const spiderUnit = 5;
  // Fillers that are no unit's reading-order neighbour of a spider unit (the sparse index
  // expands a unit with its neighbours' words).
  const farFillers = [3, 7];
  const index = indexOf(texts);
  const question = 'How are radar charts configured?';

  it('without feedback, a unit without the question’s words scores nothing', () => {
    const plain = retrieve(index, question);
    assert.equal(plain.scores[spiderUnit], 0);
    assert.deepEqual(plain.expansion, []);
  });

  it('with feedback, the expanded query reaches it, below the units that match the question', () => {
    const expanded = retrieve(index, question, undefined, undefined, { feedback: { units: 2, terms: 5, weight: 0.3, minUnits: 2 } });
    assert.ok(expanded.scores[spiderUnit] > 0);
    assert.ok(expanded.scores[0] > expanded.scores[spiderUnit] && expanded.scores[1] > expanded.scores[spiderUnit]);
    const added = expanded.expansion.map(([term]) => term);
    assert.ok(added.includes('spider'), added.join(' '));
    for (const [, weight] of expanded.expansion) assert.ok(weight > 0 && weight <= 0.3);
    for (const filler of farFillers) assert.equal(expanded.scores[filler], 0, 'no filler is pulled in');
  });

  it('a scorer’s fusion weight moves its favourite up; weight 0 removes its say', () => {
    // Dense vectors that match the spider unit only, against the sparse scorer that prefers
    // unit 0: at equal weight the tie goes to `sparse`.
    const dim = 2;
    const vectors = new Float32Array(texts.length * dim);
    for (let i = 0; i < texts.length; i++) vectors.set(i === spiderUnit ? [1, 0] : [0, 1], i * dim);
    const withDense = indexOf(texts, vectors, dim);
    const queryVector = Float32Array.from([1, 0]);
    const equal = retrieve(withDense, question, ['sparse', 'dense'], queryVector);
    assert.equal(best(equal.scores), 0);
    const heavy = retrieve(withDense, question, ['sparse', 'dense'], queryVector, { weights: { dense: 3 } });
    assert.equal(best(heavy.scores), spiderUnit);
    const silent = retrieve(withDense, question, ['sparse', 'dense'], queryVector, { weights: { dense: 0 } });
    const sparseOnly = retrieve(withDense, question, ['sparse']);
    assert.deepEqual(Array.from(silent.scores), Array.from(sparseOnly.scores));
  });
});

describe('a period the question names is one constraint', () => {
  // As in a filing: a tenth of the units print the period; one answers the question and
  // prints no date.
  const dated = Array.from({ length: 8 }, (_, i): [number, string] => [i + 1, `Balance ${i} at December 31, 2021 was ${100 + i} million.`]);
  const filler = Array.from({ length: 60 }, (_, i): [number, string] => [i + 10, `Note ${i} describes the accounting policy for leases of kind ${i}.`]);
  const index = indexOf([...dated, ...filler, [90, 'We had 412 employees at year end, most of them engineers.']]);

  it('lets the subject word outvote the words of the date', () => {
    const retrieval = retrieve(index, 'How many employees did we have as of December 31, 2021?', ['sparse']);
    assert.equal(index.units[best(retrieval.scores)].page, 90);
  });

  it('still ranks by the date among units that share the subject', () => {
    const withDates = indexOf([...dated, ...filler, [30, 'We had 380 employees at December 31, 2020.'], [31, 'We had 412 employees at December 31, 2021.']]);
    const retrieval = retrieve(withDates, 'How many employees did we have as of December 31, 2021?', ['sparse']);
    assert.equal(withDates.units[best(retrieval.scores)].page, 31);
  });
});

describe('dense as a re-ranker of the lexical candidates', () => {
  const texts: [number, string][] = [
    [1, 'Radar charts: the spider plot, one axis per variable.'],
    [2, 'Radar charts are spider plot webs with an axis per variable.'],
    [3, 'Unrelated appendix about licensing, fonts and printing margins.'],
    [4, 'Printing margins are set in the page setup dialog.'],
    [5, 'Fonts are embedded when the file is printed.'],
  ];
  // Dense likes unit 1 among the lexical candidates and unit 4, which no lexical scorer finds.
  const vectors = Float32Array.from([0, 1, 1, 0.1, 0, 1, 0, 1, 1, 0]);
  const index = indexOf(texts, vectors, 2);
  const question = 'How are radar charts configured?';
  const queryVector = Float32Array.from([1, 0]);
  const equal = { weights: {} };

  it('re-orders the lexical candidates and adds nothing they did not find', () => {
    const free = retrieve(index, question, ['sparse', 'dense'], queryVector, equal);
    assert.ok(free.scores[4] > 0, 'over all units, dense brings unit 4 in');
    const within = retrieve(index, question, ['sparse', 'dense'], queryVector, { ...equal, denseWithin: 2 });
    assert.equal(within.scores[4], 0);
    assert.equal(best(within.scores), 1, 'dense moved unit 1 above unit 0');
  });

  it('fills the set with dense’s own best units when the lexical scorers find too few', () => {
    const paraphrase = 'Which typefaces get embedded?';
    const within = retrieve(index, paraphrase, ['dense'], queryVector, { ...equal, denseWithin: 2 });
    assert.deepEqual(
      Array.from(within.scores, (s) => s > 0),
      [false, true, false, false, true],
    );
  });
});

describe('maximal marginal relevance', () => {
  const units = [
    { text: 'Set the axis limits of a spider plot with rlim.' },
    { text: 'Set the axis limits of a spider plot with rlim.' },
    { text: 'Spider plot axis limits come from rlim.' },
    { text: 'Colours of the web lines are taken from the colormap.' },
    { text: 'Printing uses the default paper size.' },
  ];
  const relevance = Float32Array.from([1, 0.99, 0.98, 0.9, 0.5]);

  it('keeps the relevance order at diversity 0 and rejects a diversity outside [0, 1]', () => {
    assert.deepEqual(mmrOrder([0, 1, 2, 3, 4], relevance, termOverlapSimilarity(units), 0), [0, 1, 2, 3, 4]);
    assert.throws(() => mmrOrder([0, 1, 2], relevance, termOverlapSimilarity(units), 1.5), /diversity/);
  });

  it('moves a repeat below a distinct unit', () => {
    const order = mmrOrder([0, 1, 2, 3, 4], relevance, termOverlapSimilarity(units), 0.5);
    assert.equal(order[0], 0);
    assert.equal(order[1], 3, 'the distinct unit comes before the repeat and the near-repeat');
    assert.deepEqual([...order].sort(), [0, 1, 2, 3, 4], 'a permutation of the candidates');
  });

  it('measures word overlap as Jaccard over content words, and dense similarity as cosine', () => {
    const overlap = termOverlapSimilarity(units);
    assert.equal(overlap(0, 1), 1);
    assert.equal(overlap(0, 3), 0);
    assert.ok(overlap(0, 2) > 0.5 && overlap(0, 2) < 1);
    const dense = denseSimilarity(buildDenseIndex(Float32Array.from([1, 0, 3, 4, 0, -1]), 2, 'm'));
    assert.ok(Math.abs(dense(0, 1) - 0.6) < 1e-6);
    assert.equal(dense(0, 2), 0, 'opposite vectors count as unrelated');
  });

  it('lets the sampler take a distinct hit instead of a duplicate', () => {
    const sampled = units.map((u, i) => ({ page: i + 1, index: 0, bbox: box, text: u.text }));
    const options = { hits: 2, neighbours: 0, tokenBudget: 1000 };
    assert.deepEqual(
      selectUnits(sampled, relevance, options).units.map((u) => u.unit),
      [0, 1],
    );
    assert.deepEqual(
      selectUnits(sampled, relevance, { ...options, diversity: 0.5 }).units.map((u) => u.unit),
      [0, 3],
    );
  });
});

describe('subject terms', () => {
  // "Acme" is printed on every page (the filer's name in each page footer) but in few of the
  // units: it says which document, not which page, yet its unit frequency leaves it a high
  // IDF. A question naming it must be ranked by its other words.
  const filler = (page: number, k: number) => `Section ${page}.${k} covers topic${page}x${k} and item${page}y${k} in detail.`;
  const texts: [number, string][] = [];
  for (let page = 1; page <= 12; page++) {
    for (let k = 0; k < 4; k++) texts.push([page, filler(page, k)]);
    texts.push([page, `Acme Corporation, page ${page}`]);
  }
  texts.push([4, 'Acme Acme Acme: the Acme brand.']);
  const answer: [number, string] = [9, `${filler(9, 7)} ${filler(9, 8)} ${filler(9, 9)} Our headcount was 743 at year end. ${filler(9, 10)} ${filler(9, 11)}`];
  texts.push(answer);

  it('a term on most pages of a long document does not outvote the question\'s other words', () => {
    const { scores } = retrieve(indexOf(texts), 'What was the headcount of Acme?');
    assert.equal(texts[best(scores)], answer, `best: ${texts[best(scores)][1]}`);
  });

  it('a short document keeps every term at full weight (too few pages to tell a subject)', () => {
    const short = indexOf([[1, 'Acme Acme Acme: the Acme brand.'], [2, 'Staff: 743 full-time employees.'], [3, 'Unrelated words about weather.']]);
    assert.equal(best(retrieve(short, 'Acme').scores), 0);
  });
});
