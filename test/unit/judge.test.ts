/**
 * The judge's pure side (models/answer/judge.ts) on constructed log-probs and logits, and the
 * extractive reader's candidates it chooses among. No model runs here; the real model's judgment
 * is tested in test/real-model/judge.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AnswerCandidate, type CandidateUnit, readExtractive } from '../../models/answer/extractive.ts';
import {
  continuationLogProbs,
  judgeContinuation,
  judgedCitations,
  judgePrefix,
  judgeScore,
  judgeSuffix,
  logSoftmaxAt,
  needsUnconditioned,
  pickCandidate,
} from '../../models/answer/judge.ts';
import { readerBasePrompt } from '../../models/answer/llm-prompt.ts';
import { queryTerms } from '../../models/text/tokenize.ts';

const box = (y: number): [number, number, number, number] => [0, y, 100, y + 10];
const candidate = (answer: string, page: number, rank: number): AnswerCandidate => ({ answer, evidence: `${answer} is here.`, citation: { page, bbox: box(page), quote: `${answer} is here.` }, rank, score: 1 - rank / 10 });

describe('judge scores', () => {
  const short = { conditioned: [-1, -1], unconditioned: [-3, -3] };
  const long = { conditioned: [-0.5, -0.5, -0.5, -0.5, -0.5, -0.5], unconditioned: [-0.4, -0.4, -0.4, -0.4, -0.4, -0.4] };

  it('sums, averages per token, or subtracts the log-prob without the question', () => {
    assert.equal(judgeScore(short, 'sum'), -2);
    assert.equal(judgeScore(long, 'sum'), -3);
    assert.equal(judgeScore(short, 'mean'), -1);
    assert.equal(judgeScore(long, 'mean'), -0.5);
    assert.equal(judgeScore(short, 'pmi'), 4);
    assert.ok(Math.abs(judgeScore(long, 'pmi') - -0.6) < 1e-12);
    assert.equal(judgeScore(short, 'pmi-mean'), 2);
    assert.ok(Math.abs(judgeScore(long, 'pmi-mean') - -0.1) < 1e-12);
  });

  it('lets the normalisation decide between a short and a long candidate', () => {
    // The raw sum prefers the short one, the per-token mean the long one.
    assert.equal(pickCandidate([judgeScore(short, 'sum'), judgeScore(long, 'sum')]), 0);
    assert.equal(pickCandidate([judgeScore(short, 'mean'), judgeScore(long, 'mean')]), 1);
    // The long candidate is likely anyway, question or not: PMI sees the question adds nothing.
    assert.equal(pickCandidate([judgeScore(short, 'pmi'), judgeScore(long, 'pmi')]), 0);
  });

  it('refuses PMI without the unconditioned scores, and scores an empty candidate lowest', () => {
    assert.throws(() => judgeScore({ conditioned: [-1], unconditioned: [] }, 'pmi'), /without the question/);
    assert.equal(judgeScore({ conditioned: [], unconditioned: [] }, 'mean'), Number.NEGATIVE_INFINITY);
    assert.equal(needsUnconditioned('mean'), false);
    assert.equal(needsUnconditioned('pmi-mean'), true);
  });
});

describe('picking a candidate', () => {
  it('takes the highest score', () => {
    assert.equal(pickCandidate([-3, -1, -2]), 1);
  });

  it('gives a tie to the earlier candidate (the rules keep their answer unless the model beats it)', () => {
    assert.equal(pickCandidate([-1, -1, -1]), 0);
    assert.equal(pickCandidate([-2, -1, -1]), 1);
    assert.equal(pickCandidate([-1, -1 + 1e-9]), 0, 'within the tolerance is a tie');
    assert.equal(pickCandidate([-1, -1 + 1e-3]), 1);
  });

  it('skips NaN and returns -1 for nothing', () => {
    assert.equal(pickCandidate([Number.NaN, -5]), 1);
    assert.equal(pickCandidate([]), -1);
    assert.equal(pickCandidate([Number.NEGATIVE_INFINITY, -5]), 1);
  });
});

describe('log-probs from logits', () => {
  it('is log softmax at the token, row by row', () => {
    const vocab = 3;
    const logits = Float32Array.from([0, 0, 0, Math.log(1), Math.log(2), Math.log(1)]);
    assert.ok(Math.abs(logSoftmaxAt(logits, 0, vocab, 2) - Math.log(1 / 3)) < 1e-6);
    assert.ok(Math.abs(logSoftmaxAt(logits, 1, vocab, 1) - Math.log(0.5)) < 1e-6);
    // Row i predicts candidate token i.
    const lp = continuationLogProbs(logits, vocab, [2, 1]);
    assert.equal(lp.length, 2);
    assert.ok(Math.abs(lp[0] - Math.log(1 / 3)) < 1e-6 && Math.abs(lp[1] - Math.log(0.5)) < 1e-6);
    assert.throws(() => continuationLogProbs(logits, vocab, [0, 1, 2]), /3 rows/);
    assert.throws(() => logSoftmaxAt(logits, 0, vocab, 3), /outside the vocabulary/);
  });
});

describe('judge prompt', () => {
  it('puts the excerpt first, then the question (or only "Answer:"), and ends the candidate with a newline', () => {
    const c = candidate('green', 4, 0);
    assert.equal(judgePrefix(c), 'Excerpt from page 4 of a document:\ngreen is here.\n\n');
    assert.equal(judgeSuffix('What  colour is it?'), 'Question: What colour is it?\nAnswer:');
    assert.equal(judgeSuffix(null), 'Answer:');
    assert.equal(judgeContinuation('  green \n'), ' green\n');
  });

  it('cites the chosen candidate first, then the reader\'s other places', () => {
    const chosen = candidate('blue', 9, 2);
    const reader = [candidate('green', 4, 0).citation, chosen.citation, candidate('red', 5, 1).citation];
    assert.deepEqual(judgedCitations(chosen, reader, 3).map((c) => c.page), [9, 4, 5]);
    assert.deepEqual(judgedCitations(chosen, reader, 2).map((c) => c.page), [9, 4]);
  });
});

describe('the extractive reader\'s candidates', () => {
  const unit = (page: number, text: string, score: number): CandidateUnit => ({ page, bbox: box(page), text, score });
  const question = 'What is the default bar width?';
  const units = [unit(3, 'The default bar width is 0.8.', 3), unit(5, 'The bar width can be changed; by default it is 0.5 in old versions.', 2), unit(8, 'Bananas are yellow.', 1)];

  it('are its own answer first, then the next passages\' answers, without repeats or passages sharing nothing with the question', () => {
    const read = readExtractive(question, queryTerms(question), () => 1, units, () => true, { maxCitations: 3, maxQuoteWords: 60, candidates: 5 });
    const plain = readExtractive(question, queryTerms(question), () => 1, units, () => true);
    assert.equal(plain.candidates, undefined);
    assert.equal(read.answer, plain.answer);
    assert.ok(read.candidates && read.candidates.length === 2, JSON.stringify(read.candidates));
    assert.equal(read.candidates[0].answer, read.answer);
    assert.equal(read.candidates[0].rank, 0);
    assert.equal(read.candidates[0].citation.page, 3);
    assert.equal(read.candidates[1].citation.page, 5);
    assert.ok(read.candidates.every((c) => c.citation.page !== 8));
  });

  it('are limited to the number asked for', () => {
    const read = readExtractive(question, queryTerms(question), () => 1, units, () => true, { maxCitations: 3, maxQuoteWords: 60, candidates: 1 });
    assert.equal(read.candidates?.length, 1);
  });
});

describe('base-model generator prompt', () => {
  it('shows a worked example, then the excerpts with their pages up to the character budget', () => {
    const units = [
      { page: 3, bbox: box(3), text: 'The default width is 0.8.' },
      { page: 7, bbox: box(7), text: 'x'.repeat(500) },
      { page: 9, bbox: box(9), text: 'Never shown.' },
    ];
    const { prompt, units: given } = readerBasePrompt('What is the default width?', units, 520);
    assert.deepEqual(given.map((u) => u.page), [3]);
    assert.match(prompt, /Answer: 12 euros \[p\. 7\]\n\n/);
    assert.ok(prompt.endsWith('[p. 3] The default width is 0.8.\nQuestion: What is the default width?\nAnswer:'), prompt);
    assert.deepEqual(readerBasePrompt('Q?', units, 10).units.map((u) => u.page), [3], 'the first excerpt is always given');
  });
});
