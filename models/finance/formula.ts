/**
 * Metrics a question defines ("Gross margin percentage is defined as gross margin / total net
 * sales", "Define D&A as depreciation plus amortization of intangible assets", "(FY2023 total
 * revenues - FY2022 total revenues) / FY2022 total revenues") parsed into an expression over
 * line items and numbers. Line items are phrases; each may name its own period ("FY2022 total
 * revenues") and carry a gloss in parentheses ("capital expenditure (purchases of property and
 * equipment)"), another name for the same row. A parenthesised group is a sub-expression only
 * when it holds an operator between two operands; "(less current portion)" is a gloss.
 * Evaluation takes a resolver from line item to value, so this module knows no tables.
 */
import { type NamedPeriod, namedPeriods, withoutPeriods } from './periods.ts';

export type Expr =
  | { kind: 'number'; value: number; text: string }
  | { kind: 'item'; name: string; glosses: string[]; period: NamedPeriod | null }
  | { kind: 'op'; op: '+' | '-' | '*' | '/'; left: Expr; right: Expr; grouped?: boolean };

export interface Definition {
  /** What is defined ("Gross margin percentage"), or null for "define it as". */
  name: string | null;
  /** The expression text as the question wrote it. */
  text: string;
  expr: Expr;
}

type Token = { kind: 'op'; op: '+' | '-' | '*' | '/' } | { kind: 'open' } | { kind: 'close' } | { kind: 'words'; text: string } | { kind: 'number'; value: number; text: string };

const WORD_OPS: [RegExp, '+' | '-' | '*' | '/'][] = [
  [/^plus$/i, '+'],
  [/^(minus|less)$/i, '-'],
  [/^(times)$/i, '*'],
];

/** Splits an expression into operators, parentheses, numbers and runs of words. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  // Symbols stand alone; a hyphen inside a word ("long-term") is part of the word.
  const parts = text
    .replace(/divided\s+by/gi, ' / ')
    .replace(/multiplied\s+by/gi, ' * ')
    .replace(/([×*/÷+−()])/g, ' $1 ')
    .replace(/(^|\s)-(\s|$)/g, ' - ')
    .split(/\s+/)
    .filter(Boolean);
  let words: string[] = [];
  const flush = () => {
    if (words.length) tokens.push({ kind: 'words', text: words.join(' ') });
    words = [];
  };
  for (const part of parts) {
    const symbol = { '+': '+', '-': '-', '−': '-', '*': '*', '×': '*', '/': '/', '÷': '/' }[part] as '+' | '-' | '*' | '/' | undefined;
    const wordOp = WORD_OPS.find(([re]) => re.test(part))?.[1];
    if (symbol || wordOp) {
      flush();
      tokens.push({ kind: 'op', op: (symbol ?? wordOp) as '+' | '-' | '*' | '/' });
    } else if (part === '(') {
      flush();
      tokens.push({ kind: 'open' });
    } else if (part === ')') {
      flush();
      tokens.push({ kind: 'close' });
    } else if (/^\d[\d,]*(\.\d+)?%?$/.test(part) && words.length === 0) {
      tokens.push({ kind: 'number', value: Number(part.replace(/[,%]/g, '')), text: part });
    } else {
      words.push(part);
    }
  }
  flush();
  // A number right before words is part of the operand ("2018 net income"): an operand is
  // never two terms without an operator between them.
  const merged: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const next = tokens[i + 1];
    if (t.kind === 'number' && next?.kind === 'words') {
      merged.push({ kind: 'words', text: `${t.text} ${next.text}` });
      i++;
    } else merged.push(t);
  }
  return merged;
}

/** Leading articles and possessives do not name the row. */
function cleanName(text: string): string {
  return text
    .replace(/^(the|a|an|its|their|total of)\s+/i, '')
    .replace(/[,;:.]+$/, '')
    .trim();
}

function itemOf(text: string): Expr {
  const periods = namedPeriods(text);
  const distinct = periods.filter((p, i) => periods.findIndex((q) => q.year === p.year && q.quarter === p.quarter) === i);
  // "the average of total equity at December 31, 2018 and December 31, 2017" inside a formula:
  // the item in each period, averaged.
  if (/\baverage\b/i.test(text) && distinct.length >= 2) {
    const name = itemWords(text, periods);
    const [a, b] = distinct;
    return { kind: 'op', op: '/', left: { kind: 'op', op: '+', left: item(name, a), right: item(name, b), grouped: true }, right: { kind: 'number', value: 2, text: '2' }, grouped: true };
  }
  const name = cleanName(withoutPeriods(text, periods).replace(/\s+/g, ' ').trim());
  return { kind: 'item', name, glosses: [], period: periods[0] ?? null };
}

/** A parenthesised run is a sub-expression when an operator stands between two operands in it. */
function isGroup(tokens: readonly Token[], open: number, close: number): boolean {
  let depth = 0;
  for (let i = open + 1; i < close; i++) {
    const t = tokens[i];
    if (t.kind === 'open') depth++;
    else if (t.kind === 'close') depth--;
    else if (t.kind === 'op' && depth === 0 && i > open + 1 && i < close - 1) return true;
  }
  return false;
}

function matchingClose(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i].kind === 'open') depth++;
    else if (tokens[i].kind === 'close' && --depth === 0) return i;
  }
  return -1;
}

/** Gloss text of a parenthesised run that is not a group, as the words inside it. */
function glossText(tokens: readonly Token[], open: number, close: number): string {
  return tokens
    .slice(open + 1, close)
    .map((t) => (t.kind === 'words' ? t.text : t.kind === 'number' ? t.text : t.kind === 'op' ? { '+': 'plus', '-': 'less', '*': 'times', '/': 'per' }[t.op] : ''))
    .join(' ')
    .trim();
}

/** Recursive-descent parse: sums of products of factors. Throws with the reason on bad input. */
export function parseExpression(text: string): Expr {
  const tokens = tokenize(text);
  let at = 0;
  const peek = () => tokens[at];

  function factor(): Expr {
    const t = peek();
    if (!t) throw new Error(`the expression "${text}" ends where an operand was expected`);
    if (t.kind === 'number') {
      at++;
      return { kind: 'number', value: t.value, text: t.text };
    }
    if (t.kind === 'open') {
      const close = matchingClose(tokens, at);
      if (close < 0) throw new Error(`the expression "${text}" has an unclosed parenthesis`);
      at++;
      const inner = sum();
      if (peek()?.kind !== 'close') throw new Error(`the expression "${text}" has an unbalanced parenthesis`);
      at++;
      return inner.kind === 'op' ? { ...inner, grouped: true } : inner;
    }
    if (t.kind === 'words') {
      at++;
      const item = itemOf(t.text);
      // Glosses right after an operand: "(purchases of property and equipment)".
      while (peek()?.kind === 'open') {
        const close = matchingClose(tokens, at);
        if (close < 0 || isGroup(tokens, at, close)) break;
        if (item.kind === 'item') item.glosses.push(glossText(tokens, at, close));
        at = close + 1;
        // Words after a gloss still belong to the same operand ("revenue (net) in 2019").
        const next = peek();
        if (next?.kind === 'words' && item.kind === 'item') {
          const more = itemOf(next.text);
          if (more.kind === 'item') {
            item.name = `${item.name} ${more.name}`.trim();
            item.period ??= more.period;
          }
          at++;
        }
      }
      return item;
    }
    throw new Error(`the expression "${text}" has an operator where an operand was expected`);
  }

  function product(): Expr {
    let left = factor();
    for (let t = peek(); t?.kind === 'op' && (t.op === '*' || t.op === '/'); t = peek()) {
      at++;
      left = { kind: 'op', op: t.op, left, right: factor() };
    }
    return left;
  }

  function sum(): Expr {
    let left = product();
    for (let t = peek(); t?.kind === 'op' && (t.op === '+' || t.op === '-'); t = peek()) {
      at++;
      left = { kind: 'op', op: t.op, left, right: product() };
    }
    return left;
  }

  const expr = sum();
  if (at < tokens.length) throw new Error(`the expression "${text}" has words the parser could not place after position ${at}`);
  return expr;
}

const DEFINITION = [
  // "<name> is defined as <expr>", "<name> is calculated as <expr>"
  /(?:^|[.?!]\s+)([^.?!]*?)\s+(?:is|are)\s+(?:defined|calculated|computed|measured)\s+as\s+([^?!]*?)(?=\.\s|\.$|[?!]|$)/i,
  // "Define <name> as <expr>", "Define it as <expr>"
  /(?:^|[.?!]\s+)define\s+([^.?!]*?)\s+as\s+([^?!]*?)(?=\.\s|\.$|[?!]|$)/i,
];

/**
 * A trailing qualifier says where to look, not what to compute: ", as reported in the cash
 * flow statement", ", using the income statement".
 */
function withoutQualifier(text: string): { expression: string; qualifier: string | null } {
  const match = /,\s*((?:as|based|using|according|from|per|in|on)\b.*)$/i.exec(text);
  return match ? { expression: text.slice(0, match.index).trim(), qualifier: match[1] } : { expression: text.trim(), qualifier: null };
}

/** The metric a question defines, parsed; null when it defines none or its expression does not parse. */
export function questionDefinition(question: string): (Definition & { qualifier: string | null }) | null {
  for (const re of DEFINITION) {
    const match = re.exec(question);
    if (!match) continue;
    const { expression, qualifier } = withoutQualifier(match[2]);
    try {
      const name = /^(it|this|that)$/i.test(match[1].trim()) ? null : match[1].trim();
      return { name, text: expression, expr: parseExpression(expression), qualifier };
    } catch {
      return null;
    }
  }
  return null;
}

/** The line items an expression uses, left to right. */
export function itemsOf(expr: Expr): Extract<Expr, { kind: 'item' }>[] {
  if (expr.kind === 'item') return [expr];
  if (expr.kind === 'number') return [];
  return [...itemsOf(expr.left), ...itemsOf(expr.right)];
}

/** Evaluates with a value per item; null when an item has none or a division is by zero. */
export function evaluateExpression(expr: Expr, valueOfItem: (item: Extract<Expr, { kind: 'item' }>) => number | null): number | null {
  if (expr.kind === 'number') return expr.value;
  if (expr.kind === 'item') return valueOfItem(expr);
  const left = evaluateExpression(expr.left, valueOfItem);
  const right = evaluateExpression(expr.right, valueOfItem);
  if (left === null || right === null) return null;
  switch (expr.op) {
    case '+':
      return left + right;
    case '-':
      return left - right;
    case '*':
      return left * right;
    case '/':
      return right === 0 ? null : left / right;
  }
}

/** The expression written out, each item replaced by `show(item)` (its name, or its value). */
export function render(expr: Expr, show: (item: Extract<Expr, { kind: 'item' }>) => string): string {
  if (expr.kind === 'number') return expr.text;
  if (expr.kind === 'item') return show(expr);
  const symbol = { '+': '+', '-': '−', '*': '×', '/': '/' }[expr.op];
  const text = `${render(expr.left, show)} ${symbol} ${render(expr.right, show)}`;
  return expr.grouped ? `(${text})` : text;
}

export interface TemplateMetric {
  expr: Expr;
  /** The result is a percentage. */
  percent: boolean;
  /** Which wording it was read from ("average", "change", "growth", "share"). */
  form: 'average' | 'change' | 'growth' | 'share';
}

const item = (name: string, period: NamedPeriod | null): Item => ({ kind: 'item', name: name.trim(), glosses: [], period });
type Item = Extract<Expr, { kind: 'item' }>;

/** The line item's words: the text without its periods (and the words joining them) and the template's own words. */
function itemWords(text: string, periods: readonly NamedPeriod[]): string {
  let marked = text;
  for (const period of [...periods].sort((a, b) => b.start - a.start)) marked = `${marked.slice(0, period.start)} § ${marked.slice(period.end)}`;
  return cleanName(
    marked
      .replace(/\b(?:in|for|from|to|between|and|of|during|at|on|as of)\s+(?:fiscal\s+(?:year\s+)?)?§/gi, ' ')
      .replace(/§/g, ' ')
      .replace(/\b(?:average|change|increase|decrease|growth)\s+(?:in|of)\b/gi, ' ')
      .replace(/\b(what|was|were|is|the|of|average|change|growth|increase|decrease|year[- ]over[- ]year|percent(age)?|rate|how much|did|by)\b/gi, ' ')
      .replace(/[?.,]/g, ' ')
      .replace(/\s+/g, ' '),
  );
}

/**
 * Metrics a question asks for in words instead of a formula:
 *  - "the average of <item> in P1 and P2" → (item@P1 + item@P2) / 2;
 *  - "the change in <item> from P1 to P2" → item@P2 − item@P1 ("percent change": over item@P1, in %);
 *  - "<item> growth in P" → (item@P − item@P−1) / item@P−1, in % (from P1 to P2 when two are named);
 *  - "<item> as a % of <base>" → item / base × 100, both in the question's period.
 * Null when the question has none of these forms (or too few periods for it).
 */
export function templateMetric(question: string): TemplateMetric | null {
  // "Why did revenue increase from 2018 to 2019?" asks for a reason, not a number.
  if (/^\s*(why|how (did|does|do|has|have)|explain|describe|what (caused|drove))\b/i.test(question)) return null;
  const periods = namedPeriods(question).filter((p, i, all) => all.findIndex((q) => q.year === p.year && q.quarter === p.quarter) === i);
  const byTime = [...periods].sort((a, b) => a.year - b.year || (a.quarter ?? 0) - (b.quarter ?? 0));
  const share = /^(.*?)\bas\s+a\s+(?:%|percent(?:age)?)\s+of\s+(?:the\s+)?(?:total\s+)?([^?.,]+)/i.exec(question);
  if (share && periods.length >= 1) {
    const period = periods[0];
    return { form: 'share', percent: true, expr: { kind: 'op', op: '*', left: { kind: 'op', op: '/', left: item(itemWords(share[1], namedPeriods(share[1])), period), right: item(itemWords(share[2], namedPeriods(share[2])), period) }, right: { kind: 'number', value: 100, text: '100' } } };
  }
  const name = itemWords(question, periods);
  if (!name) return null;
  if (/\baverage\b/i.test(question) && byTime.length >= 2) {
    const [a, b] = byTime;
    return { form: 'average', percent: false, expr: { kind: 'op', op: '/', left: { kind: 'op', op: '+', left: item(name, a), right: item(name, b), grouped: true }, right: { kind: 'number', value: 2, text: '2' } } };
  }
  const percentChange = /\b(percent(age)?|%)\s+(change|increase|decrease)\b/i.test(question);
  if (/\b(change|increase|decrease)\b/i.test(question) && byTime.length >= 2 && !/\bgrowth\b/i.test(question)) {
    const [from, to] = [byTime[0], byTime[byTime.length - 1]];
    const difference: Expr = { kind: 'op', op: '-', left: item(name, to), right: item(name, from), grouped: percentChange };
    return percentChange
      ? { form: 'change', percent: true, expr: { kind: 'op', op: '/', left: difference, right: item(name, from) } }
      : { form: 'change', percent: false, expr: difference };
  }
  if (/\bgrowth\b/i.test(question) && byTime.length >= 1) {
    const to = byTime[byTime.length - 1];
    const from = byTime.length >= 2 ? byTime[0] : { ...to, year: to.quarter ? to.year - 1 : to.year - 1, start: -1, end: -1 };
    return { form: 'growth', percent: true, expr: { kind: 'op', op: '/', left: { kind: 'op', op: '-', left: item(name, to), right: item(name, from), grouped: true }, right: item(name, from) } };
  }
  return null;
}
