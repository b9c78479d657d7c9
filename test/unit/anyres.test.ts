import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LLAVA_NEXT_PINPOINTS, planCrops, selectPinpoint, uncompressedTokenCount, validBand } from '../../models/visual/crop-plan.ts';

describe('AnyRes crop plan', () => {
  it('picks the grid that keeps the most resolution, then wastes least', () => {
    assert.deepEqual(selectPinpoint(612, 792), { width: 672, height: 672 }, 'US letter');
    assert.deepEqual(selectPinpoint(400, 1200), { width: 336, height: 1008 }, 'a tall strip');
    assert.deepEqual(selectPinpoint(4000, 400), { width: 1008, height: 336 }, 'a wide strip');
  });

  it('counts tiles × 576 + one newline per canvas row when nothing is padded, for every pinpoint', () => {
    for (const p of LLAVA_NEXT_PINPOINTS) {
      const plan = planCrops(p.width, p.height);
      assert.deepEqual(plan.canvas, p);
      assert.deepEqual(plan.offset, { x: 0, y: 0 }, 'page aspect equals grid aspect: no padding');
      const tiles = plan.grid.rows * plan.grid.cols;
      assert.equal(plan.tiles.length, tiles);
      assert.equal(uncompressedTokenCount(plan), (1 + tiles) * 576 + plan.grid.rows * 24);
    }
  });

  it('unpads the columns of a portrait page on a square canvas, centred', () => {
    const plan = planCrops(612, 792);
    assert.deepEqual(plan.grid, { rows: 2, cols: 2 });
    assert.deepEqual(plan.validRows, [0, 48]);
    assert.deepEqual(plan.validCols, [5, 43]);
    assert.equal(plan.resized.height, 672);
    assert.equal(plan.offset.x, Math.floor((672 - plan.resized.width) / 2));
    assert.equal(uncompressedTokenCount(plan), 576 + 48 * 38 + 48);
  });

  it('applies the unpad rule to rows for pages wider than the canvas', () => {
    // pad = (24 − ⌊200·72/1000⌋) // 2 = (24 − 14) // 2 = 5
    assert.deepEqual(validBand(1000, 200, 24, 72), { validRows: [5, 19], validCols: [0, 72] });
  });
});
