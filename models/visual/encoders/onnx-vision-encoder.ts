/**
 * A VisionEncoder over a Hugging Face ViT / CLIP-vision / SigLIP-vision ONNX export: a folder
 * with model.onnx (or onnx/model.onnx, vision_model.onnx, onnx/vision_model.onnx),
 * preprocessor_config.json and config.json. Input `pixel_values` (NCHW float32), output
 * `last_hidden_state` [B, T, D] and, when the export has them, `attentions.<layer>` [B, H, T, T]
 * (post-softmax, as transformers returns them).
 *
 * T = N + 1 means a [CLS] token at 0 (ViT, CLIP); T = N means none (SigLIP), and the mean patch
 * is the global token. CLS→patch scores: with exported attentions, the head mean of the last
 * layer's log attention probabilities of the CLS row (equal to GlobalCom²'s pre-softmax logits up
 * to a per-image constant, since log-softmax only subtracts each head's log-sum-exp); otherwise
 * the cosine between the global token and each patch (a stand-in for attention scores when the export has none).
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { meanToken } from './patch-encoder.ts';
import { type ImageProcessorConfig, parseImageProcessorConfig, toPixelValues } from './preprocess.ts';
import type { EncodedImage, RgbImage, VisionEncoder } from './types.ts';

const MODEL_FILES = ['model.onnx', 'onnx/model.onnx', 'vision_model.onnx', 'onnx/vision_model.onnx'];

export interface OnnxVisionEncoderOptions {
  /** Images per graph run. */
  batchSize?: number;
  /** onnxruntime intra-op threads; unset lets onnxruntime choose. */
  threads?: number;
}

export interface OnnxVisionEncoder extends VisionEncoder {
  processor: ImageProcessorConfig;
  release(): Promise<void>;
}

type Json = Record<string, unknown>;

async function readJson(path: string): Promise<Json | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Json;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read ${path}`, { cause: error });
  }
}

async function firstExisting(dir: string, files: string[]): Promise<string | null> {
  for (const file of files) {
    const path = join(dir, file);
    try {
      await access(path);
      return path;
    } catch {}
  }
  return null;
}

/** The last layer's attention output: `attentions.<n>` with the highest n, or `attentions`. */
export function lastAttentionOutput(names: readonly string[]): string | null {
  let best: string | null = null;
  let bestLayer = -1;
  for (const name of names) {
    const m = /^attentions(?:[._](\d+))?$/.exec(name);
    if (!m) continue;
    const layer = m[1] === undefined ? 0 : Number(m[1]);
    if (layer >= bestLayer) {
      best = name;
      bestLayer = layer;
    }
  }
  return best;
}

/**
 * Splits one image's hidden states (T × D) and optional attention (H × T × T) into an
 * EncodedImage on a rows×cols grid.
 */
export function encodedFromOutputs(hidden: Float32Array, tokens: number, dim: number, rows: number, cols: number, attention?: { data: Float32Array; heads: number }): EncodedImage {
  const n = rows * cols;
  const hasCls = tokens === n + 1;
  if (!hasCls && tokens !== n) throw new Error(`the encoder returned ${tokens} tokens for a ${rows}×${cols} patch grid`);
  const first = hasCls ? 1 : 0;
  const patches = hidden.slice(first * dim, (first + n) * dim);
  const global = hasCls ? hidden.slice(0, dim) : meanToken(patches, n, dim);
  const clsScores = new Float32Array(n);
  if (attention && hasCls) {
    const { data, heads } = attention;
    for (let h = 0; h < heads; h++) {
      const row = h * tokens * tokens; // query 0 of head h
      for (let p = 0; p < n; p++) clsScores[p] += Math.log(Math.max(data[row + 1 + p], 1e-30)) / heads;
    }
    return { rows, cols, dim, patches, global, clsScores, scoreSource: 'attention' };
  }
  let gn = 0;
  for (let d = 0; d < dim; d++) gn += global[d] * global[d];
  gn = Math.max(Math.sqrt(gn), 1e-12);
  for (let p = 0; p < n; p++) {
    let dot = 0;
    let pn = 0;
    for (let d = 0; d < dim; d++) {
      const v = patches[p * dim + d];
      dot += v * global[d];
      pn += v * v;
    }
    clsScores[p] = dot / (gn * Math.max(Math.sqrt(pn), 1e-12));
  }
  return { rows, cols, dim, patches, global, clsScores, scoreSource: 'cls-cosine' };
}

export async function loadOnnxVisionEncoder(dir: string, options: OnnxVisionEncoderOptions = {}): Promise<OnnxVisionEncoder> {
  const modelPath = await firstExisting(dir, MODEL_FILES);
  if (!modelPath) throw new Error(`${dir} holds none of ${MODEL_FILES.join(', ')}`);
  const preprocessorJson = await readJson(join(dir, 'preprocessor_config.json'));
  if (!preprocessorJson) throw new Error(`${dir} has no preprocessor_config.json`);
  const configJson = (await readJson(join(dir, 'config.json'))) ?? {};
  // CLIP and SigLIP nest the vision tower's settings under vision_config.
  const vision = (configJson.vision_config as Json | undefined) ?? configJson;
  const imageSize = typeof vision.image_size === 'number' ? vision.image_size : undefined;
  const patchSize = typeof vision.patch_size === 'number' ? vision.patch_size : undefined;
  const processor = parseImageProcessorConfig(preprocessorJson, imageSize);
  const inputSize = 'height' in processor.size ? processor.size : { height: processor.size.shortestEdge, width: processor.size.shortestEdge };
  const finalSize = processor.doCenterCrop && processor.cropSize ? processor.cropSize : inputSize;
  if (!patchSize) throw new Error(`${dir}/config.json states no patch_size`);
  const grid = { rows: Math.floor(finalSize.height / patchSize), cols: Math.floor(finalSize.width / patchSize) };

  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelPath, {
      graphOptimizationLevel: 'all',
      ...(options.threads === undefined ? {} : { intraOpNumThreads: options.threads, interOpNumThreads: 1 }),
    });
  } catch (cause) {
    throw new Error(`onnxruntime could not load ${modelPath}`, { cause });
  }
  if (!session.inputNames.includes('pixel_values')) {
    await session.release();
    throw new Error(`${modelPath} takes ${session.inputNames.join(', ')}, not pixel_values`);
  }
  const hiddenName = session.outputNames.includes('last_hidden_state') ? 'last_hidden_state' : session.outputNames[0];
  const attentionName = lastAttentionOutput(session.outputNames);
  const batchSize = options.batchSize ?? 8;

  return {
    name: `onnx:${dir.split(/[\\/]/).filter(Boolean).pop()}`,
    grid,
    processor,
    async encode(images: readonly RgbImage[]): Promise<EncodedImage[]> {
      const out: EncodedImage[] = [];
      for (let start = 0; start < images.length; start += batchSize) {
        const batch = images.slice(start, start + batchSize);
        const { data, dims } = toPixelValues(batch, processor);
        const fetches = attentionName ? [hiddenName, attentionName] : [hiddenName];
        let result: ort.InferenceSession.OnnxValueMapType;
        try {
          result = await session.run({ pixel_values: new ort.Tensor('float32', data, dims) }, fetches);
        } catch (cause) {
          throw new Error(`the vision encoder ${modelPath} failed on a batch of ${batch.length}`, { cause });
        }
        const hidden = result[hiddenName];
        const [, tokens, dim] = hidden.dims as number[];
        const hiddenData = hidden.data as Float32Array;
        const att = attentionName ? result[attentionName] : undefined;
        const heads = att ? (att.dims as number[])[1] : 0;
        batch.forEach((_, b) => {
          const h = hiddenData.subarray(b * tokens * dim, (b + 1) * tokens * dim);
          const a = att ? { data: (att.data as Float32Array).subarray(b * heads * tokens * tokens, (b + 1) * heads * tokens * tokens), heads } : undefined;
          out.push(encodedFromOutputs(h, tokens, dim, grid.rows, grid.cols, a));
        });
      }
      return out;
    },
    release: () => session.release(),
  };
}
