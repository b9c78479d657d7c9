/**
 * Folio's OCR of one page image: detect line boxes, check whether the page is upside down,
 * recognise all lines in batches, drop unsure lines and return the rest in reading order.
 */
import { upsideDownProbability } from './classify.ts';
import { detectLines } from './detect.ts';
import type { OcrEngine } from './engine.ts';
import { quadBounds } from './geometry.ts';
import { readingOrder } from './reading-order.ts';
import { recognizeLines } from './recognize-lines.ts';
import type { OcrImage, OcrLine } from './types.ts';

function checkImage(image: OcrImage): void {
  const { data, width, height, channels } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`OCR image size must be positive integers, got ${width}×${height}`);
  }
  if (channels !== 3 && channels !== 4) throw new RangeError(`OCR images have 3 or 4 channels, got ${channels}`);
  if (data.length !== width * height * channels) {
    throw new RangeError(`OCR image data has ${data.length} bytes; ${width}×${height}×${channels} needs ${width * height * channels}`);
  }
}

export async function recognize(engine: OcrEngine, image: OcrImage): Promise<OcrLine[]> {
  checkImage(image);
  const detected = await detectLines(engine, image);
  if (detected.length === 0) return [];
  const quads = detected.map((box) => box.quad);
  const turned = engine.settings.classifyAngle && (await upsideDownProbability(engine, image, quads)) > 0.5;
  const decoded = await recognizeLines(engine, image, quads, turned);
  const lines: OcrLine[] = [];
  decoded.forEach((line, i) => {
    const text = line.text.trim();
    if (text === '' || line.confidence < engine.settings.minConfidence) return;
    lines.push({ text, box: quadBounds(quads[i], image.width, image.height), confidence: line.confidence });
  });
  // An upside-down page reads from the bottom right of the image.
  const { width: w, height: h } = image;
  const boxes = lines.map(({ box: [x0, y0, x1, y1] }) => (turned ? ([w - x1, h - y1, w - x0, h - y0] as const) : ([x0, y0, x1, y1] as const)));
  return readingOrder(boxes).map((i) => lines[i]);
}
