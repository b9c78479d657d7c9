/**
 * Writes a tiny sentence-transformers export in the real file formats (tokenizer.json with a
 * WordPiece model, tokenizer_config.json, config.json, modules.json, 1_Pooling/config.json,
 * 2_Normalize, sentence_bert_config.json, model.onnx as ONNX protobuf), so the embedder is tested
 * against the same files a hub download gives, without a download. Also a plain-TypeScript
 * forward pass over the same weights, the reference the ONNX graph is checked against.
 *
 * The graph is a one-layer caricature of BERT: word + position + token-type embeddings,
 * LayerNorm, then each token adds the attention-masked mean of all tokens (a stand-in for
 * attention, there so that padding leaks into the output if the mask is not fed), then
 * MatMul + Add and Tanh.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { onnx as Onnx } from 'onnx-proto';
import { seededRandom } from '../../models/math/random.ts';
import { encodeModel, FLOAT, floatAttr, floatTensor, INT64, int64Tensor, intAttr, node, valueInfo } from './onnx-build.ts';

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

/** Enough words for sentences, plus suffix pieces so WordPiece splits words ("cats" → cat ##s). */
export const TINY_VOCAB: readonly string[] = [
  ...SPECIAL_TOKENS,
  ...'the a cat dog sat on mat bar plot figure page width default is what does of and run jump'.split(' '),
  ...'. , ? ##s ##ed ##ing'.split(' '),
];

export interface TinyWeights {
  vocabSize: number;
  hidden: number;
  maxPositions: number;
  wordEmbeddings: Float32Array; // vocab × hidden
  positionEmbeddings: Float32Array; // maxPositions × hidden
  tokenTypeEmbeddings: Float32Array; // 2 × hidden
  lnGamma: Float32Array;
  lnBeta: Float32Array;
  denseWeight: Float32Array; // hidden × hidden, row = input unit
  denseBias: Float32Array;
  /** Whether the graph takes (and adds) token_type_ids. */
  tokenTypes: boolean;
}

export type TinyPooling = 'mean' | 'cls' | 'max';

export interface TinyExportOptions {
  seed?: number;
  hidden?: number;
  maxPositions?: number;
  /** Writes modules.json + 1_Pooling/config.json with this mode; omit both files when false. */
  pooling?: TinyPooling | false;
  /** Lists a Normalize module in modules.json (and creates 2_Normalize). */
  normalize?: boolean;
  /** sentence_bert_config.json max_seq_length; the file is omitted when undefined. */
  maxSeqLength?: number;
  /** Where the graph goes: model.onnx (sentence-transformers) or onnx/model.onnx (optimum/transformers.js). */
  modelFile?: 'model.onnx' | 'onnx/model.onnx';
  /** Declare and use a token_type_ids input (BERT) or not (DistilBERT-like). */
  tokenTypes?: boolean;
}

export const LAYER_NORM_EPS = 1e-12;

export function tinyWeights(seed: number, hidden: number, maxPositions: number, tokenTypes: boolean): TinyWeights {
  const next = seededRandom(seed);
  const uniform = (n: number, scale: number, offset = 0) => Float32Array.from({ length: n }, () => offset + scale * (2 * next() - 1));
  const vocabSize = TINY_VOCAB.length;
  return {
    vocabSize,
    hidden,
    maxPositions,
    wordEmbeddings: uniform(vocabSize * hidden, 1),
    positionEmbeddings: uniform(maxPositions * hidden, 0.5),
    tokenTypeEmbeddings: uniform(2 * hidden, 0.3),
    lnGamma: uniform(hidden, 0.2, 1),
    lnBeta: uniform(hidden, 0.1),
    denseWeight: uniform(hidden * hidden, 1 / Math.sqrt(hidden)),
    denseBias: uniform(hidden, 0.1),
    tokenTypes,
  };
}

/**
 * The graph's computation for one unpadded sequence, in float64: seq × hidden token vectors.
 * With no padding every token is real, so the masked mean is the plain mean.
 */
export function tinyForward(w: TinyWeights, ids: readonly number[], typeIds: readonly number[] = ids.map(() => 0)): Float64Array[] {
  const h = w.hidden;
  const normed = ids.map((id, t) => {
    const x = new Float64Array(h);
    for (let j = 0; j < h; j++) {
      x[j] = w.wordEmbeddings[id * h + j] + w.positionEmbeddings[t * h + j] + (w.tokenTypes ? w.tokenTypeEmbeddings[typeIds[t] * h + j] : 0);
    }
    const mean = x.reduce((s, v) => s + v, 0) / h;
    const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / h;
    const inv = 1 / Math.sqrt(variance + LAYER_NORM_EPS);
    return x.map((v, j) => (v - mean) * inv * w.lnGamma[j] + w.lnBeta[j]);
  });
  const context = new Float64Array(h);
  for (const x of normed) for (let j = 0; j < h; j++) context[j] += x[j] / normed.length;
  return normed.map((x) => {
    const out = new Float64Array(h);
    for (let o = 0; o < h; o++) {
      let s = w.denseBias[o];
      for (let i = 0; i < h; i++) s += (x[i] + context[i]) * w.denseWeight[i * h + o];
      out[o] = Math.tanh(s);
    }
    return out;
  });
}

/** Pooling as sentence-transformers defines it, over one unpadded sequence. */
export function tinyPool(tokens: readonly Float64Array[], mode: TinyPooling): Float64Array {
  const h = tokens[0].length;
  if (mode === 'cls') return Float64Array.from(tokens[0]);
  const out = new Float64Array(h).fill(mode === 'max' ? Number.NEGATIVE_INFINITY : 0);
  for (const x of tokens) {
    for (let j = 0; j < h; j++) out[j] = mode === 'max' ? Math.max(out[j], x[j]) : out[j] + x[j] / tokens.length;
  }
  return out;
}

// --- ONNX graph -----------------------------------------------------------------------------

/** Opset 17 for LayerNormalization; ReduceSum and Unsqueeze take their axes as inputs there. */
export function tinyOnnxModel(w: TinyWeights): Uint8Array {
  const h = w.hidden;
  const nodes: Onnx.INodeProto[] = [
    node('Gather', ['word_embeddings', 'input_ids'], ['words']),
    node('Shape', ['input_ids'], ['ids_shape']),
    node('Gather', ['ids_shape', 'one'], ['seq_len'], [intAttr('axis', 0)]),
    node('Range', ['zero', 'seq_len', 'one'], ['positions']),
    node('Gather', ['position_embeddings', 'positions'], ['position_vectors']),
    node('Add', ['words', 'position_vectors'], [w.tokenTypes ? 'words_positions' : 'embeddings']),
    ...(w.tokenTypes
      ? [node('Gather', ['token_type_embeddings', 'token_type_ids'], ['type_vectors']), node('Add', ['words_positions', 'type_vectors'], ['embeddings'])]
      : []),
    node('LayerNormalization', ['embeddings', 'ln_gamma', 'ln_beta'], ['normed'], [intAttr('axis', -1), floatAttr('epsilon', LAYER_NORM_EPS)]),
    // Masked mean over the sequence, added back to every token.
    node('Cast', ['attention_mask'], ['mask_float'], [intAttr('to', FLOAT)]),
    node('Unsqueeze', ['mask_float', 'axis_2'], ['mask_3d']),
    node('Mul', ['normed', 'mask_3d'], ['masked']),
    node('ReduceSum', ['masked', 'axis_1'], ['masked_sum'], [intAttr('keepdims', 1)]),
    node('ReduceSum', ['mask_3d', 'axis_1'], ['mask_count'], [intAttr('keepdims', 1)]),
    node('Max', ['mask_count', 'one_float'], ['mask_count_safe']),
    node('Div', ['masked_sum', 'mask_count_safe'], ['context']),
    node('Add', ['normed', 'context'], ['mixed']),
    node('MatMul', ['mixed', 'dense_weight'], ['projected']),
    node('Add', ['projected', 'dense_bias'], ['pre_activation']),
    node('Tanh', ['pre_activation'], ['last_hidden_state']),
  ];
  const initializer: Onnx.ITensorProto[] = [
    floatTensor('word_embeddings', [w.vocabSize, h], w.wordEmbeddings),
    floatTensor('position_embeddings', [w.maxPositions, h], w.positionEmbeddings),
    ...(w.tokenTypes ? [floatTensor('token_type_embeddings', [2, h], w.tokenTypeEmbeddings)] : []),
    floatTensor('ln_gamma', [h], w.lnGamma),
    floatTensor('ln_beta', [h], w.lnBeta),
    floatTensor('dense_weight', [h, h], w.denseWeight),
    floatTensor('dense_bias', [h], w.denseBias),
    floatTensor('one_float', [], Float32Array.of(1)),
    int64Tensor('zero', [], [0]),
    int64Tensor('one', [], [1]),
    int64Tensor('axis_1', [1], [1]),
    int64Tensor('axis_2', [1], [2]),
  ];
  const inputs = ['input_ids', 'attention_mask', ...(w.tokenTypes ? ['token_type_ids'] : [])];
  return encodeModel('folio-tiny-embedder', {
    name: 'tiny_encoder',
    node: nodes,
    initializer,
    input: inputs.map((name) => valueInfo(name, INT64, ['batch', 'sequence'])),
    output: [valueInfo('last_hidden_state', FLOAT, ['batch', 'sequence', h])],
  });
}

// --- tokenizer and sentence-transformers files ----------------------------------------------

function tokenizerJson(): object {
  const vocab = Object.fromEntries(TINY_VOCAB.map((token, id) => [token, id]));
  const special = (token: string) => ({ id: token, ids: [TINY_VOCAB.indexOf(token)], tokens: [token] });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content) => ({
      id: TINY_VOCAB.indexOf(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': special('[CLS]'), '[SEP]': special('[SEP]') },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Writes the export into `dir` and returns the weights its graph holds. */
export async function writeTinyEmbedder(dir: string, options: TinyExportOptions = {}): Promise<TinyWeights> {
  const hidden = options.hidden ?? 16;
  const maxPositions = options.maxPositions ?? 64;
  const pooling = options.pooling ?? 'mean';
  const weights = tinyWeights(options.seed ?? 7, hidden, maxPositions, options.tokenTypes ?? true);
  const modelPath = join(dir, options.modelFile ?? 'model.onnx');
  await mkdir(dirname(modelPath), { recursive: true });
  await writeFile(modelPath, tinyOnnxModel(weights));
  await writeJson(join(dir, 'tokenizer.json'), tokenizerJson());
  await writeJson(join(dir, 'tokenizer_config.json'), {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: maxPositions,
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
    clean_up_tokenization_spaces: true,
    strip_accents: null,
    tokenize_chinese_chars: true,
  });
  await writeJson(join(dir, 'config.json'), {
    architectures: ['BertModel'],
    model_type: 'bert',
    hidden_size: hidden,
    max_position_embeddings: maxPositions,
    vocab_size: weights.vocabSize,
    type_vocab_size: 2,
    layer_norm_eps: LAYER_NORM_EPS,
    pad_token_id: 0,
  });
  if (options.maxSeqLength !== undefined) {
    await writeJson(join(dir, 'sentence_bert_config.json'), { max_seq_length: options.maxSeqLength, do_lower_case: false });
  }
  if (pooling !== false) {
    const modules = [
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    ];
    if (options.normalize) modules.push({ idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' });
    await writeJson(join(dir, 'modules.json'), modules);
    await writeJson(join(dir, '1_Pooling', 'config.json'), {
      word_embedding_dimension: hidden,
      pooling_mode_cls_token: pooling === 'cls',
      pooling_mode_mean_tokens: pooling === 'mean',
      pooling_mode_max_tokens: pooling === 'max',
      pooling_mode_mean_sqrt_len_tokens: false,
      pooling_mode_weightedmean_tokens: false,
      pooling_mode_lasttoken: false,
      include_prompt: true,
    });
    // Normalize has no parameters; the hub keeps an empty folder for it.
    if (options.normalize) await mkdir(join(dir, '2_Normalize'), { recursive: true });
  }
  return weights;
}
