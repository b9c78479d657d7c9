/**
 * A GGUF file as a checkpoint: config, tokenizer and chat template from its metadata, and the
 * tensors the forward pass reads under their HF names, dequantised to float32 at load (so the
 * fp32, int8 and int4 weight paths all run on the same values) and, for quantised matrices, also
 * as their own blocks repacked for MatMulNBits (the 'gguf' weight format, the default for a GGUF
 * file).
 */
import { ggufLlmConfig, ggufTensorName, hfTensorFromGguf } from '../../models/llm/gguf-config.ts';
import { createGgufTokenizer } from '../../models/llm/gguf-tokenizer.ts';
import type { LlmWeights } from '../../models/llm/types.ts';
import { expectedWeightShapes, weightShapeProblems } from '../../models/llm/weight-layout.ts';
import type { LoadedCheckpoint } from './checkpoint.ts';
import { readGgufHeader, readGgufTensors } from './gguf-file.ts';

export async function loadGgufCheckpoint(path: string): Promise<LoadedCheckpoint> {
  const file = await readGgufHeader(path);
  const { metadata } = file.header;
  let config: LoadedCheckpoint['config'];
  let tokenizer: LoadedCheckpoint['tokenizer'];
  try {
    config = ggufLlmConfig(metadata, new Set(file.tensors.keys()));
    tokenizer = createGgufTokenizer(metadata);
  } catch (cause) {
    throw new Error(`${path}: ${(cause as Error).message}`, { cause });
  }
  const expected = expectedWeightShapes(config);
  const names = new Map([...expected.keys()].map((hf) => [hf, ggufTensorName(config, hf)]));
  const shapes = new Map<string, number[]>();
  for (const [hf, gguf] of names) {
    const info = file.tensors.get(gguf);
    if (info) shapes.set(hf, [...info.dims].reverse());
  }
  const problems = weightShapeProblems(config, shapes);
  if (problems.length > 0) throw new Error(`${path} does not hold the tensors its metadata implies (${config.architecture}):\n  ${problems.slice(0, 10).join('\n  ')}`);
  const weights: LlmWeights = new Map();
  const read = await readGgufTensors(file, names.values());
  for (const [hf, gguf] of names) {
    const tensor = read.get(gguf);
    if (!tensor) throw new Error(`${path} has no tensor ${gguf}`);
    weights.set(hf, hfTensorFromGguf(config, hf, tensor.info, tensor.data, tensor.bytes));
    read.delete(gguf);
  }
  const template = metadata.get('tokenizer.chat_template');
  const stopTokenIds = [...new Set([...config.eosTokenIds, ...tokenizer.eosTokenIds])];
  // Gemma's chat turns end with <end_of_turn>, which its GGUF files do not list as an eos id.
  const endOfTurn = tokenizer.tokenToId('<end_of_turn>');
  if (endOfTurn !== undefined && typeof template === 'string' && template.includes('<end_of_turn>')) stopTokenIds.push(endOfTurn);
  return { dir: path, config, weights, tokenizer, chatTemplate: typeof template === 'string' ? template : null, generationConfig: null, stopTokenIds };
}
