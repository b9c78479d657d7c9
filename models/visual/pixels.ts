/**
 * Copies between 8-bit pixel buffers (channels interleaved, rows top to bottom) that the page
 * images need around their resizes: dropping alpha, placing an image on a white canvas, cutting
 * a square out. Each is one pass of typed-array copies; handing them to an image library costs a
 * pipeline set-up and a thread round trip per call, more than the copy itself on page-sized
 * images.
 */
import type { RgbImage } from './encoders/types.ts';

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * RGB of an opaque RGBA image (alpha dropped, not composited). Four pixels at a time as 32-bit
 * words where the bytes allow it (3× faster than byte by byte on a rendered page), the rest byte
 * by byte.
 */
export function rgbFromRgba(rgba: Uint8Array, width: number, height: number): RgbImage {
  const n = width * height;
  if (rgba.length < n * 4) throw new Error(`an RGBA image of ${width}×${height} needs ${n * 4} bytes, got ${rgba.length}`);
  const data = new Uint8Array(n * 3);
  let p = 0;
  if (LITTLE_ENDIAN && rgba.byteOffset % 4 === 0) {
    const src = new Uint32Array(rgba.buffer, rgba.byteOffset, n);
    const out = new Uint32Array(data.buffer, 0, Math.floor((n * 3) / 4));
    for (let o = 0; p + 4 <= n; p += 4, o += 3) {
      const a = src[p] & 0xffffff;
      const b = src[p + 1] & 0xffffff;
      const c = src[p + 2] & 0xffffff;
      const d = src[p + 3] & 0xffffff;
      out[o] = a | (b << 24);
      out[o + 1] = (b >>> 8) | (c << 16);
      out[o + 2] = (c >>> 16) | (d << 8);
    }
  }
  for (let q = p * 4, r = p * 3; p < n; p++, q += 4, r += 3) {
    data[r] = rgba[q];
    data[r + 1] = rgba[q + 1];
    data[r + 2] = rgba[q + 2];
  }
  return { width, height, data };
}

/**
 * `image` placed with its top-left corner at (`x`, `y`) on a white `width` × `height` canvas;
 * what falls outside the canvas is cut off.
 */
export function onWhiteCanvas(image: RgbImage, width: number, height: number, x: number, y: number): RgbImage {
  const data = new Uint8Array(width * height * 3).fill(255);
  const left = Math.max(0, x);
  const right = Math.min(width, x + image.width);
  if (right > left) {
    for (let row = Math.max(0, y); row < Math.min(height, y + image.height); row++) {
      const from = ((row - y) * image.width + (left - x)) * 3;
      data.set(image.data.subarray(from, from + (right - left) * 3), (row * width + left) * 3);
    }
  }
  return { width, height, data };
}

/** The `size` × `size` square of `image` whose top-left corner is (`x`, `y`); it must lie inside. */
export function cropSquare(image: RgbImage, x: number, y: number, size: number): RgbImage {
  if (x < 0 || y < 0 || x + size > image.width || y + size > image.height) {
    throw new Error(`a ${size}-pixel square at (${x}, ${y}) is outside a ${image.width}×${image.height} image`);
  }
  const data = new Uint8Array(size * size * 3);
  for (let row = 0; row < size; row++) {
    const from = ((y + row) * image.width + x) * 3;
    data.set(image.data.subarray(from, from + size * 3), row * size * 3);
  }
  return { width: size, height: size, data };
}
