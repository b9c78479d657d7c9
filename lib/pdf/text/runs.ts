/** A page's text as runs in page space (top-left origin, points), from pdf.js's text content. */
import type { Box } from '../../../models/document/types.ts';
import { applyMatrix, type Matrix } from '../affine.ts';
import type { PDFPageProxy } from '../pdfjs.ts';
import { fontWeightLookup } from './font-weight.ts';
import type { TextRun } from './lines.ts';

/**
 * Box of a pdf.js text item in page space. `transform` is the item's text matrix in PDF user
 * space, `width` its advance along the baseline, `viewport` the page's scale-1 viewport matrix
 * (flips y and applies rotation). Descenders take about a fifth of the font size.
 */
export function textItemBox(transform: Matrix, width: number, viewport: Matrix): { box: Box; size: number } {
  const [a, b, c, d, e, f] = transform;
  const size = Math.hypot(c, d) || Math.hypot(a, b) || 1;
  const alongLen = Math.hypot(a, b) || 1;
  const ux = a / alongLen;
  const uy = b / alongLen;
  const upLen = Math.hypot(c, d) || 1;
  const vx = (c / upLen) * size;
  const vy = (d / upLen) * size;
  const corners: [number, number][] = [
    [e - 0.2 * vx, f - 0.2 * vy],
    [e + ux * width - 0.2 * vx, f + uy * width - 0.2 * vy],
    [e + vx, f + vy],
    [e + ux * width + vx, f + uy * width + vy],
  ];
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y] of corners) {
    const [px, py] = applyMatrix(viewport, x, y);
    x0 = Math.min(x0, px);
    y0 = Math.min(y0, py);
    x1 = Math.max(x1, px);
    y1 = Math.max(y1, py);
  }
  return { box: [x0, y0, x1, y1], size };
}

interface PdfTextItem {
  str: string;
  transform: number[];
  width: number;
  hasEOL: boolean;
  fontName?: string;
}

/** Text runs of a page in page space (top-left origin, points), in content-stream order. */
export async function pageTextRuns(page: PDFPageProxy): Promise<TextRun[]> {
  const viewport = page.getViewport({ scale: 1 });
  const content = await page.getTextContent();
  // Known only for fonts the operator list loaded (figure detection builds it first).
  const boldFont = fontWeightLookup(page);
  const runs: TextRun[] = [];
  for (const item of content.items) {
    if (!('str' in item)) continue;
    const textItem = item as PdfTextItem;
    const { box, size } = textItemBox(textItem.transform as Matrix, textItem.width, viewport.transform as Matrix);
    if (!box.every(Number.isFinite)) continue;
    const bold = textItem.fontName ? boldFont(textItem.fontName) : undefined;
    runs.push({ text: textItem.str, box, size, endsLine: textItem.hasEOL, ...(bold ? { bold } : {}) });
  }
  return runs;
}
