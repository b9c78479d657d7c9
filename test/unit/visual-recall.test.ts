/** The foreground-recall measure bench:visual reports (bench/visual-corpus.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { areaMask, areaRecall, boxCoverage } from '../../bench/visual-corpus.ts';

describe('foreground recall measure', () => {
  const page = { width: 100, height: 200, boxes: [[10, 10, 50, 30] as [number, number, number, number], [40, 20, 90, 40] as [number, number, number, number]] };
  const mask = areaMask(page);

  it('measures the union of the ground-truth boxes once', () => {
    // 40×20 + 50×20 − the 10×10 overlap.
    assert.equal(mask.area, 800 + 1000 - 100);
  });

  it('gives the share of ground-truth area under the kept boxes', () => {
    assert.equal(areaRecall(mask, Float32Array.of(0, 0, 100, 200)), 1);
    assert.equal(areaRecall(mask, new Float32Array(0)), 0);
    // The left half of the first box only: 20×20 of 1700.
    assert.ok(Math.abs(areaRecall(mask, Float32Array.of(10, 10, 30, 30)) - 400 / 1700) < 1e-12);
    // Overlapping kept boxes are not counted twice.
    assert.ok(Math.abs(areaRecall(mask, Float32Array.of(10, 10, 30, 30, 10, 10, 30, 30)) - 400 / 1700) < 1e-12);
    assert.equal(areaRecall(areaMask({ width: 10, height: 10, boxes: [] }), new Float32Array(0)), 1, 'nothing to find');
  });

  it('gives the covered share of a token box', () => {
    assert.equal(boxCoverage(mask, [10, 10, 50, 30]), 1);
    assert.equal(boxCoverage(mask, [0, 0, 10, 10]), 0);
    assert.equal(boxCoverage(mask, [0, 10, 20, 30]), 0.5);
    assert.equal(boxCoverage(mask, [5, 5, 5, 9]), 0, 'an empty box covers nothing');
  });
});
