/**
 * Whether a PDF font is a bold face, from what pdf.js knows of it after the page's operator
 * list was built (fonts reach `page.commonObjs` only then; text content alone does not load
 * them). PDF font names carry the weight: "Times-Bold", "ABCDEF+NimbusRomNo9L-Medi" (the bold of
 * Nimbus Roman), TeX's "CMBX10" (Computer Modern bold extended), "Arial,Bold", "Helvetica-Black".
 */
import type { PDFPageProxy } from '../pdfjs.ts';

const BOLD_NAME = /bold|black|heavy|semibold|demi|extrabold|ultrabold|-medi$|,b$|^cmbx|^cmb\d|^sfbx|^lmroman\d*-bold|^ptmb|^phvb/i;

/** The PostScript name without its subset tag ("ABCDEF+"). */
function baseName(name: string): string {
  return name.replace(/^[A-Z]{6}\+/, '');
}

export function isBoldFontName(name: string): boolean {
  return BOLD_NAME.test(baseName(name));
}

interface LoadedFont {
  name?: string;
  bold?: boolean;
  black?: boolean;
}

/** Bold-or-not by pdf.js font id ("g_d0_f3"), memoised per page; undefined when not loaded. */
export function fontWeightLookup(page: PDFPageProxy): (fontId: string) => boolean | undefined {
  const known = new Map<string, boolean | undefined>();
  const objs = page.commonObjs as unknown as { has(id: string): boolean; get(id: string): unknown };
  return (fontId) => {
    if (known.has(fontId)) return known.get(fontId);
    let bold: boolean | undefined;
    try {
      if (objs.has(fontId)) {
        const font = objs.get(fontId) as LoadedFont | null;
        if (font) bold = Boolean(font.bold || font.black || (font.name && isBoldFontName(font.name)));
      }
    } catch {
      bold = undefined;
    }
    known.set(fontId, bold);
    return bold;
  };
}
