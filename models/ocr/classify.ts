/**
 * Page orientation: is the page upside down (scanned the wrong way up)? PaddleOCR asks the angle
 * classifier about every line, squeezing each into 48×192; on long lines of dense print that
 * misfires (on a clean upright page it turned 10 of 85 lines over), and it costs an input per
 * line. Pages are turned as a whole far more often than single lines, so here the classifier
 * votes on one unsqueezed 192-column window from the middle of each of the page's longest lines,
 * and the page is turned when the mean probability of "180°" exceeds one half.
 */
import ort from 'onnxruntime-node';
import type { OcrEngine } from './engine.ts';
import { subQuad } from './geometry.ts';
import { LINE_HEIGHT, lineInputWidth, writeLine } from './line-input.ts';
import { channelTables, SIGNED_RANGE } from './normalize.ts';
import type { OcrImage, Quad } from './types.ts';

const CLS_WIDTH = 192;
/** Lines that vote; one batch, a few milliseconds each. */
const VOTERS = 16;

/** The middle CLS_WIDTH columns of the line at the model's height (the whole line if shorter). */
function middleWindow(quad: Quad): { quad: Quad; width: number } {
  const natural = lineInputWidth(quad, 1, Number.MAX_SAFE_INTEGER);
  if (natural <= CLS_WIDTH) return { quad, width: natural };
  const span = CLS_WIDTH / natural;
  return { quad: subQuad(quad, (1 - span) / 2, (1 + span) / 2), width: CLS_WIDTH };
}

/** Mean probability, over windows of the longest lines, that the text is turned by 180°. */
export async function upsideDownProbability(engine: OcrEngine, image: OcrImage, quads: readonly Quad[]): Promise<number> {
  if (quads.length === 0) return 0;
  const { classifier } = engine;
  const longest = quads
    .map((quad) => ({ quad, width: lineInputWidth(quad, 1, Number.MAX_SAFE_INTEGER) }))
    .sort((a, b) => b.width - a.width)
    .slice(0, VOTERS);
  const count = longest.length;
  const tensor = new Float32Array(count * 3 * LINE_HEIGHT * CLS_WIDTH);
  const tables = channelTables(SIGNED_RANGE);
  longest.forEach(({ quad }, index) => {
    const window = middleWindow(quad);
    writeLine(image, window.quad, { tensor, batchWidth: CLS_WIDTH, index, width: window.width, flip: false }, tables);
  });
  let probs: Float32Array;
  try {
    const result = await classifier.run({
      [classifier.inputNames[0]]: new ort.Tensor('float32', tensor, [count, 3, LINE_HEIGHT, CLS_WIDTH]),
    });
    probs = result[classifier.outputNames[0]].data as Float32Array;
  } catch (error) {
    throw new Error(`Angle classification failed on a batch of ${count} line windows`, { cause: error });
  }
  // Output per window: [p(0°), p(180°)].
  let sum = 0;
  for (let i = 0; i < count; i++) sum += probs[2 * i + 1];
  return sum / count;
}
