import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bestWindow, readExtractive } from '../../models/answer/extractive.ts';
import { sentences } from '../../models/text/sentences.ts';
import { queryTerms, terms as termsOf } from '../../models/text/tokenize.ts';

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

  it('reads a later sentence with its paragraph\'s first one, which names what "it" is', () => {
    // Both paragraphs answer "how many columns"; only the first one's topic sentence names the
    // style asked about, two sentences before the answer.
    const question = 'How many columns of data does the boxerrorbars plotting style require?';
    const idf = (term: string) => (term === 'boxerrorbar' ? 1.5 : 1);
    const answer = readExtractive(question, queryTerms(question), idf, [
      unit(68, 'The dots style plots a tiny dot at each point of a plotting area. Either 1 or 2 columns of input data are required in 2D.', 1),
      unit(62, 'The boxerrorbars style is only relevant to 2D data. It is a combination of two other styles. It requires 3, 4, or 5 columns of data.', 1),
    ], () => true);
    assert.equal(answer.answer, '3, 4, or 5');
    assert.equal(answer.citations[0].page, 62);
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

describe('extractive reader: the parts of a named figure', () => {
  it("answers a question about a figure's axes from the figure's own text, not its caption", () => {
    const question = 'What are the axis labels of Figure 2, the plot of monthly sales?';
    const caption = 'Figure 2: Monthly sales of the three stores.';
    const units = [
      { ...unit(4, caption, 2), kind: 'caption' as const },
      { ...unit(4, 'Store A Store B Store C Jan Feb Mar Month Sales (units)', 1), kind: 'figure' as const, caption },
      { ...unit(5, 'Sales rose every month in the first quarter.', 1.5), kind: 'text' as const },
    ];
    // The document's words: its units' and, as any document has, "show".
    const vocabulary = new Set([...termsOf(units.map((u) => u.text).join(' ')), 'show']);
    const answer = readExtractive(question, queryTerms(question), () => 1, units, (term) => vocabulary.has(term));
    assert.equal(answer.found, true, answer.notFoundReason ?? '');
    assert.equal(answer.answer, 'Store A Store B Store C Jan Feb Mar Month Sales (units)');
    assert.equal(answer.citations[0].page, 4);
    // A question about what the figure shows as a whole still reads its caption.
    const whole = readExtractive('What does Figure 2 show?', queryTerms('What does Figure 2 show?'), () => 1, units, (term) => vocabulary.has(term));
    assert.equal(whole.evidence, caption);
  });
});
