/**
 * Greedy CTC decoding of the recogniser's per-step class probabilities: take the best class per
 * step, merge repeats, drop blanks (class 0), map class c to dictionary[c − 1]. Confidence is the
 * mean of the kept characters' probabilities, as in PaddleOCR and @gutenye/ocr-common.
 */

export interface Decoded {
  text: string;
  confidence: number;
}

/**
 * Decodes `steps` time steps starting at `offset` in `probs`, each `classes` floats long.
 * `dictionary` has `classes − 1` entries (the keys file's lines plus the space character).
 */
export function ctcGreedyDecode(
  probs: Float32Array,
  offset: number,
  steps: number,
  classes: number,
  dictionary: readonly string[],
): Decoded {
  let text = '';
  let sum = 0;
  let kept = 0;
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    const row = offset + t * classes;
    let best = 0;
    let bestP = probs[row];
    for (let c = 1; c < classes; c++) {
      const p = probs[row + c];
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    if (best !== 0 && best !== previous) {
      text += dictionary[best - 1] ?? '';
      sum += bestP;
      kept++;
    }
    previous = best;
  }
  return { text, confidence: kept > 0 ? sum / kept : 0 };
}

/**
 * The dictionary from a PaddleOCR keys file: one character per line, then the space character
 * (PaddleOCR's `use_space_char`). A trailing newline does not add an empty entry.
 */
export function parseDictionary(keysText: string): string[] {
  const lines = keysText.split('\n').map((line) => line.replace(/\r$/, ''));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return [...lines, ' '];
}
