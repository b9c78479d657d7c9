import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { liftRanks, ranksOf, reciprocalRankFusion } from '../../models/retrieval/fusion.ts';
import { captionLabel, referencedLabels } from '../../models/document/labels.ts';
import { estimateTokens, selectUnits } from '../../models/retrieval/sampler.ts';
import {
  buildSparseIndex,
  DEFAULT_EXPANSION,
  deserializeSparse,
  type SparseIndex,
  scoreSparse,
  serializeSparse,
  sparseTermId,
} from '../../models/retrieval/sparse.ts';
import { queryTermsWithPairs, termsWithPairs } from '../../models/text/tokenize.ts';

const units = [
  { page: 1, text: 'Spider plots are sometimes called radar charts.' },
  { page: 1, text: 'They draw one axis per variable.' },
  { page: 2, text: 'The default bar width is 0.8.' },
  { page: 3, text: 'Plot spider webs and bar charts.' },
];

/** Reads a unit's full weight vector back out of the inverted index. */
function vectorOf(index: SparseIndex, unit: number): Map<string, number> {
  const vector = new Map<string, number>();
  index.vocabulary.forEach((term, id) => {
    for (let p = index.postingsStart[id]; p < index.postingsStart[id + 1]; p++) {
      if (index.postingUnits[p] === unit) vector.set(term, index.postingWeights[p]);
    }
  });
  return vector;
}

describe('inference-free sparse index', () => {
  const index = buildSparseIndex(units);

  it('scores exactly the brute-force dot product Σ idf(t)·w_d(t)', () => {
    const query = queryTermsWithPairs('What are spider plots also called?');
    const scores = scoreSparse(index, query);
    units.forEach((_, unit) => {
      const vector = vectorOf(index, unit);
      let expected = 0;
      for (const term of new Set(query)) {
        const id = sparseTermId(index, term);
        if (id >= 0) expected += index.idf[id] * (vector.get(term) ?? 0);
      }
      assert.ok(Math.abs(scores[unit] - expected) < 1e-5, `unit ${unit}`);
    });
  });

  it('is linear in idf: doubling it doubles every score and keeps the ranking', () => {
    const query = queryTermsWithPairs('spider plot bar');
    const once = scoreSparse(index, query);
    const twice = scoreSparse(index, query, 2);
    for (let i = 0; i < once.length; i++) assert.ok(Math.abs(twice[i] - 2 * once[i]) < 1e-5);
    assert.deepEqual(Array.from(ranksOf(twice)), Array.from(ranksOf(once)));
  });

  it('scores 0 for a query of out-of-vocabulary terms, and counts a repeated term once', () => {
    assert.ok(scoreSparse(index, ['zzz', 'qqq']).every((s) => s === 0));
    assert.deepEqual(Array.from(scoreSparse(index, ['spider', 'spider'])), Array.from(scoreSparse(index, ['spider'])));
  });

  it('expands a unit with its neighbours and its page, at lower weight than its own words', () => {
    const second = vectorOf(index, 1);
    assert.ok((second.get('radar') ?? 0) > 0, 'a neighbour’s word reaches the unit');
    assert.ok((second.get('radar') ?? 0) < (second.get('axi') ?? 0), 'own words weigh more');
    const unexpanded = buildSparseIndex(units, { ...DEFAULT_EXPANSION, neighbourWeight: 0, pageWeight: 0 });
    assert.equal(vectorOf(unexpanded, 1).get('radar'), undefined);
  });

  it('ranks the unit holding the question’s phrase first', () => {
    const ranks = ranksOf(scoreSparse(index, queryTermsWithPairs('What else are spider plots called?')));
    assert.equal(ranks[0], 0);
  });

  it('survives serialisation unchanged', () => {
    const copy = deserializeSparse(serializeSparse(index));
    const query = queryTermsWithPairs('bar width');
    assert.deepEqual(Array.from(scoreSparse(copy, query)), Array.from(scoreSparse(index, query)));
  });

  it('prunes each vector to its strongest terms by idf × weight, ties to the earlier term in string order', () => {
    // Many words once each: scores tie in groups, so the cut falls inside a tie.
    const many = Array.from({ length: 6 }, (_, u) => ({ page: 1 + (u % 2), text: Array.from({ length: 30 }, (_, w) => `w${(u * 7 + w * 3) % 41}`).join(' ') }));
    const full = buildSparseIndex(many, { ...DEFAULT_EXPANSION, maxTermsPerUnit: Number.MAX_SAFE_INTEGER });
    const max = 25;
    const pruned = buildSparseIndex(many, { ...DEFAULT_EXPANSION, maxTermsPerUnit: max });
    const idfOfTerm = new Map(full.vocabulary.map((term, id) => [term, full.idf[id]]));
    many.forEach((_, unit) => {
      const scored = [...vectorOf(full, unit)].map(([term, weight]) => ({ term, score: weight * (idfOfTerm.get(term) ?? 0) }));
      // The stored weights are float32 copies of the doubles the build ranks by; these scores are far enough apart that rounding keeps their order.
      scored.sort((a, b) => b.score - a.score || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0));
      assert.ok(scored.length > max, `unit ${unit} has ${scored.length} terms before pruning`);
      const expected = scored.slice(0, max).map((s) => s.term).sort();
      assert.deepEqual([...vectorOf(pruned, unit).keys()].sort(), expected, `unit ${unit}`);
    });
  });

  it('pairs adjacent content words, skipping stopwords', () => {
    assert.deepEqual(termsWithPairs('tolerance of quadgk'), ['toler', 'of', 'quadgk', 'toler quadgk']);
  });
});

describe('fusion', () => {
  it('ranks by score, leaves unscored items unranked, and breaks ties by index', () => {
    assert.deepEqual(Array.from(ranksOf(new Float32Array([0.5, 0, 2, 0.5]))), [1, -1, 0, 2]);
  });

  it('sums 1/(k + rank) over the rankings that rank an item', () => {
    const fused = reciprocalRankFusion([Int32Array.from([0, 1, -1]), Int32Array.from([1, -1, 0])], 60);
    assert.ok(Math.abs(fused[0] - (1 / 60 + 1 / 61)) < 1e-7);
    assert.ok(Math.abs(fused[1] - 1 / 61) < 1e-7);
    assert.ok(Math.abs(fused[2] - 1 / 60) < 1e-7);
  });

  it('lifts page ranks to the units on each page', () => {
    assert.deepEqual(Array.from(liftRanks(Int32Array.from([1, 0]), Int32Array.from([0, 0, 1]))), [1, 1, 0]);
  });
});

describe('labels', () => {
  it('finds named figures and tables in questions and recognises captions', () => {
    assert.deepEqual(referencedLabels('In Figure 15.2 and Table 3, and fig. 4'), ['figure 15.2', 'table 3', 'figure 4']);
    assert.equal(captionLabel('Figure 15.2: Histogram.'), 'figure 15.2');
    assert.equal(captionLabel('Table 1. Examples of diagnosands'), 'table 1');
    assert.equal(captionLabel('As Figure 3 shows, the curve rises.'), null);
  });
});

describe('sampler', () => {
  const page = (p: number, i: number, text: string) => ({ page: p, index: i, bbox: [0, 0, 1, 1] as [number, number, number, number], text });
  const sampled = [page(1, 0, 'a b c'), page(1, 1, 'd e f'), page(1, 2, 'g h i'), page(2, 0, 'j k l'), page(2, 1, 'm n o')];

  it('takes the best hits with their neighbours, in reading order', () => {
    const selection = selectUnits(sampled, new Float32Array([0, 1, 0, 0, 0.5]), { hits: 2, neighbours: 1, tokenBudget: 1000 });
    assert.deepEqual(
      selection.units.map((u) => [u.unit, u.hit]),
      [
        [0, false],
        [1, true],
        [2, false],
        [3, false],
        [4, true],
      ],
    );
    assert.equal(selection.candidates, 2);
  });

  it('brings the next page’s first unit with the last unit of a page (a paragraph cut by the page break)', () => {
    const selection = selectUnits(sampled, new Float32Array([0, 0, 1, 0, 0]), { hits: 1, neighbours: 1, tokenBudget: 1000 });
    assert.deepEqual(
      selection.units.map((u) => u.unit),
      [1, 2, 3],
    );
  });

  it('stops at the token budget', () => {
    const selection = selectUnits(sampled, new Float32Array([0, 1, 0, 0, 0.5]), { hits: 2, neighbours: 1, tokenBudget: 2 * estimateTokens('a b c') });
    assert.ok(selection.tokens <= 2 * estimateTokens('a b c'));
    assert.equal(selection.units.length, 2);
  });

  it('with k equal to the number of units returns everything in reading order', () => {
    const selection = selectUnits(sampled, new Float32Array([0.1, 0.5, 0.2, 0.4, 0.3]), { hits: 5, neighbours: 0, tokenBudget: 1e9 });
    assert.deepEqual(
      selection.units.map((u) => u.unit),
      [0, 1, 2, 3, 4],
    );
  });
});
