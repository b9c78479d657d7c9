/**
 * The period of a statement column, read from the words of its header ("Year Ended December
 * 31," over "2019"; "Three Months Ended June 30, 2023"; "May 31, 2018"). A header that names a
 * length ("year ended", "three months ended") is a period of that many months; a header that is
 * only a date (a balance sheet's column) is a point in time.
 */
import type { Period } from '../document/types.ts';

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const MONTH_WORD = /\b(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?\s+(\d{1,2})\b/i;
const YEAR = /\b(19[5-9]\d|20\d\d)\b/g;
const LENGTHS: [RegExp, number][] = [
  [/\b(three|3)[\s-]+months?\b|\bquarters?\s+ended\b|\bquarterly\b/i, 3],
  [/\b(six|6)[\s-]+months?\b|\bhalf[\s-]+year\b/i, 6],
  [/\b(nine|9)[\s-]+months?\b/i, 9],
  [/\b(twelve|12)[\s-]+months?\b|\byears?\b|\bfiscal\b|\bannual\b|\bFY\b/i, 12],
];
const QUARTER = /\b(?:q([1-4])|(first|second|third|fourth)\s+quarter)\b/i;
const ORDINALS: Record<string, number> = { first: 1, second: 2, third: 3, fourth: 4 };

function monthIndex(word: string): number {
  const w = word.toLowerCase().replace('.', '');
  return MONTHS.findIndex((m) => m.startsWith(w.slice(0, 3)));
}

/** The period a column header names, or null when it names no year. */
export function periodOfHeader(header: string): Period | null {
  const text = header.replace(/\s+/g, ' ').trim();
  const years = [...text.matchAll(YEAR)].map((m) => Number(m[1]));
  if (years.length === 0) return null;
  // The column's own year is the last one printed (the spanning words come first).
  const year = years[years.length - 1];
  let months: number | null = null;
  for (const [pattern, length] of LENGTHS) {
    if (pattern.test(text)) {
      months = length;
      break;
    }
  }
  const quarterMatch = QUARTER.exec(text);
  const quarter = quarterMatch ? (quarterMatch[1] ? Number(quarterMatch[1]) : ORDINALS[quarterMatch[2].toLowerCase()]) : null;
  if (quarter !== null && months === null) months = 3;
  const date = MONTH_WORD.exec(text);
  let end: string | null = null;
  if (date) {
    const month = monthIndex(date[1]);
    const day = Number(date[2]);
    if (month >= 0 && day >= 1 && day <= 31) end = `${year}-${String(month + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  }
  // Only a date and no length: a balance taken at that date. A bare year is a fiscal year.
  if (months === null && !date) months = 12;
  return { year, quarter, months, end, label: text };
}
