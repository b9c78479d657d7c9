/**
 * Reading order for recognised lines: top to bottom, and left to right among boxes that share a
 * row (their vertical centres are closer than half the smaller box height).
 */

type Box = readonly [number, number, number, number];

/** Indices of `boxes` ([x0, y0, x1, y1]) in reading order. */
export function readingOrder(boxes: readonly Box[]): number[] {
  const centre = (b: Box) => (b[1] + b[3]) / 2;
  const height = (b: Box) => Math.max(1, b[3] - b[1]);
  const byTop = boxes.map((_, i) => i).sort((a, b) => centre(boxes[a]) - centre(boxes[b]) || boxes[a][0] - boxes[b][0]);
  const rows: { centre: number; height: number; members: number[] }[] = [];
  for (const i of byTop) {
    const box = boxes[i];
    const row = rows[rows.length - 1];
    if (row && Math.abs(centre(box) - row.centre) < Math.min(row.height, height(box)) / 2) {
      row.members.push(i);
      // The row's centre follows its members so a long row of slightly skewed boxes stays one row.
      row.centre += (centre(box) - row.centre) / row.members.length;
      row.height = Math.min(row.height, height(box));
    } else {
      rows.push({ centre: centre(box), height: height(box), members: [i] });
    }
  }
  return rows.flatMap((row) => row.members.sort((a, b) => boxes[a][0] - boxes[b][0]));
}
