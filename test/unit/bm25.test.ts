import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildBm25, deserializeBm25, idf, scoreBm25, serializeBm25, topK } from '../../models/retrieval/bm25.ts';
import { queryTerms, terms } from '../../models/text/tokenize.ts';

const texts = [
  'The default bar width is 0.8 in the bar function.',
  'Plot functions draw lines and markers.',
  'Bars and bars and more bars: the bar chart.',
  'Nothing relevant here at all.',
];

/** BM25 written out term by term, the slow obvious way, to check the inverted index. */
function bruteForce(query: string[], k1 = 1.2, b = 0.75): number[] {
  const docs = texts.map(terms);
  const avg = docs.reduce((n, d) => n + d.length, 0) / docs.length;
  return docs.map((doc) =>
    query.reduce((sum, term) => {
      const df = docs.filter((d) => d.includes(term)).length;
      if (df === 0) return sum;
      const tf = doc.filter((t) => t === term).length;
      const w = Math.log(1 + (docs.length - df + 0.5) / (df + 0.5));
      return sum + (w * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * doc.length) / avg));
    }, 0),
  );
}

describe('bm25', () => {
  it('matches a brute-force BM25', () => {
    const index = buildBm25(texts);
    const query = queryTerms('What is the default width of bars?');
    const scores = scoreBm25(index, query);
    const expected = bruteForce(query);
    for (let i = 0; i < texts.length; i++) assert.ok(Math.abs(scores[i] - expected[i]) < 1e-5, `unit ${i}`);
    assert.equal(topK(scores, 1)[0], 0);
  });

  it('survives serialisation unchanged', () => {
    const index = buildBm25(texts);
    const copy = deserializeBm25(serializeBm25(index));
    const query = queryTerms('bar chart lines');
    assert.deepEqual(Array.from(scoreBm25(copy, query)), Array.from(scoreBm25(index, query)));
    assert.equal(idf(copy, 'bar'), idf(index, 'bar'));
  });

  it('topK is ordered, drops zero scores, and breaks ties by lower index', () => {
    const scores = new Float32Array([0.5, 2, 0, 2, 1, 0.5]);
    assert.deepEqual(topK(scores, 3), [1, 3, 4]);
    assert.deepEqual(topK(scores, 10), [1, 3, 4, 0, 5]);
    assert.deepEqual(topK(scores, 0), []);
  });

  it('stems words and drops stopwords from queries, keeping numbers whole', () => {
    assert.deepEqual(queryTerms('What are the default widths of 2.20 bars?'), ['default', 'width', '2.20', 'bar']);
    // The "s" of a possessive is no word of its own.
    assert.deepEqual(queryTerms("What was Salesforce's headcount?"), ['salesforc', 'headcount']);
  });
});
