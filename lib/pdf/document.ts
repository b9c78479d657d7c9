/**
 * Opening PDFs with pdf.js and reading one page: text runs in page space and a thumbnail.
 * Failures that belong to the file (corrupt, encrypted, too large) become `PdfInputError`s
 * with a readable reason, so the caller can fail the document without retrying.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist/types/src/display/api.d.ts';
import sharp from 'sharp';
import type { Paragraph } from '../types.ts';
import { layoutParagraphs, type Matrix, type TextRun, textItemBox } from './layout.ts';

export type { PDFDocumentProxy, PDFPageProxy };

const require = createRequire(import.meta.url);
const pdfjsRoot = path.dirname(require.resolve('pdfjs-dist/package.json'));
const assetDir = (name: string) => `${path.join(pdfjsRoot, name)}${path.sep}`;

/** A problem with the input file itself: retrying cannot help. */
export class PdfInputError extends Error {
  readonly code: 'encrypted' | 'corrupt' | 'too_many_pages' | 'empty' | 'too_large';
  constructor(code: PdfInputError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PdfInputError';
    this.code = code;
  }
}

function describeOpenError(error: unknown): PdfInputError | unknown {
  const name = (error as { name?: string })?.name;
  const message = (error as { message?: string })?.message ?? String(error);
  if (name === 'PasswordException') {
    return new PdfInputError('encrypted', 'The PDF is encrypted and needs a password to open.', { cause: error });
  }
  if (name === 'InvalidPDFException' || name === 'FormatError' || name === 'UnknownErrorException') {
    return new PdfInputError('corrupt', `The PDF is damaged and cannot be read: ${message}`, { cause: error });
  }
  return error;
}

export interface OpenOptions {
  maxPages: number;
}

/** Opens a PDF from bytes. pdf.js takes ownership of the buffer, so pass a copy you can lose. */
export async function openPdf(bytes: Uint8Array, options: OpenOptions): Promise<PDFDocumentProxy> {
  const task = pdfjs.getDocument({
    data: bytes,
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    verbosity: 0,
    standardFontDataUrl: assetDir('standard_fonts'),
    cMapUrl: assetDir('cmaps'),
    cMapPacked: true,
    wasmUrl: assetDir('wasm'),
    iccUrl: assetDir('iccs'),
  });
  let doc: PDFDocumentProxy;
  try {
    doc = await task.promise;
  } catch (error) {
    await task.destroy().catch(() => {});
    throw describeOpenError(error);
  }
  if (doc.numPages < 1) {
    await doc.destroy();
    throw new PdfInputError('empty', 'The PDF has no pages.');
  }
  if (doc.numPages > options.maxPages) {
    const pages = doc.numPages;
    await doc.destroy();
    throw new PdfInputError('too_many_pages', `The PDF has ${pages} pages; the limit is ${options.maxPages}.`);
  }
  return doc;
}

export interface PdfInspection {
  pageCount: number;
  title: string | null;
  encrypted: boolean;
}

export async function inspectPdf(doc: PDFDocumentProxy): Promise<PdfInspection> {
  const meta = await doc.getMetadata().catch(() => null);
  const info = (meta?.info ?? {}) as { Title?: unknown; IsEncrypted?: unknown };
  const title = typeof info.Title === 'string' && info.Title.trim() ? info.Title.trim() : null;
  return { pageCount: doc.numPages, title, encrypted: info.IsEncrypted === true };
}

interface PdfTextItem {
  str: string;
  transform: number[];
  width: number;
  hasEOL: boolean;
}

/** Text runs of a page in page space (top-left origin, points), in content-stream order. */
export async function pageTextRuns(page: PDFPageProxy): Promise<TextRun[]> {
  const viewport = page.getViewport({ scale: 1 });
  const content = await page.getTextContent();
  const runs: TextRun[] = [];
  for (const item of content.items) {
    if (!('str' in item)) continue;
    const textItem = item as PdfTextItem;
    const { box, size } = textItemBox(textItem.transform as Matrix, textItem.width, viewport.transform as Matrix);
    if (!box.every(Number.isFinite)) continue;
    runs.push({ text: textItem.str, box, size, endsLine: textItem.hasEOL });
  }
  return runs;
}

export interface ThumbnailOptions {
  maxSide: number;
  maxPixels: number;
}

/** Renders the page so its longer side is `maxSide` pixels and encodes it as PNG with sharp. */
export async function renderThumbnail(
  doc: PDFDocumentProxy,
  page: PDFPageProxy,
  options: ThumbnailOptions,
): Promise<Buffer> {
  const base = page.getViewport({ scale: 1 });
  const scale = options.maxSide / Math.max(base.width, base.height, 1);
  const viewport = page.getViewport({ scale });
  const width = Math.max(1, Math.round(viewport.width));
  const height = Math.max(1, Math.round(viewport.height));
  if (width * height > options.maxPixels) {
    throw new PdfInputError('too_large', `Page ${page.pageNumber} would render to ${width}×${height} pixels.`);
  }
  // Canvases must come from pdf.js's own factory: a second copy of @napi-rs/canvas crashes.
  const factory = (doc as unknown as { canvasFactory: CanvasFactory }).canvasFactory;
  const { canvas, context } = factory.create(width, height);
  try {
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, width, height);
    await page.render({ canvas: canvas as never, canvasContext: context as never, viewport }).promise;
    const pixels = context.getImageData(0, 0, width, height).data;
    return await sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), {
      raw: { width, height, channels: 4 },
      limitInputPixels: options.maxPixels,
    })
      .removeAlpha()
      .png({ compressionLevel: 6 })
      .toBuffer();
  } finally {
    factory.destroy({ canvas, context });
  }
}

interface CanvasLike {
  width: number;
  height: number;
}
interface ContextLike {
  fillStyle: string;
  fillRect(x: number, y: number, w: number, h: number): void;
  getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
}
interface CanvasFactory {
  create(width: number, height: number): { canvas: CanvasLike; context: ContextLike };
  destroy(pair: { canvas: CanvasLike; context: ContextLike }): void;
}

export interface ExtractedPage {
  page: number;
  width: number;
  height: number;
  paragraphs: Paragraph[];
  thumbnailPng: Buffer | null;
  /** Why the thumbnail is missing, when rendering failed but text survived. */
  renderError: string | null;
}

/** Extracts one page: layout paragraphs and a thumbnail. Frees the page's resources after. */
export async function extractPage(
  doc: PDFDocumentProxy,
  pageNumber: number,
  thumbnail: ThumbnailOptions,
): Promise<ExtractedPage> {
  const page = await doc.getPage(pageNumber);
  try {
    const viewport = page.getViewport({ scale: 1 });
    const paragraphs = layoutParagraphs(await pageTextRuns(page), pageNumber);
    let thumbnailPng: Buffer | null = null;
    let renderError: string | null = null;
    try {
      thumbnailPng = await renderThumbnail(doc, page, thumbnail);
    } catch (error) {
      // A page that will not render still has its text; keep the text and say why.
      renderError = (error as Error)?.message ?? String(error);
    }
    return { page: pageNumber, width: viewport.width, height: viewport.height, paragraphs, thumbnailPng, renderError };
  } finally {
    page.cleanup();
  }
}
