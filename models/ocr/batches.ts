/**
 * Groups lines into recognition batches: lines sorted by width, a batch takes lines at least
 * `minFill` as wide as its widest (padding is wasted compute) up to `maxColumns` padded columns.
 *
 * The column budget is small on purpose. Measured on this project's 2-core machine (5 dense
 * pages, fused models, one thread): runs of ≤ 2048 columns took 7.3 s/page, one run per line
 * 7.6, ≤ 8192 columns 9.6 and ≤ 49152 columns 10.2, with identical text. A 48-pixel line of
 * text is already ~1000 columns, enough to keep onnxruntime busy; stacking many of them only
 * makes the activations outgrow the caches. Batching pays off for the short lines (headings,
 * page numbers, table cells), where the per-run overhead matters.
 */

export interface BatchOptions {
  /** Upper bound on batch size × padded width (columns of 48 pixels), which bounds memory. */
  maxColumns: number;
  /** Upper bound on lines per batch. */
  maxLines: number;
  /** A line joins a batch only if its width is at least this fraction of the batch's widest line. */
  minFill: number;
}

export const DEFAULT_BATCHES: BatchOptions = { maxColumns: 2048, maxLines: 32, minFill: 0.9 };

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
