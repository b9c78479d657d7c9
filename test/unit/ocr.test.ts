import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import { planBatches } from '../../models/ocr/batches.ts';
import { connectedComponents } from '../../models/ocr/components.ts';
import { ctcGreedyDecode, parseDictionary } from '../../models/ocr/ctc.ts';
import { boxesFromProbabilityMap, DEFAULT_DB } from '../../models/ocr/db-postprocess.ts';
import { detInputSize, toDetTensor } from '../../models/ocr/det-input.ts';
import {
  convexHullSorted,
  minAreaRect,
  quadBounds,
  quadSize,
  subQuad,
  unclipRect,
  uprightQuad,
} from '../../models/ocr/geometry.ts';
import { createOcrEngine, resolveSettings } from '../../models/ocr/engine.ts';
import { fuseModel } from '../../models/ocr/fuse.ts';
import { LINE_HEIGHT, lineInputWidth, writeLine } from '../../models/ocr/line-input.ts';
import { channelTables, SIGNED_RANGE, UNIT_RANGE } from '../../models/ocr/normalize.ts';
import { decodeModel, encodeFloatTensor, encodeModel } from '../../models/onnx/graph-edit.ts';
import {
  bytesField,
  type Field,
  float32Field,
  readFields,
  stringField,
  stringValue,
  varintField,
  varintValue,
  varintValues,
  writeFields,
} from '../../models/onnx/protobuf.ts';
import { readingOrder } from '../../models/ocr/reading-order.ts';
import type { OcrImage } from '../../models/ocr/types.ts';
import { splitIntoWords, wordRecall } from '../../models/ocr/word-recall.ts';

const close = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);

/** A solid RGBA image of one colour. */
function solid(width: number, height: number, rgb: [number, number, number], channels: 3 | 4 = 4): OcrImage {
  const data = new Uint8Array(width * height * channels);
  for (let p = 0; p < width * height; p++) {
    data.set(rgb, p * channels);
    if (channels === 4) data[p * channels + 3] = 255;
  }
  return { data, width, height, channels };
}

/** Draws a filled rectangle rotated by `degrees` about its centre into a probability map. */
function paintRotatedRect(
  map: Float32Array,
  width: number,
  rect: { cx: number; cy: number; w: number; h: number; degrees: number },
  value: number,
): void {
  const a = (rect.degrees * Math.PI) / 180;
  const height = map.length / width;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = x - rect.cx;
      const dy = y - rect.cy;
      const u = dx * Math.cos(a) + dy * Math.sin(a);
      const v = -dx * Math.sin(a) + dy * Math.cos(a);
      if (Math.abs(u) <= rect.w / 2 && Math.abs(v) <= rect.h / 2) map[y * width + x] = value;
    }
  }
}

describe('ocr detection preprocessing', () => {
  it('rounds the detection input up to multiples of 32 and honours maxSide', () => {
    assert.deepEqual(detInputSize(1224, 1584, { maxSide: 0 }), { width: 1248, height: 1600 });
    assert.deepEqual(detInputSize(10, 10, { maxSide: 0 }), { width: 32, height: 32 });
    assert.deepEqual(detInputSize(1224, 1584, { maxSide: 960 }), { width: 768, height: 960 });
    assert.deepEqual(detInputSize(640, 480, { maxSide: 960 }), { width: 640, height: 480 });
  });

  it('writes planar B, G, R planes with the chosen normalisation', () => {
    const image = solid(32, 32, [255, 128, 0]);
    const tensor = toDetTensor(image, 32, 32, UNIT_RANGE);
    assert.equal(tensor.length, 3 * 32 * 32);
    const plane = 32 * 32;
    for (const i of [0, 517, plane - 1]) {
      close(tensor[i], 0, 1e-6, 'blue plane');
      close(tensor[plane + i], 128 / 255, 1e-6, 'green plane');
      close(tensor[2 * plane + i], 1, 1e-6, 'red plane');
    }
    const signed = toDetTensor(image, 32, 32, SIGNED_RANGE);
    close(signed[0], -1, 1e-6, 'signed blue');
    close(signed[2 * plane], 1, 1e-6, 'signed red');
  });

  it('resizes bilinearly from RGB and RGBA alike, keeping a left/right split in place', () => {
    for (const channels of [3, 4] as const) {
      const image = solid(40, 20, [0, 0, 0], channels);
      // Left half black, right half white.
      for (let y = 0; y < 20; y++) {
        for (let x = 20; x < 40; x++) image.data.fill(255, (y * 40 + x) * channels, (y * 40 + x) * channels + 3);
      }
      const tensor = toDetTensor(image, 64, 32, UNIT_RANGE);
      assert.equal(tensor.length, 3 * 64 * 32);
      for (let y = 0; y < 32; y++) {
        close(tensor[y * 64 + 5], 0, 1e-6, `left, ${channels} channels`);
        close(tensor[y * 64 + 58], 1, 1e-6, `right, ${channels} channels`);
        // The middle columns blend, and monotonically.
        assert.ok(tensor[y * 64 + 31] <= tensor[y * 64 + 32]);
      }
    }
  });
});

describe('ocr box extraction', () => {
  it('labels 8-connected components with outlines, areas and bounds', () => {
    const w = 12;
    const h = 8;
    const map = new Uint8Array(w * h);
    const set = (x: number, y: number) => {
      map[y * w + x] = 1;
    };
    // A 3×2 block, a diagonal chain (one component under 8-connectivity) and an isolated pixel.
    for (let y = 1; y <= 2; y++) for (let x = 1; x <= 3; x++) set(x, y);
    for (let i = 0; i < 4; i++) set(6 + i, 1 + i);
    set(11, 7);
    const components = connectedComponents(map, w, h);
    assert.equal(components.length, 3);
    const [block, chain, dot] = components;
    assert.deepEqual([block.area, block.x0, block.y0, block.x1, block.y1], [6, 1, 1, 3, 2]);
    assert.deepEqual(Array.from(block.outline), [1, 1, 3, 1, 1, 2, 3, 2]);
    assert.deepEqual([chain.area, chain.x0, chain.y0, chain.x1, chain.y1], [4, 6, 1, 9, 4]);
    assert.equal(dot.area, 1);
    assert.equal(connectedComponents(map, w, h, { minArea: 2 }).length, 2);
  });

  it('finds the minimum-area rectangle of rotated points', () => {
    const a = (30 * Math.PI) / 180;
    const corners: number[] = [];
    for (const [u, v] of [
      [-10, -2],
      [10, -2],
      [10, 2],
      [-10, 2],
      [0, 0],
      [3, 1],
    ]) {
      corners.push(50 + u * Math.cos(a) - v * Math.sin(a), 40 + u * Math.sin(a) + v * Math.cos(a));
    }
    const pairs = [];
    for (let i = 0; i < corners.length; i += 2) pairs.push([corners[i], corners[i + 1]]);
    pairs.sort((p, q) => p[1] - q[1] || p[0] - q[0]);
    const hull = convexHullSorted(Float64Array.from(pairs.flat()));
    assert.equal(hull.length, 8, 'interior points are not on the hull');
    const rect = minAreaRect(hull);
    close(Math.max(rect.width, rect.height), 20, 1e-9, 'long side');
    close(Math.min(rect.width, rect.height), 4, 1e-9, 'short side');
    close(rect.cx, 50, 1e-9, 'centre x');
    close(rect.cy, 40, 1e-9, 'centre y');
  });

  it('unclips by area × ratio / perimeter and orders corners for reading', () => {
    const grown = unclipRect({ cx: 0, cy: 0, ux: 1, uy: 0, width: 30, height: 10 }, 1.5);
    // d = 300 · 1.5 / 80 = 5.625 on each side.
    close(grown.width, 41.25, 1e-9, 'width');
    close(grown.height, 21.25, 1e-9, 'height');
    // The same rectangle described along its other axis still reads left to right.
    const quad = uprightQuad({ cx: 100, cy: 50, ux: 0, uy: -1, width: 10, height: 30 });
    assert.deepEqual(Array.from(quad), [85, 45, 115, 45, 115, 55, 85, 55]);
    // A tall box is vertical text, read downwards: p0→p1 points down.
    const tall = uprightQuad({ cx: 0, cy: 0, ux: 1, uy: 0, width: 10, height: 40 });
    const size = quadSize(tall);
    assert.deepEqual([size.width, size.height], [40, 10]);
    assert.ok(tall[3] > tall[1], 'reading direction points down');
    assert.deepEqual(Array.from(subQuad(quad, 0.5, 1)), [100, 45, 115, 45, 115, 55, 100, 55]);
    assert.deepEqual(quadBounds(Float64Array.of(-5, 2, 20, 2, 20, 9.6, -5, 9.6), 15, 100), [0, 2, 15, 10]);
  });

  it('turns a synthetic probability map into grown, correctly placed boxes', () => {
    const w = 200;
    const h = 120;
    const prob = new Float32Array(w * h);
    // An axis-aligned kernel covering pixel centres x 10..69, y 20..27.
    for (let y = 20; y <= 27; y++) prob.fill(0.9, y * w + 10, y * w + 70);
    // A kernel rotated by 12°.
    paintRotatedRect(prob, w, { cx: 120, cy: 80, w: 70, h: 9, degrees: 12 }, 0.8);
    // Specks too small to be text, and a faint haze under the threshold.
    prob[5 * w + 190] = 0.9;
    prob[6 * w + 191] = 0.9;
    prob.fill(0.02, 110 * w, 111 * w);
    // The map was computed on an image twice as large.
    const boxes = boxesFromProbabilityMap(prob, w, h, 2 * w, 2 * h, DEFAULT_DB);
    assert.equal(boxes.length, 2);
    const straight = boxes[0];
    // Centres span 59 × 7; d = 413 · 1.5 / 132; map coordinates shift by +0.5 and scale by 2.
    const d = (59 * 7 * 1.5) / 132;
    const expected = [10 - d, 20 - d, 69 + d, 20 - d, 69 + d, 27 + d, 10 - d, 27 + d].map((v) => (v + 0.5) * 2);
    straight.quad.forEach((v, i) => {
      close(v, expected[i], 1e-6, `corner ${i}`);
    });
    close(straight.score, 0.9, 1e-6, 'mean probability');
    const tilted = boxes[1].quad;
    const angle = (Math.atan2(tilted[3] - tilted[1], tilted[2] - tilted[0]) * 180) / Math.PI;
    close(angle, 12, 1.5, 'angle of the tilted box');
    const size = quadSize(tilted);
    assert.ok(size.width > 2 * 70 && size.width < 2 * 95, `tilted width ${size.width}`);
    assert.ok(size.height > 2 * 9 && size.height < 2 * 30, `tilted height ${size.height}`);
    // A box threshold above the kernels' mean probability drops them.
    assert.equal(boxesFromProbabilityMap(prob, w, h, w, h, { ...DEFAULT_DB, boxThreshold: 0.95 }).length, 0);
  });
});

describe('ocr recognition input', () => {
  it('samples a quad into its batch slot, pads nothing, and turns it when asked', () => {
    // 100×24 image: each column's grey level is its x coordinate (×2).
    const image = solid(100, 24, [0, 0, 0]);
    for (let y = 0; y < 24; y++) for (let x = 0; x < 100; x++) image.data.fill(2 * x, (y * 100 + x) * 4, (y * 100 + x) * 4 + 3);
    const quad = Float64Array.of(0, 0, 96, 0, 96, 24, 0, 24);
    const width = lineInputWidth(quad, 16, 1000);
    assert.equal(width, 192);
    assert.equal(lineInputWidth(quad, 16, 1000, 0.5), 96);
    assert.equal(lineInputWidth(quad, 16, 100), 100);
    const batchWidth = 256;
    const tensor = new Float32Array(2 * 3 * LINE_HEIGHT * batchWidth).fill(-7);
    const tables = channelTables(UNIT_RANGE);
    writeLine(image, quad, { tensor, batchWidth, index: 1, width, flip: false }, tables);
    const plane = LINE_HEIGHT * batchWidth;
    const at = (channel: number, v: number, u: number) => tensor[3 * plane + channel * plane + v * batchWidth + u];
    assert.equal(tensor[0], -7, 'slot 0 untouched');
    assert.equal(at(0, 10, width), -7, 'padding untouched');
    // Output column u samples x = (u + 0.5)/2 − 0.5 → level 2x = u − 0.5 (rounded).
    close(at(0, 0, 100) * 255, 100, 1, 'grey at column 100');
    close(at(2, 47, 150) * 255, 150, 1, 'grey at column 150');
    assert.ok(at(1, 20, 10) < at(1, 20, 11), 'left to right');
    writeLine(image, quad, { tensor, batchWidth, index: 1, width, flip: true }, tables);
    assert.ok(at(1, 20, 10) > at(1, 20, 11), 'turned: right to left');
    close(at(0, 0, 0) * 255, 191, 1, 'turned starts at the right edge');
  });

  it('averages several samples per pixel when a line shrinks, so fine strokes do not alias', () => {
    // One-pixel vertical stripes, shrunk 3× into 200×48.
    const image = solid(600, 144, [0, 0, 0]);
    for (let y = 0; y < 144; y++) for (let x = 1; x < 600; x += 2) image.data.fill(255, (y * 600 + x) * 4, (y * 600 + x) * 4 + 3);
    const quad = Float64Array.of(0, 0, 600, 0, 600, 144, 0, 144);
    const width = lineInputWidth(quad, 16, 1000);
    assert.equal(width, 200);
    const tensor = new Float32Array(3 * LINE_HEIGHT * width);
    writeLine(image, quad, { tensor, batchWidth: width, index: 0, width, flip: false }, channelTables(UNIT_RANGE));
    for (let i = 0; i < tensor.length; i++) {
      assert.ok(tensor[i] > 0.25 && tensor[i] < 0.75, `value ${tensor[i]} at ${i} aliased to a stripe`);
    }
  });

  it('batches lines of similar width, each exactly once', () => {
    const widths = [100, 900, 120, 880, 400, 95, 1000, 410, 50];
    const batches = planBatches(widths, { maxColumns: 2000, maxLines: 3, minFill: 0.75 });
    const seen = batches.flatMap((b) => b.lines).sort((a, b) => a - b);
    assert.deepEqual(seen, widths.map((_, i) => i));
    for (const batch of batches) {
      assert.equal(batch.width, Math.max(...batch.lines.map((i) => widths[i])));
      assert.ok(batch.lines.length <= 3);
      assert.ok(batch.lines.length * batch.width <= 2000 || batch.lines.length === 1);
      for (const i of batch.lines) assert.ok(widths[i] >= 0.75 * batch.width);
    }
    assert.deepEqual(batches[0].lines, [6, 1]);
  });
});

describe('ocr engine', () => {
  it('says which model file failed to load and keeps the cause', async () => {
    await assert.rejects(createOcrEngine({ models: { detection: '/nonexistent/det.onnx' } }), (error: Error) => {
      assert.match(error.message, /\/nonexistent\/det\.onnx/);
      assert.equal((error.cause as NodeJS.ErrnoException).code, 'ENOENT');
      return true;
    });
  });

  it('keeps defaults for settings left undefined', () => {
    const settings = resolveSettings({ recSqueeze: 0.5, minConfidence: undefined });
    assert.equal(settings.recSqueeze, 0.5);
    assert.equal(settings.minConfidence, 0.5);
  });
});

describe('ocr decoding and ordering', () => {
  it('greedy CTC merges repeats, drops blanks and averages kept probabilities', () => {
    const dictionary = ['a', 'b', 'c', ' '];
    const classes = dictionary.length + 1;
    // Best class per step: a a blank a b b space c blank.
    const path = [1, 1, 0, 1, 2, 2, 4, 3, 0];
    const best = [0.9, 0.8, 0.99, 0.7, 0.6, 0.5, 0.9, 0.8, 0.95];
    const probs = new Float32Array(2 + path.length * classes).fill(0.01);
    path.forEach((c, t) => {
      probs[2 + t * classes + c] = best[t];
    });
    const decoded = ctcGreedyDecode(probs, 2, path.length, classes, dictionary);
    assert.equal(decoded.text, 'aab c');
    close(decoded.confidence, (0.9 + 0.7 + 0.6 + 0.9 + 0.8) / 5, 1e-6, 'confidence');
    // Only the first steps decoded (the rest is padding).
    assert.equal(ctcGreedyDecode(probs, 2, 3, classes, dictionary).text, 'a');
    assert.deepEqual(ctcGreedyDecode(probs, 2, 0, classes, dictionary), { text: '', confidence: 0 });
  });

  it('reads a keys file into a dictionary ending with the space character', () => {
    assert.deepEqual(parseDictionary('a\nb\r\nc'), ['a', 'b', 'c', ' ']);
    assert.deepEqual(parseDictionary('a\nb\n'), ['a', 'b', ' ']);
  });

  it('orders lines top to bottom, then left to right within a row', () => {
    const boxes: [number, number, number, number][] = [
      [600, 102, 900, 120], // right column, row 2
      [100, 60, 500, 80], // left column, row 1
      [100, 100, 500, 121], // left column, row 2
      [600, 58, 900, 79], // right column, row 1
      [300, 10, 700, 40], // title
    ];
    assert.deepEqual(readingOrder(boxes), [4, 1, 3, 2, 0]);
  });

  it('measures word recall strictly and without judging word spacing', () => {
    const reference = 'The quick brown fox jumps over the lazy dog.';
    const perfect = wordRecall(reference, 'the QUICK brown, fox jumps over the lazy dog');
    assert.equal(perfect.strict, 1);
    assert.equal(perfect.referenceWords, 9);
    const merged = wordRecall(reference, 'The quickbrown fox jumpsover the lazy dgo');
    close(merged.strict, 4 / 9, 1e-9, 'strict');
    close(merged.spaceInsensitive, 8 / 9, 1e-9, 'space-insensitive');
    assert.deepEqual(splitIntoWords('thelazydog', new Set(['the', 'lazy', 'dog', 'la', 'zy']), 4), ['the', 'lazy', 'dog']);
    assert.equal(splitIntoWords('thelazycat', new Set(['the', 'lazy', 'dog']), 4), null);
  });
});

/** A seeded pseudo-random generator, so the tiny model's weights are the same every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}

const message = (no: number, fields: Field[]) => bytesField(no, writeFields(fields));

/** ValueInfoProto for a float tensor of the given shape. */
function valueInfo(no: number, name: string, dims: number[]): Field {
  const shape = dims.map((d) => message(1, [varintField(1, d)]));
  return message(no, [stringField(1, name), message(2, [message(1, [varintField(1, 1), message(2, shape)])])]);
}

function node(op: string, inputs: string[], outputs: string[], attributes: Field[][] = []): Field {
  return message(1, [
    ...inputs.map((i) => stringField(1, i)),
    ...outputs.map((o) => stringField(2, o)),
    stringField(4, op),
    ...attributes.map((a) => message(5, a)),
  ]);
}

const intsAttr = (name: string, values: number[]) => [stringField(1, name), ...values.map((v) => varintField(8, v)), varintField(20, 7)];
const intAttr = (name: string, value: number) => [stringField(1, name), varintField(3, value), varintField(20, 2)];

/**
 * A small opset-11 model with the patterns paddle2onnx emits for PP-LCNetV3: a padded Conv followed
 * by a scalar affine block and a four-node hard-swish, then two branches: a 1×1 Conv behind another
 * affine block (foldable) and a padded depthwise Conv behind one (not foldable).
 */
function tinyModel(): Uint8Array {
  const next = random(7);
  const tensor = (name: string, dims: number[]) => {
    const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, next);
    return message(5, readFields(encodeFloatTensor(name, { dims, data })));
  };
  const scalar = (name: string, value: number) => message(5, readFields(encodeFloatTensor(name, { dims: [1], data: Float32Array.of(value) })));
  const constantNode = (name: string, value: number) =>
    node('Constant', [], [name], [[stringField(1, 'value'), message(5, readFields(encodeFloatTensor(name, { dims: [1], data: Float32Array.of(value) }))), varintField(20, 4)]]);
  const pads1 = intsAttr('pads', [1, 1, 1, 1]);
  const graph = [
    constantNode('s1', 0.7),
    node('Conv', ['x', 'w1', 'b1'], ['c1'], [intsAttr('kernel_shape', [3, 3]), pads1]),
    node('Mul', ['s1', 'c1'], ['m1']),
    node('Add', ['m1', 'a1c'], ['a1']),
    node('Add', ['a1', 'three'], ['t']),
    node('Clip', ['t', 'zero', 'six'], ['cl']),
    node('Mul', ['a1', 'cl'], ['mm']),
    node('Div', ['mm', 'six'], ['hs']),
    node('Mul', ['hs', 's2'], ['m2']),
    node('Add', ['m2', 'a2c'], ['a2']),
    node('Conv', ['a2', 'w2', 'b2'], ['y'], [intsAttr('kernel_shape', [1, 1])]),
    node('Mul', ['hs', 's3'], ['m3']),
    node('Add', ['m3', 'a3c'], ['a3']),
    node('Conv', ['a3', 'w3'], ['z'], [intsAttr('kernel_shape', [3, 3]), pads1, intAttr('group', 3)]),
    stringField(2, 'tiny'),
    tensor('w1', [3, 2, 3, 3]),
    tensor('b1', [3]),
    tensor('w2', [4, 3, 1, 1]),
    tensor('b2', [4]),
    tensor('w3', [3, 1, 3, 3]),
    scalar('a1c', 0.2),
    scalar('three', 3),
    scalar('zero', 0),
    scalar('six', 6),
    scalar('s2', 1.3),
    scalar('a2c', -0.1),
    scalar('s3', 0.9),
    scalar('a3c', 0.4),
    valueInfo(11, 'x', [1, 2, 5, 6]),
    valueInfo(12, 'y', [1, 4, 5, 6]),
    valueInfo(12, 'z', [1, 3, 5, 6]),
  ];
  return writeFields([varintField(1, 7), message(8, [stringField(1, ''), varintField(2, 11)]), message(7, graph)]);
}

async function runModel(bytes: Uint8Array, x: Float32Array): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, intraOpNumThreads: 1 });
  try {
    const out = await session.run({ x: new ort.Tensor('float32', x, [1, 2, 5, 6]) });
    return [out.y.data as Float32Array, out.z.data as Float32Array];
  } finally {
    await session.release();
  }
}

describe('ocr model rewriting', () => {
  it('splits and joins protobuf fields, keeping 64-bit varints and packed values', () => {
    const packed = Uint8Array.of(3, 0x96, 0x01);
    const bytes = writeFields([varintField(1, -1n), stringField(2, 'héllo'), float32Field(3, 1.5), bytesField(4, packed)]);
    const fields = readFields(bytes);
    assert.deepEqual(
      fields.map((f) => [f.no, f.wire]),
      [
        [1, 0],
        [2, 2],
        [3, 5],
        [4, 2],
      ],
    );
    assert.equal(varintValue(fields[0]), -1n);
    assert.equal(fields[0].data.length, 10, 'negative int64 takes ten bytes');
    assert.equal(stringValue(fields[1]), 'héllo');
    assert.deepEqual(varintValues(fields, 4), [3n, 150n]);
    assert.deepEqual(writeFields(fields), bytes);
    assert.throws(() => readFields(Uint8Array.of(0x0a, 5, 1)), /past the end/);
  });

  it('round-trips a model unchanged and fuses hard-swish and affine blocks without changing outputs', async () => {
    const original = tinyModel();
    assert.deepEqual(encodeModel(decodeModel(original)), original);
    const { bytes, report } = fuseModel(original);
    assert.deepEqual(report, { hardSwish: 1, foldedAfterConv: 1, foldedBeforeConv: 1 });
    const ops = decodeModel(bytes).nodes.map((n) => n.opType);
    assert.deepEqual(ops, ['Conv', 'HardSigmoid', 'Mul', 'Conv', 'Mul', 'Add', 'Conv']);
    const next = random(11);
    const x = Float32Array.from({ length: 60 }, () => 8 * next());
    const [before, after] = [await runModel(original, x), await runModel(bytes, x)];
    for (const k of [0, 1]) {
      assert.equal(after[k].length, before[k].length);
      for (let i = 0; i < before[k].length; i++) close(after[k][i], before[k][i], 1e-5, `output ${k}[${i}]`);
    }
    // Not a degenerate model: the outputs vary.
    assert.ok(before[0].some((v) => Math.abs(v - before[0][0]) > 1e-3));
  });
});
