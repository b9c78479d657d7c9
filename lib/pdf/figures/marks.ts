/**
 * Marks: the page-space boxes of everything a pdf.js operator list paints that is not text —
 * raster images and filled/stroked vector paths — found by replaying the operator list the way
 * pdf.js's canvas renderer does (save/restore/transform, form XObjects, groups, clips) without
 * drawing anything. Pure over plain data, so it runs on hand-made operator lists in tests.
 *
 * Hostile pages are expected: every argument is checked before use, non-finite boxes are
 * dropped, and the work is capped (operators read, marks kept, path coordinates walked).
 */
import { OPS } from '../pdfjs.ts';
import type { Box } from '../../../models/document/types.ts';
import { intersect, multiply, transformBox } from '../affine.ts';
import type { Matrix } from '../affine.ts';
import { MarkKind, MarkList } from './mark-list.ts';
import { splitAxisAlignedPath } from './path-pieces.ts';

/** What pdf.js's `page.getOperatorList()` returns, reduced to what is read here. */
export interface OperatorListLike {
  fnArray: ArrayLike<number>;
  argsArray: ArrayLike<unknown>;
}

/** The scale-1 viewport: its matrix maps PDF user space to top-left page space. */
export interface ViewportLike {
  transform: ArrayLike<number>;
  width: number;
  height: number;
}

export interface MarkOptions {
  /** Operators read at most; the rest of a longer page is ignored (and `truncated` is set). */
  maxOps: number;
  /** Marks kept at most. */
  maxMarks: number;
  /** Path coordinates walked at most per page; past it, paths are taken whole from pdf.js's min/max. */
  maxPathValues: number;
  /** A mark covering at least this share of the page's width and height is a background (or a scan). */
  backgroundCoverage: number;
  /** Marks whose longer side is under this (points) are specks, not content. */
  tinyMarkSide: number;
  /** A vector mark at most this thick (points, or this share of the page's shorter side if more) ... */
  ruleMaxThickness: number;
  ruleThicknessRatio: number;
  /** ... and at least this long (points) is a rule: a table line, an underline, an axis. */
  ruleMinLength: number;
  /** Optional-content visibility (pdf.js's `OptionalContentConfig.isVisible`); all visible without it. */
  isOptionalContentVisible?: (properties: unknown) => boolean;
}

export interface MarkStats {
  /** Operators in the list, and how many were read. */
  ops: number;
  opsRead: number;
  /** Work stopped early: more than `maxOps` operators, or `maxMarks` marks reached. */
  truncated: boolean;
  /** Marks dropped as page backgrounds (or full-page scans), and as specks. */
  background: number;
  tiny: number;
  /** Painted boxes with NaN or infinite coordinates, skipped. */
  nonFinite: number;
  /** Operators whose arguments were not what pdf.js 5.4 produces. */
  malformed: number;
}

interface GraphicsState {
  ctm: Matrix;
  /** Current clip as a page-space box (clips are approximated by their bounding boxes). */
  clip: Box;
  lineWidth: number;
  /** Inside a soft-mask group: drawn into a mask, never seen. */
  hidden: boolean;
}

const STROKE_OPS = new Set<number>([
  OPS.stroke,
  OPS.closeStroke,
  OPS.fillStroke,
  OPS.eoFillStroke,
  OPS.closeFillStroke,
  OPS.closeEOFillStroke,
]);
const FILL_OPS = new Set<number>([
  OPS.fill,
  OPS.eoFill,
  OPS.fillStroke,
  OPS.eoFillStroke,
  OPS.closeFillStroke,
  OPS.closeEOFillStroke,
  OPS.rawFillPath,
]);

function isNumbers(value: unknown, length: number): value is ArrayLike<number> {
  if (value === null || typeof value !== 'object') return false;
  const list = value as ArrayLike<unknown>;
  if (typeof list.length !== 'number' || list.length < length) return false;
  for (let i = 0; i < length; i++) if (typeof list[i] !== 'number') return false;
  return true;
}

function argList(args: unknown): unknown[] {
  return Array.isArray(args) ? args : [];
}

/** Replays an operator list and collects the marks it paints. */
export function collectMarks(
  list: OperatorListLike,
  viewport: ViewportLike,
  options: MarkOptions,
): { marks: MarkList; stats: MarkStats } {
  const { width, height } = viewport;
  const marks = new MarkList(Math.min(options.maxMarks, 1024), options.maxMarks);
  const fnCount = Math.max(0, Math.min(list.fnArray.length, list.argsArray.length));
  const stats: MarkStats = { ops: fnCount, opsRead: 0, truncated: false, background: 0, tiny: 0, nonFinite: 0, malformed: 0 };
  if (!(width > 0 && height > 0 && Number.isFinite(width * height)) || !isNumbers(viewport.transform, 6)) {
    return { marks, stats };
  }

  const pageBox: Box = [0, 0, width, height];
  // Posters and other big pages draw their rules thicker, in proportion.
  const ruleMaxThickness = Math.max(options.ruleMaxThickness, options.ruleThicknessRatio * Math.min(width, height));
  let state: GraphicsState = {
    ctm: Array.from(viewport.transform).slice(0, 6) as Matrix,
    clip: pageBox,
    lineWidth: 1,
    hidden: false,
  };
  const stack: GraphicsState[] = [];
  const save = () => {
    stack.push(state);
    state = { ...state };
  };
  const restore = () => {
    state = stack.pop() ?? state;
  };
  /** Marked-content visibility, one entry per open BMC/BDC. */
  const markedContent: boolean[] = [];
  let hiddenMarkedContent = 0;
  let annotationDepth = 0;
  let pendingClip = false;
  let pathBudget = options.maxPathValues;
  let full = false;

  const visible = () => !state.hidden && hiddenMarkedContent === 0 && annotationDepth === 0;

  /** Clips, filters and classifies one painted box; returns false once the mark list is full. */
  const addPiece = (box: Box, source: 'image' | 'vector', op: number, boxy: boolean): boolean => {
    if (!box.every(Number.isFinite)) {
      stats.nonFinite++;
      return true;
    }
    const [x0, y0, x1, y1] = intersect(box, state.clip);
    if (x1 < x0 || y1 < y0) return true;
    const w = x1 - x0;
    const h = y1 - y0;
    if (w >= options.backgroundCoverage * width && h >= options.backgroundCoverage * height) {
      stats.background++;
      return true;
    }
    const long = Math.max(w, h);
    const thin = Math.min(w, h);
    if (long < options.tinyMarkSide) {
      stats.tiny++;
      return true;
    }
    const isRule =
      source === 'vector' && thin <= ruleMaxThickness && long >= options.ruleMinLength && long >= 8 * thin;
    const kind = source === 'image' ? MarkKind.Image : isRule ? MarkKind.Rule : MarkKind.Path;
    if (!marks.push(x0, y0, x1, y1, kind, op, boxy)) {
      full = true;
      return false;
    }
    return true;
  };

  /** An image is painted into the unit square of `m`. */
  const addImage = (m: Matrix, op: number) => addPiece(transformBox(m, 0, 0, 1, 1), 'image', op, false);

  const paintPath = (op: number, args: unknown[]) => {
    const [paintOp, pathArgs, minMax] = args;
    if (typeof paintOp !== 'number') {
      stats.malformed++;
      return;
    }
    const data = Array.isArray(pathArgs) ? (pathArgs[0] as unknown) : null;
    const hasMinMax = isNumbers(minMax, 4);
    const box = hasMinMax ? transformBox(state.ctm, minMax[0], minMax[1], minMax[2], minMax[3]) : null;
    const stroke = STROKE_OPS.has(paintOp);
    const fill = FILL_OPS.has(paintOp);
    if ((stroke || fill) && box !== null && visible()) {
      // Stroke width in page space; 0 is pdf.js's thinnest line, one device pixel.
      const scale = Math.sqrt(Math.abs(state.ctm[0] * state.ctm[3] - state.ctm[1] * state.ctm[2]));
      const half = stroke ? (state.lineWidth * scale) / 2 || 0 : 0;
      let done = false;
      if (isNumbers(data, 0) && data.length <= pathBudget) {
        pathBudget -= data.length;
        const split = { stroke: stroke && !fill, half };
        done = splitAxisAlignedPath(data, state.ctm, split, (piece, boxy) => addPiece(piece, 'vector', op, boxy));
      }
      if (!done) {
        addPiece([box[0] - half, box[1] - half, box[2] + half, box[3] + half], 'vector', op, false);
      }
    }
    if (pendingClip) {
      // The path just built becomes the clip for what follows (after it is painted, as pdf.js does).
      pendingClip = false;
      if (box?.every(Number.isFinite)) state.clip = intersect(state.clip, box);
    }
  };

  const readOp = (fn: number, rawArgs: unknown, op: number) => {
    const args = argList(rawArgs);
    switch (fn) {
      case OPS.save:
        save();
        break;
      case OPS.restore:
        restore();
        break;
      case OPS.transform:
        if (isNumbers(args, 6)) state.ctm = multiply(state.ctm, args as number[]);
        else stats.malformed++;
        break;
      case OPS.setLineWidth:
        if (typeof args[0] === 'number') state.lineWidth = Math.abs(args[0]);
        break;
      case OPS.setGState:
        for (const entry of argList(args[0])) {
          if (Array.isArray(entry) && entry[0] === 'LW' && typeof entry[1] === 'number') state.lineWidth = Math.abs(entry[1]);
        }
        break;
      case OPS.clip:
      case OPS.eoClip:
        pendingClip = true;
        break;
      case OPS.constructPath:
        paintPath(op, args);
        break;
      case OPS.paintFormXObjectBegin: {
        save();
        const [matrix, bbox] = args;
        if (isNumbers(matrix, 6)) state.ctm = multiply(state.ctm, matrix);
        if (isNumbers(bbox, 4)) state.clip = intersect(state.clip, transformBox(state.ctm, bbox[0], bbox[1], bbox[2], bbox[3]));
        break;
      }
      case OPS.paintFormXObjectEnd:
        restore();
        break;
      case OPS.beginGroup: {
        save();
        const group = (args[0] ?? {}) as { matrix?: unknown; bbox?: unknown; smask?: unknown };
        // A group's bbox is in its form's space (the form's matrix follows in paintFormXObjectBegin).
        const groupMatrix = isNumbers(group.matrix, 6) ? multiply(state.ctm, group.matrix) : state.ctm;
        if (isNumbers(group.bbox, 4)) {
          const b = group.bbox;
          state.clip = intersect(state.clip, transformBox(groupMatrix, b[0], b[1], b[2], b[3]));
        }
        // Soft-mask content is rendered into a mask, not onto the page.
        if (group.smask) state.hidden = true;
        break;
      }
      case OPS.endGroup:
        restore();
        break;
      case OPS.beginAnnotation:
        save();
        annotationDepth++;
        break;
      case OPS.endAnnotation:
        restore();
        annotationDepth = Math.max(0, annotationDepth - 1);
        break;
      case OPS.beginMarkedContent:
        markedContent.push(true);
        break;
      case OPS.beginMarkedContentProps: {
        let shown = true;
        if (args[0] === 'OC' && options.isOptionalContentVisible) {
          try {
            shown = options.isOptionalContentVisible(args[1]) !== false;
          } catch {
            shown = true;
          }
        }
        markedContent.push(shown);
        if (!shown) hiddenMarkedContent++;
        break;
      }
      case OPS.endMarkedContent:
        if (markedContent.length > 0 && !markedContent.pop()) hiddenMarkedContent--;
        break;
      case OPS.paintImageXObject:
      case OPS.paintInlineImageXObject:
      case OPS.paintImageMaskXObject:
        if (visible()) addImage(state.ctm, op);
        break;
      case OPS.paintSolidColorImageMask:
        // A one-pixel opaque mask: a solid rectangle, so it counts as vector (it can be a rule).
        if (visible()) addPiece(transformBox(state.ctm, 0, 0, 1, 1), 'vector', op, true);
        break;
      case OPS.paintImageXObjectRepeat: {
        const [, scaleX, scaleY, positions] = args;
        if (!visible()) break;
        if (typeof scaleX !== 'number' || typeof scaleY !== 'number' || !isNumbers(positions, 0)) {
          stats.malformed++;
          break;
        }
        for (let i = 0; i + 1 < positions.length && !full; i += 2) {
          addImage(multiply(state.ctm, [scaleX, 0, 0, scaleY, positions[i], positions[i + 1]]), op);
        }
        break;
      }
      case OPS.paintImageMaskXObjectRepeat: {
        const [, scaleX, skewX, skewY, scaleY, positions] = args;
        if (!visible()) break;
        const factors = [scaleX, skewX ?? 0, skewY ?? 0, scaleY];
        if (!isNumbers(factors, 4) || !isNumbers(positions, 0)) {
          stats.malformed++;
          break;
        }
        for (let i = 0; i + 1 < positions.length && !full; i += 2) {
          addImage(multiply(state.ctm, [...factors, positions[i], positions[i + 1]]), op);
        }
        break;
      }
      case OPS.paintImageMaskXObjectGroup:
      case OPS.paintInlineImageXObjectGroup: {
        if (!visible()) break;
        // Mask groups carry [images], inline groups [image, map]; both entries have a transform.
        const entries = argList(fn === OPS.paintImageMaskXObjectGroup ? args[0] : args[1]);
        for (const entry of entries) {
          if (full) break;
          const transform = (entry as { transform?: unknown } | null)?.transform;
          if (isNumbers(transform, 6)) addImage(multiply(state.ctm, transform), op);
          else stats.malformed++;
        }
        break;
      }
      case OPS.shadingFill:
        // `sh` paints the whole clip region, whose shape is rarely a plain rectangle.
        if (visible()) addPiece(state.clip, 'vector', op, false);
        break;
    }
  };

  const limit = Math.min(fnCount, options.maxOps);
  for (let op = 0; op < limit && !full; op++) {
    try {
      readOp(list.fnArray[op], list.argsArray[op], op);
    } catch {
      // Arguments shaped in a way not foreseen above: skip the operator, keep the page.
      stats.malformed++;
    }
    stats.opsRead = op + 1;
  }
  stats.truncated = full || fnCount > options.maxOps;
  return { marks, stats };
}
