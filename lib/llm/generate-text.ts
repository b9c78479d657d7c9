/**
 * `folio generate`: a checkpoint folder or GGUF file, a raw prompt (or, with `chat`, one user
 * message through the checkpoint's chat template), and the greedy continuation streamed piece by
 * piece. For users trying a model and for checking one against another implementation.
 */
import { generate } from '../../models/llm/generate.ts';
import type { Ledger } from '../../models/llm/ledger.ts';
import type { PolicyName } from '../../models/llm/policies/index.ts';
import type { WeightFormat } from '../../models/llm/quantize.ts';
import { loadLlmModel } from './load-model.ts';

export interface GenerateTextOptions {
  model: string;
  prompt: string;
  policy?: PolicyName;
  budget?: number;
  maxTokens?: number;
  chat?: boolean;
  weights?: WeightFormat;
  threads?: number;
  onText: (text: string) => void;
}

export interface GenerateTextResult {
  tokens: number[];
  promptTokens: number;
  ledger: Ledger;
  loadMs: number;
}

export async function generateText(options: GenerateTextOptions): Promise<GenerateTextResult> {
  const started = performance.now();
  const model = await loadLlmModel(options.model, { weights: options.weights, threads: options.threads });
  const loadMs = performance.now() - started;
  try {
    const tokenizer = model.tokenizer;
    if (!tokenizer) throw new Error(`${options.model} has no tokenizer`);
    if (options.chat && !tokenizer.hasChatTemplate) throw new Error(`${options.model} has no chat template (a base model?); leave out --chat`);
    const prompt = options.chat ? tokenizer.encodeChat([{ role: 'user', content: options.prompt }]) : tokenizer.encode(options.prompt);
    const result = await generate(model, prompt, {
      maxNewTokens: options.maxTokens ?? 64,
      policy: options.policy ?? 'dense',
      budget: options.budget,
      onToken: (_id, text) => {
        if (text) options.onText(text);
      },
    });
    return { tokens: result.tokens, promptTokens: prompt.length, ledger: result.ledger, loadMs };
  } finally {
    await model.release();
  }
}
