#!/usr/bin/env python3
"""
Converts a BERT-family sentence-transformers checkpoint (model.safetensors + config.json, e.g.
sentence-transformers/all-MiniLM-L6-v2) into the ONNX export Folio's text embedder loads
(FOLIO_EMBEDDER_DIR): <out>/onnx/model.onnx next to copies of the tokenizer, config and
sentence-transformers module files. A dev tool for when torch/optimum are not at hand; it
needs only `pip install onnx numpy safetensors` and never fetches anything.

The graph is the plain BertModel forward written with onnx.helper (opset 17):
  inputs  input_ids, attention_mask, token_type_ids   int64 [batch, sequence]
  output  last_hidden_state                           float32 [batch, sequence, hidden]
word + position + token-type embeddings, LayerNorm, then per layer: multi-head self-attention
with the attention mask as an additive bias, output projection + residual + LayerNorm, GELU
feed-forward + residual + LayerNorm. Pooling and normalisation stay outside the graph: Folio
applies them from 1_Pooling/config.json and modules.json, as sentence-transformers does.

  python scripts/export-bert-onnx.py SRC_DIR OUT_DIR [--check] [--compare FOLIO_EMBEDDINGS.json]

--check runs the export in onnxruntime (if installed) against a numpy forward pass of the same
weights on random padded batches and fails when they differ by more than 1e-4.
--compare reads {"ids": [[...]], "embeddings": [[...]]} (token ids and the vectors Folio's
embedder produced for them) and reports the largest difference from numpy's mean-pooled,
L2-normalised embeddings of the same ids.
"""
import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file

OPSET = 17
# Files a sentence-transformers repo carries besides the weights; copied when present.
SIDE_FILES = [
    'config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'special_tokens_map.json',
    'vocab.txt',
    'sentence_bert_config.json',
    'config_sentence_transformers.json',
    'modules.json',
    '1_Pooling/config.json',
]


def load_weights(src: Path) -> dict:
    weights = load_file(str(src / 'model.safetensors'))
    # BertForX checkpoints prefix the encoder with "bert."; BertModel ones do not.
    return {(k[5:] if k.startswith('bert.') else k): v.astype(np.float32) if v.dtype != np.int64 else v for k, v in weights.items()}


def read_config(src: Path) -> dict:
    config = json.loads((src / 'config.json').read_text())
    if config.get('model_type') not in ('bert', None):
        raise SystemExit(f"config.json model_type is {config.get('model_type')!r}; this converter writes BERT graphs only")
    if config.get('position_embedding_type', 'absolute') != 'absolute':
        raise SystemExit('only absolute position embeddings are supported')
    if config.get('hidden_act', 'gelu') not in ('gelu', 'gelu_new', 'gelu_pytorch_tanh'):
        raise SystemExit(f"hidden_act {config.get('hidden_act')!r} is not supported")
    return config


class GraphBuilder:
    def __init__(self):
        self.nodes = []
        self.initializers = []
        self.count = 0

    def name(self, hint: str) -> str:
        self.count += 1
        return f'{hint}_{self.count}'

    def const(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def op(self, op_type: str, inputs: list, hint: str, **attrs) -> str:
        out = self.name(hint)
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out


def linear(g: GraphBuilder, x: str, weights: dict, prefix: str) -> str:
    # torch Linear stores [out, in]; MatMul wants [in, out].
    w = g.const(f'{prefix}.weight.T', np.ascontiguousarray(weights[f'{prefix}.weight'].T))
    b = g.const(f'{prefix}.bias', weights[f'{prefix}.bias'])
    return g.op('Add', [g.op('MatMul', [x, w], prefix + '.matmul'), b], prefix)


def layer_norm(g: GraphBuilder, x: str, weights: dict, prefix: str, eps: float) -> str:
    scale = g.const(f'{prefix}.weight', weights[f'{prefix}.weight'])
    bias = g.const(f'{prefix}.bias', weights[f'{prefix}.bias'])
    return g.op('LayerNormalization', [x, scale, bias], prefix, axis=-1, epsilon=eps)


def gelu(g: GraphBuilder, x: str, act: str) -> str:
    if act == 'gelu':
        # Exact GELU, as BERT's "gelu": 0.5·x·(1 + erf(x/√2)).
        erf = g.op('Erf', [g.op('Div', [x, 'sqrt2'], 'gelu.div')], 'gelu.erf')
        return g.op('Mul', [g.op('Mul', [x, 'half'], 'gelu.half'), g.op('Add', [erf, 'one'], 'gelu.add')], 'gelu')
    # tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    cube = g.op('Mul', [g.op('Mul', [x, x], 'gelu.sq'), x], 'gelu.cube')
    inner = g.op('Mul', [g.op('Add', [x, g.op('Mul', [cube, 'gelu_c'], 'gelu.c')], 'gelu.sum'), 'gelu_k'], 'gelu.inner')
    return g.op('Mul', [g.op('Mul', [x, 'half'], 'gelu.half'), g.op('Add', [g.op('Tanh', [inner], 'gelu.tanh'), 'one'], 'gelu.add')], 'gelu')


def build_graph(config: dict, weights: dict) -> onnx.ModelProto:
    hidden = config['hidden_size']
    heads = config['num_attention_heads']
    head_dim = hidden // heads
    eps = float(config.get('layer_norm_eps', 1e-12))
    act = config.get('hidden_act', 'gelu')
    g = GraphBuilder()
    g.const('half', np.array(0.5, np.float32))
    g.const('one', np.array(1.0, np.float32))
    if act == 'gelu':
        g.const('sqrt2', np.array(np.sqrt(2.0), np.float32))
    else:
        g.const('gelu_c', np.array(0.044715, np.float32))
        g.const('gelu_k', np.array(np.sqrt(2.0 / np.pi), np.float32))
    g.const('zero_i64', np.array(0, np.int64))
    g.const('one_i64', np.array(1, np.int64))
    g.const('axes12', np.array([1, 2], np.int64))
    g.const('heads_shape', np.array([0, 0, heads, head_dim], np.int64))
    g.const('merge_shape', np.array([0, 0, hidden], np.int64))
    g.const('inv_sqrt_d', np.array(1.0 / np.sqrt(head_dim), np.float32))
    # Masked keys get a large negative bias (HF uses the dtype's minimum; -1e4 underflows
    # softmax to exactly 0 in float32 just the same, without risking -inf arithmetic).
    g.const('mask_neg', np.array(-10000.0, np.float32))

    # Embeddings: word + position (0..S-1) + token type, then LayerNorm.
    word = g.op('Gather', [g.const('embeddings.word_embeddings.weight', weights['embeddings.word_embeddings.weight']), 'input_ids'], 'word', axis=0)
    seq_len = g.op('Gather', [g.op('Shape', ['input_ids'], 'ids_shape'), 'one_i64'], 'seq_len', axis=0)
    positions = g.op('Range', ['zero_i64', seq_len, 'one_i64'], 'positions')
    pos = g.op('Gather', [g.const('embeddings.position_embeddings.weight', weights['embeddings.position_embeddings.weight']), positions], 'pos', axis=0)
    types = g.op('Gather', [g.const('embeddings.token_type_embeddings.weight', weights['embeddings.token_type_embeddings.weight']), 'token_type_ids'], 'types', axis=0)
    x = g.op('Add', [g.op('Add', [word, pos], 'word_pos'), types], 'embedded')
    x = layer_norm(g, x, weights, 'embeddings.LayerNorm', eps)

    # Additive attention bias [B, 1, 1, S]: 0 for real tokens, -1e4 for padding.
    mask_f = g.op('Cast', ['attention_mask'], 'mask_f', to=TensorProto.FLOAT)
    bias = g.op('Mul', [g.op('Sub', ['one', mask_f], 'mask_inv'), 'mask_neg'], 'mask_bias')
    bias = g.op('Unsqueeze', [bias, 'axes12'], 'mask_bias4')

    for layer in range(config['num_hidden_layers']):
        p = f'encoder.layer.{layer}'

        def split_heads(t: str, hint: str) -> str:
            return g.op('Transpose', [g.op('Reshape', [t, 'heads_shape'], hint + '.reshape')], hint + '.heads', perm=[0, 2, 1, 3])

        q = split_heads(linear(g, x, weights, f'{p}.attention.self.query'), f'{p}.q')
        k = split_heads(linear(g, x, weights, f'{p}.attention.self.key'), f'{p}.k')
        v = split_heads(linear(g, x, weights, f'{p}.attention.self.value'), f'{p}.v')
        kt = g.op('Transpose', [k], f'{p}.kt', perm=[0, 1, 3, 2])
        scores = g.op('Mul', [g.op('MatMul', [q, kt], f'{p}.qk'), 'inv_sqrt_d'], f'{p}.scaled')
        probs = g.op('Softmax', [g.op('Add', [scores, bias], f'{p}.masked')], f'{p}.probs', axis=-1)
        context = g.op('MatMul', [probs, v], f'{p}.context')
        context = g.op('Reshape', [g.op('Transpose', [context], f'{p}.context_t', perm=[0, 2, 1, 3]), 'merge_shape'], f'{p}.merged')
        attn = linear(g, context, weights, f'{p}.attention.output.dense')
        x = layer_norm(g, g.op('Add', [attn, x], f'{p}.attn_res'), weights, f'{p}.attention.output.LayerNorm', eps)
        inner = gelu(g, linear(g, x, weights, f'{p}.intermediate.dense'), act)
        out = linear(g, inner, weights, f'{p}.output.dense')
        x = layer_norm(g, g.op('Add', [out, x], f'{p}.ffn_res'), weights, f'{p}.output.LayerNorm', eps)

    g.nodes.append(helper.make_node('Identity', [x], ['last_hidden_state'], name='last_hidden_state'))
    ints = lambda name: helper.make_tensor_value_info(name, TensorProto.INT64, ['batch', 'sequence'])  # noqa: E731
    graph = helper.make_graph(
        g.nodes,
        'bert',
        [ints('input_ids'), ints('attention_mask'), ints('token_type_ids')],
        [helper.make_tensor_value_info('last_hidden_state', TensorProto.FLOAT, ['batch', 'sequence', hidden])],
        g.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', OPSET)], producer_name='folio export-bert-onnx.py')
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def numpy_forward(config: dict, weights: dict, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
    """The same BertModel forward in float64 numpy: the reference the export is checked against."""
    hidden = config['hidden_size']
    heads = config['num_attention_heads']
    d = hidden // heads
    eps = float(config.get('layer_norm_eps', 1e-12))
    act = config.get('hidden_act', 'gelu')
    w = {k: v.astype(np.float64) for k, v in weights.items() if v.dtype != np.int64}

    def ln(t, prefix):
        mu = t.mean(-1, keepdims=True)
        var = ((t - mu) ** 2).mean(-1, keepdims=True)
        return (t - mu) / np.sqrt(var + eps) * w[prefix + '.weight'] + w[prefix + '.bias']

    def lin(t, prefix):
        return t @ w[prefix + '.weight'].T + w[prefix + '.bias']

    def act_fn(t):
        if act == 'gelu':
            from math import erf

            return 0.5 * t * (1 + np.vectorize(erf)(t / np.sqrt(2)))
        return 0.5 * t * (1 + np.tanh(np.sqrt(2 / np.pi) * (t + 0.044715 * t**3)))

    b, s = ids.shape
    x = w['embeddings.word_embeddings.weight'][ids] + w['embeddings.position_embeddings.weight'][np.arange(s)][None] + w['embeddings.token_type_embeddings.weight'][types]
    x = ln(x, 'embeddings.LayerNorm')
    bias = (1.0 - mask.astype(np.float64))[:, None, None, :] * -10000.0
    for layer in range(config['num_hidden_layers']):
        p = f'encoder.layer.{layer}'
        q, k, v = (lin(x, f'{p}.attention.self.{n}').reshape(b, s, heads, d).transpose(0, 2, 1, 3) for n in ('query', 'key', 'value'))
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d) + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        probs = scores / scores.sum(-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(b, s, hidden)
        x = ln(lin(context, f'{p}.attention.output.dense') + x, f'{p}.attention.output.LayerNorm')
        x = ln(lin(act_fn(lin(x, f'{p}.intermediate.dense')), f'{p}.output.dense') + x, f'{p}.output.LayerNorm')
    return x


def mean_pool_normalised(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    m = mask.astype(np.float64)[..., None]
    pooled = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
    return pooled / np.linalg.norm(pooled, axis=-1, keepdims=True)


def random_batch(config: dict, rng: np.random.Generator):
    """Three sequences of different lengths, right-padded, as a tokenizer batch would be."""
    lengths = [17, 9, 4]
    s = max(lengths)
    ids = np.zeros((len(lengths), s), np.int64)
    mask = np.zeros((len(lengths), s), np.int64)
    for row, n in enumerate(lengths):
        ids[row, :n] = rng.integers(1000, config['vocab_size'], n)
        mask[row, :n] = 1
    return ids, mask, np.zeros_like(ids)


def check(model_path: Path, config: dict, weights: dict) -> None:
    try:
        import onnxruntime as ort
    except ImportError:
        print('--check: onnxruntime is not installed (pip install onnxruntime); skipped', file=sys.stderr)
        return
    session = ort.InferenceSession(str(model_path), providers=['CPUExecutionProvider'])
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(3):
        ids, mask, types = random_batch(config, rng)
        got = session.run(['last_hidden_state'], {'input_ids': ids, 'attention_mask': mask, 'token_type_ids': types})[0]
        want = numpy_forward(config, weights, ids, mask, types)
        # Padding positions are never pooled; compare the real tokens only.
        diff = np.abs(got - want)[mask.astype(bool)].max()
        worst = max(worst, float(diff))
    print(f'--check: max |onnxruntime - numpy| over real tokens = {worst:.2e}')
    if worst > 1e-4:
        raise SystemExit('export differs from the numpy forward pass by more than 1e-4')


def compare(path: Path, config: dict, weights: dict) -> None:
    data = json.loads(path.read_text())
    rows = data['ids']
    s = max(len(r) for r in rows)
    ids = np.zeros((len(rows), s), np.int64)
    mask = np.zeros((len(rows), s), np.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
    want = mean_pool_normalised(numpy_forward(config, weights, ids, mask, np.zeros_like(ids)), mask)
    got = np.array(data['embeddings'], np.float64)
    diff = float(np.abs(got - want).max())
    print(f'--compare: {len(rows)} texts, max |folio - numpy| over pooled normalised embeddings = {diff:.2e}')
    if diff > 1e-4:
        raise SystemExit('Folio embeddings differ from the numpy reference by more than 1e-4')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', type=Path, help='checkpoint folder: model.safetensors, config.json, tokenizer.json …')
    parser.add_argument('out', type=Path, help='export folder (FOLIO_EMBEDDER_DIR)')
    parser.add_argument('--check', action='store_true', help='compare onnxruntime with a numpy forward pass')
    parser.add_argument('--compare', type=Path, help='JSON of token ids and Folio embeddings to check against numpy')
    args = parser.parse_args()

    config = read_config(args.src)
    weights = load_weights(args.src)
    model_path = args.out / 'onnx' / 'model.onnx'
    if args.compare is None or not model_path.exists():
        model_path.parent.mkdir(parents=True, exist_ok=True)
        onnx.save(build_graph(config, weights), str(model_path))
        for name in SIDE_FILES:
            source = args.src / name
            if source.exists() and source.resolve() != (args.out / name).resolve():
                (args.out / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, args.out / name)
        print(f'wrote {model_path} ({model_path.stat().st_size / 1e6:.1f} MB)')
    if args.check:
        check(model_path, config, weights)
    if args.compare is not None:
        compare(args.compare, config, weights)


if __name__ == '__main__':
    main()
