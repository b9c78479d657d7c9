/**
 * The unit and scale of a table's values, from the words printed with it: "(in millions,
 * except per share data)", "(In thousands)", "(Dollars in millions)", "$ in billions". Rows
 * whose label says "per share" keep the printed number as it is (dollars per share), and rows
 * of percentages are percentages, whatever the table's scale.
 */
import type { ValueUnit } from '../document/types.ts';

const SCALES: [RegExp, number][] = [
  [/\b(?:in|of)\s+(?:\w+\s+)?thousands\b|\(\s*(?:\$|dollars)?\s*000s?\s*\)|\bin\s+\$?\s*000s\b/i, 1e3],
  [/\b(?:in|of)\s+(?:\w+\s+)?millions\b|\$\s*in\s+millions\b/i, 1e6],
  [/\b(?:in|of)\s+(?:\w+\s+)?billions\b|\$\s*in\s+billions\b/i, 1e9],
];
const UNIT_WORDS = /\b(?:in|of)\s+(?:\w+\s+)?(?:thousands|millions|billions)\b[^)]*|\(\s*(?:\$|dollars)?\s*000s?\s*\)/i;

/** Whether the text names a scale ("in millions", "($000s)"). */
export function namesScale(text: string): boolean {
  return UNIT_WORDS.test(text);
}

/** The table's unit from the text printed above or with it; `money` says whether "$" appears in its cells. */
export function tableUnit(context: string, money: boolean): ValueUnit {
  const words = UNIT_WORDS.exec(context);
  // The first scale named is the table's ("in millions, except shares, which are in thousands").
  let scale = 1;
  let at = Infinity;
  for (const [pattern, value] of SCALES) {
    const match = pattern.exec(words?.[0] ?? '');
    if (match && match.index < at) {
      at = match.index;
      scale = value;
    }
  }
  const currency = money || /\b(?:us\s+)?dollars?\b/i.test(context) ? 'USD' : null;
  return { currency, scale, perShare: false, percent: false, source: words ? words[0].replace(/[)\s]+$/, '').trim() : null };
}

/** A row's own unit where it differs from the table's: per-share amounts and percentages. */
export function rowUnit(label: string, parents: readonly string[], cellTexts: readonly string[], table: ValueUnit): ValueUnit | null {
  if (cellTexts.length > 0 && cellTexts.every((text) => /%\s*\)?$/.test(text) || /^[—–-]+$/.test(text))) {
    return { currency: null, scale: 1, perShare: false, percent: true, source: '%' };
  }
  // A bare "Basic" or "Diluted" is named by the heading it sits under.
  const named = /[a-z]{3}.*\s\w{3}/i.test(label) ? label : (parents[parents.length - 1] ?? label);
  const shareCount = /^(?:weighted[- ]average\s+)?(?:number\s+of\s+)?(?:common\s+|ordinary\s+)?shares\b/i.test(named);
  if (!shareCount && /\bper\s+(?:common\s+|ordinary\s+)?share\b|\bper\s+(?:diluted|basic)\b|\bearnings\s+per\b|\bEPS\b/i.test(named)) {
    return { currency: table.currency ?? 'USD', scale: 1, perShare: true, percent: false, source: 'per share' };
  }
  if (shareCount && table.scale !== 1) {
    // Share counts are printed in the table's scale too ("in millions, except per share"), but are not money.
    return { currency: null, scale: table.scale, perShare: false, percent: false, source: table.source };
  }
  return null;
}
