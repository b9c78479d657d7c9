/**
 * Writes a random-weight Hugging Face checkpoint for tests and benchmarks (never committed):
 *
 *   npm run llm:make-checkpoint -- <dir> [--arch llama|qwen2|mistral] [--size small|mid]
 *       [--dtype F32|F16|BF16] [--shards n] [--seed n] [--config '{"rope_scaling": ...}']
 *
 * small: 2 layers, hidden 64 (unit tests). mid: 12 layers, hidden 768, 12 heads, 4 KV heads,
 * intermediate 2048, a ~3K-token vocabulary (benchmarks).
 */
import { type LlmArchName, type LlmCheckpointOptions, type LlmSize, writeLlmCheckpoint } from '../test/helpers/llm-checkpoint.ts';
import type { SafetensorsDtype } from '../models/llm/safetensors.ts';

const USAGE =
  'usage: npm run llm:make-checkpoint -- <dir> [--arch llama|qwen2|mistral] [--size small|mid] [--dtype F32|F16|BF16] [--shards n] [--seed n] [--config json]';

function parse(argv: string[]): { dir: string; options: LlmCheckpointOptions } {
  let dir: string | undefined;
  const options: LlmCheckpointOptions = { arch: 'llama' };
  const oneOf = <T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T => {
    if (!allowed.includes(value as T)) throw new Error(`${flag} must be one of ${allowed.join(', ')}\n${USAGE}`);
    return value as T;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--arch') options.arch = oneOf<LlmArchName>(value, ['llama', 'qwen2', 'mistral'], arg);
    else if (arg === '--size') options.size = oneOf<LlmSize>(value, ['small', 'mid'], arg);
    else if (arg === '--dtype') options.dtype = oneOf<SafetensorsDtype>(value, ['F32', 'F16', 'BF16'], arg);
    else if (arg === '--shards') options.shards = Number(value);
    else if (arg === '--seed') options.seed = Number(value);
    else if (arg === '--config') options.configOverrides = JSON.parse(value ?? '{}');
    else if (!arg.startsWith('--') && dir === undefined) {
      dir = arg;
      continue;
    } else throw new Error(`unexpected argument ${arg}\n${USAGE}`);
    i++;
  }
  if (!dir) throw new Error(USAGE);
  return { dir, options };
}

const { dir, options } = parse(process.argv.slice(2));
const started = performance.now();
const made = await writeLlmCheckpoint(dir, options);
let parameters = 0;
for (const tensor of made.weights.values()) parameters += tensor.data.length;
const c = made.config;
console.log(
  `${c.architecture} in ${dir}: ${c.numLayers} layers, hidden ${c.hiddenSize}, ${c.numHeads} heads / ${c.numKvHeads} KV, vocab ${c.vocabSize}, ` +
    `${(parameters / 1e6).toFixed(1)}M parameters, ${made.files.join(', ')} (${((performance.now() - started) / 1000).toFixed(1)} s)`,
);
