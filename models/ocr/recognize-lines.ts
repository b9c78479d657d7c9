/**
 * Line recognition in width-sorted, padded batches: one session run per batch (see batches.ts),
 * then greedy CTC decoding of each line's own time steps (the padded tail is never decoded).
 */
import ort from 'onnxruntime-node';
import { planBatches } from './batches.ts';
import { ctcGreedyDecode, type Decoded } from './ctc.ts';
import type { OcrEngine } from './engine.ts';
import { LINE_HEIGHT, lineInputWidth, writeLine } from './line-input.ts';
import { channelTables } from './normalize.ts';
import type { OcrImage, Quad } from './types.ts';

export async function recognizeLines(
  engine: OcrEngine,
  image: OcrImage,
  quads: readonly Quad[],
  /** Read every line turned by 180° (the page is upside down). */
  turned: boolean,
): Promise<Decoded[]> {
  const { recognition, settings, dictionary } = engine;
  const tables = channelTables(settings.recNormalization);
  const widths = quads.map((quad) => lineInputWidth(quad, settings.recMinWidth, settings.recMaxWidth, settings.recSqueeze));
  const results: Decoded[] = new Array(quads.length);
  for (const batch of planBatches(widths, settings.batches)) {
    const count = batch.lines.length;
    const tensor = new Float32Array(count * 3 * LINE_HEIGHT * batch.width);
    batch.lines.forEach((line, index) => {
      const slot = { tensor, batchWidth: batch.width, index, width: widths[line], flip: turned };
      writeLine(image, quads[line], slot, tables);
    });
    let output: ort.Tensor;
    try {
      const result = await recognition.run({
        [recognition.inputNames[0]]: new ort.Tensor('float32', tensor, [count, 3, LINE_HEIGHT, batch.width]),
      });
      output = result[recognition.outputNames[0]];
    } catch (error) {
      throw new Error(`Recognition failed on a batch of ${count} lines ${batch.width} pixels wide`, { cause: error });
    }
    const [, steps, classes] = output.dims;
    if (classes !== dictionary.length + 1) {
      throw new Error(`The recogniser has ${classes} classes but the dictionary ${dictionary.length} (+1 blank) entries`);
    }
    const probs = output.data as Float32Array;
    batch.lines.forEach((line, index) => {
      // Steps cover the input width evenly; decode only those over this line's own pixels.
      const own = Math.min(steps, Math.ceil((widths[line] * steps) / batch.width));
      results[line] = ctcGreedyDecode(probs, index * steps * classes, own, classes, dictionary);
    });
    output.dispose();
  }
  return results;
}
