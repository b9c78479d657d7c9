import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeAnswerability, MIN_COVERAGE, questionNames } from '../../models/answer/answerability.ts';
import { type CandidateUnit, readExtractive } from '../../models/answer/extractive.ts';
import { analyseQuestion, isQuantity, questionCore, questionFocus } from '../../models/answer/question.ts';
import { extractSpan } from '../../models/answer/span.ts';
import { queryTerms, words } from '../../models/text/tokenize.ts';

const span = (question: string, sentence: string) => extractSpan(sentence, queryTerms(question), words(question), analyseQuestion(question), 30, question);

describe('answer spans', () => {
  it('takes what the sentence adds to the question', () => {
    assert.equal(span('What is the default bar width?', 'The default width of a bar is 0.8.'), '0.8');
    assert.equal(span('With set polar, how does gnuplot interpret input 2D coordinates?', 'The option set polar tells gnuplot to interpret input 2D coordinates as <angle>,<radius> rather than <x>,<y>.'), '<angle>,<radius> rather than <x>,<y>');
  });

  it('prefers a number when the question asks how many', () => {
    assert.equal(analyseQuestion('How many columns does it need?').type, 'number');
    assert.equal(span('How many features does the statement include?', 'The statement, widely used in medicine, includes 22 features.'), '22');
  });

  it('does not answer with a code-like name the question itself writes, in other punctuation', () => {
    const q = 'What is the default value of the property that sets the ratio of x/y/z-label font size to tick-label font size?';
    assert.equal(span(q, '1.1000 Ratio between the x/y/zlabel fontsize and the tick label fontsize'), '1.1000');
    // A code token that only contains a question word is still the answer.
    assert.equal(span('Which directory holds the shared files?', 'The shared files are kept in OCTAVE_HOME/share by default.'), 'OCTAVE_HOME/share');
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

  it("a named figure's parts (axes, legend, panels) need not be words of the document when the figure is in the evidence", () => {
    const vocabulary = new Set(['figur', '3', 'growth', 'rate', 'y']);
    const inDocument = (term: string) => vocabulary.has(term);
    const question = 'What is the y-axis label of Figure 3, the growth rate plot?';
    assert.equal(judgeAnswerability(question, inDocument, 0.6, { namedLabelPresent: true }).answerable, true);
    // Without the figure in the evidence the rule stands: the document never says "axis".
    assert.equal(judgeAnswerability(question, inDocument, 0.6).answerable, false);
    // Only figure parts are exempt: a focus the document lacks still declines.
    assert.equal(judgeAnswerability('Which GPU model produced Figure 3?', inDocument, 0.6, { namedLabelPresent: true }).answerable, false);
  });

  it('declines when the question names something by an acronym or mixed-case name the document never prints', () => {
    assert.deepEqual(questionNames("What was the Utility's System Average Interruption Duration Index (SAIDI) for 2019?"), ['SAIDI']);
    assert.deepEqual(questionNames("Did PG&E's R&D spending in FY2019 Q3, in USD, exceed the EyeQ budget?"), ['PG&E', 'R&D', 'EyeQ']);
    const vocabulary = new Set(['util', 'system', 'averag', 'index', '2019', 'pg', 'e', 'r', 'd', 'spend', 'eyeq', 'budget']);
    const inDocument = (term: string) => vocabulary.has(term);
    const saidi = judgeAnswerability("What was the Utility's System Average Interruption Duration Index (SAIDI) for 2019?", inDocument, 0.9);
    assert.deepEqual(saidi, { answerable: false, reason: 'the document never names "SAIDI"' });
    // Names the index splits into words ("PG&E" → pg, e) are there when all their words are.
    assert.equal(judgeAnswerability("What was PG&E's R&D spending in FY2019?", inDocument, 0.9).answerable, true);
    assert.equal(judgeAnswerability('How large was the EyeQ budget in 2019?', inDocument, 0.9).answerable, true);
  });
});

describe('table reading', () => {
  it('answers with the cell where the named row and column cross', async () => {
    const { readExtractive } = await import('../../models/answer/extractive.ts');
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

describe('question analysis and spans by answer type', () => {
  it('reads the kind of answer, the focus and the locator phrase', () => {
    const analysis = analyseQuestion('According to the preface of the Octave manual, after whom is Octave named?');
    assert.equal(analysis.type, 'entity');
    assert.equal(analysis.locator, 'According to the preface of the Octave manual');
    assert.equal(questionCore('According to Table 2, how many tools allow it?').trim(), 'how many tools allow it?');
    assert.equal(analyseQuestion('Which Octave function queries the recursion limit?').type, 'code');
    assert.equal(analyseQuestion('What is the default epsilon limit of fit?').type, 'value');
    assert.deepEqual(analyseQuestion('In Table 3, what does row 2 say?').labels, ['table 3']);
  });

  it('tells quantities from names with digits in them', () => {
    for (const token of ['22', '1e-6', '62%', '48.29', '3,', '0.87±0.03', 'nine']) assert.ok(isQuantity(token), token);
    for (const token of ['2D', 'R2', 'GPT-4', 'Figure']) assert.ok(!isQuantity(token), token);
  });

  it('cuts the span the answer type asks for', () => {
    assert.equal(span('Which foundation supported this work with a grant?', 'This work was supported in part by a grant from the Laura and John Arnold Foundation and seed funding from EGAP.'), 'Laura and John Arnold Foundation');
    assert.equal(
      span('Which Octave function queries the internal recursion limit?', 'val = max_recursion_depth () old_val = max_recursion_depth (new_val) Query the internal limit on recursion.'),
      'max_recursion_depth',
    );
    assert.equal(
      span('How long does it take to find a maximal counterexample pair for one feature?', 'The overhead to finding a maximal counterexample pair (Definition 2) for one feature is 48.29 minutes.'),
      '48.29 minutes',
    );
    assert.equal(span('By how many percentage points did the tools exaggerate power?', 'The tools exaggerated power by an average of 15 and 13 percentage points, respectively.'), '15 and 13');
    assert.equal(span('To which directory do packages install by default?', 'The packages by default install in a system-wide directory that defaults to OCTAVE_HOME/share/octave/packages/.'), 'OCTAVE_HOME/share/octave/packages/');
    assert.equal(span('What alternative name does the manual give for spider plots?', 'Such plots are sometimes called rader charts.'), 'rader charts');
  });

  it('does not end a sentence at a name’s initial', async () => {
    const { sentences } = await import('../../models/text/sentences.ts');
    assert.deepEqual(sentences('It is the name of John W. Eaton’s professor. He wrote a book.'), ['It is the name of John W. Eaton’s professor.', 'He wrote a book.']);
  });
});

describe('reading evidence in context', () => {
  const unit = (page: number, text: string, extra: Partial<CandidateUnit> = {}): CandidateUnit => ({ page, bbox: [0, 0, 10, 10], text, score: 1, ...extra });
  const read = (question: string, units: CandidateUnit[]) => readExtractive(question, queryTerms(question), () => 1, units, () => true);

  it('answers "what does Figure N show" from the caption, not from a sentence that mentions the figure', () => {
    const answer = read('What does Figure 4 plot?', [
      unit(6, 'As a scalability study, in Figure 4, we plot the time taken to obtain a prediction for various model sizes.'),
      unit(6, 'Figure 4: Prediction Time (s) vs. Model Size', { kind: 'caption' }),
    ]);
    assert.equal(answer.answer, 'Prediction Time (s) vs. Model Size');
  });

  it('reads a sentence that says "it" through the sentence before it', () => {
    const answer = read('How many columns of data does the boxerrorbars style require?', [
      unit(62, 'The boxerrorbars style is only relevant to 2D data plotting. It requires 3, 4, or 5 columns of data.'),
    ]);
    assert.equal(answer.answer, '3, 4, or 5');
  });

  it('prefers the sentence where the question’s words stand together', () => {
    const answer = read('On what hardware were the experiments run?', [
      unit(6, 'In this experiment, we report the run times for the Auto MPG dataset.'),
      unit(13, 'All experiments were run on an Intel Xeon Gold 5220 CPU with 512GB of RAM.'),
    ]);
    assert.equal(answer.citations[0].page, 13);
  });

  it('splits tables set side by side and reads the cell under the right header', () => {
    const cells = [
      ['Dataset', 'Features', 'NNb', 'COMET', '', '', '', ''],
      ['', '', '', '', 'Dataset', 'Features', 'NNb', 'COMET'],
      ['Auto', 'Weight', '9.19±3.41', '8.92±2.93', 'Heart', 'Chol.', '0.85±0.05', '0.87±0.03'],
    ];
    const answer = read('What accuracy does COMET reach on the Heart dataset with the Chol. feature?', [
      unit(7, cells.map((row) => row.join(' | ')).join('\n'), { kind: 'table', cells, caption: 'Table 3: MSE (left) and accuracy (right).' }),
    ]);
    assert.equal(answer.answer, '0.87±0.03');
  });
});
