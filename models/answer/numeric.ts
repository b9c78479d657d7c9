/**
 * The numeric reader: answers a question about a line item and a period from statement
 * tables, as the cell's value with its unit, or computes a metric the question defines
 * ("X is defined as A / B") or the concept vocabulary knows (free cash flow, total debt,
 * margins) from the cells, citing every cell used. It says "not found", with the reason, when
 * rows for the item exist but none holds the asked period, when a derived measure lacks an
 * input, or when the unit asked for (a count) is not the rows' (money); and it abstains,
 * leaving the question to the sentence reader, when no row matches the question at all.
 *
 * Rows are matched by meaning and by words: a row label that prints a concept the item names
 * (models/finance/concepts.json), or whose words the item contains ("Americas" under
 * "Revenues" for "revenue in the Americas"); the heading rows above it, the table's title and
 * section break ties, so that "Greater China operating profit" takes the segment note's row
 * and a question naming one registrant of a two-registrant filing takes that registrant's
 * statement.
 */
import type { Box, StatementTable, TableCell, TableRow } from '../document/types.ts';
import { type Concept, findConcepts, financeVocabulary, labelFit, type Vocabulary } from '../finance/concepts.ts';
import { evaluateExpression, type Expr, itemsOf, parseExpression, questionDefinition, render, templateMetric } from '../finance/formula.ts';
import { statedDecimals } from '../finance/numbers.ts';
import { mainPeriod, type NamedPeriod, namedPeriods, periodMatches, withoutPeriods } from '../finance/periods.ts';
import { columnName, unitName } from '../retrieval/row-units.ts';
import { STOPWORDS, stem, terms, words } from '../text/tokenize.ts';
import { asksCount } from './shape.ts';

export interface TableCandidate {
  table: StatementTable;
  section?: string[];
  caption?: string | null;
  /** Position of the table's best row in the retrieval ranking, from 0. */
  rank: number;
  /**
   * False for a table retrieval did not rank for the question (the rest of the document): it
   * is read only when the ranked tables cannot answer, and to tell that a period is missing.
   */
  ranked?: boolean;
}

export interface UsedCell {
  page: number;
  box: Box;
  row: string;
  column: string;
  text: string;
  value: number;
  /** The value the computation used (an outflow as its magnitude). */
  used: number;
}

export type NumericResult =
  | { status: 'answer'; answer: string; value: number; unit: string; formula: string | null; filled: string; cells: UsedCell[] }
  | { status: 'not-found'; reason: string }
  | { status: 'abstain'; reason: string };

type Item = Extract<Expr, { kind: 'item' }>;

/** Words of a question that say how to answer, not what: they never name a row. */
const GENERIC = new Set(
  'fiscal year fy quarter usd dollar dollars million millions thousand thousands billion billions amount answer base round decimal place places percent percentage ratio define defined report reported consolidated company approximately value figure use statement statements own end ended ending'
    .split(' ')
    .map(stem),
);

function contentStems(text: string): Set<string> {
  const out = new Set<string>();
  for (const word of words(text)) {
    if (STOPWORDS.has(word) || /^\d/.test(word)) continue;
    const term = stem(word);
    if (!GENERIC.has(term)) out.add(term);
  }
  return out;
}

/** "not the Utility's", "rather than the LP's": words the question rules out. */
function withoutNegated(text: string): string {
  return text.replace(/\b(?:not|rather than|excluding|instead of|other than)\b[^.,;?]*/gi, ' ');
}

interface ItemQuery {
  terms: Set<string>;
  /** The item's words in order, stemmed, stopwords kept (`phraseOf`). */
  phrase: string;
  /**
   * How many of the item's words a row matched by words alone must print (label, headings,
   * title): two for an item read from the whole question, whose words say much besides the
   * line item; none for a formula's operand, which names only its row ("Debt" for "long-term debt"
   * under the long-term liabilities is right).
   */
  minCovered: number;
  concepts: Concept[];
  /** Question words around the item (entity, statement): they prefer a table, they do not match a row. */
  context: Set<string>;
  period: NamedPeriod | null;
  label: string;
}

interface RowMatch {
  candidate: TableCandidate;
  row: TableRow;
  score: number;
  explained: number;
  concept: Concept | null;
}

const MIN_EXPLAINED = 0.6;

/** A label's or item's words in order, stemmed, with stopwords and digits. */
const phraseOf = (text: string): string => terms(text).join(' ');

/** How well a row prints the item: its label by concept or by words, with its context as tie-breaks. */
/** Stems of a row's label and of its heading rows, computed once per row. */
const rowStems = new WeakMap<TableRow, { label: Set<string>; parents: Set<string> }>();

function stemsOfRow(row: TableRow): { label: Set<string>; parents: Set<string> } {
  let stems = rowStems.get(row);
  if (!stems) {
    stems = { label: contentStems(row.label), parents: contentStems(row.parents.join(' ')) };
    rowStems.set(row, stems);
  }
  return stems;
}

function matchRow(query: ItemQuery, candidate: TableCandidate, row: TableRow, titleTerms: Set<string>): RowMatch | null {
  if (row.heading || row.cells.length === 0) return null;
  const stems = stemsOfRow(row);
  let labelTerms = stems.label;
  const parentText = row.parents.join(' ');
  // A label of one word ("Total", "Americas", "Diluted") means what its heading row says.
  const short = labelTerms.size <= 1;
  if (short) labelTerms = new Set([...labelTerms, ...stems.parents]);
  if (labelTerms.size === 0) return null;
  let literal = 0;
  for (const term of labelTerms) if (query.terms.has(term)) literal++;
  literal /= labelTerms.size;
  let conceptFit = 0;
  let concept: Concept | null = null;
  for (const c of query.concepts) {
    const fit = short ? Math.max(labelFit(`${parentText} ${row.label}`, c), 0.7 * labelFit(row.label, c)) : labelFit(row.label, c);
    if (fit > conceptFit) {
      conceptFit = fit;
      concept = c;
    }
  }
  const explained = Math.max(literal, conceptFit);
  if (explained < MIN_EXPLAINED) return null;
  const around = (term: string) => labelTerms.has(term) || stems.parents.has(term) || titleTerms.has(term);
  let covered = 0;
  for (const term of query.terms) if (around(term)) covered++;
  const itemCovered = query.terms.size ? covered / query.terms.size : 0;
  // A row matched by words alone must say more of the item than one word: a one-word label
  // ("Utility" for the Utility's interruption index, "Equities" for shareholders' equity)
  // names something else.
  if (conceptFit < MIN_EXPLAINED && covered < query.minCovered) return null;
  let contextHits = 0;
  for (const term of query.context) if (around(term)) contextHits++;
  const contextFit = query.context.size ? contextHits / query.context.size : 0;
  // The label printed word for word as the item (stopwords included): "Provision for income
  // taxes" is not "Income before provision for income taxes", though their content words are one set.
  const verbatim = phraseOf(row.label) === query.phrase ? 0.05 : 0;
  const score = explained + 0.5 * itemCovered + 0.3 * contextFit + verbatim + 0.15 / (1 + candidate.rank);
  return { candidate, row, score, explained, concept };
}

const titleStems = new WeakMap<TableCandidate, Set<string>>();

function titleTermsOf(candidate: TableCandidate): Set<string> {
  let stems = titleStems.get(candidate);
  if (!stems) {
    stems = contentStems([candidate.table.title ?? '', candidate.caption ?? '', ...(candidate.section ?? [])].join(' '));
    titleStems.set(candidate, stems);
  }
  return stems;
}

/** The cell of a row in the named period, or null. */
function cellFor(table: StatementTable, row: TableRow, period: NamedPeriod): TableCell | null {
  return row.cells.find((cell) => cell.value !== null && periodMatches(table.columns[cell.column]?.period ?? null, period)) ?? null;
}

interface Resolved {
  match: RowMatch;
  cell: TableCell;
  /** The cell's value as the computation uses it (an outflow as its magnitude), in the printed unit. */
  used: number;
  /** What one printed unit of the row is worth (1e6 for "in millions"). */
  scale: number;
}

type Missing = { missing: 'row' } | { missing: 'period'; covered: string[]; label: string };
type Resolution = { resolved: Resolved } | Missing;

/** The best row and its cell for one item among the candidate tables (or within one table). */
function resolveItem(query: ItemQuery, candidates: readonly TableCandidate[], taken: ReadonlySet<TableCell> = new Set()): Resolution {
  if (!query.period) return { missing: 'row' };
  const matches: RowMatch[] = [];
  for (const candidate of candidates) {
    const titleTerms = titleTermsOf(candidate);
    for (const row of candidate.table.rows) {
      const match = matchRow(query, candidate, row, titleTerms);
      if (match) matches.push(match);
    }
  }
  if (matches.length === 0) return { missing: 'row' };
  matches.sort((a, b) => b.score - a.score);
  for (const match of matches) {
    const cell = cellFor(match.candidate.table, match.row, query.period);
    if (!cell || cell.value === null || taken.has(cell)) continue;
    const used = match.concept?.outflow ? Math.abs(cell.value) : cell.value;
    const unit = match.row.unit ?? match.candidate.table.unit;
    return { resolved: { match, cell, used, scale: unit.scale } };
  }
  // Rows print the item but none the period: the statements do not cover it.
  const best = matches[0];
  const covered = new Set<string>();
  for (const match of matches.filter((m) => m.explained >= best.explained)) {
    for (const cell of match.row.cells) {
      const period = match.candidate.table.columns[cell.column]?.period;
      if (period) covered.add(columnName(match.candidate.table.columns[cell.column], cell.column));
    }
  }
  return { missing: 'period', covered: [...covered].sort(), label: best.row.label };
}

function periodName(period: NamedPeriod): string {
  return period.quarter ? `Q${period.quarter} ${period.year}` : String(period.year);
}

/**
 * Resolves the items one after another where items that name different things ("provision for
 * income taxes", "income before provision for income taxes") never share a cell: an input
 * divided by itself is a misreading, not a metric. Items of one name in two periods take two
 * cells of one row, as they should. The better-scoring item of a clash keeps the cell.
 */
function resolveDistinct(items: readonly ItemQuery[], candidates: readonly TableCandidate[]): { resolved: Resolved[] } | { failed: ItemQuery; resolution: Missing } {
  const resolved: Resolved[] = [];
  for (const item of items) {
    const resolution = resolveItem(item, candidates);
    if (!('resolved' in resolution)) return { failed: item, resolution };
    resolved.push(resolution.resolved);
  }
  for (let i = 0; i < items.length; i++) {
    for (let j = 0; j < i; j++) {
      if (resolved[i].cell !== resolved[j].cell || items[i].phrase === items[j].phrase) continue;
      const loser = resolved[i].match.score < resolved[j].match.score ? i : j;
      const taken = new Set(resolved.filter((_, k) => k !== loser).map((r) => r.cell));
      const again = resolveItem(items[loser], candidates, taken);
      if (!('resolved' in again)) return { failed: items[loser], resolution: again };
      resolved[loser] = again.resolved;
    }
  }
  return { resolved };
}

/** Resolves every item of an expression, preferring one table that holds them all. */
function resolveAll(items: readonly ItemQuery[], candidates: readonly TableCandidate[]): { resolved: Resolved[] } | { failed: ItemQuery; resolution: Missing } {
  let bestTogether: Resolved[] | null = null;
  let bestScore = -1;
  if (items.length > 1) {
    for (const candidate of candidates) {
      const inTable = resolveDistinct(items, [candidate]);
      if (!('resolved' in inTable)) continue;
      const score = inTable.resolved.reduce((sum, r) => sum + r.match.score, 0);
      if (score > bestScore) {
        bestScore = score;
        bestTogether = inTable.resolved;
      }
    }
  }
  const outcome = resolveDistinct(items, candidates);
  if (!('resolved' in outcome)) return outcome;
  const apart = outcome.resolved;
  // One table holding every input wins unless rows elsewhere fit clearly better.
  const apartScore = apart.reduce((sum, r) => sum + r.match.score, 0);
  return { resolved: bestTogether && bestScore >= apartScore - 0.25 * items.length ? bestTogether : apart };
}

const PERCENT_WORDS = /\b(percent|percentage|margin|rate|growth|share of|return on|as a %|%)/i;

/** Formats a number with thousands separators and `decimals` places. */
export function formatNumber(value: number, decimals: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

function decimalsOf(text: string): number {
  const match = /\.(\d+)/.exec(text);
  return match ? match[1].length : 0;
}

function usedCell(resolved: Resolved): UsedCell {
  const { match, cell, used } = resolved;
  const table = match.candidate.table;
  return { page: table.page, box: cell.box, row: match.row.label, column: columnName(table.columns[cell.column], cell.column), text: cell.text, value: cell.value as number, used };
}

function amountText(value: number, currency: boolean, decimals: number): string {
  const sign = value < 0 ? '-' : '';
  return `${sign}${currency ? '$' : ''}${formatNumber(Math.abs(value), decimals)}`;
}

/** The scale a question asks its amount in ("in USD millions", "in thousands"), or null. */
export function askedScale(question: string): number | null {
  const match = /\bin\s+(?:(?:usd|us\s+dollars|dollars|\$)\s+)?(thousands|millions|billions)\b/i.exec(question);
  return match ? { thousands: 1e3, millions: 1e6, billions: 1e9 }[match[1].toLowerCase() as 'thousands' | 'millions' | 'billions'] : null;
}

/** "Who", "where", "when", "which company", "what date": the answer is not a cell's number. */
const NOT_A_NUMBER = /^\s*(who|whom|where|when|why)\b|\b(to|from|by|with) (which|whom)\b|\bwhich (company|companies|firm|person|entity|country|city|state)\b|\bwhat (date|day|name|city|country|company)\b|\bthe name of\b/i;


function itemQuery(
  text: string,
  glosses: readonly string[],
  period: NamedPeriod | null,
  context: Set<string>,
  vocabulary: Vocabulary,
  conceptId?: string,
  fromQuestion = false,
): ItemQuery {
  const all = [text, ...glosses].join(' ');
  const byId = conceptId ? vocabulary.byId.get(conceptId) : undefined;
  const concepts = byId ? [byId] : findConcepts(all, vocabulary).map((m) => m.concept);
  const terms = byId ? contentStems(byId.labels[0] ?? byId.id.replaceAll('_', ' ')) : contentStems(all);
  const ownContext = new Set([...context].filter((term) => !terms.has(term)));
  const label = byId ? (byId.labels[0] ?? byId.id) : text;
  return { terms, phrase: phraseOf(label), minCovered: fromQuestion ? Math.min(2, terms.size) : 0, concepts, context: ownContext, period, label };
}

/** Builds the answer of an expression whose items resolved. */
function computed(question: string, expr: Expr, queries: Map<Item, ItemQuery>, resolved: Map<Item, Resolved>, percentWanted: boolean, unitOf: string): NumericResult {
  // Inputs from tables printed in different scales (thousands beside millions) are put in the
  // first input's scale before they are combined.
  const reference = [...resolved.values()][0]?.scale ?? 1;
  const raw = evaluateExpression(expr, (item) => {
    const r = resolved.get(item);
    return r ? (r.used * r.scale) / reference : null;
  });
  if (raw === null) return { status: 'not-found', reason: 'the formula divides by zero with the values found' };
  const scaled = percentWanted && !hasTimes100(expr) ? raw * 100 : raw;
  const decimals = statedDecimals(question) ?? (percentWanted ? 1 : expr.kind === 'op' && expr.op === '/' ? 2 : Math.max(0, ...[...resolved.values()].map((r) => decimalsOf(r.cell.text))));
  const rounded = Number(scaled.toFixed(decimals));
  const formula = `${render(expr, (item) => queries.get(item)?.label ?? item.name)}${percentWanted && !hasTimes100(expr) ? ' × 100' : ''}`;
  const filledExpr = render(expr, (item) => {
    const r = resolved.get(item) as Resolved;
    return formatNumber(r.used, decimalsOf(r.cell.text));
  });
  const isRatio = expr.kind === 'op' && expr.op === '/';
  const target = askedScale(question);
  if (!percentWanted && !isRatio && target && unitOf.startsWith('USD') && target !== reference) {
    const converted = (rounded * reference) / target;
    const unitText = unitName({ currency: 'USD', scale: target, perShare: false, percent: false, source: null });
    const answer = `${amountText(converted, true, Math.max(decimals, Math.round(Math.log10(Math.max(1, target / reference)))))} (${unitText})`;
    return { status: 'answer', answer, value: converted, unit: unitText, formula, filled: `${filledExpr} = ${amountText(rounded, true, decimals)} (${unitOf}) = ${answer}`, cells: [...resolved.values()].map(usedCell) };
  }
  const answer = percentWanted ? `${formatNumber(rounded, decimals)}%` : isRatio ? formatNumber(rounded, decimals) : `${amountText(rounded, unitOf.startsWith('USD'), decimals)}${unitOf ? ` (${unitOf})` : ''}`;
  const filled = `${filledExpr}${percentWanted && !hasTimes100(expr) ? ' × 100' : ''} = ${answer}`;
  return { status: 'answer', answer, value: rounded, unit: percentWanted ? 'percent' : isRatio ? 'ratio' : unitOf, formula, filled, cells: [...resolved.values()].map(usedCell) };
}

function hasTimes100(expr: Expr): boolean {
  if (expr.kind !== 'op') return false;
  if (expr.op === '*' && ((expr.right.kind === 'number' && expr.right.value === 100) || (expr.left.kind === 'number' && expr.left.value === 100))) return true;
  return hasTimes100(expr.left) || hasTimes100(expr.right);
}

/** Resolves an expression's items and computes it; the failure of an input is "not found" or an abstention. */
function answerExpression(
  question: string,
  expr: Expr,
  queries: Map<Item, ItemQuery>,
  candidates: readonly TableCandidate[],
  percentWanted: boolean,
  onMissingRow: 'not-found' | 'abstain',
): NumericResult {
  const items = itemsOf(expr);
  const outcome = resolveAll(
    items.map((item) => queries.get(item) as ItemQuery),
    candidates,
  );
  if ('failed' in outcome) {
    const { failed, resolution } = outcome;
    if (resolution.missing === 'period' && failed.period) {
      return { status: 'not-found', reason: `rows for "${resolution.label}" cover ${resolution.covered.join(', ') || 'other periods'}, not ${periodName(failed.period)}` };
    }
    const reason = failed.period ? `no statement row prints "${failed.label}"` : `the question names no period for "${failed.label}"`;
    return { status: onMissingRow, reason };
  }
  const resolved = new Map(items.map((item, i) => [item, outcome.resolved[i]]));
  const first = outcome.resolved[0];
  const unit = unitName(first.match.row.unit ?? first.match.candidate.table.unit);
  return computed(question, expr, queries, resolved, percentWanted, unit);
}

/**
 * @param candidates the statement tables retrieval ranked for the question, best first
 */
export function readNumeric(question: string, candidates: readonly TableCandidate[], vocabulary: Vocabulary = financeVocabulary()): NumericResult {
  if (candidates.length === 0) return { status: 'abstain', reason: 'no statement table among the evidence' };
  if (NOT_A_NUMBER.test(question)) return { status: 'abstain', reason: 'the question asks for a name, place or date, not a number' };
  // The tables retrieval ranked first; the whole document when they cannot answer, which is
  // also what "not found" is judged on.
  const ranked = candidates.filter((candidate) => candidate.ranked !== false);
  if (ranked.length > 0 && ranked.length < candidates.length) {
    const first = readFrom(question, ranked, vocabulary);
    if (first.status === 'answer') return first;
  }
  return readFrom(question, candidates, vocabulary);
}

function readFrom(question: string, candidates: readonly TableCandidate[], vocabulary: Vocabulary): NumericResult {
  const periods = namedPeriods(question);
  const main = mainPeriod(periods);
  const definition = questionDefinition(question);
  const asked = withoutNegated(question);

  if (definition) {
    // The question's words outside the definition (entity, statement) are context.
    const context = contentStems(withoutPeriods(asked.replace(definition.text, ' ')));
    const queries = new Map<Item, ItemQuery>();
    for (const item of itemsOf(definition.expr)) {
      queries.set(item, itemQuery(item.name, item.glosses, item.period ?? main, context, vocabulary));
    }
    const percentWanted = PERCENT_WORDS.test(definition.name ?? question) && !/\bratio\b/i.test(definition.name ?? '');
    return answerExpression(question, definition.expr, queries, candidates, percentWanted, 'abstain');
  }

  // A metric asked for in words: an average, a change, growth, a share of a total.
  const template = templateMetric(asked);
  if (template) {
    const queries = new Map<Item, ItemQuery>();
    const context = contentStems(withoutPeriods(asked, periods));
    for (const item of itemsOf(template.expr)) queries.set(item, itemQuery(item.name, [], item.period ?? main, context, vocabulary));
    return answerExpression(question, template.expr, queries, candidates, template.percent, 'abstain');
  }

  // The question names the item directly: the concepts it names, or its own words.
  const itemText = withoutPeriods(asked, periods);
  const matches = findConcepts(itemText, vocabulary);
  const direct = itemQuery(itemText, [], main, new Set(), vocabulary, undefined, true);
  const resolution = resolveItem(direct, candidates);
  if ('resolved' in resolution) {
    const { match, cell, used } = resolution.resolved;
    const unit = match.row.unit ?? match.candidate.table.unit;
    if (asksCount(question) && unit.currency) {
      // An amount of money cannot answer a count; a count is often said in prose ("we had 79,390
      // employees"), so the sentence reader gets the question.
      return { status: 'abstain', reason: `the question asks for a count, but the row that matches ("${match.row.label}") is an amount in ${unitName(unit)}` };
    }
    const target = askedScale(question);
    if (target && unit.currency && !unit.perShare && !unit.percent && unit.source === null) {
      // The table names no scale, so there is nothing to convert from: the cell is read in the
      // scale the question asks, and the ledger says so.
      const decimals = decimalsOf(cell.text);
      const unitText = unitName({ ...unit, scale: target });
      const answer = `${amountText(used, true, decimals)} (${unitText})`;
      return { status: 'answer', answer, value: used, unit: unitText, formula: null, filled: `${match.row.label}, ${columnName(match.candidate.table.columns[cell.column], cell.column)}: ${cell.text} (the table names no scale; read in ${unitText} as asked)`, cells: [usedCell(resolution.resolved)] };
    }
    if (target && unit.currency && !unit.perShare && !unit.percent && target !== unit.scale) {
      const converted = (used * unit.scale) / target;
      const unitText = unitName({ ...unit, scale: target });
      const decimalsNeeded = Math.max(decimalsOf(cell.text), Math.round(Math.log10(Math.max(1, target / unit.scale))));
      const answer = `${amountText(converted, true, decimalsNeeded)} (${unitText})`;
      return { status: 'answer', answer, value: converted, unit: unitText, formula: null, filled: `${match.row.label}, ${columnName(match.candidate.table.columns[cell.column], cell.column)}: ${cell.text} (${unitName(unit)}) = ${answer}`, cells: [usedCell(resolution.resolved)] };
    }
    const decimals = decimalsOf(cell.text);
    const name = unitName(unit);
    const answer = unit.percent ? `${formatNumber(used, decimals)}%` : `${amountText(used, Boolean(unit.currency), decimals)}${name ? ` (${name})` : ''}`;
    return { status: 'answer', answer, value: used, unit: name, formula: null, filled: `${match.row.label}, ${columnName(match.candidate.table.columns[cell.column], cell.column)}: ${cell.text}`, cells: [usedCell(resolution.resolved)] };
  }
  // A count is often said only in prose: rows of other periods do not make it "not found".
  if (resolution.missing === 'period' && main && matches.length > 0 && !asksCount(question)) {
    return { status: 'not-found', reason: `rows for "${resolution.label}" cover ${resolution.covered.join(', ') || 'other periods'}, not ${periodName(main)}` };
  }
  // A derived measure the vocabulary knows ("free cash flow") from its inputs.
  const derived = matches.find((m) => m.concept.formula)?.concept;
  if (derived?.formula && main) {
    const expr = parseExpression(derived.formula.replaceAll('_', ' '));
    const queries = new Map<Item, ItemQuery>();
    const context = contentStems(itemText);
    for (const item of itemsOf(expr)) queries.set(item, itemQuery(item.name, [], main, context, vocabulary, item.name.replaceAll(' ', '_')));
    return answerExpression(question, expr, queries, candidates, Boolean(derived.percent), 'not-found');
  }
  return { status: 'abstain', reason: resolution.missing === 'period' ? 'no period named' : 'no statement row matches the question' };
}
