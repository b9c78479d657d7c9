import assert from 'node:assert/strict';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadOnnxSentenceEmbedder, type OnnxSentenceEmbedder } from '../../models/embed/onnx-embedder.ts';
import { TINY_VOCAB, type TinyExportOptions, type TinyPooling, type TinyWeights, tinyForward, tinyPool, writeTinyEmbedder } from '../helpers/tiny-embedder.ts';
import { maxAbsDiff } from '../helpers/arrays.ts';

/** Texts with their expected WordPiece tokens (lowercased, "cats" → cat ##s, unknown → [UNK]). */
const CASES: Array<[string, string[]]> = [
  ['The cats sat on the mat.', ['the', 'cat', '##s', 'sat', 'on', 'the', 'mat', '.']],
  ['What does the bar plot?', ['what', 'does', 'the', 'bar', 'plot', '?']],
  ['dog', ['dog']],
  ['A zebra jumped, jumping', ['a', '[UNK]', 'jump', '##ed', ',', 'jump', '##ing']],
  ['', []],
  ['Figure of the default width of a bar and a plot of the page', 'figure of the default width of a bar and a plot of the page'.split(' ')],
];

function ids(tokens: readonly string[]): number[] {
  return ['[CLS]', ...tokens, '[SEP]'].map((token) => {
    const id = TINY_VOCAB.indexOf(token);
    assert.ok(id >= 0, `${token} is in the tiny vocabulary`);
    return id;
  });
}

function reference(weights: TinyWeights, tokens: readonly string[], pooling: TinyPooling, normalize: boolean): Float64Array {
  const pooled = tinyPool(tinyForward(weights, ids(tokens)), pooling);
  if (!normalize) return pooled;
  const norm = Math.hypot(...pooled);
  return pooled.map((v) => v / norm);
}

function row(values: Float32Array, i: number, dimension: number): Float32Array {
  return values.subarray(i * dimension, (i + 1) * dimension);
}

describe('ONNX sentence embedder on a generated tiny export', () => {
  let root: string;
  const opened: OnnxSentenceEmbedder[] = [];

  async function load(name: string, exportOptions: TinyExportOptions, batchSize = 4, maxLength?: number) {
    const dir = join(root, name);
    const weights = await writeTinyEmbedder(dir, exportOptions);
    const embedder = await loadOnnxSentenceEmbedder(dir, { batchSize, maxLength, threads: 1 });
    opened.push(embedder);
    return { dir, weights, embedder };
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'folio-embedder-'));
  });

  after(async () => {
    await Promise.all(opened.map((e) => e.release()));
    await rm(root, { recursive: true, force: true });
  });

  for (const pooling of ['mean', 'cls', 'max'] as const) {
    it(`matches the TypeScript forward pass with ${pooling} pooling`, async () => {
      const { weights, embedder } = await load(`pool-${pooling}`, { pooling, seed: 11 });
      assert.equal(embedder.dimension, weights.hidden);
      const out = await embedder.embed(CASES.map(([text]) => text));
      assert.equal(out.length, CASES.length * embedder.dimension);
      CASES.forEach(([text, tokens], i) => {
        const diff = maxAbsDiff(row(out, i, embedder.dimension), reference(weights, tokens, pooling, false));
        assert.ok(diff <= 1e-5, `${JSON.stringify(text)}: max abs diff ${diff}`);
      });
    });
  }

  it('gives each text the same vector alone as in a padded batch of mixed lengths', async () => {
    const { embedder } = await load('padding', { seed: 3 }, 3);
    const texts = CASES.map(([text]) => text);
    const batched = await embedder.embed(texts);
    for (let i = 0; i < texts.length; i++) {
      const alone = await embedder.embed([texts[i]]);
      const diff = maxAbsDiff(alone, row(batched, i, embedder.dimension));
      assert.ok(diff <= 1e-6, `${JSON.stringify(texts[i])}: alone vs batched differ by ${diff}`);
    }
    // The graph mixes tokens through the mask: padding would show here if the mask were ignored.
    const solo = await embedder.embed(['dog']);
    const withLong = await embedder.embed(['dog', texts[5]]);
    assert.ok(maxAbsDiff(solo, row(withLong, 0, embedder.dimension)) <= 1e-6);
  });

  it('L2-normalises only when modules.json lists Normalize', async () => {
    const texts = CASES.map(([text]) => text);
    const normalized = await load('normalize', { normalize: true, seed: 5 });
    const plain = await load('plain', { normalize: false, seed: 5 });
    const unit = await normalized.embedder.embed(texts);
    const raw = await plain.embedder.embed(texts);
    CASES.forEach(([text, tokens], i) => {
      const norm = Math.hypot(...row(unit, i, normalized.embedder.dimension));
      assert.ok(Math.abs(norm - 1) <= 1e-5, `${JSON.stringify(text)}: norm ${norm}`);
      assert.ok(maxAbsDiff(row(unit, i, normalized.embedder.dimension), reference(normalized.weights, tokens, 'mean', true)) <= 1e-5);
    });
    const rawNorms = texts.map((_, i) => Math.hypot(...row(raw, i, plain.embedder.dimension)));
    assert.ok(rawNorms.some((n) => Math.abs(n - 1) > 0.01), `unnormalised norms ${rawNorms.join(', ')}`);
  });

  it('defaults to mean pooling without normalisation when modules.json and 1_Pooling are absent (onnx/model.onnx, no token types)', async () => {
    const { weights, embedder } = await load('bare', { pooling: false, modelFile: 'onnx/model.onnx', tokenTypes: false, seed: 9 });
    assert.equal(embedder.config.normalize, false);
    assert.deepEqual(embedder.config.pooling, ['mean']);
    const out = await embedder.embed(CASES.map(([text]) => text));
    CASES.forEach(([text, tokens], i) => {
      const diff = maxAbsDiff(row(out, i, embedder.dimension), reference(weights, tokens, 'mean', false));
      assert.ok(diff <= 1e-5, `${JSON.stringify(text)}: max abs diff ${diff}`);
    });
  });

  it('truncates to max_seq_length, keeping [CLS] … [SEP]', async () => {
    const { weights, embedder } = await load('truncate', { maxSeqLength: 6, seed: 13 });
    assert.equal(embedder.config.maxLength, 6);
    const [text, tokens] = CASES[5];
    const out = await embedder.embed([text, 'dog']);
    const kept = tokens.slice(0, 4);
    assert.ok(maxAbsDiff(row(out, 0, embedder.dimension), reference(weights, kept, 'mean', false)) <= 1e-5);
    // A text within the limit is untouched.
    assert.ok(maxAbsDiff(row(out, 1, embedder.dimension), reference(weights, ['dog'], 'mean', false)) <= 1e-5);
    // Texts that differ only after the cut embed identically.
    const [a, b] = [await embedder.embed([`${text} cat`]), await embedder.embed([`${text} dog`])];
    assert.ok(maxAbsDiff(a, b) === 0);
  });

  it('lets the caller lower the max length below the export’s', async () => {
    const { weights, embedder } = await load('truncate-option', { maxSeqLength: 32, seed: 13 }, 2, 5);
    assert.equal(embedder.config.maxLength, 5);
    const [text, tokens] = CASES[0];
    const out = await embedder.embed([text]);
    assert.ok(maxAbsDiff(out, reference(weights, tokens.slice(0, 3), 'mean', false)) <= 1e-5);
  });

  it('names the missing tokenizer.json', async () => {
    const dir = join(root, 'no-tokenizer');
    await writeTinyEmbedder(dir);
    await unlink(join(dir, 'tokenizer.json'));
    await assert.rejects(loadOnnxSentenceEmbedder(dir), (error: Error) => {
      assert.match(error.message, /tokenizer\.json not found/);
      assert.ok(error.message.includes(join(dir, 'tokenizer.json')), error.message);
      return true;
    });
  });

  it('names the places it looked for the model', async () => {
    const dir = join(root, 'no-model');
    await writeTinyEmbedder(dir);
    await unlink(join(dir, 'model.onnx'));
    await assert.rejects(loadOnnxSentenceEmbedder(dir), (error: Error) => {
      assert.ok(error.message.includes(join(dir, 'model.onnx')) && error.message.includes(join(dir, 'onnx', 'model.onnx')), error.message);
      return true;
    });
  });
});
