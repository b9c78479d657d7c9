/**
 * The real trained model, Gemma 3 270M in Q4_K_M (`npm run test:real-model` installs it first):
 * the GGUF file read and dequantised as the `gguf` package reads it, the architecture read from
 * its metadata, and the forward pass and tokenizer checked against llama.cpp itself
 * (llama-cpp-python in .models/pip/llama-cpp, when installed) on a 512-token prompt of real text.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadGgufCheckpoint } from '../../lib/llm/gguf-checkpoint.ts';
import { readGgufHeader, readGgufTensors } from '../../lib/llm/gguf-file.ts';
import { layerSlidingWindow } from '../../models/llm/config.ts';
import { ggmlTypeName } from '../../models/llm/gguf.ts';
import { LlmModel } from '../../models/llm/model.ts';
import { projectRoot } from '../helpers/stack.ts';

const modelPath = join(projectRoot, '.models', 'gemma-3-270m', 'gemma-3-270m-q4_k_m.gguf');
const pip = (name: string) => join(projectRoot, '.models', 'pip', name);
const python = (script: string, args: string[], path: string) =>
  execFileSync('python3', [join(projectRoot, 'scripts', script), ...args], { env: { ...process.env, PYTHONPATH: path }, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });

/** A varied tokenisation sample: prose, code, numbers, whitespace runs, non-ASCII, emoji. */
const SAMPLES = [
  'The quick brown fox jumps over the lazy dog.',
  'def f(x):\n    return x ** 2  # square\n\n\nprint(f(12))',
  'Total: $1,234,567.89 (up 12.5% from 2023); ratio 3/4 ≈ 0.75',
  'Größe, naïve café, façade — “quotes” and ‘apostrophes’',
  '東京は日本の首都です。 Москва — столица России. 한국어 텍스트',
  'emoji 🙂🚀 and symbols ∑∫√ ≤ ≥ → ⇒',
  '   leading spaces,\ttabs\tand trailing   ',
  'plot(x, sin(x), "r--"); % Octave comment\nset xrange [-10:10]',
];

describe('Gemma 3 270M (real GGUF file)', { skip: existsSync(modelPath) ? false : 'model not installed: npm run models:install -- gemma-3-270m' }, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'folio-real-model-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('dequantises one tensor of every type in the file exactly as the gguf package does', { skip: existsSync(join(pip('gguf'), 'gguf')) ? false : 'gguf package not installed' }, async () => {
    const file = await readGgufHeader(modelPath);
    const byType = new Map<number, string>();
    // The smallest tensor of each type keeps the reference's output small.
    for (const t of [...file.header.tensors].sort((a, b) => a.byteLength - b.byteLength)) if (!byType.has(t.type)) byType.set(t.type, t.name);
    assert.deepEqual([...byType.keys()].map(ggmlTypeName).sort(), ['F32', 'Q4_K', 'Q5_0', 'Q6_K', 'Q8_0']);
    python('gguf-dequantize-reference.py', [modelPath, join(dir, 'ref'), ...byType.values()], pip('gguf'));
    const ours = await readGgufTensors(file, byType.values());
    for (const name of byType.values()) {
      const index = file.header.tensors.findIndex((t) => t.name === name);
      const bytes = await readFile(join(dir, 'ref', `${index}.f32`));
      const reference = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
      assert.deepEqual(ours.get(name)?.data, reference, name);
    }
  });

  it('reads the architecture from the metadata', async () => {
    const { config, weights, stopTokenIds } = await loadGgufCheckpoint(modelPath);
    assert.equal(config.architecture, 'Gemma3ForCausalLM');
    assert.deepEqual([config.numLayers, config.hiddenSize, config.numHeads, config.numKvHeads, config.headDim, config.vocabSize], [18, 640, 4, 1, 256, 262144]);
    assert.equal(config.slidingWindow, 512);
    const global = Array.from({ length: 18 }, (_, l) => l).filter((l) => layerSlidingWindow(config, l) === null);
    assert.deepEqual(global, [5, 11, 17]);
    assert.equal(config.ropeTheta, 1_000_000);
    assert.equal(config.gemma?.localRopeTheta, 10000);
    assert.equal(config.tieWordEmbeddings, true);
    assert.ok(weights.has('model.layers.0.self_attn.q_norm.weight'));
    assert.deepEqual(stopTokenIds, [1]);
  });

  const llamaCpp = existsSync(join(pip('llama-cpp'), 'llama_cpp'));
  describe('against llama.cpp', { skip: llamaCpp ? false : 'llama-cpp-python not installed in .models/pip/llama-cpp' }, () => {
    it('tokenises a varied sample identically and agrees on the logits of a 512-token prompt', async (t) => {
      const checkpoint = await loadGgufCheckpoint(modelPath);
      const tokenizer = checkpoint.tokenizer;
      const text = await readFile(join(projectRoot, 'ARCHITECTURE.md'), 'utf8');
      const prompt = tokenizer.encode(text).slice(0, 512);
      assert.equal(prompt.length, 512);
      await writeFile(join(dir, 'request.json'), JSON.stringify({ texts: [...SAMPLES, text], tokens: prompt, threads: 2 }));
      python('llama-cpp-reference.py', [modelPath, join(dir, 'request.json'), join(dir, 'llama')], pip('llama-cpp'));
      const reference = JSON.parse(await readFile(join(dir, 'llama', 'tokens.json'), 'utf8')) as number[][];
      for (const [i, sample] of [...SAMPLES, text].entries()) assert.deepEqual(tokenizer.encode(sample), reference[i], `tokens of ${JSON.stringify(sample.slice(0, 40))}`);
      for (const sample of SAMPLES) assert.equal(tokenizer.decode(tokenizer.encode(sample), { skipSpecialTokens: true }), sample);

      const bytes = await readFile(join(dir, 'llama', 'logits.f32'));
      const theirs = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
      const vocab = checkpoint.config.vocabSize;
      // fp32 multiplies the dequantised weights; gguf (the default for a GGUF file) the file's own
      // blocks with activations rounded to 8 bits, as llama.cpp does.
      for (const weights of ['fp32', 'gguf'] as const) {
        const model = await LlmModel.load({ config: checkpoint.config, weights: checkpoint.weights, tokenizer }, { weights });
        try {
          const ours = await model.prefill(model.newSession(), prompt, true);
          assert.equal(theirs.length, ours.length);
          let worst = 0;
          let sumAbs = 0;
          let agree = 0;
          // Positions where llama.cpp's first choice leads its second by a clear margin: there a
          // faithful forward pass must choose the same token.
          let clear = 0;
          let clearAgree = 0;
          for (let r = 0; r < prompt.length; r++) {
            let a = 0;
            let b = 0;
            for (let v = 0; v < vocab; v++) {
              const i = r * vocab + v;
              const d = Math.abs(ours[i] - theirs[i]);
              worst = Math.max(worst, d);
              sumAbs += d;
              if (ours[i] > ours[r * vocab + a]) a = v;
              if (theirs[i] > theirs[r * vocab + b]) b = v;
            }
            let second = Number.NEGATIVE_INFINITY;
            for (let v = 0; v < vocab; v++) if (v !== b) second = Math.max(second, theirs[r * vocab + v]);
            if (a === b) agree++;
            if (theirs[r * vocab + b] - second > 1) {
              clear++;
              if (a === b) clearAgree++;
            }
          }
          t.diagnostic(`${weights} weights, 512-token prompt: max |Δlogit| ${worst.toFixed(4)}, mean |Δlogit| ${(sumAbs / ours.length).toFixed(4)}, top-1 agreement ${agree}/512, ${clearAgree}/${clear} where llama.cpp's margin exceeds 1 logit`);
          // The argmax of a trained model's logits survives either rounding.
          assert.ok(agree / prompt.length >= 0.95, `${weights}: top-1 agreement ${agree}/512`);
          assert.equal(clearAgree, clear, `${weights}: every position where llama.cpp is sure gets its token`);
        } finally {
          await model.release();
        }
      }
    });
  });
});
