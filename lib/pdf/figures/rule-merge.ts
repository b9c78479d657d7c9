/**
 * Joins collinear rules: producers often draw a table rule as one segment per cell, or trace
 * each cell's border separately so shared edges are drawn twice. A table detector wants one
 * rule per ruling line, so pieces on the same line (centres within `across` points) whose
 * extents overlap or come within `along` points (the joints some producers leave between a
 * cell's edges) become one.
 */
import type { Box } from '../../../models/document/types.ts';

function mergeAlong(rules: Box[], horizontal: boolean, across: number, along: number): Box[] {
  // a: the coordinate along the rule, c: across it.
  const a0 = horizontal ? 0 : 1;
  const a1 = horizontal ? 2 : 3;
  const c0 = horizontal ? 1 : 0;
  const c1 = horizontal ? 3 : 2;
  const centre = (b: Box) => (b[c0] + b[c1]) / 2;
  const sorted = [...rules].sort((p, q) => centre(p) - centre(q) || p[a0] - q[a0]);
  const merged: Box[] = [];
  // Rules on one line are consecutive after sorting by centre; within a line, by start.
  let line: Box[] = [];
  const flushLine = () => {
    line.sort((p, q) => p[a0] - q[a0]);
    let current: Box | null = null;
    for (const rule of line) {
      if (current && rule[a0] <= current[a1] + along) {
        current[a1] = Math.max(current[a1], rule[a1]);
        current[c0] = Math.min(current[c0], rule[c0]);
        current[c1] = Math.max(current[c1], rule[c1]);
      } else {
        if (current) merged.push(current);
        current = [...rule];
      }
    }
    if (current) merged.push(current);
    line = [];
  };
  for (const rule of sorted) {
    if (line.length > 0 && centre(rule) - centre(line[0]) > across) flushLine();
    line.push(rule);
  }
  flushLine();
  return merged;
}

/** Merges collinear, overlapping or touching rules; returns them top to bottom, then left to right. */
export function mergeRules(rules: Box[], across = 0.5, along = 1): Box[] {
  const horizontal = rules.filter((b) => b[2] - b[0] >= b[3] - b[1]);
  const vertical = rules.filter((b) => b[2] - b[0] < b[3] - b[1]);
  return [...mergeAlong(horizontal, true, across, along), ...mergeAlong(vertical, false, across, along)].sort(
    (p, q) => p[1] - q[1] || p[0] - q[0],
  );
}
