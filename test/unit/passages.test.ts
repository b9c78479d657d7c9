import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bestPassageScores, unitPassages } from '../../models/retrieval/passages.ts';
import { buildSparseIndex, DEFAULT_EXPANSION, scoreSparseWeighted } from '../../models/retrieval/sparse.ts';
import { queryTermsWithPairs, words } from '../../models/text/tokenize.ts';

/** A sentence of `n` words (capitalised, so the sentence splitter sees where it starts). */
const filler = (n: number, word: string) => `${word[0].toUpperCase()}${Array.from({ length: n }, (_, i) => `${word}${i % 7}`).join(' ').slice(1)}.`;

test('a short unit is one passage, its whole text', () => {
  const { passages, unitOf } = unitPassages([{ page: 3, text: 'One sentence. And another one.', section: 'Intro' }], { maxWords: 10 });
  assert.deepEqual(passages, [{ page: 3, text: 'One sentence. And another one.', section: 'Intro' }]);
  assert.deepEqual([...unitOf], [0]);
});

test('a long unit gives a window at each sentence, within the word limit, ending at the unit end', () => {
  const text = ['Alpha beta gamma.', 'Delta epsilon.', 'Zeta eta theta iota.', 'Kappa.'].join(' ');
  const { passages, unitOf } = unitPassages([{ page: 1, text: 'Short.' }, { page: 2, text }], { maxWords: 6 });
  assert.deepEqual(
    passages.map((p) => p.text),
    ['Short.', 'Alpha beta gamma. Delta epsilon.', 'Delta epsilon. Zeta eta theta iota.', 'Zeta eta theta iota. Kappa.'],
  );
  assert.deepEqual([...unitOf], [0, 1, 1, 1]);
  for (const p of passages.slice(1)) assert.ok(words(p.text).length <= 6 || !p.text.includes('. '), p.text);
  assert.ok(passages.slice(1).every((p) => p.page === 2));
});

test('a sentence longer than the limit is a window alone', () => {
  const long = filler(12, 'w');
  const { passages } = unitPassages([{ page: 1, text: `${long} Tail here.` }], { maxWords: 5 });
  assert.deepEqual(passages.map((p) => p.text), [long, 'Tail here.']);
});

test('each unit takes its best passage score', () => {
  assert.deepEqual([...bestPassageScores([0.5, 2, 1, 0, 3], Int32Array.from([0, 0, 1, 1, 3]), 4)], [2, 1, 0, 3]);
});

test('the sentence that answers ranks its long paragraph above a short one that only shares a word', () => {
  // The long paragraph holds the answer in one sentence among many about something else; the
  // short unit names "employees" once. Whole-unit scoring ranks the short unit first (length
  // normalisation); best-passage scoring ranks the paragraph first.
  const answer = 'As of December 31 we had 743 full-time employees in our offices.';
  // Sentences about the lease run longer than a window, so the answer sentence is a window alone.
  const long = [filler(70, 'lease'), filler(70, 'tenant'), answer, filler(70, 'rent'), filler(70, 'property')].join(' ');
  const units = [
    { page: 1, text: long },
    { page: 2, text: 'Benefits for employees are described later.' },
    ...Array.from({ length: 30 }, (_, i) => ({ page: 3 + i, text: `Unrelated text number ${i} about the weather.` })),
  ];
  const query = new Map(queryTermsWithPairs('How many full-time employees did we have?').map((t) => [t, 1]));
  const whole = scoreSparseWeighted(buildSparseIndex(units, { ...DEFAULT_EXPANSION, neighbourWeight: 0 }), query);
  assert.ok(whole[1] > whole[0], 'whole-unit scoring buries the long paragraph (the case this mechanism is for)');
  const { passages, unitOf } = unitPassages(units);
  const best = bestPassageScores(scoreSparseWeighted(buildSparseIndex(passages, { ...DEFAULT_EXPANSION, neighbourWeight: 0 }), query), unitOf, units.length);
  assert.ok(best[0] > best[1], `best passage: paragraph ${best[0]} vs short unit ${best[1]}`);
});
