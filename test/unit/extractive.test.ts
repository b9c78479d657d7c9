import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bestWindow, readExtractive } from '../../models/answer/extractive.ts';
import { sentences } from '../../models/text/sentences.ts';
import { queryTerms } from '../../models/text/tokenize.ts';

const unit = (page: number, text: string, score: number) => ({ page, bbox: [0, 0, 100, 20] as [number, number, number, number], text, score });

describe('extractive reader', () => {
  it('answers with the sentence covering the question best and cites its unit first', () => {
    const question = 'What is the default relative tolerance of quadgk?';
    const answer = readExtractive(question, queryTerms(question), () => 1, [
      unit(12, 'quadgk integrates functions. It is adaptive.', 3),
      unit(723, 'Options are listed below. The default relative tolerance is 1e-6 for quadgk.', 2),
    ], () => true);
    assert.equal(answer.found, true);
    assert.equal(answer.evidence, 'The default relative tolerance is 1e-6 for quadgk.');
    assert.equal(answer.answer, '1e-6');
    assert.equal(answer.citations[0].page, 723);
    assert.equal(answer.citations[0].quote, answer.evidence);
    assert.equal(answer.citations.length, 2);
  });

  it('says not found when no retrieved unit shares a term with the question', () => {
    const answer = readExtractive('Which GPU was used?', queryTerms('Which GPU was used?'), () => 1, [unit(1, 'Bananas are yellow.', 1)], () => true);
    assert.equal(answer.found, false);
    assert.deepEqual(answer.citations, []);
  });

  it('cuts long sentence-less text to the best window', () => {
    const words = Array.from({ length: 200 }, (_, i) => `w${i}`);
    words[150] = 'tolerance';
    const window = bestWindow(words.join(' '), (t) => (t === 'toler' ? 5 : 0), 20);
    assert.equal(window.split(' ').length, 20);
    assert.ok(window.includes('tolerance'));
  });

  it('splits sentences without breaking "Fig. 3" or decimals', () => {
    assert.deepEqual(sentences('See Fig. 3 for details. The value is 2.5 here.'), ['See Fig. 3 for details.', 'The value is 2.5 here.']);
  });
});
