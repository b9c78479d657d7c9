/**
 * Checks Folio's checkpoint side against Hugging Face transformers itself: generated checkpoints
 * of every architecture and config feature are loaded by transformers (scripts/transformers-logits.py)
 * and by Folio (lib/llm/checkpoint.ts), and the logits of Folio's plain-TypeScript reference
 * forward, the tokenisation and the rendered chat template are compared. Not part of `npm test`
 * (it needs Python with torch and transformers):
 *
 *   PYTHON=/path/to/python npm run llm:check-transformers -- [work dir]
 *
 * Prints one line per case and exits non-zero when any logit differs by more than 1e-4.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint } from '../lib/llm/checkpoint.ts';
import { referenceLogits } from '../models/llm/reference.ts';
import { type LlmCheckpointOptions, seededNormal, writeLlmCheckpoint } from '../test/helpers/llm-checkpoint.ts';

interface Case {
  name: string;
  options: LlmCheckpointOptions;
  tokens: number;
}

const CASES: Case[] = [
  { name: 'llama-gqa', options: { arch: 'llama' }, tokens: 12 },
  {
    name: 'llama-llama3-rope-bias',
    options: {
      arch: 'llama',
      configOverrides: {
        attention_bias: true,
        rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 },
      },
    },
    tokens: 12,
  },
  { name: 'llama-linear-rope-tied', options: { arch: 'llama', configOverrides: { tie_word_embeddings: true, rope_scaling: { type: 'linear', factor: 3 } } }, tokens: 10 },
  // Dynamic NTK only differs once the sequence outgrows max_position_embeddings.
  { name: 'llama-dynamic-rope', options: { arch: 'llama', configOverrides: { max_position_embeddings: 16, rope_theta: 10000, rope_scaling: { type: 'dynamic', factor: 2 } } }, tokens: 24 },
  { name: 'qwen2-tied-yarn-bf16-sharded', options: { arch: 'qwen2', dtype: 'BF16', shards: 2, configOverrides: { rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 1024 } } }, tokens: 12 },
  { name: 'qwen2-sliding-upper-layers', options: { arch: 'qwen2', configOverrides: { use_sliding_window: true, sliding_window: 4, max_window_layers: 1 } }, tokens: 12 },
  { name: 'mistral-sliding-f16', options: { arch: 'mistral', dtype: 'F16' }, tokens: 12 },
  { name: 'mistral-mha-head-dim', options: { arch: 'mistral', configOverrides: { num_key_value_heads: 4, head_dim: 8, sliding_window: null } }, tokens: 9 },
];

const TEXT = "Le café à Zürich — 東京 🙂, it's 2024!\n  What does Figure 4 plot?";

const root = process.argv[2] ?? join(tmpdir(), 'folio-transformers-check');
await rm(root, { recursive: true, force: true });
await mkdir(root, { recursive: true });
for (const c of CASES) {
  const dir = join(root, c.name);
  const made = await writeLlmCheckpoint(dir, c.options);
  const normal = seededNormal(c.tokens);
  const ids = Array.from({ length: c.tokens }, () => Math.floor(Math.abs(normal()) * 1e6) % made.config.vocabSize);
  const messages = c.options.arch === 'mistral' ? [{ role: 'user', content: 'What does Figure 4 plot?' }] : [
    { role: 'system', content: 'Answer from the document.' },
    { role: 'user', content: 'What does Figure 4 plot?' },
  ];
  await writeFile(join(dir, 'case.json'), JSON.stringify({ ids, text: TEXT, messages }));
}

const python = process.env.PYTHON ?? 'python3';
const run = spawnSync(python, [join(import.meta.dirname, 'transformers-logits.py'), root], { stdio: ['ignore', 'inherit', 'inherit'] });
if (run.status !== 0) {
  console.error(`${python} scripts/transformers-logits.py failed (exit ${run.status}); it needs torch and transformers`);
  process.exit(2);
}

let failed = false;
for (const c of CASES) {
  const dir = join(root, c.name);
  const spec = JSON.parse(await readFile(join(dir, 'case.json'), 'utf8')) as { ids: number[]; messages: { role: string; content: string }[] };
  const checkpoint = await loadCheckpoint(dir);
  const ours = referenceLogits(checkpoint.config, checkpoint.weights, spec.ids);
  const bytes = await readFile(join(dir, 'hf-logits.f32'));
  const theirs = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  let diff = Number.POSITIVE_INFINITY;
  if (theirs.length === ours.length) {
    diff = 0;
    for (let i = 0; i < ours.length; i++) diff = Math.max(diff, Math.abs(ours[i] - theirs[i]));
  }
  const hf = JSON.parse(await readFile(join(dir, 'hf-tokens.json'), 'utf8')) as { text: number[]; textWithSpecials: number[]; chat: string; decoded: string };
  const sameText = JSON.stringify(checkpoint.tokenizer.encode(TEXT, { addSpecialTokens: false })) === JSON.stringify(hf.text);
  const sameSpecials = JSON.stringify(checkpoint.tokenizer.encode(TEXT)) === JSON.stringify(hf.textWithSpecials);
  const sameChat = checkpoint.tokenizer.renderChat(spec.messages) === hf.chat;
  const sameDecode = hf.decoded === TEXT;
  const ok = diff <= 1e-4 && sameText && sameSpecials && sameChat && sameDecode;
  failed ||= !ok;
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(30)} max |logit diff| ${diff.toExponential(2)} over ${spec.ids.length}×${checkpoint.config.vocabSize}; ` +
      `tokens ${sameText ? 'same' : 'DIFFER'}, with specials ${sameSpecials ? 'same' : 'DIFFER'}, chat ${sameChat ? 'same' : 'DIFFERS'}, HF decode ${sameDecode ? 'round-trips' : 'DIFFERS'}`,
  );
}
process.exit(failed ? 1 : 0);
