/**
 * A growable list of painted marks stored column-wise in typed arrays: a page can paint tens of
 * thousands of path pieces, and boxes as objects would cost ten times the memory.
 */
import type { Box } from '../../../models/document/types.ts';

export const MarkKind = {
  /** A raster image (any of pdf.js's image painting operators). */
  Image: 0,
  /** A filled or stroked vector path, or a piece of one. */
  Path: 1,
  /** A thin, long vector mark: a table rule, an underline, a chart axis. */
  Rule: 2,
} as const;
export type MarkKind = (typeof MarkKind)[keyof typeof MarkKind];

export class MarkList {
  /** `[x0, y0, x1, y1]` per mark, top-left page space, points. */
  boxes: Float64Array;
  kinds: Uint8Array;
  /** Index of the painting operator in the operator list (several marks can share one). */
  ops: Int32Array;
  /** 1 when the mark is an axis-aligned polygon (a plain rectangle, typically). */
  boxy: Uint8Array;
  length = 0;
  readonly capacityLimit: number;

  constructor(initialCapacity: number, capacityLimit: number) {
    const capacity = Math.max(1, Math.min(initialCapacity, capacityLimit));
    this.capacityLimit = Math.max(0, capacityLimit);
    this.boxes = new Float64Array(capacity * 4);
    this.kinds = new Uint8Array(capacity);
    this.ops = new Int32Array(capacity);
    this.boxy = new Uint8Array(capacity);
  }

  /** Appends a mark; false (and nothing stored) when the list is at its limit. */
  push(x0: number, y0: number, x1: number, y1: number, kind: MarkKind, op: number, boxy: boolean): boolean {
    if (this.length >= this.capacityLimit) return false;
    if (this.length === this.kinds.length) this.grow();
    const i = this.length++;
    const o = i * 4;
    this.boxes[o] = x0;
    this.boxes[o + 1] = y0;
    this.boxes[o + 2] = x1;
    this.boxes[o + 3] = y1;
    this.kinds[i] = kind;
    this.ops[i] = op;
    this.boxy[i] = boxy ? 1 : 0;
    return true;
  }

  box(i: number): Box {
    const o = i * 4;
    return [this.boxes[o], this.boxes[o + 1], this.boxes[o + 2], this.boxes[o + 3]];
  }

  private grow(): void {
    const capacity = Math.min(this.kinds.length * 2, this.capacityLimit);
    const boxes = new Float64Array(capacity * 4);
    boxes.set(this.boxes);
    const kinds = new Uint8Array(capacity);
    kinds.set(this.kinds);
    const ops = new Int32Array(capacity);
    ops.set(this.ops);
    const boxy = new Uint8Array(capacity);
    boxy.set(this.boxy);
    this.boxes = boxes;
    this.kinds = kinds;
    this.ops = ops;
    this.boxy = boxy;
  }
}
