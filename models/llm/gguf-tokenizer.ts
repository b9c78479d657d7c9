/**
 * The tokenizer a GGUF file carries in its `tokenizer.ggml.*` metadata, for `tokenizer.ggml.model`
 * = "llama": SentencePiece-style BPE as llama.cpp runs it. Spaces become "▁", the text starts as
 * one symbol per character, and the adjacent pair whose joined text is the vocabulary token with
 * the highest score merges first (ties: leftmost), until no pair joins into a token. A character
 * that is no token is spelled as its UTF-8 bytes (<0xNN> tokens, "byte fallback"). User-defined
 * tokens (Gemma's runs of newlines and spaces) are cut out of the text before that, and control
 * tokens (<bos>, <start_of_turn>) too when the text is a rendered chat.
 */
import { type ChatMessage, type ChatOptions, chatRenderer, createStreamDecoder, type LlmTokenizer } from './tokenizer.ts';
import type { GgufValue } from './gguf.ts';

/** tokenizer.ggml.token_type values. */
const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

interface Vocabulary {
  tokens: string[];
  scores: Float32Array;
  types: Int32Array;
  ids: Map<string, number>;
}

/** Longest-match search over a set of literal strings, one character at a time. */
class Trie {
  private readonly root = new Map<string, TrieNode>();
  add(text: string, id: number): void {
    let level = this.root;
    let node: TrieNode | undefined;
    for (const ch of text) {
      node = level.get(ch);
      if (!node) {
        node = { id: -1, next: new Map() };
        level.set(ch, node);
      }
      level = node.next;
    }
    if (node) node.id = id;
  }
  /** The longest entry starting at `at` (UTF-16 index) as [id, length], or null. */
  match(text: string, at: number): [number, number] | null {
    let level = this.root;
    let best: [number, number] | null = null;
    let i = at;
    while (i < text.length) {
      const code = text.codePointAt(i) as number;
      const ch = String.fromCodePoint(code);
      const node = level.get(ch);
      if (!node) break;
      i += ch.length;
      if (node.id >= 0) best = [node.id, i - at];
      level = node.next;
    }
    return best;
  }
}

interface TrieNode {
  id: number;
  next: Map<string, TrieNode>;
}

/** A max-heap of candidate merges by (score desc, left position asc). */
class MergeQueue {
  private readonly score: number[] = [];
  private readonly left: number[] = [];
  private readonly right: number[] = [];
  private readonly size: number[] = [];
  get length(): number {
    return this.score.length;
  }
  private before(a: number, b: number): boolean {
    return this.score[a] > this.score[b] || (this.score[a] === this.score[b] && this.left[a] < this.left[b]);
  }
  private swap(a: number, b: number): void {
    for (const list of [this.score, this.left, this.right, this.size]) [list[a], list[b]] = [list[b], list[a]];
  }
  push(score: number, left: number, right: number, size: number): void {
    this.score.push(score);
    this.left.push(left);
    this.right.push(right);
    this.size.push(size);
    let i = this.score.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }
  pop(): [number, number, number] {
    const top: [number, number, number] = [this.left[0], this.right[0], this.size[0]];
    const last = this.score.length - 1;
    this.swap(0, last);
    for (const list of [this.score, this.left, this.right, this.size]) list.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < last && this.before(l, best)) best = l;
      if (r < last && this.before(r, best)) best = r;
      if (best === i) break;
      this.swap(i, best);
      i = best;
    }
    return top;
  }
}

function vocabulary(metadata: Map<string, GgufValue>): Vocabulary {
  const tokens = metadata.get('tokenizer.ggml.tokens');
  if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === 'string')) throw new Error('GGUF metadata has no tokenizer.ggml.tokens string list');
  const list = tokens as string[];
  const rawScores = metadata.get('tokenizer.ggml.scores');
  const rawTypes = metadata.get('tokenizer.ggml.token_type');
  const scores = rawScores instanceof Float32Array ? rawScores : new Float32Array(list.length);
  const types = rawTypes instanceof Int32Array ? rawTypes : new Int32Array(list.length).fill(TOKEN_TYPE.NORMAL);
  if (scores.length !== list.length || types.length !== list.length) throw new Error(`GGUF tokenizer: ${list.length} tokens but ${scores.length} scores and ${types.length} token types`);
  const ids = new Map<string, number>();
  // The first id of a repeated text wins, as in llama.cpp's token_to_id map.
  list.forEach((t, id) => {
    if (!ids.has(t)) ids.set(t, id);
  });
  return { tokens: list, scores, types, ids };
}

const flag = (metadata: Map<string, GgufValue>, key: string, fallback: boolean): boolean => {
  const value = metadata.get(key);
  return typeof value === 'boolean' ? value : fallback;
};

const idOf = (metadata: Map<string, GgufValue>, key: string): number | null => {
  const value = metadata.get(key);
  return typeof value === 'number' ? value : null;
};

/** The LlmTokenizer of a GGUF file whose tokenizer.ggml.model is "llama". */
export function createGgufTokenizer(metadata: Map<string, GgufValue>): LlmTokenizer {
  const model = metadata.get('tokenizer.ggml.model');
  if (model !== 'llama') throw new Error(`GGUF tokenizer.ggml.model ${JSON.stringify(model)} is not supported (Folio reads "llama", SentencePiece-style)`);
  const vocab = vocabulary(metadata);
  const { tokens, scores, types, ids } = vocab;
  const addSpacePrefix = flag(metadata, 'tokenizer.ggml.add_space_prefix', true);
  const addBos = flag(metadata, 'tokenizer.ggml.add_bos_token', true);
  const addEos = flag(metadata, 'tokenizer.ggml.add_eos_token', false);
  const bosTokenId = idOf(metadata, 'tokenizer.ggml.bos_token_id');
  const eosTokenId = idOf(metadata, 'tokenizer.ggml.eos_token_id');
  const unknownId = idOf(metadata, 'tokenizer.ggml.unknown_token_id');

  const userDefined = new Trie();
  const userOrControl = new Trie();
  tokens.forEach((text, id) => {
    if (text.length === 0) return;
    if (types[id] === TOKEN_TYPE.USER_DEFINED) {
      userDefined.add(text, id);
      userOrControl.add(text, id);
    } else if (types[id] === TOKEN_TYPE.CONTROL) userOrControl.add(text, id);
  });
  const byteIds = Array.from({ length: 256 }, (_, b) => ids.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`) ?? -1);

  const bytesOf = (text: string, out: number[]): void => {
    for (const b of new TextEncoder().encode(text)) {
      const id = byteIds[b];
      if (id >= 0) out.push(id);
      else if (unknownId !== null) out.push(unknownId);
      else throw new Error(`GGUF tokenizer has no byte token <0x${b.toString(16).toUpperCase()}> and no unknown token`);
    }
  };

  /** SentencePiece BPE of one stretch of text without special tokens. */
  const encodeRaw = (raw: string, out: number[]): void => {
    const text = raw.replaceAll(' ', '▁');
    const chars = Array.from(text);
    const n = chars.length;
    if (n === 0) return;
    const symbol = chars.slice();
    const prev = Int32Array.from({ length: n }, (_, i) => i - 1);
    const next = Int32Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
    const queue = new MergeQueue();
    const tryPair = (left: number, right: number): void => {
      if (left < 0 || right < 0) return;
      const joined = symbol[left] + symbol[right];
      const id = ids.get(joined);
      if (id === undefined) return;
      queue.push(scores[id], left, right, joined.length);
    };
    for (let i = 0; i + 1 < n; i++) tryPair(i, i + 1);
    while (queue.length > 0) {
      const [left, right, size] = queue.pop();
      // A merge queued before either side changed is stale.
      if (symbol[left] === '' || symbol[right] === '' || symbol[left].length + symbol[right].length !== size || next[left] !== right) continue;
      symbol[left] += symbol[right];
      symbol[right] = '';
      next[left] = next[right];
      if (next[right] >= 0) prev[next[right]] = left;
      tryPair(prev[left], left);
      tryPair(left, next[left]);
    }
    for (let i = 0; i >= 0; i = next[i]) {
      const id = ids.get(symbol[i]);
      if (id !== undefined) out.push(id);
      else bytesOf(symbol[i], out);
    }
  };

  const encodeText = (text: string, parseSpecial: boolean, addSpecial: boolean): number[] => {
    const out: number[] = [];
    if (addSpecial && addBos && bosTokenId !== null) out.push(bosTokenId);
    const specials = parseSpecial ? userOrControl : userDefined;
    let previousSpecial = true;
    let start = 0;
    const flush = (end: number) => {
      if (end > start) {
        encodeRaw((addSpacePrefix && previousSpecial ? ' ' : '') + text.slice(start, end), out);
        previousSpecial = false;
      }
    };
    for (let i = 0; i < text.length; ) {
      const found = specials.match(text, i);
      if (!found) {
        i += (text.codePointAt(i) as number) > 0xffff ? 2 : 1;
        continue;
      }
      flush(i);
      out.push(found[0]);
      previousSpecial = true;
      i += found[1];
      start = i;
    }
    flush(text.length);
    if (addSpecial && addEos && eosTokenId !== null) out.push(eosTokenId);
    return out;
  };

  // Keeps a leading U+FEFF: it is text a token spells, not a byte-order mark.
  const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
  const decode = (list: ArrayLike<number>, options: { skipSpecialTokens?: boolean } = {}): string => {
    const bytes: number[] = [];
    const encoder = new TextEncoder();
    for (let k = 0; k < list.length; k++) {
      const id = list[k];
      const type = types[id];
      if (type === undefined) throw new Error(`Token id ${id} is outside the vocabulary (${tokens.length})`);
      if (type === TOKEN_TYPE.BYTE) {
        bytes.push(Number.parseInt(tokens[id].slice(3, 5), 16));
        continue;
      }
      if ((type === TOKEN_TYPE.CONTROL || type === TOKEN_TYPE.UNKNOWN || type === TOKEN_TYPE.UNUSED) && options.skipSpecialTokens) continue;
      const text = type === TOKEN_TYPE.NORMAL ? tokens[id].replaceAll('▁', ' ') : tokens[id];
      for (const b of encoder.encode(text)) bytes.push(b);
    }
    let text = utf8.decode(Uint8Array.from(bytes));
    if (addSpacePrefix && text.startsWith(' ')) text = text.slice(1);
    return text;
  };

  const templateSource = metadata.get('tokenizer.chat_template');
  const special: Record<string, string> = {};
  if (bosTokenId !== null) special.bos_token = tokens[bosTokenId];
  if (eosTokenId !== null) special.eos_token = tokens[eosTokenId];
  if (unknownId !== null) special.unk_token = tokens[unknownId];
  const { template, renderChat } = chatRenderer(typeof templateSource === 'string' ? templateSource : null, special, 'GGUF tokenizer.chat_template');

  return {
    encode: (text, options = {}) => encodeText(text, false, options.addSpecialTokens ?? true),
    renderChat,
    // A rendered chat holds its control tokens as text; they are parsed, and no BOS is added.
    encodeChat: (messages: ChatMessage[], options?: ChatOptions) => encodeText(renderChat(messages, options), true, false),
    decode,
    streamDecoder: (options = {}) => createStreamDecoder((list) => decode(list, options)),
    tokenToId: (token) => ids.get(token),
    eosTokenIds: eosTokenId === null ? [] : [eosTokenId],
    bosTokenId,
    hasChatTemplate: template !== null,
  };
}
