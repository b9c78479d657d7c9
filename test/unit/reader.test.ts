import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeAnswerability, MIN_COVERAGE, questionFocus } from '../../models/reader/answerability.ts';
import { answerTypeOf, extractSpan } from '../../models/reader/span.ts';
import { queryTerms, words } from '../../models/text/tokenize.ts';

const span = (question: string, sentence: string) => extractSpan(sentence, queryTerms(question), words(question), answerTypeOf(question));

describe('answer spans', () => {
  it('takes what the sentence adds to the question', () => {
    assert.equal(span('What is the default bar width?', 'The default width of a bar is 0.8.'), '0.8');
    assert.equal(span('With set polar, how does gnuplot interpret input 2D coordinates?', 'The option set polar tells gnuplot to interpret input 2D coordinates as <angle>,<radius> rather than <x>,<y>.'), '<angle>,<radius> rather than <x>,<y>');
  });

  it('prefers a number when the question asks how many', () => {
    assert.equal(answerTypeOf('How many columns does it need?'), 'number');
    assert.equal(span('How many features does the statement include?', 'The statement, widely used in medicine, includes 22 features.'), '22');
  });

  it('returns the sentence when it shares no word with the question', () => {
    assert.equal(span('Who wrote it?', 'Bananas are yellow.'), 'Bananas are yellow.');
  });
});

describe('answerability', () => {
  it('reads the focus of which/what questions', () => {
    assert.deepEqual(questionFocus('Which NVIDIA CUDA versions does Octave support?'), ['nvidia', 'cuda', 'version']);
    assert.deepEqual(questionFocus('What was the dollar amount of the grant?'), ['dollar', 'amount']);
    assert.deepEqual(questionFocus('Who prepared the manual?'), []);
  });

  it('declines when the document never names what is asked for, or the evidence is too thin', () => {
    const vocabulary = new Set(['grant', 'foundat', 'version']);
    const inDocument = (term: string) => vocabulary.has(term);
    assert.equal(judgeAnswerability('What was the dollar amount of the grant?', inDocument, 0.9).answerable, false);
    assert.equal(judgeAnswerability('Which foundation gave the grant?', inDocument, MIN_COVERAGE / 2).answerable, false);
    assert.equal(judgeAnswerability('Which foundation gave the grant?', inDocument, 0.5).answerable, true);
  });
});
