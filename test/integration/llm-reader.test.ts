/**
 * The LLM reader through the real stack: a generated random-weight Qwen2 checkpoint in the HF
 * file layout (FOLIO_LLM_DIR), a real Temporal dev server and worker, a generated PDF, and the
 * answer endpoint streaming over SSE. Random weights cannot answer or cite, so this checks the
 * plumbing and the rules: tokens stream before the answer, the decode ledger shows the sparse
 * policy attending fewer positions than dense would, and an answer that cites no page it was
 * given is set aside for the extractive reader's cited answer.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeLlmCheckpoint } from '../helpers/llm-checkpoint.ts';
import { twoColumnPdf } from '../helpers/make-pdfs.ts';
import { startStack, type TestStack, uploadPdf, waitForDocument } from '../helpers/stack.ts';

interface AnswerPayload {
  answer: string;
  found: boolean;
  citations: { page: number; quote: string }[];
  ledger: { reader: { kind: string; llmRejected?: string }; sampler: { selected: { page: number }[] } };
  llm?: { text: string; ledger: { kind: string; policy: string; budget: number; promptTokens: number; generatedTokens: number; attendedPerToken: number[] } };
}

async function askStreaming(url: string, question: string): Promise<{ events: { event: string; data: unknown }[] }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify({ question }) });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
  const text = await response.text();
  const events = text
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('\n');
      return { event, data: JSON.parse(data) };
    });
  return { events };
}

const LAYERS = 6;
const QUESTION = 'Which number does sentence 11 give the lantern?';

describe('LLM reader over HTTP (generated checkpoint, real stack)', () => {
  let stack: TestStack;
  let checkpointDir: string;
  let docId: string;

  before(async () => {
    checkpointDir = fs.mkdtempSync(path.join(os.tmpdir(), 'folio-llm-'));
    await writeLlmCheckpoint(checkpointDir, { arch: 'qwen2', size: 'small', seed: 7, configOverrides: { num_hidden_layers: LAYERS } });
    stack = await startStack({
      FOLIO_LLM_DIR: checkpointDir,
      FOLIO_LLM_POLICY: 'tidaldecode',
      FOLIO_LLM_BUDGET: '32',
      FOLIO_LLM_MAX_NEW_TOKENS: '24',
    });
    const pdf = await twoColumnPdf();
    const upload = await uploadPdf(stack.api.url, pdf.bytes);
    docId = upload.body.id;
    const doc = await waitForDocument(stack.api.url, docId, 120_000);
    assert.equal(doc.status, 'ready');
  });

  after(async () => {
    await stack?.stop();
    if (checkpointDir) fs.rmSync(checkpointDir, { recursive: true, force: true });
  });

  it('streams evidence, tokens and the answer; an uncited model answer gives way to a cited extractive one', async () => {
    const url = `${stack.api.url}/v1/documents/${docId}/answers`;
    const { events } = await askStreaming(url, QUESTION);
    const names = events.map((e) => e.event);
    assert.equal(names[0], 'evidence');
    assert.equal(names.at(-1), 'answer');
    const tokens = events.filter((e) => e.event === 'token').map((e) => (e.data as { text: string }).text);
    assert.ok(tokens.length >= 1, 'the model’s text streams before the answer');

    const answer = events.at(-1)?.data as AnswerPayload;
    assert.ok(answer.llm, 'the model’s own text and ledger are reported');
    assert.equal(answer.llm.text, tokens.join('').trim());
    // Random weights write no "[p. N]" of a page they were shown: the extractive reader answers.
    assert.equal(answer.ledger.reader.kind, 'extractive');
    assert.match(answer.ledger.reader.llmRejected ?? '', /cited (no page|only pages it was not given)/);
    assert.ok(answer.citations.length > 0, 'the extractive answer cites');
    const given = new Set(answer.ledger.sampler.selected.map((unit) => unit.page));
    for (const citation of answer.citations) assert.ok(given.has(citation.page), `cited page ${citation.page} was given`);

    // The decode ledger: TidalDecode with a 32-position budget attends fewer positions than
    // dense attention over the whole context would, once the context is longer than the budget.
    const ledger = answer.llm.ledger;
    assert.equal(ledger.policy, 'tidaldecode');
    assert.equal(ledger.budget, 32);
    assert.ok(ledger.promptTokens > 32 * 2, `prompt of ${ledger.promptTokens} tokens`);
    assert.ok(ledger.attendedPerToken.length >= 1, 'one ledger entry per decode step');
    ledger.attendedPerToken.forEach((attended, step) => {
      const context = ledger.promptTokens + step + 1;
      assert.ok(attended < LAYERS * context, `step ${step}: ${attended} positions over ${LAYERS} layers, dense would be ${LAYERS * context}`);
    });
  });

  it('does not ask the model when retrieval finds nothing', async () => {
    const { events } = await askStreaming(`${stack.api.url}/v1/documents/${docId}/answers`, 'Which GPU model trained the network?');
    const answer = events.at(-1)?.data as AnswerPayload;
    assert.equal(answer.found, false);
    assert.equal(answer.llm, undefined);
    assert.match(answer.ledger.reader.llmRejected ?? '', /model was not asked/);
  });

  it('answers the same as JSON (greedy decoding is deterministic)', async () => {
    const url = `${stack.api.url}/v1/documents/${docId}/answers`;
    const question = QUESTION;
    const json = (await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question }) })).json()) as AnswerPayload;
    const { events } = await askStreaming(url, question);
    const streamed = events.at(-1)?.data as AnswerPayload;
    assert.equal(json.llm?.text, streamed.llm?.text);
    assert.equal(json.answer, streamed.answer);
  });
});
