/**
 * Numbers as filings and answers print them: "$10,495", "$ (1,197)", "37.8%", "1.60", "−3.2",
 * "2.5 billion". Parentheses mean a negative amount (the accounting convention); "$" and "%"
 * belong to the number. Pure functions, shared by the reader (formatting its answers) and the
 * evaluation (reading gold and predicted answers).
 */

export interface PrintedNumber {
  value: number;
  /** Printed with "%" (or "percent"). */
  percent: boolean;
  /** Printed with a currency sign. */
  currency: boolean;
  /** Digits after the decimal point, as printed ("1.60" → 2). */
  decimals: number;
  /** The characters the number was read from. */
  text: string;
}

const SCALE_WORDS: Record<string, number> = { thousand: 1e3, million: 1e6, billion: 1e9, trillion: 1e12 };

// An optional "(" or minus, an optional currency sign, digits with thousands commas or a
// decimal point, an optional closing ")", "%" or a scale word. Digits inside a word ("10-K",
// "Q2") are not numbers of their own: no letter may touch either end.
const NUMBER =
  /(?<![\p{L}\p{N}.])(\()?\s*([-−–])?\s*([$€£¥])?\s*(\()?\s*(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\d\p{L}]|-\p{L})\s*(\))?\s*(%|percent\b|(?:thousand|million|billion|trillion)\b)?/giu;

/** Every number printed in `text`, in order. */
export function printedNumbers(text: string): PrintedNumber[] {
  const out: PrintedNumber[] = [];
  for (const match of text.matchAll(NUMBER)) {
    const [whole, openBefore, minus, currency, openAfter, integer, fraction, close, suffix] = match;
    const open = openBefore ?? openAfter;
    let value = Number(integer.replaceAll(',', '') + (fraction ?? ''));
    if (!Number.isFinite(value)) continue;
    const suffixWord = suffix?.toLowerCase();
    const percent = suffixWord === '%' || suffixWord === 'percent';
    if (suffixWord && SCALE_WORDS[suffixWord]) value *= SCALE_WORDS[suffixWord];
    // "(1,197)" is −1197; a lone "(" before a number that never closes is punctuation.
    const negative = Boolean(minus) || Boolean(open && close);
    out.push({ value: negative ? -value : value, percent, currency: Boolean(currency), decimals: fraction ? fraction.length - 1 : 0, text: whole.trim() });
  }
  return out;
}

/** The first number printed in `text`, or null. */
export function firstNumber(text: string): PrintedNumber | null {
  return printedNumbers(text)[0] ?? null;
}

/**
 * The whole text is one number, perhaps with a currency sign, "%" and surrounding spaces
 * ("$10,495", "37.8%", "(1,197)"): the shape of a numeric gold answer. Null otherwise
 * ("Approximately 137,000 employees" is text with a number in it).
 */
export function wholeNumber(text: string): PrintedNumber | null {
  const numbers = printedNumbers(text);
  if (numbers.length !== 1) return null;
  const rest = text.replace(numbers[0].text, '').trim();
  return rest === '' ? numbers[0] : null;
}

/** Decimal places a question asks its answer rounded to ("round to one decimal place" → 1), or null. */
export function statedDecimals(question: string): number | null {
  const match = /\bround(?:ed)?\s+(?:it\s+|the\s+answer\s+|your\s+answer\s+)?to\s+(?:the\s+nearest\s+)?(\w+)\s+(?:decimal\s+(?:place|point)s?|digits?\s+after)/i.exec(question);
  if (!match) {
    if (/\bround(?:ed)?\s+to\s+(?:the\s+nearest\s+)?(?:whole\s+number|integer)\b/i.test(question)) return 0;
    return null;
  }
  const word = match[1].toLowerCase();
  const words: Record<string, number> = { zero: 0, one: 1, two: 2, three: 3, four: 4 };
  if (word in words) return words[word];
  const n = Number(word);
  return Number.isInteger(n) ? n : null;
}
