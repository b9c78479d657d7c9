/**
 * Figure and table labels ("Figure 15.2", "Fig. 3", "Table 2", "Listing 1"). A question that
 * names a label is asking about that figure or table, and the unit that *is* its caption (a
 * paragraph that starts with the label) is the surest way in.
 */

const KINDS: Record<string, string> = {
  figure: 'figure',
  figures: 'figure',
  fig: 'figure',
  figs: 'figure',
  table: 'table',
  tables: 'table',
  tab: 'table',
  listing: 'listing',
  algorithm: 'algorithm',
  chart: 'chart',
  plate: 'plate',
  exhibit: 'exhibit',
};

const LABEL = /\b(figures?|figs?|tables?|tab|listing|algorithm|chart|plate|exhibit)\.?\s*(\d+(?:[.-]\d+)*[a-z]?)\b/gi;
const CAPTION_START = /^\s*(figure|fig|table|tab|listing|algorithm|chart|plate|exhibit)\.?\s*(\d+(?:[.-]\d+)*[a-z]?)\s*[:.|—–-]/i;

function normalise(kind: string, number: string): string {
  return `${KINDS[kind.toLowerCase()] ?? kind.toLowerCase()} ${number.toLowerCase().replace(/-/g, '.')}`;
}

/** Labels mentioned anywhere in the text, normalised ("figure 15.2"). */
export function referencedLabels(text: string): string[] {
  const labels = new Set<string>();
  for (const match of text.matchAll(LABEL)) labels.add(normalise(match[1], match[2]));
  return [...labels];
}

/** The label a caption paragraph starts with, or null when the text is not a caption. */
export function captionLabel(text: string): string | null {
  const match = CAPTION_START.exec(text);
  return match ? normalise(match[1], match[2]) : null;
}
