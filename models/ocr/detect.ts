/** Text detection: page → DB probability map (one session run) → upright line quads. */
import ort from 'onnxruntime-node';
import { boxesFromProbabilityMap, type DetectedBox } from './db-postprocess.ts';
import { detInputSize, toDetTensor } from './det-input.ts';
import type { OcrEngine } from './engine.ts';
import type { OcrImage } from './types.ts';

export async function detectLines(engine: OcrEngine, image: OcrImage): Promise<DetectedBox[]> {
  const { settings, detection } = engine;
  const size = detInputSize(image.width, image.height, { maxSide: settings.detMaxSide });
  const input = toDetTensor(image, size.width, size.height, settings.detNormalization);
  let output: ort.Tensor;
  try {
    const result = await detection.run({
      [detection.inputNames[0]]: new ort.Tensor('float32', input, [1, 3, size.height, size.width]),
    });
    output = result[detection.outputNames[0]];
  } catch (error) {
    throw new Error(`Text detection failed on a ${size.width}×${size.height} input`, { cause: error });
  }
  const [, , mapHeight, mapWidth] = output.dims;
  const prob = output.data as Float32Array;
  const boxes = boxesFromProbabilityMap(prob, mapWidth, mapHeight, image.width, image.height, settings.db);
  output.dispose();
  return boxes;
}
