/** Opening PDFs with pdf.js, and what a document says of itself before any page is read. */
import { createRequire } from 'node:module';
import path from 'node:path';
import { describeOpenError, PdfInputError } from './errors.ts';
import { getDocument, type PDFDocumentProxy } from './pdfjs.ts';

const require = createRequire(import.meta.url);
const pdfjsRoot = path.dirname(require.resolve('pdfjs-dist/package.json'));
const assetDir = (name: string) => `${path.join(pdfjsRoot, name)}${path.sep}`;

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
