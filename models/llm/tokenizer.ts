/**
 * The LLM's text side: tokenizer.json through @huggingface/tokenizers (byte-level BPE for Llama 3,
 * Qwen2 and recent Mistral checkpoints), and tokenizer_config.json's Jinja chat template through
 * @huggingface/jinja, rendered with the variables transformers' apply_chat_template passes.
 * A rendered chat already holds its special tokens, so it is encoded without adding any, as
 * transformers does.
 */
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';

type Json = Record<string, unknown>;

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | (string & {});
  content: string;
}

export interface ChatOptions {
  /** End the prompt with the assistant's header so the model answers (default true). */
  addGenerationPrompt?: boolean;
  /** Extra template variables (e.g. date_string, tools). */
  variables?: Record<string, unknown>;
}

/** Turns token ids into text as they arrive, holding back bytes of an unfinished UTF-8 character. */
export interface StreamDecoder {
  /** Adds one token; returns the text it completes (possibly ""). */
  push(id: number): string;
  /** Whatever is still held back (an incomplete character decodes to U+FFFD here). */
  flush(): string;
}

export interface LlmTokenizer {
  /** Plain text → ids, with the tokenizer's own post-processing (e.g. Llama 3's BOS) unless disabled. */
  encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
  /** The chat template's output for these messages. */
  renderChat(messages: ChatMessage[], options?: ChatOptions): string;
  /** renderChat, tokenised without adding special tokens (the template wrote them). */
  encodeChat(messages: ChatMessage[], options?: ChatOptions): number[];
  decode(ids: ArrayLike<number>, options?: { skipSpecialTokens?: boolean }): string;
  streamDecoder(options?: { skipSpecialTokens?: boolean }): StreamDecoder;
  tokenToId(token: string): number | undefined;
  /** Ids of the tokenizer_config's eos_token (and none when it names none). */
  eosTokenIds: number[];
  bosTokenId: number | null;
  hasChatTemplate: boolean;
}

/** An AddedToken in tokenizer_config.json is either a string or {content: ...}. */
function tokenContent(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as Json).content === 'string') return (value as Json).content as string;
  return null;
}

/** `chat_template` is a string, or a list of {name, template} of which "default" is the chat one. */
export function chatTemplateOf(tokenizerConfig: Json): string | null {
  const template = tokenizerConfig.chat_template;
  if (typeof template === 'string') return template;
  if (Array.isArray(template)) {
    const named = template as Array<{ name?: unknown; template?: unknown }>;
    const chosen = named.find((t) => t.name === 'default') ?? named[0];
    return typeof chosen?.template === 'string' ? chosen.template : null;
  }
  return null;
}

/**
 * A chat template's renderer: the Jinja source (null for base models) rendered with the variables
 * transformers' apply_chat_template passes. `where` names the template's origin in errors.
 */
export function chatRenderer(
  source: string | null,
  special: Record<string, string>,
  where: string,
): { template: Template | null; renderChat: (messages: ChatMessage[], options?: ChatOptions) => string } {
  let template: Template | null = null;
  if (source !== null) {
    try {
      template = new Template(source);
    } catch (cause) {
      throw new Error(`${where} chat_template does not parse as Jinja`, { cause });
    }
  }
  const renderChat = (messages: ChatMessage[], options: ChatOptions = {}): string => {
    if (!template) throw new Error(`${where} has no chat_template; this checkpoint is not a chat model`);
    try {
      return template.render({
        ...special,
        messages,
        add_generation_prompt: options.addGenerationPrompt ?? true,
        // raise_exception and strftime_now are globals of @huggingface/jinja already.
        ...options.variables,
      });
    } catch (cause) {
      throw new Error('chat template failed to render these messages', { cause });
    }
  };
  return { template, renderChat };
}

export function createLlmTokenizer(tokenizerJson: Json, tokenizerConfig: Json = {}): LlmTokenizer {
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
  } catch (cause) {
    throw new Error('tokenizer.json could not be loaded by @huggingface/tokenizers', { cause });
  }
  const special: Record<string, string> = {};
  for (const key of ['bos_token', 'eos_token', 'unk_token', 'pad_token']) {
    const content = tokenContent(tokenizerConfig[key]);
    if (content !== null) special[key] = content;
  }
  const idOf = (token: string | undefined): number | null => (token === undefined ? null : (tokenizer.token_to_id(token) ?? null));
  const eosId = idOf(special.eos_token);
  const bosId = idOf(special.bos_token);
  const { template, renderChat } = chatRenderer(chatTemplateOf(tokenizerConfig), special, 'tokenizer_config.json');

  // @huggingface/tokenizers rejects an empty list; the stream decoder asks for one at the start.
  const decode = (ids: ArrayLike<number>, options: { skipSpecialTokens?: boolean } = {}): string =>
    ids.length === 0 ? '' : tokenizer.decode(Array.from(ids), { skip_special_tokens: options.skipSpecialTokens ?? false });

  return {
    encode: (text, options = {}) => tokenizer.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids,
    renderChat,
    encodeChat: (messages, options) => tokenizer.encode(renderChat(messages, options), { add_special_tokens: false }).ids,
    decode,
    streamDecoder: (options = {}) => createStreamDecoder((ids) => decode(ids, options)),
    tokenToId: (token) => tokenizer.token_to_id(token),
    eosTokenIds: eosId === null ? [] : [eosId],
    bosTokenId: bosId,
    hasChatTemplate: template !== null,
  };
}

/**
 * Incremental detokenisation as text-generation-inference does it: decode a short window of
 * recent tokens twice, with and without the newest ids, and emit the difference once it no
 * longer ends in U+FFFD (the mark of a character whose bytes have not all arrived). Decoding a
 * window rather than one token keeps decoders that look at neighbours (spaces, cleanup) right.
 */
export function createStreamDecoder(decode: (ids: number[]) => string): StreamDecoder {
  const ids: number[] = [];
  let prefixOffset = 0;
  let readOffset = 0;
  return {
    push(id: number): string {
      ids.push(id);
      const prefixText = decode(ids.slice(prefixOffset, readOffset));
      const fullText = decode(ids.slice(prefixOffset));
      if (fullText.length > prefixText.length && !fullText.endsWith('\uFFFD')) {
        prefixOffset = readOffset;
        readOffset = ids.length;
        return fullText.slice(prefixText.length);
      }
      return '';
    },
    flush(): string {
      if (readOffset === ids.length) return '';
      const prefixText = decode(ids.slice(prefixOffset, readOffset));
      const fullText = decode(ids.slice(prefixOffset));
      prefixOffset = readOffset = ids.length;
      return fullText.slice(prefixText.length);
    },
  };
}
