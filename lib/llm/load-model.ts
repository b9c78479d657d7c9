/**
 * A checkpoint folder (config.json, safetensors, tokenizer.json) read from disk and turned into a
 * runnable model: the file side stays in lib/, the model in models/ only sees typed arrays.
 */
import { type LoadOptions, LlmModel } from '../../models/llm/model.ts';
import { loadCheckpoint } from './checkpoint.ts';

export async function loadLlmModel(dir: string, options: LoadOptions = {}): Promise<LlmModel> {
  const checkpoint = await loadCheckpoint(dir);
  return LlmModel.load(
    { config: checkpoint.config, weights: checkpoint.weights, tokenizer: checkpoint.tokenizer, stopTokenIds: checkpoint.stopTokenIds },
    options,
  );
}
