/**
 * Text → token ids for one transformer, with the truncation and padding that
 * @huggingface/tokenizers leaves to the caller. Truncation keeps the first tokens of the text and
 * then adds the special tokens (what the Python fast tokenizer does with truncation=True), so a
 * long text still ends with [SEP] and is never cut in the middle of the template.
 */
import { Tokenizer } from '@huggingface/tokenizers';

type Json = Record<string, unknown>;

export interface EncodedText {
  ids: number[];
  typeIds: number[];
}

export interface SequenceEncoderOptions {
  /** Token budget per text, special tokens included. */
  maxLength: number;
  /** Lowercase texts before tokenising (sentence_bert_config.json do_lower_case). */
  lowercaseInput?: boolean;
}

export interface SequenceEncoder {
  encode(text: string): EncodedText;
  padId: number;
  maxLength: number;
}

/**
 * transformers' BertTokenizerFast rebuilds the normaliser when tokenizer_config.json disagrees
 * with tokenizer.json on do_lower_case / strip_accents / tokenize_chinese_chars; the JS tokenizer
 * reads tokenizer.json only, so the same override is applied to the JSON before loading it.
 */
function withConfigNormalizer(tokenizerJson: Json, tokenizerConfig: Json): Json {
  const normalizer = tokenizerJson.normalizer as Json | null | undefined;
  if (normalizer?.type !== 'BertNormalizer') return tokenizerJson;
  const patched: Json = { ...normalizer };
  if (typeof tokenizerConfig.do_lower_case === 'boolean') patched.lowercase = tokenizerConfig.do_lower_case;
  if ('strip_accents' in tokenizerConfig) patched.strip_accents = tokenizerConfig.strip_accents;
  if (typeof tokenizerConfig.tokenize_chinese_chars === 'boolean') patched.handle_chinese_chars = tokenizerConfig.tokenize_chinese_chars;
  return { ...tokenizerJson, normalizer: patched };
}

function findPadId(tokenizer: Tokenizer, tokenizerJson: Json, tokenizerConfig: Json): number {
  const padding = tokenizerJson.padding as Json | null | undefined;
  if (padding && typeof padding.pad_id === 'number') return padding.pad_id;
  const padToken = tokenizerConfig.pad_token;
  const name = typeof padToken === 'string' ? padToken : (padToken as Json | undefined)?.content;
  const id = typeof name === 'string' ? tokenizer.token_to_id(name) : undefined;
  // Padded positions are masked out, so any valid id works when the export names none.
  return id ?? 0;
}

export function createSequenceEncoder(tokenizerJson: Json, tokenizerConfig: Json, options: SequenceEncoderOptions): SequenceEncoder {
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(withConfigNormalizer(tokenizerJson, tokenizerConfig), tokenizerConfig);
  } catch (cause) {
    throw new Error('tokenizer.json could not be loaded by @huggingface/tokenizers', { cause });
  }
  const post = tokenizer.post_processor;
  const specialCount = post ? post.post_process([], null, true).tokens.length : 0;
  const contentBudget = options.maxLength - specialCount;
  if (contentBudget < 1) throw new Error(`max length ${options.maxLength} leaves no room for text after ${specialCount} special tokens`);
  const unkId = tokenizer.model?.unk_token_id;

  const toId = (token: string): number => {
    const id = tokenizer.token_to_id(token) ?? unkId;
    if (id === undefined) throw new Error(`token ${JSON.stringify(token)} is not in the vocabulary and the tokenizer has no unknown token`);
    return id;
  };

  return {
    padId: findPadId(tokenizer, tokenizerJson, tokenizerConfig),
    maxLength: options.maxLength,
    encode(text: string): EncodedText {
      const input = options.lowercaseInput ? text.toLowerCase() : text;
      const content = tokenizer.tokenize(input, { add_special_tokens: false }).slice(0, contentBudget);
      const processed = post ? post.post_process(content, null, true) : { tokens: content, token_type_ids: undefined };
      const ids = processed.tokens.map(toId);
      return { ids, typeIds: processed.token_type_ids ?? new Array<number>(ids.length).fill(0) };
    },
  };
}
