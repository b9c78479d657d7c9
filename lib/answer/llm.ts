/**
 * Answering with the LLM reader (FOLIO_LLM_DIR): the sampler's units go into the prompt tagged
 * with their pages, the model's answer streams token by token, and its page citations are
 * checked against the units it was given. An answer that cites no page it was shown is not
 * trusted ("no citation, no claim"): the extractive reader answers instead, and the ledger says
 * why.
 */
import path from 'node:path';
import { NOT_FOUND } from '../../models/answer/extractive.ts';
import { checkCitations, type PromptUnit, readerBasePrompt, readerMessages, readerPlainPrompt, stripCitations } from '../../models/answer/llm-prompt.ts';
import { generate } from '../../models/llm/generate.ts';
import type { DecodeAttentionKernel, LlmModel } from '../../models/llm/model.ts';
import type { PolicyName } from '../../models/llm/policies/index.ts';
import type { WeightFormat } from '../../models/llm/quantize.ts';
import { loadLlmModel } from '../llm/load-model.ts';
import type { Evidence } from '../retrieval/evidence.ts';
import { readEvidenceExtractively } from './extractive.ts';
import type { LlmPromptStyle } from './reader-settings.ts';
import type { Answer, LlmReaderLedger } from './types.ts';

export interface LlmReaderSettings {
  dir: string;
  policy: PolicyName;
  budget: number;
  maxNewTokens: number;
  /** Linear weights at run time (default: a GGUF file's own blocks, else fp32), and weights per scale when quantised at load. */
  weights?: WeightFormat;
  weightBlock?: number;
  /** Decode attention kernel (default: native when built, else onnxruntime). */
  attention?: Exclude<DecodeAttentionKernel, 'ts'>;
  /** The prompt style (reader-settings.ts; default auto). */
  prompt?: LlmPromptStyle;
}

export interface LlmAnswerOptions {
  /** Each piece of answer text as the model writes it. */
  onText?: (text: string) => void;
  signal?: AbortSignal;
}

/**
 * One loaded model, shared by all requests; generations run one at a time (each already uses
 * both cores through onnxruntime, and interleaving two would only slow both).
 */
export class LlmReader {
  private model: Promise<LlmModel> | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly settings: LlmReaderSettings) {}

  /** The configured reader, or null when no checkpoint folder is set (answers are extractive). */
  static fromSettings(settings: Omit<LlmReaderSettings, 'dir'> & { dir: string | undefined }): LlmReader | null {
    const { dir } = settings;
    return dir ? new LlmReader({ ...settings, dir }) : null;
  }

  get name(): string {
    return path.basename(this.settings.dir);
  }

  load(): Promise<LlmModel> {
    if (!this.model) {
      this.model = loadLlmModel(this.settings.dir, { weights: this.settings.weights, weightBlock: this.settings.weightBlock, decodeAttention: this.settings.attention }).catch((error) => {
        this.model = null;
        throw new Error(`The LLM reader could not load ${this.settings.dir}: ${(error as Error).message}`, { cause: error });
      });
    }
    return this.model;
  }

  async release(): Promise<void> {
    const model = await this.model?.catch(() => null);
    await model?.release();
    this.model = null;
  }

  /** Runs `task` after every generation queued before it (the judge's scoring queues here too). */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  answer(evidence: Evidence, options: LlmAnswerOptions = {}): Promise<Answer> {
    return this.exclusive(() => this.generateAnswer(evidence, options));
  }

  private async generateAnswer(evidence: Evidence, options: LlmAnswerOptions): Promise<Answer> {
    let units: PromptUnit[] = evidence.candidates;
    if (units.length === 0) {
      // Nothing to read: the model would only make something up.
      return readEvidenceExtractively(evidence, 'retrieval found no evidence, so the model was not asked');
    }
    const model = await this.load();
    options.signal?.throwIfAborted();
    const tokenizer = model.tokenizer;
    if (!tokenizer) throw new Error(`The LLM checkpoint in ${this.settings.dir} has no tokenizer.json`);
    const style = this.settings.prompt ?? 'auto';
    const chat = style === 'chat' || (style === 'auto' && tokenizer.hasChatTemplate);
    let prompt: number[];
    if (style === 'base') {
      const base = readerBasePrompt(evidence.question, units);
      units = base.units;
      prompt = tokenizer.encode(base.prompt);
    } else {
      prompt = chat ? tokenizer.encodeChat(readerMessages(evidence.question, units)) : tokenizer.encode(readerPlainPrompt(evidence.question, units));
    }
    const readStart = performance.now();
    let streamed = '';
    const result = await generate(model, prompt, {
      policy: this.settings.policy,
      budget: this.settings.budget,
      maxNewTokens: this.settings.maxNewTokens,
      // The base prompt's answer is one line; what follows would be the model making up the next example.
      stopText: style === 'base' ? '\n' : undefined,
      onToken: (_id, text) => {
        streamed += text;
        if (text) options.onText?.(text);
      },
      signal: options.signal,
    });
    // Bytes of an unfinished character are held back until the end; send what was held.
    if (result.text.length > streamed.length) options.onText?.(result.text.slice(streamed.length));
    const finished = performance.now();
    const text = result.text.trim();
    const { citations, rejectedPages } = checkCitations(text, units);
    const ledger: LlmReaderLedger = {
      kind: 'llm',
      model: this.name,
      policy: result.ledger.policy,
      budget: result.ledger.budget,
      promptTokens: result.ledger.promptTokens,
      generatedTokens: result.tokens.length,
      finishReason: result.finishReason,
      rejectedPages,
      attendedPerToken: result.ledger.steps.map((step) => Math.round(step.attended.reduce((sum, n) => sum + n, 0))),
      prefillMs: Math.round(result.ledger.prefillMs),
      decodeMs: Math.round(result.ledger.decodeMs),
    };
    const notFound = text.toLowerCase().startsWith(NOT_FOUND.toLowerCase().replace(/\.$/, ''));
    if (!notFound && citations.length === 0) {
      // No citation, no claim: the extractive reader's cited answer stands in.
      const reason =
        rejectedPages.length > 0
          ? `the model cited only pages it was not given (${rejectedPages.join(', ')})`
          : 'the model cited no page';
      return { ...readEvidenceExtractively(evidence, reason), llm: { text, ledger } };
    }
    return {
      answer: notFound ? NOT_FOUND : stripCitations(text),
      evidence: citations[0]?.quote ?? '',
      found: !notFound,
      citations,
      ledger: {
        ...evidence.ledger,
        reader: ledger,
        ms: { ...evidence.ms, read: Math.round(finished - readStart), total: Math.round(finished - evidence.started) },
      },
    };
  }
}
