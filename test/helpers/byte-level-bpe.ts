/**
 * Trains a small byte-level BPE and writes it as a tokenizer.json in the layout of Qwen2 and
 * Llama 3 checkpoints: a regex Split pre-tokenizer followed by ByteLevel (GPT-2's byte→unicode
 * alphabet, so every byte sequence has a spelling), a BPE model whose first 256 entries are the
 * byte alphabet and whose merges were learned here, a ByteLevel decoder, and special tokens as
 * added tokens. Nothing is hard-coded about the vocabulary: the merges come from the corpus.
 */

/** GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the rest move to U+0100 on. */
export function byteToUnicode(): string[] {
  const map: string[] = new Array(256);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    map[b] = String.fromCodePoint(printable ? b : 256 + shifted++);
  }
  return map;
}

/** The Split regex of Qwen2's tokenizer.json (Llama 3 caps digit runs at 3 with \p{N}{1,3}). */
export const QWEN2_SPLIT_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
export const LLAMA3_SPLIT_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** The same split for training in JS (no inline (?i:) groups before ES2025: spelled out instead). */
function trainingSplit(pattern: string): RegExp {
  const contractions = "'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]";
  return new RegExp(pattern.replace("(?i:'s|'t|'re|'ve|'m|'ll|'d)", contractions), 'gu');
}

export interface TrainedBpe {
  /** Token → id: the 256 byte symbols, then one token per merge. */
  vocab: Map<string, number>;
  /** "left right" in the order learned (rank = index). */
  merges: string[];
}

/**
 * Learns up to `mergeCount` merges: repeatedly joins the most frequent adjacent pair within
 * pre-tokenised words (ties broken by the pair's spelling, so training is deterministic).
 * Stops early when every word is a single token.
 */
export function trainByteLevelBpe(corpus: string, mergeCount: number, splitPattern = QWEN2_SPLIT_PATTERN): TrainedBpe {
  const alphabet = byteToUnicode();
  const encoder = new TextEncoder();
  const wordCounts = new Map<string, number>();
  for (const piece of corpus.normalize('NFC').match(trainingSplit(splitPattern)) ?? []) {
    const spelled = Array.from(encoder.encode(piece), (b) => alphabet[b]).join('');
    wordCounts.set(spelled, (wordCounts.get(spelled) ?? 0) + 1);
  }
  // Each distinct word as its current list of symbols, with its count.
  const words = [...wordCounts].map(([spelled, count]) => ({ symbols: Array.from(spelled), count }));

  const vocab = new Map<string, number>();
  for (const symbol of alphabet) vocab.set(symbol, vocab.size);
  const merges: string[] = [];
  for (let m = 0; m < mergeCount; m++) {
    const pairCounts = new Map<string, number>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]} ${symbols[i + 1]}`;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + count);
      }
    }
    let best: string | null = null;
    let bestCount = 0;
    for (const [key, count] of pairCounts) {
      if (count > bestCount || (count === bestCount && best !== null && key < best)) {
        best = key;
        bestCount = count;
      }
    }
    if (best === null) break;
    const [left, right] = best.split(' ');
    const joined = left + right;
    merges.push(best);
    if (!vocab.has(joined)) vocab.set(joined, vocab.size);
    for (const word of words) {
      const out: string[] = [];
      for (let i = 0; i < word.symbols.length; i++) {
        if (i + 1 < word.symbols.length && word.symbols[i] === left && word.symbols[i + 1] === right) {
          out.push(joined);
          i++;
        } else {
          out.push(word.symbols[i]);
        }
      }
      word.symbols = out;
    }
  }
  return { vocab, merges };
}

export type TokenizerStyle = 'qwen2' | 'llama3';

export interface TokenizerFiles {
  tokenizerJson: Record<string, unknown>;
  /** Special tokens by content → id (ids follow the trained vocabulary). */
  specialIds: Map<string, number>;
  /** Number of ids the tokenizer can produce (vocabulary + special tokens). */
  size: number;
}

const byteLevel = (addPrefixSpace: boolean, trimOffsets: boolean, useRegex: boolean) => ({
  type: 'ByteLevel',
  add_prefix_space: addPrefixSpace,
  trim_offsets: trimOffsets,
  use_regex: useRegex,
});

/**
 * tokenizer.json for a trained BPE, with `specials` appended as added tokens. Qwen2 style has an
 * NFC normaliser and no post-processor tokens; Llama 3 style prepends `bosToken` through a
 * TemplateProcessing post-processor, as Meta's files do.
 */
export function buildTokenizerJson(bpe: TrainedBpe, specials: string[], style: TokenizerStyle, bosToken?: string): TokenizerFiles {
  const specialIds = new Map<string, number>();
  const addedTokens = specials.map((content, i) => {
    const id = bpe.vocab.size + i;
    specialIds.set(content, id);
    return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
  });
  const split = {
    type: 'Split',
    pattern: { Regex: style === 'qwen2' ? QWEN2_SPLIT_PATTERN : LLAMA3_SPLIT_PATTERN },
    behavior: 'Isolated',
    invert: false,
  };
  let postProcessor: Record<string, unknown> = byteLevel(false, false, false);
  if (style === 'llama3') {
    if (!bosToken || !specialIds.has(bosToken)) throw new Error('llama3-style tokenizer needs its BOS among the special tokens');
    const bosId = specialIds.get(bosToken) as number;
    postProcessor = {
      type: 'Sequence',
      processors: [
        byteLevel(true, false, true),
        {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: bosToken, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
          pair: [
            { SpecialToken: { id: bosToken, type_id: 0 } },
            { Sequence: { id: 'A', type_id: 0 } },
            { SpecialToken: { id: bosToken, type_id: 1 } },
            { Sequence: { id: 'B', type_id: 1 } },
          ],
          special_tokens: { [bosToken]: { id: bosToken, ids: [bosId], tokens: [bosToken] } },
        },
      ],
    };
  }
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: style === 'qwen2' ? { type: 'NFC' } : null,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [split, byteLevel(false, style === 'llama3', false)] },
    post_processor: postProcessor,
    decoder: style === 'qwen2' ? byteLevel(false, false, false) : byteLevel(true, true, true),
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: style === 'llama3',
      vocab: Object.fromEntries(bpe.vocab),
      merges: bpe.merges,
    },
  };
  return { tokenizerJson, specialIds, size: bpe.vocab.size + specials.length };
}
