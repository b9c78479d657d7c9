/**
 * A TextEmbedder over a sentence-transformers ONNX export (see export-config.ts for the files).
 * Texts are tokenised, sorted by length so each batch pads little, run through the graph in
 * batches, pooled with the export's pooling and, when the export lists Normalize, L2-normalised.
 *
 * The graph's declared inputs decide what is fed (BERT takes token_type_ids, DistilBERT and
 * RoBERTa-style exports often do not). A graph that already outputs `sentence_embedding`
 * (optimum's sentence-transformers export) has pooling built in and is used as is.
 */
import * as ort from 'onnxruntime-node';
import { type ExportConfig, type ExportOptions, readExportConfig } from './export-config.ts';
import { padBatch, type PaddedBatch } from './padded-batch.ts';
import { l2NormalizeRows, poolTokens } from './pooling.ts';
import { createSequenceEncoder, type EncodedText } from './sequence-encoder.ts';
import type { TextEmbedder } from './text-embedder.ts';

export interface SentenceEmbedderOptions extends ExportOptions {
  /** Texts per graph run; sentence-transformers' default. */
  batchSize?: number;
  /** onnxruntime intra-op threads; unset lets onnxruntime use every core. */
  threads?: number;
}

export interface OnnxSentenceEmbedder extends TextEmbedder {
  config: ExportConfig;
  /** Frees the onnxruntime session; embed() fails afterwards. */
  release(): Promise<void>;
}

type Feed = (batch: PaddedBatch) => BigInt64Array;

const FEEDS: Record<string, Feed> = {
  input_ids: (b) => b.inputIds,
  attention_mask: (b) => b.attentionMask,
  token_type_ids: (b) => b.tokenTypeIds,
  position_ids: (b) => b.positionIds,
};

function checkInputs(session: ort.InferenceSession, modelPath: string): void {
  for (const meta of session.inputMetadata) {
    if (!(meta.name in FEEDS)) {
      throw new Error(`${modelPath} takes input "${meta.name}"; the embedder can feed only ${Object.keys(FEEDS).join(', ')}`);
    }
    if (meta.isTensor && meta.type !== 'int64') throw new Error(`${modelPath} input "${meta.name}" is ${meta.type}, expected int64`);
  }
  if (!session.inputNames.includes('input_ids')) throw new Error(`${modelPath} has no input_ids input`);
}

function pickOutput(session: ort.InferenceSession): { name: string; pooled: boolean } {
  if (session.outputNames.includes('sentence_embedding')) return { name: 'sentence_embedding', pooled: true };
  if (session.outputNames.includes('last_hidden_state')) return { name: 'last_hidden_state', pooled: false };
  return { name: session.outputNames[0], pooled: false };
}

/** The output's last dimension when the graph states it as a number. */
function declaredWidth(session: ort.InferenceSession, name: string): number | undefined {
  const meta = session.outputMetadata.find((m) => m.name === name);
  const last = meta?.isTensor ? meta.shape[meta.shape.length - 1] : undefined;
  return typeof last === 'number' && last > 0 ? last : undefined;
}

export async function loadOnnxSentenceEmbedder(dir: string, options: SentenceEmbedderOptions = {}): Promise<OnnxSentenceEmbedder> {
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const config = await readExportConfig(dir, options);
  const encoder = createSequenceEncoder(config.tokenizerJson, config.tokenizerConfig, {
    maxLength: config.maxLength,
    lowercaseInput: config.lowercaseInput,
  });

  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(config.modelPath, {
      graphOptimizationLevel: 'all',
      ...(options.threads === undefined ? {} : { intraOpNumThreads: options.threads, interOpNumThreads: 1 }),
    });
  } catch (cause) {
    throw new Error(`onnxruntime could not load ${config.modelPath}`, { cause });
  }
  try {
    checkInputs(session, config.modelPath);
  } catch (error) {
    await session.release();
    throw error;
  }
  const output = pickOutput(session);
  if (!output.pooled && config.unsupportedModules.length > 0) {
    await session.release();
    throw new Error(`${dir} lists modules after pooling that the embedder cannot apply: ${config.unsupportedModules.join(', ')}`);
  }
  const stated = declaredWidth(session, output.name) ?? config.hiddenSize;
  if (stated === undefined) {
    await session.release();
    throw new Error(`cannot tell the embedding width of ${dir}: neither the graph output nor config.json states it`);
  }
  const width: number = stated;
  const dimension = output.pooled ? width : width * config.pooling.length;

  async function runBatch(texts: readonly EncodedText[]): Promise<Float32Array> {
    const batch = padBatch(texts, encoder.padId);
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) feeds[name] = new ort.Tensor('int64', FEEDS[name](batch), [batch.batch, batch.seq]);
    let result: ort.InferenceSession.ReturnType;
    try {
      result = await session.run(feeds, [output.name]);
    } catch (cause) {
      throw new Error(`onnxruntime failed on a batch of ${batch.batch}×${batch.seq} tokens from ${config.modelPath}`, { cause });
    }
    const tensor = result[output.name] as ort.Tensor;
    if (tensor.type !== 'float32') throw new Error(`${config.modelPath} output ${output.name} is ${tensor.type}, expected float32`);
    const data = tensor.data as Float32Array;
    const expected = output.pooled ? [batch.batch, width] : [batch.batch, batch.seq, width];
    if (tensor.dims.join('×') !== expected.join('×')) {
      throw new Error(`${config.modelPath} output ${output.name} has shape ${tensor.dims.join('×')}, expected ${expected.join('×')}`);
    }
    if (output.pooled) return data;
    return poolTokens({ hidden: data, mask: batch.mask, batch: batch.batch, seq: batch.seq, width }, config.pooling);
  }

  return {
    config,
    dimension,
    async embed(texts: string[]): Promise<Float32Array> {
      const encoded = texts.map((text) => encoder.encode(text));
      // Longest first, so batches group similar lengths and the first batch shows peak memory.
      const order = encoded.map((_, i) => i).sort((a, b) => encoded[b].ids.length - encoded[a].ids.length);
      const out = new Float32Array(texts.length * dimension);
      for (let start = 0; start < order.length; start += batchSize) {
        const rows = order.slice(start, start + batchSize);
        const pooled = await runBatch(rows.map((i) => encoded[i]));
        for (let k = 0; k < rows.length; k++) out.set(pooled.subarray(k * dimension, (k + 1) * dimension), rows[k] * dimension);
      }
      return config.normalize ? l2NormalizeRows(out, dimension) : out;
    },
    release: () => session.release(),
  };
}
