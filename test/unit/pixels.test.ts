import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cropSquare, onWhiteCanvas, rgbFromRgba } from '../../models/visual/pixels.ts';

/** A w×h RGB image whose pixel (x, y) is [x, y, x + y] (distinct per position while small). */
function ramp(width: number, height: number) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([x, y, x + y], (y * width + x) * 3);
  return { width, height, data };
}
const pixel = (image: { width: number; data: Uint8Array }, x: number, y: number) => [...image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3)];

test('rgbFromRgba drops the fourth byte of every pixel and keeps the order', () => {
  const rgba = new Uint8Array([1, 2, 3, 255, 4, 5, 6, 0, 7, 8, 9, 128]);
  assert.deepEqual([...rgbFromRgba(rgba, 3, 1).data], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.throws(() => rgbFromRgba(rgba, 2, 2), /needs 16 bytes/);
});

test('rgbFromRgba gives the same bytes four pixels at a time, on any size and any buffer offset', () => {
  for (const [width, height] of [[7, 3], [4, 4], [5, 1], [1, 1]]) {
    const n = width * height;
    const backing = new Uint8Array(n * 4 + 1);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 37 + 11) & 255;
    for (const rgba of [backing.subarray(0, n * 4), backing.subarray(1)]) {
      const want: number[] = [];
      for (let p = 0; p < n; p++) want.push(rgba[p * 4], rgba[p * 4 + 1], rgba[p * 4 + 2]);
      assert.deepEqual([...rgbFromRgba(rgba, width, height).data], want, `${width}×${height} at offset ${rgba.byteOffset}`);
    }
  }
});

test('onWhiteCanvas places every pixel at its offset and leaves the rest white', () => {
  const image = ramp(3, 2);
  const canvas = onWhiteCanvas(image, 6, 5, 2, 1);
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 6; x++) {
      const inside = x >= 2 && x < 5 && y >= 1 && y < 3;
      assert.deepEqual(pixel(canvas, x, y), inside ? pixel(image, x - 2, y - 1) : [255, 255, 255], `pixel ${x},${y}`);
    }
  }
});

test('onWhiteCanvas cuts off what falls outside the canvas', () => {
  const image = ramp(4, 4);
  const canvas = onWhiteCanvas(image, 3, 3, -1, 1);
  assert.deepEqual(pixel(canvas, 0, 1), pixel(image, 1, 0));
  assert.deepEqual(pixel(canvas, 2, 2), pixel(image, 3, 1));
  assert.deepEqual(pixel(canvas, 0, 0), [255, 255, 255]);
  assert.equal(onWhiteCanvas(image, 2, 2, 5, 5).data.every((v) => v === 255), true);
});

test('cropSquare returns the square at its corner and refuses one outside the image', () => {
  const image = ramp(5, 4);
  const square = cropSquare(image, 2, 1, 3);
  for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) assert.deepEqual(pixel(square, x, y), pixel(image, x + 2, y + 1));
  assert.throws(() => cropSquare(image, 3, 0, 3), /outside a 5×4 image/);
});
