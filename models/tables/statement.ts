/**
 * Statement tables from positioned words: the borderless tables of financial filings, where a
 * row is a label at the left and numbers at the right, and columns are only visible as numbers
 * whose right edges line up (the text strategy of pdfplumber and Camelot's stream mode: columns
 * are where many rows' cells share an edge).
 *
 * 1. Words are grouped into rows by their vertical centre.
 * 2. A row's trailing numbers (after a gap wider than a space) are its candidate values; a
 *    "$" standing alone, a lone "%" or ")" belong to the number beside them.
 * 3. Runs of rows close to each other with at least three value rows form a block; rows of
 *    label only (headings, the first line of a label that wraps) may sit between them, prose
 *    that runs into the number columns ends the block.
 * 4. Columns are clusters of the values' right edges; a candidate value on no column is part
 *    of its label ("Balance at December 31, 2018").
 * 5. Rows of years only, and the rows just above the block whose words sit over the columns,
 *    are the header; each column's header is the words above it (spanning words included),
 *    read into a period.
 * 6. Labels: a label row followed by a row whose label starts in lower case is one label that
 *    wrapped; other label-only rows are headings. Indentation gives the level, headings above a
 *    row at a smaller level are its parents, "Total …" rows are totals.
 * 7. A grouping column (the "Dataset" column of a results table, one name set once beside
 *    several rows, vertically centred on them) is told apart from statement headings by where
 *    its names sit: on the line of one of the rows after a column-wide gap, or between two rows
 *    with no line of their own. Each name becomes a heading over the run of rows it is centred on.
 */
import type { Box, StatementTable, TableCell, TableColumn, TableRow } from '../document/types.ts';
import { periodOfHeader } from './periods.ts';
import { namesScale, rowUnit, tableUnit } from './units.ts';

export interface Word {
  text: string;
  box: Box;
  /** Font size in points. */
  size: number;
}

interface Row {
  words: number[];
  top: number;
  bottom: number;
  size: number;
  /** Indices (into `words`) of the trailing value tokens, each possibly several words merged. */
  values: Token[];
  /** Words of the label, left of the values. */
  label: number[];
  /** Words of a grouping column's name on this line, taken out of the label. */
  group?: number[];
}

interface Token {
  text: string;
  box: Box;
  words: number[];
}

const NUMBER = /^\(?[-−–]?\$?\(?\d{1,3}(?:,\d{3})*(?:\.\d+)?\)?%?\)?\*?$|^\(?[-−–]?\$?\d+(?:\.\d+)?\)?%?\)?$/;
const DASH = /^[—–-]{1,3}$/;
/** "Not meaningful" and "not applicable" printed in a cell ("n/m", "N/A", "n.m."): a cell with no value. */
const NOT_MEANINGFUL = /^(n\/m|n\.m\.?|n\/a|n\.a\.)$/i;
const CURRENCY = /^[$€£¥]\(?$/;
const YEAR_ONLY = /^(19[5-9]\d|20\d\d)$/;
/** A gap this many ems wide (at least) separates a label from its values. */
const LABEL_GAP_EMS = 1.2;
/** Rows further apart than this many ems end a block. */
const MAX_ROW_GAP_EMS = 3;
const MIN_VALUE_ROWS = 3;

function isValueText(text: string): boolean {
  return NUMBER.test(text) || DASH.test(text) || NOT_MEANINGFUL.test(text);
}

function union(a: Box, b: Box): Box {
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];
}

/** The number a printed cell stands for: "$ (1,197)" is −1197, a dash or "n/m" is empty. */
export function cellValue(text: string): number | null {
  const compact = text.replace(/[\s$€£¥*]/g, '').replace(/[−–]/g, '-');
  if (compact === '' || DASH.test(compact) || NOT_MEANINGFUL.test(compact)) return null;
  const negative = /^\(.*\)%?$/.test(compact) || compact.startsWith('-');
  const digits = compact.replace(/[(),%-]/g, '');
  if (!/^\d+(\.\d+)?$/.test(digits)) return null;
  const value = Number(digits);
  return negative ? -value : value;
}

function groupRows(words: readonly Word[]): Row[] {
  const mid = (w: Word) => (w.box[1] + w.box[3]) / 2;
  const order = words.map((_, i) => i).sort((a, b) => mid(words[a]) - mid(words[b]) || words[a].box[0] - words[b].box[0]);
  const rows: Row[] = [];
  for (const i of order) {
    const w = words[i];
    const last = rows[rows.length - 1];
    if (last && Math.abs(mid(w) - (last.top + last.bottom) / 2) < 0.45 * Math.max(w.size, last.size)) {
      last.words.push(i);
      last.top = Math.min(last.top, w.box[1]);
      last.bottom = Math.max(last.bottom, w.box[3]);
      last.size = Math.max(last.size, w.size);
    } else {
      rows.push({ words: [i], top: w.box[1], bottom: w.box[3], size: w.size, values: [], label: [] });
    }
  }
  for (const row of rows) {
    row.words.sort((a, b) => words[a].box[0] - words[b].box[0]);
    splitValues(row, words);
  }
  return rows;
}

/** The row's trailing value tokens, with "$", "%" and ")" joined to their numbers. */
function splitValues(row: Row, words: readonly Word[]): void {
  const tokens: Token[] = [];
  let k = row.words.length - 1;
  while (k >= 0) {
    const i = row.words[k];
    const text = words[i].text;
    if (isValueText(text)) {
      tokens.unshift({ text, box: [...words[i].box] as Box, words: [i] });
      k--;
    } else if ((text === '%' || text === ')' || text === ')%') && k > 0 && isValueText(words[row.words[k - 1]].text.replace(/\)$/, ''))) {
      const j = row.words[k - 1];
      tokens.unshift({ text: `${words[j].text}${text}`, box: union(words[j].box, words[i].box), words: [j, i] });
      k -= 2;
    } else if (CURRENCY.test(text) && tokens.length > 0) {
      const first = tokens[0];
      first.text = `${text} ${first.text}`;
      first.box = union(words[i].box, first.box);
      first.words.unshift(i);
      k--;
    } else {
      break;
    }
  }
  // The values must stand apart from the label: a number set close after words (a footnote
  // marker "(1)", a year in "Balance at December 31, 2018", a number inside prose) is label.
  const labelWords = row.words.slice(0, k + 1);
  while (labelWords.length > 0 && tokens.length > 0 && tokens[0].box[0] - words[labelWords[labelWords.length - 1]].box[2] < LABEL_GAP_EMS * row.size) {
    labelWords.push(...(tokens.shift() as Token).words);
  }
  row.values = tokens;
  row.label = labelWords;
}

function labelText(row: Row, words: readonly Word[], upTo = row.label.length): string {
  return row.label
    .slice(0, upTo)
    .map((i) => words[i].text)
    .join(' ')
    .replace(/\s+([,.;:])/g, '$1')
    // Footnote markers are not part of the label: "Hardware (1)", "Revenue*".
    .replace(/(?:\s*\(\d{1,2}\)|\s*\([a-z]\)|[*†‡¹²³⁴⁵]+)+$/u, '')
    .trim();
}

/** Clusters of right edges (within an em) shared by at least two value tokens. */
function columnEdges(tokens: readonly Token[], em: number): number[] {
  const edges = tokens.map((t) => t.box[2]).sort((a, b) => a - b);
  const clusters: { sum: number; count: number; last: number }[] = [];
  for (const x of edges) {
    const c = clusters[clusters.length - 1];
    if (c && x - c.last <= em) {
      c.sum += x;
      c.count++;
      c.last = x;
    } else {
      clusters.push({ sum: x, count: 1, last: x });
    }
  }
  return clusters.filter((c) => c.count >= 2).map((c) => c.sum / c.count);
}

function nearestColumn(token: Token, edges: readonly number[], em: number): number {
  let best = -1;
  let bestDistance = Infinity;
  edges.forEach((edge, c) => {
    const d = Math.abs(token.box[2] - edge);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  });
  return bestDistance <= 1.5 * em ? best : -1;
}

interface Block {
  first: number;
  last: number;
}

/** Runs of nearby rows holding at least MIN_VALUE_ROWS rows with values. */
function findBlocks(rows: readonly Row[], words: readonly Word[]): Block[] {
  const blocks: Block[] = [];
  let r = 0;
  while (r < rows.length) {
    if (rows[r].values.length === 0) {
      r++;
      continue;
    }
    let valueLeft = Math.min(...rows[r].values.map((t) => t.box[0]));
    let last = r;
    let valueRows = 1;
    let k = r + 1;
    while (k < rows.length) {
      const row = rows[k];
      if (row.top - rows[k - 1].bottom > MAX_ROW_GAP_EMS * row.size) break;
      if (row.values.length > 0) {
        valueLeft = Math.min(valueLeft, ...row.values.map((t) => t.box[0]));
        last = k;
        valueRows++;
      } else {
        // Label only: it must stay left of the numbers, else it is prose across the page.
        const right = Math.max(...row.words.map((i) => words[i].box[2]));
        if (right > valueLeft - 0.5 * row.size) break;
      }
      k++;
    }
    if (valueRows >= MIN_VALUE_ROWS) blocks.push({ first: r, last });
    r = valueRows >= MIN_VALUE_ROWS ? last + 1 : r + 1;
  }
  return blocks;
}

function medianSize(rows: readonly Row[]): number {
  const sizes = rows.map((row) => row.size).sort((a, b) => a - b);
  return sizes[sizes.length >> 1] ?? 10;
}

export interface StatementFound {
  table: StatementTable;
  /** Indices of the words the table is made of (header and title excluded). */
  words: number[];
}

/** Statement tables on a page, top to bottom. */
export function findStatementTables(words: readonly Word[], page: number): StatementFound[] {
  const rows = groupRows(words);
  const found: StatementFound[] = [];
  for (const block of findBlocks(rows, words)) {
    const table = buildTable(rows, block, words, page);
    if (table) found.push(table);
  }
  return found;
}

function buildTable(rows: readonly Row[], block: Block, words: readonly Word[], page: number): StatementFound | null {
  const body = rows.slice(block.first, block.last + 1);
  const em = medianSize(body);
  // Rows of years only at the top are the header, not values.
  let start = 0;
  // A label beside them is the unit's parenthesis ("(in millions) 2018 2017 2016").
  const yearsOnly = (row: Row) => row.values.length >= (row.label.length ? 2 : 1) && row.values.every((t) => YEAR_ONLY.test(t.text));
  while (start < body.length && yearsOnly(body[start])) start++;
  const yearRows = body.slice(0, start);
  const dataRows = body.slice(start);
  const edges = columnEdges(
    dataRows.flatMap((row) => row.values),
    em,
  );
  if (edges.length === 0) return null;
  const columnCount = edges.length;

  // Values on no column go back to their label (only from the left, so the order is kept).
  for (const row of dataRows) {
    while (row.values.length > 0 && nearestColumn(row.values[0], edges, em) < 0) {
      const token = row.values.shift() as Token;
      row.label.push(...token.words);
    }
  }
  // A statement's rows are labelled: a column of bare numbers (a plot's tick labels) is not one.
  const valueRows = dataRows.filter((row) => row.values.length > 0 && row.label.length > 0);
  if (valueRows.length < MIN_VALUE_ROWS) return null;

  const columnLeft = edges.map((edge, c) => {
    const lefts = dataRows.flatMap((row) => row.values.filter((t) => nearestColumn(t, edges, em) === c).map((t) => t.box[0]));
    return Math.min(edge - em, ...lefts);
  });
  const tableLeft = Math.min(...dataRows.map((row) => (row.words.length ? words[row.words[0]].box[0] : Infinity)));

  // Header: year rows, and rows just above whose words sit over the columns.
  const headerRows: Row[] = [...yearRows];
  let context = '';
  // Label-only rows between the header and the first values are headings of the table
  // ("Revenue" over "Rental" over "Base rent"); without a header above them they are the title.
  const lead: Row[] = [];
  // A line reaching past the table on both sides is prose or a caption, never its header or title.
  const tableRight = Math.max(...edges);
  // Where the row labels end: a header group that starts right of them (a date wider than the
  // numbers under it, "Dec 26, 2020" over right-aligned values) is over the columns, not a line
  // running from the labels into them.
  const labelRight = Math.max(...valueRows.map((row) => Math.max(...row.label.map((i) => words[i].box[2]))));
  const crossingLeft = Math.min(columnLeft[0] - em, labelRight + em);
  // A header line's words over the columns: each group of words (split where they stand apart)
  // that reaches the columns, whole, when it starts clear of the labels; else its words that do.
  const overColumnsOf = (row: Row): number[] => {
    const over: number[] = [];
    for (let w = 0; w < row.words.length; ) {
      let end = w + 1;
      while (end < row.words.length && words[row.words[end]].box[0] - words[row.words[end - 1]].box[2] < 1.2 * em) end++;
      const group = row.words.slice(w, end);
      const reaches = words[group[group.length - 1]].box[2] > columnLeft[0] - em;
      if (reaches && words[group[0]].box[0] >= crossingLeft) over.push(...group);
      else over.push(...group.filter((i) => words[i].box[2] > columnLeft[0] - em));
      w = end;
    }
    return over;
  };
  const beyondTable = (row: Row) => words[row.words[0]].box[0] < tableLeft - 2 * em && Math.max(...row.words.map((i) => words[i].box[2])) > tableRight + em;
  for (let k = block.first - 1, above = body[0]; k >= 0 && headerRows.length < 6; k--) {
    const row = rows[k];
    if (above.top - row.bottom > (headerRows.length || lead.length === 0 ? 2 : MAX_ROW_GAP_EMS) * em) break;
    const overColumns = overColumnsOf(row);
    // A line that runs from the label area into the columns is a caption or prose, not a header.
    let crossing = beyondTable(row);
    for (let w = 0, groupLeft = 0; w < row.words.length; w++) {
      const box = words[row.words[w]].box;
      if (w === 0 || box[0] - words[row.words[w - 1]].box[2] >= 1.2 * em) groupLeft = box[0];
      if (groupLeft < crossingLeft && box[2] > columnLeft[0] + em) crossing = true;
    }
    if (!crossing && overColumns.length > 0 && overColumns.length <= 4 * edges.length) {
      headerRows.unshift(row);
    } else if (!crossing && overColumns.length === 0 && headerRows.length === yearRows.length && lead.length < 3) {
      lead.unshift(row);
    } else {
      // The line just taken, set under this prose at its left edge, is the prose's last line.
      if (crossing && above !== body[0] && above.top - row.bottom < 0.8 * em && Math.abs(words[above.words[0]].box[0] - words[row.words[0]].box[0]) < em) {
        if (headerRows[0] === above) headerRows.shift();
        else if (lead[0] === above) lead.shift();
      }
      break;
    }
    above = row;
  }
  if (headerRows.length > yearRows.length) {
    dataRows.unshift(...lead);
  }
  const headerTop = headerRows.length ? headerRows[0].top : body[start]?.top ?? body[0].top;
  // Title and unit: the lines just above the header (and any header words left of the columns).
  const titleLines: string[] = [];
  const firstHeader = rows.indexOf(headerRows[0] ?? body[0]);
  let topTitle: Row | null = null;
  for (let k = firstHeader - 1, above = headerTop; k >= 0 && titleLines.length < 4; k--) {
    const row = rows[k];
    if (above - row.bottom > 4 * em) break;
    const text = row.words.map((i) => words[i].text).join(' ');
    // Titles are short lines (and the unit's parenthesis); a line of prose above ends them.
    if (beyondTable(row) || (row.words.length > 12 && !/^\(.*\)$/.test(text))) {
      // The short line just under that prose, at its left edge, is the prose's last line.
      if (topTitle && above - row.bottom < 0.8 * em && Math.abs(words[topTitle.words[0]].box[0] - words[row.words[0]].box[0]) < em) titleLines.shift();
      break;
    }
    titleLines.unshift(text);
    topTitle = row;
    above = row.top;
  }
  // Words left of the columns in the header: the label column's own header ("Method") when in
  // the last header row, else more of the title; either may name the unit.
  let labelHeader = '';
  const unitWords: string[] = [];
  const leftOf = (row: Row) => {
    const over = new Set(overColumnsOf(row));
    return row.words.filter((i) => !over.has(i));
  };
  // The label column's header is on the lowest header row that has words left of the columns.
  let labelRow = -1;
  headerRows.forEach((row, k) => {
    if (leftOf(row).length > 0) labelRow = k;
  });
  headerRows.forEach((row, k) => {
    const left = leftOf(row);
    if (left.length === 0) return;
    const text = left.map((i) => words[i].text).join(' ');
    unitWords.push(text);
    if (k === labelRow && !/^\(.*\)$/.test(text)) labelHeader = text;
    else titleLines.push(text);
  });
  context = [...titleLines, ...unitWords].join(' ');

  // Each header row's words over the columns, grouped where they stand apart; a row with fewer
  // groups than columns spans them ("Years ended" centred over three years): each column takes
  // the group whose centre is nearest its own.
  const columnCentre = edges.map((edge, c) => (edge + columnLeft[c]) / 2);
  const headerOf: { texts: string[]; boxes: Box[] }[] = edges.map(() => ({ texts: [], boxes: [] }));
  for (const row of headerRows) {
    const over = overColumnsOf(row);
    const groups: number[][] = [];
    for (const i of over) {
      const last = groups[groups.length - 1];
      if (last && words[i].box[0] - words[last[last.length - 1]].box[2] < 1.2 * em) last.push(i);
      else groups.push([i]);
    }
    if (groups.length === 0) continue;
    const centres = groups.map((g) => (words[g[0]].box[0] + words[g[g.length - 1]].box[2]) / 2);
    const spanning = groups.length < edges.length;
    edges.forEach((edge, c) => {
      let g = -1;
      if (spanning) {
        let best = Infinity;
        centres.forEach((x, k) => {
          if (Math.abs(x - columnCentre[c]) < best) {
            best = Math.abs(x - columnCentre[c]);
            g = k;
          }
        });
      } else {
        g = groups.findIndex((group) => words[group[0]].box[0] < edge + em && words[group[group.length - 1]].box[2] > columnLeft[c] - em);
      }
      if (g < 0) return;
      headerOf[c].texts.push(groups[g].map((i) => words[i].text).join(' '));
      headerOf[c].boxes.push(groups[g].reduce<Box>((acc, i) => union(acc, words[i].box), [Infinity, Infinity, -Infinity, -Infinity]));
    });
  }
  // "Quarters Ended June 30," printed left of the columns, on a header row, spans them all: it
  // says how long each column's period is and when it ends.
  const spanning = headerRows
    .map((row) => leftOf(row).map((i) => words[i].text).join(' '))
    .find((text) => /\b(?:ended|ending)\b/i.test(text));
  const columns: TableColumn[] = edges.map((edge, c) => {
    const parts = headerOf[c].texts;
    let box: Box = [columnLeft[c], headerTop, edge, headerTop];
    for (const b of headerOf[c].boxes) box = union(box, b);
    const header = parts.join(' ').replace(/\s+/g, ' ').trim();
    const own = periodOfHeader(header);
    const period = spanning && !/\b(?:ended|ending)\b/i.test(header) && /\b(?:19|20)\d\d\b/.test(header) ? periodOfHeader(`${spanning} ${header}`) : own;
    return { header, period, box };
  });
  // A column whose header names no year takes it from a spanning header's year, if any, else none.

  const money = dataRows.some((row) => row.values.some((t) => /[$€£¥]/.test(t.text)));
  let unitContext = `${context} ${columns.map((column) => column.header).join(' ')}`;
  if (!namesScale(unitContext)) {
    // A filing states the scale once for the page ("(In millions)" under the first statement),
    // not over every table: the nearest line above that names one applies.
    for (let k = firstHeader - 1; k >= 0; k--) {
      const text = rows[k].words.map((i) => words[i].text).join(' ');
      if (namesScale(text)) {
        unitContext = `${text} ${unitContext}`;
        break;
      }
    }
  }
  const unit = tableUnit(unitContext, money);
  // The title is every line above that is not the unit's parenthesis: the registrant and the statement's name.
  const titleText = titleLines
    .filter((line) => !/^\(.*\)$/.test(line.trim()) && /[A-Za-z]{3}/.test(line))
    .join(' ')
    .trim();
  const title = titleText || null;

  const groups = groupColumn(dataRows, words, em);

  // Labels, levels, headings, totals.
  const labelLefts = dataRows.filter((row) => row.label.length > 0).map((row) => words[row.label[0]].box[0]);
  const indents = [...new Set(labelLefts.map((x) => Math.round(x)))].sort((a, b) => a - b);
  const levels: number[] = [];
  for (const x of indents) if (levels.length === 0 || x - levels[levels.length - 1] > 0.6 * em) levels.push(x);
  const levelOf = (x: number) => {
    let level = groups ? 1 : 0;
    levels.forEach((edge, l) => {
      if (x >= edge - 0.3 * em) level = l + (groups ? 1 : 0);
    });
    return level;
  };

  const out: TableRow[] = [];
  const used: number[] = [];
  const stack: { label: string; level: number }[] = [];
  let pending: { text: string; left: number; row: Row } | null = null;
  for (let r = 0; r < dataRows.length; r++) {
    const row = dataRows[r];
    used.push(...row.words);
    const group = groups?.find((g) => g.firstRow === row);
    if (group) {
      stack.length = 0;
      out.push({ label: group.label, level: 0, heading: true, total: false, parents: [], cells: [], unit: null, box: group.box });
      stack.push({ label: group.label, level: 0 });
    }
    if (groups && row.label.length === 0 && row.values.length === 0) continue;
    const text = labelText(row, words);
    const left = row.label.length ? words[row.label[0]].box[0] : tableLeft;
    if (row.values.length === 0) {
      if (!text) continue;
      const next = dataRows[r + 1];
      const nextText = next ? labelText(next, words) : '';
      // A label that wraps: the next line carries on in lower case, or this one ends mid-phrase.
      if (next && nextText && (/^[a-z(\d]/.test(nextText) || /(?:,|;|\band|\bof|\bfor|\bthe|\bin|-)$/.test(text))) {
        pending = pending ? { text: `${pending.text} ${text}`, left: pending.left, row: pending.row } : { text, left, row };
        continue;
      }
      if (pending) {
        pending = null;
      }
      const level = levelOf(left);
      while (stack.length && stack[stack.length - 1].level >= level) stack.pop();
      out.push({ label: text.replace(/:$/, ''), level, heading: true, total: false, parents: stack.map((s) => s.label), cells: [], unit: null, box: rowBox(row, words) });
      stack.push({ label: text.replace(/:$/, ''), level });
      continue;
    }
    const label = pending ? `${pending.text} ${text}`.trim() : text;
    const labelLeft = pending ? pending.left : left;
    const box = pending ? union(rowBox(pending.row, words), rowBox(row, words)) : rowBox(row, words);
    pending = null;
    const level = label ? levelOf(labelLeft) : 0;
    while (stack.length && stack[stack.length - 1].level >= level) stack.pop();
    const cells: TableCell[] = [];
    for (const token of row.values) {
      const column = nearestColumn(token, edges, em);
      if (column < 0 || cells.some((cell) => cell.column === column)) continue;
      cells.push({ text: token.text, value: cellValue(token.text), column, box: token.box });
    }
    out.push({
      label,
      level,
      heading: false,
      total: /^total\b/i.test(label) || (label !== '' && /^net\s+(?:increase|decrease|change|cash)\b/i.test(label)),
      parents: stack.map((s) => s.label),
      cells,
      unit: rowUnit(label, stack.map((s) => s.label), cells.map((cell) => cell.text), unit),
      box,
    });
  }
  for (const row of headerRows) {
    if (yearRows.includes(row)) continue;
    const over = new Set(overColumnsOf(row));
    used.push(...row.words.filter((i) => over.has(i) || (labelHeader && row === headerRows[headerRows.length - 1])));
  }
  for (const row of yearRows) used.push(...row.words);
  const box = used.reduce<Box>((acc, i) => union(acc, words[i].box), [Infinity, Infinity, -Infinity, -Infinity]);
  return {
    table: { page, box, title, labelHeader, unit, columns: columns.slice(0, columnCount), rows: out, continued: headerRows.length === 0 },
    words: used,
  };
}

interface Group {
  label: string;
  box: Box;
  /** The first row of the run of rows the name is centred on. */
  firstRow: Row;
}

const mid = (row: Row) => (row.top + row.bottom) / 2;

/**
 * A grouping column left of the labels, or null. Its names are found two ways: a label whose
 * first words stand a column-wide gap before the rest, the rest starting where other rows'
 * labels start ("Boston   Rooms" above "Crime"); or a line of label only that has no line of its
 * own, squeezed between two rows set one line apart (a name centred on an even number of rows).
 * A statement's heading takes a line of its own, so it is neither. The names' words leave the
 * rows' labels; each name heads the run of rows centred nearest it (rows split so that every
 * name sits as close as possible to the middle of its run).
 */
function groupColumn(dataRows: Row[], words: readonly Word[], em: number): Group[] | null {
  const valueRows = dataRows.filter((row) => row.values.length > 0);
  const steps = valueRows.slice(1).map((row, k) => mid(row) - mid(valueRows[k]));
  const pitch = steps.sort((a, b) => a - b)[steps.length >> 1] ?? 0;
  if (pitch <= 0) return null;
  const starts = valueRows.filter((row) => row.label.length > 0).map((row) => words[row.label[0]].box[0]);
  const splits = new Map<Row, number>();
  for (const row of valueRows) {
    for (let k = 1; k < row.label.length; k++) {
      const x = words[row.label[k]].box[0];
      if (x - words[row.label[k - 1]].box[2] < 2 * em) continue;
      // The rest of the label starts where at least two other labels start: it is the item column.
      if (starts.filter((s) => Math.abs(s - x) < 0.5 * em).length >= 2) splits.set(row, k);
      break;
    }
  }
  // The item column starts where most labels start; a name stands left of it.
  const counts = new Map<number, number>();
  for (const x of starts) counts.set(Math.round(x), (counts.get(Math.round(x)) ?? 0) + 1);
  const itemLeft = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? Infinity;
  const squeezed = new Set<Row>();
  dataRows.forEach((row, r) => {
    if (row.values.length > 0 || row.label.length === 0) return;
    if (words[row.label[row.label.length - 1]].box[2] > itemLeft - 0.5 * em) return;
    const before = dataRows[r - 1];
    const after = dataRows[r + 1];
    if (before?.values.length && after?.values.length && mid(after) - mid(before) < 1.5 * pitch) squeezed.add(row);
  });
  if (splits.size + squeezed.size === 0) return null;
  const members = dataRows.filter((row) => !squeezed.has(row) && (row.label.length > 0 || row.values.length > 0));
  // A name on every row is a column of its own, not a grouping.
  if (splits.size + squeezed.size >= members.length) return null;

  // The names, top to bottom; their words leave the labels.
  const names: { words: number[]; y: number }[] = [];
  for (const row of dataRows) {
    const k = splits.get(row);
    if (k !== undefined) {
      row.group = row.label.slice(0, k);
      row.label = row.label.slice(k);
    } else if (squeezed.has(row)) {
      row.group = row.label;
      row.label = [];
    } else {
      continue;
    }
    names.push({ words: row.group, y: mid(row) });
  }
  const m = names.length;
  const n = members.length;
  // Contiguous runs, one per name in order, minimising how far each name sits from its run's
  // middle. Groups are often set apart by extra space (or a rule): a run that spans such a gap
  // costs a line's height, so of two equally centred splits the one that cuts at the gaps wins.
  const wide = members.map((row, k) => k > 0 && mid(row) - mid(members[k - 1]) > 1.3 * pitch);
  const cost = (name: number, from: number, to: number) => {
    let spanned = 0;
    for (let k = from + 1; k <= to; k++) if (wide[k]) spanned++;
    return Math.abs((mid(members[from]) + mid(members[to])) / 2 - names[name].y) + spanned * pitch;
  };
  const best: number[][] = Array.from({ length: m + 1 }, () => new Array(n + 1).fill(Infinity));
  const cut: number[][] = Array.from({ length: m + 1 }, () => new Array(n + 1).fill(-1));
  best[0][0] = 0;
  for (let j = 1; j <= m; j++) {
    for (let end = j; end <= n; end++) {
      for (let start = j - 1; start < end; start++) {
        const total = best[j - 1][start] + cost(j - 1, start, end - 1);
        if (total < best[j][end]) {
          best[j][end] = total;
          cut[j][end] = start;
        }
      }
    }
  }
  const firsts: number[] = new Array(m);
  for (let j = m, end = n; j > 0; j--) {
    firsts[j - 1] = cut[j][end];
    end = cut[j][end];
  }
  return names.map((name, j) => ({
    label: name.words.map((i) => words[i].text).join(' '),
    box: name.words.reduce<Box>((acc, i) => union(acc, words[i].box), [Infinity, Infinity, -Infinity, -Infinity]),
    firstRow: members[firsts[j]],
  }));
}

function rowBox(row: Row, words: readonly Word[]): Box {
  return row.words.reduce<Box>((acc, i) => union(acc, words[i].box), [Infinity, Infinity, -Infinity, -Infinity]);
}

/** The table as rows of cell texts: a header row, then the label and one cell per column. */
export function tableCells(table: StatementTable): string[][] {
  const header = [table.labelHeader ?? '', ...table.columns.map((column) => column.header)];
  const body = table.rows.map((row) => {
    const cells = table.columns.map(() => '');
    for (const cell of row.cells) cells[cell.column] = cell.text;
    return [row.label, ...cells];
  });
  return table.columns.some((column) => column.header) ? [header, ...body] : body;
}
