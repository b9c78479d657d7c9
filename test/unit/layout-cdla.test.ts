import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Box, CDLA_LABELS, decode, gridOf, INPUT_HEIGHT, INPUT_WIDTH, iou, modelLabels, nms, preprocess, STRIDES, type StrideOutput } from '../../models/layout/cdla.ts';
import { bytesField, stringField, varintField, writeFields } from '../../models/onnx/protobuf.ts';

const BINS = 8;
const CLASSES = CDLA_LABELS.length;

/** Empty outputs for every stride: all scores 0, all distributions flat. */
function emptyOutputs(): StrideOutput[] {
  return STRIDES.map((stride) => {
    const { rows, cols } = gridOf(stride);
    return { stride, scores: new Float32Array(rows * cols * CLASSES), distributions: new Float32Array(rows * cols * 4 * BINS) };
  });
}

/** Marks one cell: `score` for `label`, and each side's distance peaked at `bins[side]` bins. */
function mark(output: StrideOutput, row: number, col: number, label: string, score: number, bins: [number, number, number, number]): void {
  const cell = row * gridOf(output.stride).cols + col;
  output.scores[cell * CLASSES + CDLA_LABELS.indexOf(label as (typeof CDLA_LABELS)[number])] = score;
  for (let side = 0; side < 4; side++) output.distributions[(cell * 4 + side) * BINS + bins[side]] = 30;
}

const options = { scoreThreshold: 0.5, iouThreshold: 0.5, scaleX: 1, scaleY: 1, labels: CDLA_LABELS };

function near(actual: readonly number[], expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (const [i, v] of actual.entries()) assert.ok(Math.abs(v - expected[i]) < 1e-3, `${what}: ${actual} vs ${expected}`);
}

describe('CDLA layout decode', () => {
  it('has one cell per stride step over 800×608, rounding partial cells up', () => {
    assert.deepEqual(gridOf(8), { rows: 100, cols: 76 });
    assert.deepEqual(gridOf(64), { rows: 13, cols: 10 });
  });

  it('turns a peaked distribution into side distances of bins × stride from the cell centre', () => {
    const outputs = emptyOutputs();
    // Stride 16, row 10, column 5: centre (88, 168).
    mark(outputs[1], 10, 5, 'table', 0.9, [2, 1, 3, 4]);
    const regions = decode(outputs, options);
    assert.equal(regions.length, 1);
    assert.equal(regions[0].label, 'table');
    assert.ok(Math.abs(regions[0].score - 0.9) < 1e-6);
    near(regions[0].box, [88 - 32, 168 - 16, 88 + 48, 168 + 64], 'box');
  });

  it('takes the expectation of a flat distribution (the middle of the bins)', () => {
    const outputs = emptyOutputs();
    const cell = 3 * gridOf(32).cols + 4;
    outputs[2].scores[cell * CLASSES] = 0.8;
    const [region] = decode(outputs, options);
    const centre = [4.5 * 32, 3.5 * 32];
    const d = 3.5 * 32;
    near(region.box, [centre[0] - d, centre[1] - d, centre[0] + d, centre[1] + d], 'box');
  });

  it('drops scores at or below the threshold, keeps each class apart, scales and clips to the input', () => {
    const outputs = emptyOutputs();
    mark(outputs[0], 0, 0, 'figure', 0.5, [3, 3, 3, 3]);
    mark(outputs[0], 50, 40, 'text', 0.7, [2, 2, 2, 2]);
    // The same cell is also a title: another class, not suppressed by the text box.
    outputs[0].scores[(50 * 76 + 40) * CLASSES + 1] = 0.6;
    // A box running off the top-left corner.
    mark(outputs[3], 0, 0, 'header', 0.95, [7, 7, 1, 1]);
    const regions = decode(outputs, { ...options, scaleX: 0.5, scaleY: 2 });
    assert.deepEqual(regions.map((r) => r.label).sort(), ['header', 'text', 'title']);
    const text = regions.find((r) => r.label === 'text')!;
    near(text.box, [(324 - 16) * 0.5, (404 - 16) * 2, (324 + 16) * 0.5, (404 + 16) * 2], 'text box');
    const header = regions.find((r) => r.label === 'header')!;
    near(header.box, [0, 0, 96 * 0.5, 96 * 2], 'clipped header box');
  });

  it('suppresses a weaker overlapping box of the same class and keeps a distant one', () => {
    const outputs = emptyOutputs();
    mark(outputs[1], 20, 10, 'table', 0.9, [5, 5, 5, 5]);
    mark(outputs[1], 20, 11, 'table', 0.8, [5, 5, 5, 5]);
    mark(outputs[1], 45, 30, 'table', 0.7, [1, 1, 1, 1]);
    const regions = decode(outputs, options);
    assert.deepEqual(
      regions.map((r) => Math.round(r.score * 10)),
      [9, 7],
    );
  });

  it('refuses outputs whose sizes do not match the grid', () => {
    const outputs = emptyOutputs();
    outputs[0] = { ...outputs[0], scores: new Float32Array(10) };
    assert.throws(() => decode(outputs, options), /stride 8/);
  });
});

describe('CDLA layout NMS and overlap', () => {
  const boxes: Box[] = [
    [0, 0, 10, 10],
    [1, 0, 11, 10],
    [20, 20, 30, 30],
    [0, 0, 10, 5],
  ];
  it('measures intersection over union', () => {
    assert.ok(Math.abs(iou(boxes[0], boxes[1]) - 90 / 110) < 1e-4);
    assert.equal(iou(boxes[0], boxes[2]), 0);
    assert.ok(Math.abs(iou(boxes[0], boxes[3]) - 0.5) < 1e-4);
  });

  it('keeps the best box, drops those over the threshold, keeps those at or under it', () => {
    assert.deepEqual(nms(boxes, [0.6, 0.9, 0.5, 0.7], 0.5), [1, 3, 2]);
    assert.deepEqual(nms(boxes, [0.9, 0.6, 0.5, 0.7], 0.45), [0, 2]);
    assert.deepEqual(nms(boxes, [0.9, 0.6, 0.5, 0.7], 0.5, 1), [0]);
  });
});

describe('CDLA layout input', () => {
  it('stretches the page to 608×800 in blue, green, red order, normalised', () => {
    const width = 61;
    const height = 80;
    const data = new Uint8Array(width * height * 4);
    for (let i = 0; i < data.length; i += 4) data.set([255, 0, 0, 255], i);
    const tensor = preprocess(data, width, height, 4);
    const plane = INPUT_WIDTH * INPUT_HEIGHT;
    assert.equal(tensor.length, 3 * plane);
    // Pure red: the blue plane (first) and green are at zero, the red plane (last) at one.
    near([tensor[0], tensor[plane + 123], tensor[2 * plane + 4567]], [(0 - 0.485) / 0.229, (0 - 0.456) / 0.224, (1 - 0.406) / 0.225], 'pixel');
  });

  it('interpolates between pixels with their centres aligned', () => {
    // Two columns, black then white: output columns sample across the edge.
    const data = new Uint8Array([0, 0, 0, 255, 255, 255]);
    const tensor = preprocess(data, 2, 1, 3);
    const value = (x: number) => tensor[x] * 0.229 + 0.485;
    assert.ok(Math.abs(value(0)) < 1e-6, 'left edge is the black pixel');
    assert.ok(Math.abs(value(INPUT_WIDTH - 1) - 1) < 1e-6, 'right edge is the white pixel');
    assert.ok(Math.abs(value(INPUT_WIDTH / 2) - (0.5 + 0.5 / INPUT_WIDTH) * 1) < 0.01, 'the middle is grey');
  });

  it('reads the class list from the model file metadata', () => {
    const entry = writeFields([stringField(1, 'character'), stringField(2, 'text\ntitle\ntable\n')]);
    const model = writeFields([varintField(1, 7), bytesField(14, entry)]);
    assert.deepEqual(modelLabels(model), ['text', 'title', 'table']);
    assert.equal(modelLabels(writeFields([varintField(1, 7)])), null);
  });
});
