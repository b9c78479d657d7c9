/**
 * Opening PDFs with pdf.js and reading one page: text runs in page space and a thumbnail.
 * Failures that belong to the file (corrupt, encrypted, too large) become `PdfInputError`s
 * with a readable reason, so the caller can fail the document without retrying.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Paragraph } from '../types.ts';
import type { CropPlan } from '../../models/layout/anyres.ts';
import { layoutParagraphs, type Matrix, type TextRun, textItemBox } from './layout.ts';
import { cropRegion } from './crop.ts';
import { type Figure, findPageFigures } from './figures.ts';
import { fontWeightLookup } from './font-weight.ts';
import { needsOcr, ocrPageRuns } from './ocr-page.ts';
import { getDocument, type PDFDocumentProxy, type PDFPageProxy } from './pdfjs.ts';
import { type PageImages, renderPageImages } from './page-images.ts';

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
  const task = getDocument({
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

export interface ThumbnailOptions {
  maxSide: number;
  maxPixels: number;
  /** Tile side of the AnyRes crop plan (0: no crops). */
  tile: number;
  /** OCR of pages without a usable text layer. */
  ocr?: { enabled: boolean; dpi: number };
}

/** Figure crops are stored at this resolution (full resolution for a reader, 150 dpi). */
const FIGURE_DPI = 150;

/**
 * What a page yields, whichever side of the thread boundary holds it: the extraction thread,
 * its message, and the page handed to the activity (images as bytes).
 */
export interface PageContent {
  page: number;
  width: number;
  height: number;
  paragraphs: Paragraph[];
  thumbnailPng: Uint8Array | null;
  cropPlan: CropPlan | null;
  /** [visual thumbnail, tiles…] of the crop plan. */
  cropPngs: Uint8Array[];
  /** Full-resolution crops of the page's figure units, by unit index. */
  figureCrops: { index: number; png: Uint8Array }[];
  /** The text came from OCR (no usable text layer). */
  ocr: boolean;
}

export interface ExtractedPage extends PageContent {
  /** Why the thumbnail (or a figure crop) is missing, when rendering failed but text survived. */
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
    // Figures: raster images and clustered vector drawing. A page whose operators cannot be
    // read keeps its text; the failure is reported with the page. Built before the text runs,
    // because the operator list is what loads the fonts whose names say which runs are bold.
    let figures: Figure[] = [];
    let figureError: string | null = null;
    try {
      figures = (await findPageFigures(page)).figures;
    } catch (error) {
      figureError = (error as Error)?.message ?? String(error);
    }
    let runs = await pageTextRuns(page);
    let ocr = false;
    if (thumbnail.ocr?.enabled && needsOcr(runs)) {
      const read = await ocrPageRuns(doc, page, { ...thumbnail.ocr, maxPixels: thumbnail.maxPixels });
      if (read) {
        runs = read;
        ocr = true;
      }
    }
    const paragraphs = layoutParagraphs(runs, pageNumber, figures);
    const figureCrops: { index: number; png: Buffer }[] = [];
    if (thumbnail.maxSide > 0) {
      for (const unit of paragraphs) {
        if (unit.kind !== 'figure') continue;
        try {
          figureCrops.push({ index: unit.index, png: (await cropRegion(doc, page, unit.bbox, { dpi: FIGURE_DPI, maxPixels: thumbnail.maxPixels })).png });
        } catch (error) {
          figureError ??= `figure crop: ${(error as Error)?.message ?? String(error)}`;
        }
      }
    }
    let images: PageImages | null = null;
    let renderError: string | null = null;
    try {
      // maxSide 0: text only (layout benchmarks, text-only ingestion).
      if (thumbnail.maxSide > 0) images = await renderPageImages(doc, page, { thumbnailMaxSide: thumbnail.maxSide, maxPixels: thumbnail.maxPixels, tile: thumbnail.tile });
    } catch (error) {
      // A page that will not render still has its text; keep the text and say why.
      renderError = (error as Error)?.message ?? String(error);
    }
    return {
      page: pageNumber,
      width: viewport.width,
      height: viewport.height,
      paragraphs,
      thumbnailPng: images?.thumbnailPng ?? null,
      cropPlan: images?.plan ?? null,
      cropPngs: images?.cropPngs ?? [],
      figureCrops,
      ocr,
      renderError: renderError ?? figureError,
    };
  } finally {
    page.cleanup();
  }
}
