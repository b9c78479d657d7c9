import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCitations, citedPages, excerptBlock, readerMessages, stripCitations } from '../../models/answer/llm-prompt.ts';

const units = [
  { page: 3, bbox: [10, 20, 300, 60] as [number, number, number, number], text: 'The default width is 0.8. Bars are drawn side by side.' },
  { page: 7, bbox: [10, 400, 300, 460] as [number, number, number, number], text: 'Histograms count values in bins.' },
];

describe('LLM reader prompt and citation check', () => {
  it('tags every excerpt with its page, in the order given', () => {
    const block = excerptBlock(units);
    assert.equal(block, '[1] (p. 3) The default width is 0.8. Bars are drawn side by side.\n[2] (p. 7) Histograms count values in bins.');
    const [system, user] = readerMessages('What is the default width?', units);
    assert.equal(system.role, 'system');
    assert.match(system.content, /\[p\. N\]/);
    assert.ok(user.content.includes(block) && user.content.endsWith('Question: What is the default width?'), user.content);
  });

  it('reads page citations in their usual spellings', () => {
    assert.deepEqual(citedPages('It is 0.8 [p. 3]; bins [pp. 7, 9] and [page 12] and again [p.3].'), [3, 7, 9, 12]);
    assert.deepEqual(citedPages('No citation here (p. 4).'), []);
    assert.equal(stripCitations('It is 0.8 [p. 3].'), 'It is 0.8.');
  });

  it('keeps citations of pages the model was given, quoting the sentence closest to the answer, and rejects the others', () => {
    const checked = checkCitations('The default width is 0.8 [p. 3], see also [p. 5].', units);
    assert.deepEqual(checked.rejectedPages, [5]);
    assert.equal(checked.citations.length, 1);
    assert.deepEqual(checked.citations[0], { page: 3, bbox: units[0].bbox, quote: 'The default width is 0.8.' });
    assert.deepEqual(checkCitations('The width is 0.8.', units), { citations: [], rejectedPages: [] });
  });
});
