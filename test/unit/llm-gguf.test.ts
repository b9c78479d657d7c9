import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readGgufHeader, readGgufTensors } from '../../lib/llm/gguf-file.ts';
import { parseLlmConfig } from '../../models/llm/config.ts';
import { dequantizeGguf, GGML_TYPES, type GgmlTypeName, GgufNeedMoreBytes, parseGgufHeader } from '../../models/llm/gguf.ts';
import { hfTensorFromGguf } from '../../models/llm/gguf-config.ts';
import { repackGgufBlocks } from '../../models/llm/gguf-repack.ts';
import { dequantizeBlocks } from '../../models/llm/quantize.ts';
import { floatToHalf } from '../../models/llm/safetensors.ts';
import { seededRandom } from '../../models/math/random.ts';
import { maxAbsDiff } from '../helpers/arrays.ts';
import { writeGguf } from '../helpers/gguf-writer.ts';
import { projectRoot } from '../helpers/stack.ts';

/** Block layout of each type: bytes per block and where its f16 scales sit (kept finite and small). */
const LAYOUT: Record<Exclude<GgmlTypeName, 'F32' | 'F16' | 'BF16'>, { bytes: number; values: number; halves: number[] }> = {
  Q4_0: { bytes: 18, values: 32, halves: [0] },
  Q5_0: { bytes: 22, values: 32, halves: [0] },
  Q8_0: { bytes: 34, values: 32, halves: [0] },
  Q4_K: { bytes: 144, values: 256, halves: [0, 2] },
  Q5_K: { bytes: 176, values: 256, halves: [0, 2] },
  Q6_K: { bytes: 210, values: 256, halves: [208] },
};

/** Random blocks of a quantised type: random codes and scales, scales finite. */
function randomBlocks(type: keyof typeof LAYOUT, blocks: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const { bytes, halves } = LAYOUT[type];
  const data = new Uint8Array(blocks * bytes);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(random() * 256);
  const view = new DataView(data.buffer);
  for (let b = 0; b < blocks; b++) for (const at of halves) view.setUint16(b * bytes + at, floatToHalf((random() - 0.5) * 0.1), true);
  return data;
}

function floatBytes(values: number[], type: 'F32' | 'F16' | 'BF16'): Uint8Array {
  const width = type === 'F32' ? 4 : 2;
  const out = new Uint8Array(values.length * width);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    if (type === 'F32') view.setFloat32(i * 4, v, true);
    else if (type === 'F16') view.setUint16(i * 2, floatToHalf(v), true);
    else view.setUint16(i * 2, new Uint32Array(Float32Array.of(v).buffer)[0] >>> 16, true);
  });
  return out;
}

describe('GGUF header', () => {
  const metadata = [
    { key: 'general.architecture', type: 'STRING' as const, value: 'llama' },
    { key: 'general.alignment', type: 'UINT32' as const, value: 64 },
    { key: 'u8', type: 'UINT8' as const, value: 250 },
    { key: 'i8', type: 'INT8' as const, value: -7 },
    { key: 'u16', type: 'UINT16' as const, value: 65000 },
    { key: 'i16', type: 'INT16' as const, value: -30000 },
    { key: 'i32', type: 'INT32' as const, value: -2_000_000_000 },
    { key: 'f32', type: 'FLOAT32' as const, value: 0.5 },
    { key: 'f64', type: 'FLOAT64' as const, value: Math.PI },
    { key: 'u64', type: 'UINT64' as const, value: 2n ** 60n },
    { key: 'i64', type: 'INT64' as const, value: -5 },
    { key: 'yes', type: 'BOOL' as const, value: true },
    { key: 'words', type: 'ARRAY' as const, itemType: 'STRING' as const, value: ['▁hello', 'ü', ''] },
    { key: 'scores', type: 'ARRAY' as const, itemType: 'FLOAT32' as const, value: [0.25, -1.5] },
    { key: 'kinds', type: 'ARRAY' as const, itemType: 'INT32' as const, value: [1, 3, 6] },
    { key: 'flags', type: 'ARRAY' as const, itemType: 'BOOL' as const, value: [true, false] },
  ];
  const tensors = [
    { name: 'a', dims: [3], type: GGML_TYPES.F32, data: floatBytes([1, 2, 3], 'F32') },
    { name: 'b', dims: [32, 2], type: GGML_TYPES.Q8_0, data: randomBlocks('Q8_0', 2, 1) },
  ];
  const file = writeGguf(metadata, tensors, 64);

  it('reads every value type, tensor infos, alignment and the data offset', () => {
    const header = parseGgufHeader(file);
    assert.equal(header.version, 3);
    assert.equal(header.alignment, 64);
    assert.equal(header.dataOffset % 64, 0);
    const m = header.metadata;
    assert.equal(m.get('general.architecture'), 'llama');
    assert.deepEqual([m.get('u8'), m.get('i8'), m.get('u16'), m.get('i16'), m.get('i32'), m.get('f32'), m.get('f64'), m.get('i64'), m.get('yes')], [250, -7, 65000, -30000, -2_000_000_000, 0.5, Math.PI, -5, true]);
    assert.equal(m.get('u64'), 2n ** 60n, 'a 64-bit value beyond 2^53 stays exact as a bigint');
    assert.deepEqual(m.get('words'), ['▁hello', 'ü', '']);
    assert.deepEqual(Array.from(m.get('scores') as Float32Array), [0.25, -1.5]);
    assert.ok(m.get('kinds') instanceof Int32Array);
    assert.deepEqual(m.get('flags'), [true, false]);
    assert.deepEqual(
      header.tensors.map((t) => [t.name, t.dims, t.type, t.offset, t.byteLength]),
      [
        ['a', [3], 0, 0, 12],
        ['b', [32, 2], 8, 64, 68],
      ],
    );
    const b = header.tensors[1];
    const start = header.dataOffset + b.offset;
    assert.deepEqual(file.subarray(start, start + b.byteLength), tensors[1].data, 'the data offset and the alignment point at the bytes written');
  });

  it('asks for more bytes when the header is cut, and rejects what is not GGUF', () => {
    assert.throws(() => parseGgufHeader(file.subarray(0, 40)), GgufNeedMoreBytes);
    const wrong = file.slice();
    wrong[0] = 0x47 ^ 1;
    assert.throws(() => parseGgufHeader(wrong), /not a GGUF file/);
    const v1 = file.slice();
    new DataView(v1.buffer).setUint32(4, 1, true);
    assert.throws(() => parseGgufHeader(v1), /version 1 is not supported/);
    const q4_1 = writeGguf([], [{ name: 'x', dims: [32], type: 3, data: new Uint8Array(20) }]);
    assert.throws(() => parseGgufHeader(q4_1), /x is Q4_1, which Folio cannot dequantise/);
  });
});

describe('GGUF dequantisation', () => {
  it('F32, F16 and BF16 are exact', () => {
    const values = [0, 1, -2.5, 0.099975586, 65504, -0.000061035156];
    for (const type of ['F32', 'F16', 'BF16'] as const) {
      const got = dequantizeGguf(GGML_TYPES[type], floatBytes(values, type), values.length);
      const expected = type === 'BF16' ? values.map((v) => new Float32Array(new Uint32Array([new Uint32Array(Float32Array.of(v).buffer)[0] & 0xffff0000]).buffer)[0]) : values.map((v) => Math.fround(v));
      if (type !== 'F16') assert.deepEqual(Array.from(got), expected, type);
      else for (let i = 0; i < values.length; i++) assert.ok(Math.abs(got[i] - values[i]) <= Math.abs(values[i]) * 1e-3, `${type} ${values[i]} → ${got[i]}`);
    }
  });

  it('block formats follow their definitions (hand-built blocks)', () => {
    // Q8_0: d · q.
    const q8 = new Uint8Array(34);
    new DataView(q8.buffer).setUint16(0, floatToHalf(0.5), true);
    q8[2] = 4;
    q8[3] = 256 - 6;
    const q8v = dequantizeGguf(GGML_TYPES.Q8_0, q8, 32);
    assert.deepEqual([q8v[0], q8v[1], q8v[2]], [2, -3, 0]);
    // Q4_0: low nibbles are values 0..15, high nibbles 16..31, zero point 8.
    const q4 = new Uint8Array(18);
    new DataView(q4.buffer).setUint16(0, floatToHalf(2), true);
    q4[2] = 0xf0 | 9;
    const q4v = dequantizeGguf(GGML_TYPES.Q4_0, q4, 32);
    assert.deepEqual([q4v[0], q4v[16], q4v[1]], [2, 14, -16]);
    // Q5_0: the fifth bit of value j is bit j of qh, of value j+16 bit j+16; zero point 16.
    const q5 = new Uint8Array(22);
    const v5 = new DataView(q5.buffer);
    v5.setUint16(0, floatToHalf(1), true);
    v5.setUint32(2, (1 << 0) | (1 << 17), true);
    q5[6] = 0x33;
    q5[7] = 0x00;
    const q5v = dequantizeGguf(GGML_TYPES.Q5_0, q5, 32);
    assert.deepEqual([q5v[0], q5v[16], q5v[1], q5v[17]], [3, -13, -16, 0]);
    // Q6_K: value 0 = d · scale[0] · (low nibble | two high bits << 4) − 32 · d · scale[0].
    const q6 = new Uint8Array(210);
    new DataView(q6.buffer).setUint16(208, floatToHalf(0.25), true);
    q6[192] = 2; // scale of values 0..15
    q6[0] = 0x05;
    q6[128] = 0x02; // high bits of value 0 = 2 → code 32 + 5 = 37
    const q6v = dequantizeGguf(GGML_TYPES.Q6_K, q6, 256);
    assert.equal(q6v[0], 0.25 * 2 * (37 - 32));
    // Q4_K: sub-block 0 uses scale bytes 0 and 4 (6 bits each): d · sc · q − dmin · m.
    const q4k = new Uint8Array(144);
    const vk = new DataView(q4k.buffer);
    vk.setUint16(0, floatToHalf(0.5), true);
    vk.setUint16(2, floatToHalf(0.25), true);
    q4k[4] = 3;
    q4k[8] = 2;
    q4k[16] = 0x7a; // value 0 low nibble 10, value 32 high nibble 7 (sub-block 1: scale 0, min 0)
    const q4kv = dequantizeGguf(GGML_TYPES.Q4_K, q4k, 256);
    assert.equal(q4kv[0], 0.5 * 3 * 10 - 0.25 * 2);
    assert.equal(q4kv[32], 0);
  });

  it('reads and dequantises tensors of every supported type from a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'folio-gguf-'));
    try {
      const path = join(dir, 'all.gguf');
      await writeFile(path, writeGguf([], allTypeTensors()));
      const file = await readGgufHeader(path);
      const tensors = await readGgufTensors(file, file.tensors.keys());
      for (const spec of allTypeTensors()) {
        const got = tensors.get(spec.name)?.data;
        assert.ok(got);
        assert.deepEqual(got, dequantizeGguf(spec.type, spec.data, spec.dims[0] * spec.dims[1]));
        assert.ok(got.every(Number.isFinite), spec.name);
      }
      await writeFile(path, (await readFile(path)).subarray(0, file.header.dataOffset + 10));
      await assert.rejects(readGgufHeader(path), /truncated download/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** One tensor of each supported type, 2 rows of 512 values (2 blocks of 256, or 16 of 32). */
function allTypeTensors() {
  const random = seededRandom(7);
  const floats = Array.from({ length: 1024 }, () => (random() - 0.5) * 4);
  return [
    { name: 'f32', dims: [512, 2], type: GGML_TYPES.F32, data: floatBytes(floats, 'F32') },
    { name: 'f16', dims: [512, 2], type: GGML_TYPES.F16, data: floatBytes(floats, 'F16') },
    { name: 'bf16', dims: [512, 2], type: GGML_TYPES.BF16, data: floatBytes(floats, 'BF16') },
    ...(Object.keys(LAYOUT) as (keyof typeof LAYOUT)[]).map((type, i) => ({ name: type.toLowerCase(), dims: [512, 2], type: GGML_TYPES[type], data: randomBlocks(type, 1024 / LAYOUT[type].values, 100 + i) })),
  ];
}

describe('GGUF blocks repacked for MatMulNBits', () => {
  it('the symmetric formats keep the file\'s own codes and scales; the affine K formats lose under 1/254 of a block', () => {
    const expected: Record<string, [number, number] | null> = { f32: null, f16: null, bf16: null, q4_0: [4, 32], q5_0: [8, 32], q8_0: [8, 32], q4_k: [8, 32], q5_k: [8, 32], q6_k: [8, 16] };
    for (const spec of allTypeTensors()) {
      const [cols, rows] = spec.dims;
      const values = dequantizeGguf(spec.type, spec.data, rows * cols);
      const q = repackGgufBlocks(spec.type, spec.data, values, rows, cols);
      const want = expected[spec.name];
      if (want === null) {
        assert.equal(q, null, spec.name);
        continue;
      }
      assert.ok(q, spec.name);
      assert.deepEqual([q.bits, q.blockSize, q.n, q.k], [...want, rows, cols], spec.name);
      const back = dequantizeBlocks(q);
      for (let b = 0; b < values.length / q.blockSize; b++) {
        const block = values.subarray(b * q.blockSize, (b + 1) * q.blockSize);
        const largest = block.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        const worst = maxAbsDiff(back.subarray(b * q.blockSize, (b + 1) * q.blockSize), block);
        // Exact up to float32 rounding of the scale product, or (Q4_K/Q5_K) half an 8-bit step.
        const bound = spec.name.endsWith('_k') && spec.name !== 'q6_k' ? largest / 254 + 1e-7 : largest * 1e-6 + 1e-12;
        assert.ok(worst <= bound, `${spec.name} block ${b}: max |Δ| ${worst} against values up to ${largest}`);
      }
    }
  });

  it('Llama query rows reordered for the file are put back in the blocks too', () => {
    const config = parseLlmConfig({ architectures: ['LlamaForCausalLM'], vocab_size: 8, hidden_size: 32, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 64 });
    const random = seededRandom(3);
    const values = Float32Array.from({ length: 32 * 32 }, () => Math.round((random() - 0.5) * 200) / 100);
    // A Q8_0 tensor holding exactly these values: scale 0.01 per block, codes the values × 100.
    const bytes = new Uint8Array(32 * 34);
    const view = new DataView(bytes.buffer);
    for (let b = 0; b < 32; b++) {
      view.setUint16(b * 34, floatToHalf(0.01), true);
      for (let i = 0; i < 32; i++) view.setInt8(b * 34 + 2 + i, Math.round(values[b * 32 + i] * 100));
    }
    const info = { name: 'blk.0.attn_q.weight', dims: [32, 32], type: GGML_TYPES.Q8_0, offset: 0, byteLength: bytes.length };
    const tensor = hfTensorFromGguf(config, 'model.layers.0.self_attn.q_proj.weight', info, dequantizeGguf(GGML_TYPES.Q8_0, bytes, 1024), bytes);
    assert.ok(tensor.blocks);
    assert.ok(maxAbsDiff(dequantizeBlocks(tensor.blocks), tensor.data) < 1e-6);
    // Rows did move: HF row 1 is the file's row 2 (rotate-half pairing against adjacent pairs).
    assert.ok(maxAbsDiff(tensor.data.subarray(32, 64), dequantizeGguf(GGML_TYPES.Q8_0, bytes, 1024).subarray(64, 96)) < 1e-6);
  });
});

/**
 * The `gguf` package (llama.cpp's own Python reader) installed project-locally by
 * `npm run models:install`; without it this comparison is skipped and says so.
 */
const referencePath = join(projectRoot, '.models', 'pip', 'gguf');
describe('GGUF dequantisation against the gguf package', { skip: existsSync(join(referencePath, 'gguf')) ? false : 'the gguf package is not installed (npm run models:install -- gguf)' }, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'folio-gguf-ref-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('matches on every supported type', async () => {
    const path = join(dir, 'all.gguf');
    const specs = allTypeTensors();
    await writeFile(path, writeGguf([], specs));
    execFileSync('python3', [join(projectRoot, 'scripts', 'gguf-dequantize-reference.py'), path, join(dir, 'ref')], { env: { ...process.env, PYTHONPATH: referencePath }, stdio: 'pipe' });
    const file = await readGgufHeader(path);
    const ours = await readGgufTensors(file, file.tensors.keys());
    for (const [index, spec] of specs.entries()) {
      const bytes = await readFile(join(dir, 'ref', `${index}.f32`));
      const reference = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
      const got = ours.get(spec.name)?.data as Float32Array;
      assert.equal(got.length, reference.length, spec.name);
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < got.length; i++) {
        worst = Math.max(worst, Math.abs(got[i] - reference[i]));
        scale = Math.max(scale, Math.abs(reference[i]));
      }
      // float32 rounding of d·sc before the multiply may differ by an ulp; nothing more.
      assert.ok(worst <= scale * 1e-6, `${spec.name}: max |Δ| ${worst} of values up to ${scale}`);
    }
  });
});
