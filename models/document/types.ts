/** Folio's document model: the shapes that cross module boundaries. */

/** `[x0, y0, x1, y1]` in PDF points, origin at the top-left corner of the page. */
export type Box = [number, number, number, number];

/** What a unit is, decided by the document-level structure pass. */
export type UnitKind = 'text' | 'heading' | 'caption' | 'list' | 'table' | 'figure' | 'header' | 'footer';

/** A paragraph as extracted from one page, in reading order. */
export interface Paragraph {
  page: number;
  /** Reading-order index on its page, from 0. */
  index: number;
  bbox: Box;
  text: string;
  /** Font size (points) most of its characters are set in. */
  size?: number;
  /** Number of lines. */
  lines?: number;
  /** Set in a bold face throughout (from the font's name); a heading cue when the size is not. */
  bold?: boolean;
  kind?: UnitKind;
  /** Heading level, for headings. */
  level?: number | null;
  /** Titles of the enclosing headings, outermost first. */
  section?: string[];
  /** For tables: cell texts, row by row. */
  cells?: string[][];
  /** For tables and figures: the linked caption's text. */
  caption?: string | null;
  /** For figures: blob key of the full-resolution crop. */
  imageKey?: string | null;
  /** For figures: sentences elsewhere in the document that refer to it ("as Figure 3 shows"). */
  references?: string[];
}

export interface Citation {
  page: number;
  bbox: Box;
  quote: string;
}
