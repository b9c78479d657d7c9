/**
 * Scanned pages: a page whose text layer is (nearly) empty but which has ink is rendered and
 * read by Folio's OCR (models/ocr); its lines come back as text runs in page space and enter
 * the same layout pipeline as born-digital text. The engine loads once per thread, on first use.
 */
import { closeOcrEngine, createOcrEngine, type OcrEngine, recognize } from '../../models/ocr/index.ts';
import type { PDFDocumentProxy, PDFPageProxy } from '../pdf/pdfjs.ts';
import type { TextRun } from '../pdf/text/lines.ts';
import { type RenderPixelsOptions, renderPagePixels } from '../pdf/render/canvas.ts';

/** Fewer visible characters than this in the text layer means "no usable text layer". */
const MIN_TEXT_CHARS = 20;
/** Share of non-white pixels below which a page is blank and not worth reading. */
const MIN_INK = 0.002;

let engine: Promise<OcrEngine> | null = null;

function ocrEngine(): Promise<OcrEngine> {
  // One operator thread: this runs inside one of several extraction threads, one per core.
  engine ??= createOcrEngine({ intraOpNumThreads: 1 });
  return engine;
}

export async function releaseOcrEngine(): Promise<void> {
  if (engine) await closeOcrEngine(await engine);
  engine = null;
}

export function needsOcr(runs: readonly TextRun[]): boolean {
  let chars = 0;
  for (const run of runs) chars += run.text.replace(/\s+/g, '').length;
  return chars < MIN_TEXT_CHARS;
}

function inkShare(data: Uint8Array, channels: number): number {
  let ink = 0;
  const pixels = data.length / channels;
  for (let i = 0; i < data.length; i += channels) {
    if (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200) ink++;
  }
  return ink / pixels;
}

/** The page's text as read by OCR from a render at `options.dpi`, or null when the page is blank. */
export async function ocrPageRuns(doc: PDFDocumentProxy, page: PDFPageProxy, options: RenderPixelsOptions): Promise<TextRun[] | null> {
  const image = await renderPagePixels(doc, page, { dpi: options.dpi, maxPixels: options.maxPixels });
  if (inkShare(image.data, image.channels) < MIN_INK) return null;
  const lines = await recognize(await ocrEngine(), image);
  const toPoints = 72 / image.dpi;
  return lines.map((line) => {
    const box = line.box.map((v) => v * toPoints) as [number, number, number, number];
    // A line box spans ascenders to descenders, about 1.2 em.
    return { text: line.text, box, size: (box[3] - box[1]) / 1.2, endsLine: true };
  });
}
