/**
 * Groups lines into recognition batches. One `session.run` per batch instead of per line cuts the
 * per-call overhead and lets onnxruntime's threads work on bigger tensors, but every line in a
 * batch is padded to the widest, and padding costs compute: so lines are sorted by width and a
 * batch only takes lines at least `minFill` as wide as its widest.
 */

export interface BatchOptions {
  /** Upper bound on batch size × padded width (columns of 48 pixels), which bounds memory. */
  maxColumns: number;
  /** Upper bound on lines per batch. */
  maxLines: number;
  /** A line joins a batch only if its width is at least this fraction of the batch's widest line. */
  minFill: number;
}

export const DEFAULT_BATCHES: BatchOptions = { maxColumns: 48 * 1024, maxLines: 32, minFill: 0.75 };

export interface Batch {
  /** Indices into the input widths, widest first. */
  lines: number[];
  /** Padded width of the batch: its widest line. */
  width: number;
}

/** Splits lines of the given input widths into batches (every index appears in exactly one batch). */
export function planBatches(widths: ArrayLike<number>, options: BatchOptions = DEFAULT_BATCHES): Batch[] {
  const order = Array.from({ length: widths.length }, (_, i) => i).sort((a, b) => widths[b] - widths[a] || a - b);
  const batches: Batch[] = [];
  let current: Batch | null = null;
  for (const i of order) {
    const w = widths[i];
    const fits =
      current !== null &&
      current.lines.length < options.maxLines &&
      (current.lines.length + 1) * current.width <= options.maxColumns &&
      w >= current.width * options.minFill;
    if (fits && current) {
      current.lines.push(i);
    } else {
      current = { lines: [i], width: w };
      batches.push(current);
    }
  }
  return batches;
}
