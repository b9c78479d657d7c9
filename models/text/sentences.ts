/**
 * Sentences of a text, for the reader (best sentence, quotes) and for retrieval (windows of a
 * long paragraph): Intl's sentence breaks, except after a name's initial or a common
 * abbreviation.
 */
const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/** A sentence break after a name's initial ("John W. Eaton") or a common abbreviation is not one. */
const NOT_AN_END = /(?:^|[\s(])(?:\p{Lu}|e\.g|i\.e|et al|etc|vs|cf|resp|approx|no|vol|pp?|eq|sec|ch)\.$/iu;

/** The text's sentences, trimmed, in order. */
export function sentences(text: string): string[] {
  const out: string[] = [];
  let pending = '';
  for (const { segment } of segmenter.segment(text)) {
    pending += segment;
    const trimmed = pending.trim();
    if (!trimmed || NOT_AN_END.test(trimmed)) continue;
    out.push(trimmed);
    pending = '';
  }
  if (pending.trim()) out.push(pending.trim());
  return out;
}

