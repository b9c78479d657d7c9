/**
 * The tensors a Llama-family checkpoint must hold, by HF name and shape, derived from its config.
 * The loader reads exactly these, the generator writes exactly these, and a mismatch is reported
 * by name and shape rather than discovered as a wrong answer.
 */
import type { LlmConfig, LlmWeights } from './types.ts';

/** Name → shape of every tensor the forward pass reads (Linear weights are [out, in]). */
export function expectedWeightShapes(config: LlmConfig): Map<string, number[]> {
  const { hiddenSize: h, intermediateSize: inter, numHeads, numKvHeads, headDim, vocabSize } = config;
  const shapes = new Map<string, number[]>();
  shapes.set('model.embed_tokens.weight', [vocabSize, h]);
  for (let l = 0; l < config.numLayers; l++) {
    const p = `model.layers.${l}`;
    shapes.set(`${p}.input_layernorm.weight`, [h]);
    shapes.set(`${p}.self_attn.q_proj.weight`, [numHeads * headDim, h]);
    shapes.set(`${p}.self_attn.k_proj.weight`, [numKvHeads * headDim, h]);
    shapes.set(`${p}.self_attn.v_proj.weight`, [numKvHeads * headDim, h]);
    if (config.attentionBias) {
      shapes.set(`${p}.self_attn.q_proj.bias`, [numHeads * headDim]);
      shapes.set(`${p}.self_attn.k_proj.bias`, [numKvHeads * headDim]);
      shapes.set(`${p}.self_attn.v_proj.bias`, [numKvHeads * headDim]);
    }
    shapes.set(`${p}.self_attn.o_proj.weight`, [h, numHeads * headDim]);
    if (config.attentionOutputBias) shapes.set(`${p}.self_attn.o_proj.bias`, [h]);
    shapes.set(`${p}.post_attention_layernorm.weight`, [h]);
    if (config.gemma) {
      shapes.set(`${p}.self_attn.q_norm.weight`, [headDim]);
      shapes.set(`${p}.self_attn.k_norm.weight`, [headDim]);
      shapes.set(`${p}.pre_feedforward_layernorm.weight`, [h]);
      shapes.set(`${p}.post_feedforward_layernorm.weight`, [h]);
    }
    shapes.set(`${p}.mlp.gate_proj.weight`, [inter, h]);
    shapes.set(`${p}.mlp.up_proj.weight`, [inter, h]);
    shapes.set(`${p}.mlp.down_proj.weight`, [h, inter]);
  }
  shapes.set('model.norm.weight', [h]);
  if (!config.tieWordEmbeddings) shapes.set('lm_head.weight', [vocabSize, h]);
  return shapes;
}

const sameShape = (a: number[], b: number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Problems with a set of tensor shapes against the config: missing tensors and wrong shapes, one
 * readable line each (empty when the checkpoint fits). Extra tensors are allowed; checkpoints
 * carry leftovers such as rotary_emb.inv_freq or a redundant lm_head when embeddings are tied.
 */
export function weightShapeProblems(config: LlmConfig, present: Map<string, number[]>): string[] {
  const problems: string[] = [];
  for (const [name, shape] of expectedWeightShapes(config)) {
    const actual = present.get(name);
    if (!actual) problems.push(`missing tensor ${name} (expected shape [${shape.join(', ')}])`);
    else if (!sameShape(actual, shape)) problems.push(`tensor ${name} has shape [${actual.join(', ')}], config.json implies [${shape.join(', ')}]`);
  }
  return problems;
}

/** Throws one error listing every problem (capped) if `weights` does not fit `config`. */
export function assertWeightsFit(config: LlmConfig, weights: LlmWeights, where = 'checkpoint'): void {
  const shapes = new Map([...weights].map(([name, tensor]) => [name, tensor.shape]));
  const problems = weightShapeProblems(config, shapes);
  if (problems.length === 0) return;
  const shown = problems.slice(0, 10);
  const more = problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : '';
  throw new Error(`${where} does not match config.json (${config.architecture}):\n  ${shown.join('\n  ')}${more}`);
}
