/**
 * The periods a question names: "FY2019", "fiscal 2018", "fiscal year 2023", "in 2019",
 * "the second quarter of 2023", "Q2 2023", "the quarter ended June 30, 2023", "as of
 * December 31, 2018". A statement column matches a named period when its fiscal year agrees
 * and, for a quarter, its quarter (or a three-month period ending in that quarter's months).
 */
import type { Period } from '../document/types.ts';

export interface NamedPeriod {
  year: number;
  /** 1–4 when the question names a quarter, else null. */
  quarter: number | null;
  /** Character range of the words that named it in the text. */
  start: number;
  end: number;
}

const ORDINAL: Record<string, number> = { first: 1, second: 2, third: 3, fourth: 4, '1st': 1, '2nd': 2, '3rd': 3, '4th': 4 };
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const MONTH = `(${MONTHS.join('|')}|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\\.?`;

const PATTERNS: { re: RegExp; read: (m: RegExpExecArray) => { year: number; quarter: number | null } }[] = [
  // "the second quarter of 2023", "fourth quarter of fiscal 2023", "Q2 2023", "Q2 FY2023", "2Q23"
  { re: /\b(first|second|third|fourth|1st|2nd|3rd|4th)\s+(?:fiscal\s+)?quarter\s+(?:of\s+)?(?:fiscal\s+(?:year\s+)?|fy\s*)?((?:19|20)\d\d)\b/gi, read: (m) => ({ year: Number(m[2]), quarter: ORDINAL[m[1].toLowerCase()] }) },
  { re: /\bq([1-4])\s*(?:of\s+)?(?:fiscal\s+|fy\s*)?((?:19|20)\d\d)\b/gi, read: (m) => ({ year: Number(m[2]), quarter: Number(m[1]) }) },
  // "the quarter ended June 30, 2023", "three months ended March 31, 2020": the quarter its end month closes
  {
    re: new RegExp(`\\b(?:quarter|three\\s+months)\\s+end(?:ed|ing)\\s+${MONTH}\\s+\\d{1,2},?\\s+((?:19|20)\\d\\d)\\b`, 'gi'),
    read: (m) => ({ year: Number(m[2]), quarter: Math.floor(monthIndex(m[1]) / 3) + 1 }),
  },
  // "FY2019", "FY 2019", "FY19", "fiscal 2018", "fiscal year 2018", "year ended December 31, 2015", "as of May 31, 2023", "in 2019"
  { re: /\bfy\s*'?((?:19|20)?\d\d)\b/gi, read: (m) => ({ year: fullYear(m[1]), quarter: null }) },
  { re: /\bfiscal\s+(?:year\s+)?((?:19|20)\d\d)\b/gi, read: (m) => ({ year: Number(m[1]), quarter: null }) },
  { re: new RegExp(`\\b${MONTH}\\s+\\d{1,2},?\\s+((?:19|20)\\d\\d)\\b`, 'gi'), read: (m) => ({ year: Number(m[2]), quarter: null }) },
  { re: /\b((?:19|20)\d\d)\b/g, read: (m) => ({ year: Number(m[1]), quarter: null }) },
];

function monthIndex(name: string): number {
  const lower = name.toLowerCase().replace('.', '');
  return MONTHS.findIndex((month) => month.startsWith(lower.slice(0, 3)));
}

function fullYear(text: string): number {
  const n = Number(text);
  return text.length === 2 ? 2000 + n : n;
}

/**
 * The periods named in `text`, left to right; a phrase already read as one period is not read
 * again by a shorter pattern ("fiscal year 2023 (ended May 31, 2023)" names 2023 twice, once
 * per phrase, and both are returned).
 */
export function namedPeriods(text: string): NamedPeriod[] {
  const taken = new Uint8Array(text.length);
  const found: NamedPeriod[] = [];
  for (const { re, read } of PATTERNS) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const start = m.index;
      const end = start + m[0].length;
      let free = true;
      for (let i = start; i < end && free; i++) free = taken[i] === 0;
      if (!free) continue;
      taken.fill(1, start, end);
      found.push({ ...read(m), start, end });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

/** The text with its period phrases blanked out (the words left name the line item). */
export function withoutPeriods(text: string, periods: readonly NamedPeriod[] = namedPeriods(text)): string {
  let out = text;
  for (const period of [...periods].sort((a, b) => b.start - a.start)) out = `${out.slice(0, period.start)} ${out.slice(period.end)}`;
  return out;
}

/** The period most of the question is about: the first quarter named, else the first year. */
export function mainPeriod(periods: readonly NamedPeriod[]): NamedPeriod | null {
  return periods.find((period) => period.quarter !== null) ?? periods[0] ?? null;
}

/**
 * Whether a column's period is the one named. A year matches a twelve-month column or a point
 * in time (a balance sheet date) of that fiscal year, not a quarter or half; a quarter matches
 * a column of that quarter, or a three-month column ending in one of its months.
 */
export function periodMatches(column: Period | null, named: { year: number; quarter: number | null }): boolean {
  if (!column || column.year !== named.year) return false;
  if (named.quarter === null) return column.quarter === null && (column.months === null || column.months === 12);
  if (column.quarter !== null) return column.quarter === named.quarter;
  if (column.months !== 3 || !column.end) return false;
  const month = Number(column.end.slice(5, 7));
  return Math.floor((month - 1) / 3) + 1 === named.quarter;
}
