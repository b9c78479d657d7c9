import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeAnswerability, MIN_COVERAGE } from '../../models/reader/answerability.ts';
import { analyseQuestion, questionFocus } from '../../models/reader/question.ts';
import { extractSpan } from '../../models/reader/span.ts';
import { queryTerms, words } from '../../models/text/tokenize.ts';

const span = (question: string, sentence: string) => extractSpan(sentence, queryTerms(question), words(question), analyseQuestion(question));

describe('answer spans', () => {
  it('takes what the sentence adds to the question', () => {
    assert.equal(span('What is the default bar width?', 'The default width of a bar is 0.8.'), '0.8');
    assert.equal(span('With set polar, how does gnuplot interpret input 2D coordinates?', 'The option set polar tells gnuplot to interpret input 2D coordinates as <angle>,<radius> rather than <x>,<y>.'), '<angle>,<radius> rather than <x>,<y>');
  });

  it('prefers a number when the question asks how many', () => {
    assert.equal(analyseQuestion('How many columns does it need?').type, 'number');
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

describe('table reading', () => {
  it('answers with the cell where the named row and column cross', async () => {
    const { readExtractive } = await import('../../models/reader/extractive.ts');
    const cells = [
      ['Dataset', 'Features', 'Min-Max', 'DLN', 'COMET'],
      ['Boston', 'Rooms', '30.88±13.78', '15.93±1.40', '11.54±2.55'],
      ['', 'Crime', '25.89±2.47', '12.06±1.44', '11.07±2.99'],
    ];
    const question = 'What test MSE does the Min-Max network obtain on Boston Housing with the Rooms feature?';
    const answer = readExtractive(
      question,
      queryTerms(question),
      () => 1,
      [{ page: 7, bbox: [0, 0, 10, 10], text: cells.map((r) => r.join(' | ')).join('\n'), score: 1, cells, caption: 'Table 4: MSE of Min-Max, DLN and COMET.' }],
      () => true,
    );
    assert.equal(answer.answer, '30.88±13.78');
    assert.equal(answer.evidence, 'Boston | Rooms | 30.88±13.78 | 15.93±1.40 | 11.54±2.55');
    assert.equal(answer.citations[0].page, 7);
  });
});
