/**
 * Writes a tiny Hugging Face-style ViT export in the real file formats (model.onnx as ONNX
 * protobuf, config.json, preprocessor_config.json), so the ONNX vision encoder is tested on the
 * same files an optimum export gives, without a download. Also a plain-TypeScript forward pass
 * over the same weights: the reference the ONNX graph is checked against.
 *
 * The graph is a real (small) ViT: Conv patch embedding, [CLS] token, position embeddings,
 * pre-LayerNorm transformer blocks with multi-head softmax attention and an erf-GELU MLP, a final
 * LayerNorm; outputs last_hidden_state and attentions.<layer> ([B, heads, T, T]).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { onnx as Onnx } from 'onnx-proto';
import { seededRandom } from '../../models/math/random.ts';
import { encodeModel, FLOAT, floatAttr, floatTensor, int64Tensor, intAttr, intsAttr, node, valueInfo } from './onnx-build.ts';

export const VIT_LN_EPS = 1e-12;

export interface TinyVitShape {
  imageSize: number;
  patchSize: number;
  hidden: number;
  heads: number;
  mlp: number;
  layers: number;
}

export interface TinyVitLayer {
  ln1g: Float32Array;
  ln1b: Float32Array;
  wq: Float32Array; // hidden × hidden, row = input unit
  bq: Float32Array;
  wk: Float32Array;
  bk: Float32Array;
  wv: Float32Array;
  bv: Float32Array;
  wo: Float32Array;
  bo: Float32Array;
  ln2g: Float32Array;
  ln2b: Float32Array;
  w1: Float32Array; // hidden × mlp
  b1: Float32Array;
  w2: Float32Array; // mlp × hidden
  b2: Float32Array;
}

export interface TinyVitWeights extends TinyVitShape {
  patchWeight: Float32Array; // hidden × 3 × p × p (Conv OIHW)
  patchBias: Float32Array;
  cls: Float32Array;
  positions: Float32Array; // (1 + N) × hidden
  layerWeights: TinyVitLayer[];
  lnfG: Float32Array;
  lnfB: Float32Array;
}

export function tinyVitWeights(shape: TinyVitShape, seed = 11): TinyVitWeights {
  const next = seededRandom(seed);
  const u = (n: number, scale: number, offset = 0) => Float32Array.from({ length: n }, () => offset + scale * (2 * next() - 1));
  const D = shape.hidden;
  const N = (shape.imageSize / shape.patchSize) ** 2;
  const layer = (): TinyVitLayer => ({
    ln1g: u(D, 0.2, 1),
    ln1b: u(D, 0.1),
    wq: u(D * D, 1 / Math.sqrt(D)),
    bq: u(D, 0.1),
    wk: u(D * D, 1 / Math.sqrt(D)),
    bk: u(D, 0.1),
    wv: u(D * D, 1 / Math.sqrt(D)),
    bv: u(D, 0.1),
    wo: u(D * D, 1 / Math.sqrt(D)),
    bo: u(D, 0.1),
    ln2g: u(D, 0.2, 1),
    ln2b: u(D, 0.1),
    w1: u(D * shape.mlp, 1 / Math.sqrt(D)),
    b1: u(shape.mlp, 0.1),
    w2: u(shape.mlp * D, 1 / Math.sqrt(shape.mlp)),
    b2: u(D, 0.1),
  });
  return {
    ...shape,
    patchWeight: u(D * 3 * shape.patchSize ** 2, 1 / Math.sqrt(3 * shape.patchSize ** 2)),
    patchBias: u(D, 0.1),
    cls: u(D, 0.5),
    positions: u((1 + N) * D, 0.3),
    layerWeights: Array.from({ length: shape.layers }, layer),
    lnfG: u(D, 0.2, 1),
    lnfB: u(D, 0.1),
  };
}

// --- plain-TypeScript reference (float64) ------------------------------------------------------

function layerNorm(x: Float64Array, g: Float32Array, b: Float32Array): Float64Array {
  const n = x.length;
  let mean = 0;
  for (const v of x) mean += v / n;
  let variance = 0;
  for (const v of x) variance += (v - mean) ** 2 / n;
  const inv = 1 / Math.sqrt(variance + VIT_LN_EPS);
  return x.map((v, j) => (v - mean) * inv * g[j] + b[j]);
}

function linear(x: Float64Array, w: Float32Array, b: Float32Array, outDim: number): Float64Array {
  const out = new Float64Array(outDim);
  for (let o = 0; o < outDim; o++) {
    let s = b[o];
    for (let i = 0; i < x.length; i++) s += x[i] * w[i * outDim + o];
    out[o] = s;
  }
  return out;
}

function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26 is too coarse for 1e-5 checks: use a series / continued fraction.
  const t = Math.abs(x);
  if (t < 2.5) {
    let sum = t;
    let term = t;
    for (let n = 1; n < 60; n++) {
      term *= (-t * t) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
  }
  // erfc continued fraction for larger |x|.
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (t + f);
  const erfc = Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f);
  return Math.sign(x) * (1 - erfc);
}

/**
 * The graph's computation for one image's pixel_values (3 × S × S, already normalised): the
 * last hidden state (T × D) and each layer's attention probabilities (heads × T × T).
 */
export function tinyVitForward(w: TinyVitWeights, pixels: Float32Array): { hidden: Float64Array[]; attentions: Float64Array[] } {
  const D = w.hidden;
  const p = w.patchSize;
  const S = w.imageSize;
  const g = S / p;
  const H = w.heads;
  const dh = D / H;
  let x: Float64Array[] = [Float64Array.from(w.cls, (v, j) => v + w.positions[j])];
  for (let i = 0; i < g; i++) {
    for (let j = 0; j < g; j++) {
      const t = 1 + i * g + j;
      const e = new Float64Array(D);
      for (let o = 0; o < D; o++) {
        let s = w.patchBias[o];
        for (let c = 0; c < 3; c++) {
          for (let a = 0; a < p; a++) {
            for (let b = 0; b < p; b++) s += w.patchWeight[((o * 3 + c) * p + a) * p + b] * pixels[c * S * S + (i * p + a) * S + (j * p + b)];
          }
        }
        e[o] = s + w.positions[t * D + o];
      }
      x.push(e);
    }
  }
  const T = x.length;
  const attentions: Float64Array[] = [];
  for (const L of w.layerWeights) {
    const h = x.map((v) => layerNorm(v, L.ln1g, L.ln1b));
    const q = h.map((v) => linear(v, L.wq, L.bq, D));
    const k = h.map((v) => linear(v, L.wk, L.bk, D));
    const v = h.map((u) => linear(u, L.wv, L.bv, D));
    const att = new Float64Array(H * T * T);
    const ctx = Array.from({ length: T }, () => new Float64Array(D));
    for (let head = 0; head < H; head++) {
      for (let a = 0; a < T; a++) {
        const logits = new Float64Array(T);
        let max = Number.NEGATIVE_INFINITY;
        for (let b = 0; b < T; b++) {
          let s = 0;
          for (let d = 0; d < dh; d++) s += q[a][head * dh + d] * k[b][head * dh + d];
          logits[b] = s / Math.sqrt(dh);
          max = Math.max(max, logits[b]);
        }
        let sum = 0;
        for (let b = 0; b < T; b++) sum += Math.exp(logits[b] - max);
        for (let b = 0; b < T; b++) {
          const pr = Math.exp(logits[b] - max) / sum;
          att[(head * T + a) * T + b] = pr;
          for (let d = 0; d < dh; d++) ctx[a][head * dh + d] += pr * v[b][head * dh + d];
        }
      }
    }
    attentions.push(att);
    x = x.map((u, t) => {
      const o = linear(ctx[t], L.wo, L.bo, D);
      return u.map((val, j) => val + o[j]);
    });
    x = x.map((u) => {
      const m = linear(layerNorm(u, L.ln2g, L.ln2b), L.w1, L.b1, w.mlp).map((z) => 0.5 * z * (1 + erf(z / Math.SQRT2)));
      const o = linear(m, L.w2, L.b2, D);
      return u.map((val, j) => val + o[j]);
    });
  }
  return { hidden: x.map((u) => layerNorm(u, w.lnfG, w.lnfB)), attentions };
}

// --- ONNX graph ---------------------------------------------------------------------------------

/** Opset 17 (LayerNormalization). `withAttentions` adds attentions.<l> outputs. */
export function tinyVitOnnx(w: TinyVitWeights, withAttentions = true): Uint8Array {
  const D = w.hidden;
  const p = w.patchSize;
  const H = w.heads;
  const dh = D / H;
  const N = (w.imageSize / p) ** 2;
  const T = N + 1;
  const nodes: Onnx.INodeProto[] = [
    node('Conv', ['pixel_values', 'patch_weight', 'patch_bias'], ['patch_maps'], [intsAttr('kernel_shape', [p, p]), intsAttr('strides', [p, p])]),
    node('Reshape', ['patch_maps', 'shape_bdn'], ['patch_flat']),
    node('Transpose', ['patch_flat'], ['patch_tokens'], [intsAttr('perm', [0, 2, 1])]),
    node('Shape', ['pixel_values'], ['pixel_shape']),
    node('Slice', ['pixel_shape', 'zero1', 'one1'], ['batch_dim']),
    node('Concat', ['batch_dim', 'one_d'], ['cls_shape'], [intAttr('axis', 0)]),
    node('Expand', ['cls_token', 'cls_shape'], ['cls_tokens']),
    node('Concat', ['cls_tokens', 'patch_tokens'], ['tokens'], [intAttr('axis', 1)]),
    node('Add', ['tokens', 'positions'], ['x0']),
  ];
  const initializer: Onnx.ITensorProto[] = [
    floatTensor('patch_weight', [D, 3, p, p], w.patchWeight),
    floatTensor('patch_bias', [D], w.patchBias),
    floatTensor('cls_token', [1, 1, D], w.cls),
    floatTensor('positions', [1, T, D], w.positions),
    floatTensor('scale', [], Float32Array.of(1 / Math.sqrt(dh))),
    floatTensor('half', [], Float32Array.of(0.5)),
    floatTensor('one_f', [], Float32Array.of(1)),
    floatTensor('inv_sqrt2', [], Float32Array.of(Math.SQRT1_2)),
    int64Tensor('shape_bdn', [3], [0, D, -1]),
    int64Tensor('zero1', [1], [0]),
    int64Tensor('one1', [1], [1]),
    int64Tensor('one_d', [2], [1, D]),
    int64Tensor('shape_heads', [4], [0, -1, H, dh]),
    int64Tensor('shape_merge', [3], [0, -1, D]),
    floatTensor('lnf_g', [D], w.lnfG),
    floatTensor('lnf_b', [D], w.lnfB),
  ];
  const attentionOutputs: string[] = [];
  w.layerWeights.forEach((L, l) => {
    const n = (s: string) => `l${l}_${s}`;
    const x = `x${l}`;
    initializer.push(
      floatTensor(n('ln1g'), [D], L.ln1g),
      floatTensor(n('ln1b'), [D], L.ln1b),
      floatTensor(n('wq'), [D, D], L.wq),
      floatTensor(n('bq'), [D], L.bq),
      floatTensor(n('wk'), [D, D], L.wk),
      floatTensor(n('bk'), [D], L.bk),
      floatTensor(n('wv'), [D, D], L.wv),
      floatTensor(n('bv'), [D], L.bv),
      floatTensor(n('wo'), [D, D], L.wo),
      floatTensor(n('bo'), [D], L.bo),
      floatTensor(n('ln2g'), [D], L.ln2g),
      floatTensor(n('ln2b'), [D], L.ln2b),
      floatTensor(n('w1'), [D, w.mlp], L.w1),
      floatTensor(n('b1'), [w.mlp], L.b1),
      floatTensor(n('w2'), [w.mlp, D], L.w2),
      floatTensor(n('b2'), [D], L.b2),
    );
    const att = withAttentions ? `attentions.${l}` : n('att');
    if (withAttentions) attentionOutputs.push(att);
    const proj = (what: 'q' | 'k' | 'v') => [
      node('MatMul', [n('h'), n(`w${what}`)], [n(`${what}_mm`)]),
      node('Add', [n(`${what}_mm`), n(`b${what}`)], [n(`${what}_lin`)]),
      node('Reshape', [n(`${what}_lin`), 'shape_heads'], [n(`${what}_heads`)]),
      node('Transpose', [n(`${what}_heads`)], [n(what)], [intsAttr('perm', what === 'k' ? [0, 2, 3, 1] : [0, 2, 1, 3])]),
    ];
    nodes.push(
      node('LayerNormalization', [x, n('ln1g'), n('ln1b')], [n('h')], [intAttr('axis', -1), floatAttr('epsilon', VIT_LN_EPS)]),
      ...proj('q'),
      ...proj('k'),
      ...proj('v'),
      node('MatMul', [n('q'), n('k')], [n('qk')]),
      node('Mul', [n('qk'), 'scale'], [n('logits')]),
      node('Softmax', [n('logits')], [att], [intAttr('axis', -1)]),
      node('MatMul', [att, n('v')], [n('ctx_heads')]),
      node('Transpose', [n('ctx_heads')], [n('ctx_t')], [intsAttr('perm', [0, 2, 1, 3])]),
      node('Reshape', [n('ctx_t'), 'shape_merge'], [n('ctx')]),
      node('MatMul', [n('ctx'), n('wo')], [n('o_mm')]),
      node('Add', [n('o_mm'), n('bo')], [n('o')]),
      node('Add', [x, n('o')], [n('res1')]),
      node('LayerNormalization', [n('res1'), n('ln2g'), n('ln2b')], [n('h2')], [intAttr('axis', -1), floatAttr('epsilon', VIT_LN_EPS)]),
      node('MatMul', [n('h2'), n('w1')], [n('m_mm')]),
      node('Add', [n('m_mm'), n('b1')], [n('m')]),
      node('Mul', [n('m'), 'inv_sqrt2'], [n('m_s')]),
      node('Erf', [n('m_s')], [n('m_erf')]),
      node('Add', [n('m_erf'), 'one_f'], [n('m_1')]),
      node('Mul', [n('m'), n('m_1')], [n('m_p')]),
      node('Mul', [n('m_p'), 'half'], [n('gelu')]),
      node('MatMul', [n('gelu'), n('w2')], [n('m2_mm')]),
      node('Add', [n('m2_mm'), n('b2')], [n('m2')]),
      node('Add', [n('res1'), n('m2')], [`x${l + 1}`]),
    );
  });
  nodes.push(node('LayerNormalization', [`x${w.layers}`, 'lnf_g', 'lnf_b'], ['last_hidden_state'], [intAttr('axis', -1), floatAttr('epsilon', VIT_LN_EPS)]));
  return encodeModel('folio-tiny-vit', {
    name: 'tiny_vit',
    node: nodes,
    initializer,
    input: [valueInfo('pixel_values', FLOAT, ['batch', 3, w.imageSize, w.imageSize])],
    output: [valueInfo('last_hidden_state', FLOAT, ['batch', T, D]), ...attentionOutputs.map((name) => valueInfo(name, FLOAT, ['batch', H, T, T]))],
  });
}

export interface TinyVitExport {
  weights: TinyVitWeights;
  mean: [number, number, number];
  std: [number, number, number];
}

/** Writes model.onnx, config.json and preprocessor_config.json into `dir`. */
export async function writeTinyVit(dir: string, options: Partial<TinyVitShape> & { seed?: number; attentions?: boolean } = {}): Promise<TinyVitExport> {
  const shape: TinyVitShape = { imageSize: 28, patchSize: 7, hidden: 16, heads: 2, mlp: 32, layers: 2, ...options };
  const weights = tinyVitWeights(shape, options.seed ?? 11);
  const mean: [number, number, number] = [0.48, 0.46, 0.41];
  const std: [number, number, number] = [0.27, 0.26, 0.28];
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.onnx'), tinyVitOnnx(weights, options.attentions ?? true));
  await writeFile(
    join(dir, 'config.json'),
    `${JSON.stringify({ architectures: ['ViTModel'], model_type: 'vit', hidden_size: shape.hidden, num_attention_heads: shape.heads, num_hidden_layers: shape.layers, intermediate_size: shape.mlp, image_size: shape.imageSize, patch_size: shape.patchSize, num_channels: 3, layer_norm_eps: VIT_LN_EPS, hidden_act: 'gelu' }, null, 2)}\n`,
  );
  await writeFile(
    join(dir, 'preprocessor_config.json'),
    `${JSON.stringify({ image_processor_type: 'ViTImageProcessor', do_resize: true, size: { height: shape.imageSize, width: shape.imageSize }, resample: 2, do_rescale: true, rescale_factor: 1 / 255, do_normalize: true, image_mean: mean, image_std: std }, null, 2)}\n`,
  );
  return { weights, mean, std };
}
