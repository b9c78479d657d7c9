import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGgufHeader } from '../../models/llm/gguf.ts';
import { createGgufTokenizer } from '../../models/llm/gguf-tokenizer.ts';
import { writeGguf } from '../helpers/gguf-writer.ts';

const NORMAL = 1;
const CONTROL = 3;
const USER_DEFINED = 4;
const BYTE = 6;

/**
 * A small SentencePiece-style vocabulary written to a real GGUF file and read back, so the
 * tokenizer sees the strings exactly as the GGUF reader returns them.
 */
function tokenizerOf(entries: [text: string, score: number, type: number][], options: { addSpacePrefix?: boolean } = {}) {
  const bytes = Array.from({ length: 256 }, (_, b): [string, number, number] => [`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, 0, BYTE]);
  const all: [string, number, number][] = [['<pad>', 0, CONTROL], ['<eos>', 0, CONTROL], ['<bos>', 0, CONTROL], ['<unk>', 0, 2], ...entries, ...bytes];
  const file = writeGguf(
    [
      { key: 'general.architecture', type: 'STRING', value: 'gemma3' },
      { key: 'tokenizer.ggml.model', type: 'STRING', value: 'llama' },
      { key: 'tokenizer.ggml.tokens', type: 'ARRAY', itemType: 'STRING', value: all.map((e) => e[0]) },
      { key: 'tokenizer.ggml.scores', type: 'ARRAY', itemType: 'FLOAT32', value: all.map((e) => e[1]) },
      { key: 'tokenizer.ggml.token_type', type: 'ARRAY', itemType: 'INT32', value: all.map((e) => e[2]) },
      { key: 'tokenizer.ggml.bos_token_id', type: 'UINT32', value: 2 },
      { key: 'tokenizer.ggml.eos_token_id', type: 'UINT32', value: 1 },
      { key: 'tokenizer.ggml.unknown_token_id', type: 'UINT32', value: 3 },
      { key: 'tokenizer.ggml.add_space_prefix', type: 'BOOL', value: options.addSpacePrefix ?? false },
    ],
    [],
    32,
  );
  const header = parseGgufHeader(file);
  const id = (text: string) => all.findIndex((e) => e[0] === text);
  return { tokenizer: createGgufTokenizer(header.metadata), id };
}

describe('GGUF tokenizer (SentencePiece-style BPE)', () => {
  it('merges the pair whose joined token scores highest first, not the leftmost pair', () => {
    // "abc": "ab" and "bc" both exist; "bc" scores higher, so a + bc (no "abc" token to go on to).
    const { tokenizer, id } = tokenizerOf([
      ['a', -1, NORMAL],
      ['b', -1, NORMAL],
      ['c', -1, NORMAL],
      ['ab', -5, NORMAL],
      ['bc', -2, NORMAL],
    ]);
    assert.deepEqual(tokenizer.encode('abc', { addSpecialTokens: false }), [id('a'), id('bc')]);
    assert.deepEqual(tokenizer.encode('abc'), [2, id('a'), id('bc')], 'BOS first by default');
  });

  it('spells spaces as ▁, and a character that is no token as its UTF-8 bytes', () => {
    const { tokenizer, id } = tokenizerOf([
      ['▁', -1, NORMAL],
      ['x', -1, NORMAL],
      ['▁x', -2, NORMAL],
    ]);
    const ids = tokenizer.encode('x é', { addSpecialTokens: false });
    assert.deepEqual(ids, [id('x'), id('▁'), id('<0xC3>'), id('<0xA9>')]);
    assert.equal(tokenizer.decode(ids), 'x é');
  });

  it('cuts user-defined tokens (runs of newlines or spaces) out before merging', () => {
    const { tokenizer, id } = tokenizerOf([
      ['\n\n', 0, USER_DEFINED],
      ['  ', 0, USER_DEFINED],
      ['a', -1, NORMAL],
      ['\n', -1, NORMAL],
      ['a\n', -0.5, NORMAL],
    ]);
    // Without the cut, "a\n" would merge across the boundary.
    assert.deepEqual(tokenizer.encode('a\n\na  a', { addSpecialTokens: false }), [id('a'), id('\n\n'), id('a'), id('  '), id('a')]);
    assert.equal(tokenizer.decode(tokenizer.encode('a\n\na  a'), { skipSpecialTokens: true }), 'a\n\na  a');
  });

  it('keeps a token whose text starts with U+FEFF apart from the same text without it', () => {
    // Gemma's vocabulary has both "\uFEFF#" and "#"; a decoder that strips byte-order marks would
    // read the first as "#" and, being the lower id, encode every "#" as it.
    const { tokenizer, id } = tokenizerOf([
      ['\uFEFF#', -3, NORMAL],
      ['#', -1, NORMAL],
      ['\uFEFF', -1, NORMAL],
    ]);
    assert.equal(id('\uFEFF#'), 4);
    assert.deepEqual(tokenizer.encode('#', { addSpecialTokens: false }), [id('#')]);
    assert.deepEqual(tokenizer.encode('\uFEFF#', { addSpecialTokens: false }), [id('\uFEFF#')]);
    assert.equal(tokenizer.decode([id('\uFEFF#')]), '\uFEFF#');
  });
});
