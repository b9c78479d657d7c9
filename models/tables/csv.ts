/**
 * A statement table as CSV (RFC 4180: fields with commas, quotes or line breaks are quoted,
 * quotes doubled): a header row (the label column's header, then each column's header), then
 * one line per row with its label and its printed cells, so a spreadsheet shows the table as
 * the filing prints it.
 */
import type { StatementTable } from '../document/types.ts';
import { tableCells } from './statement.ts';

function field(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function tableCsv(table: StatementTable): string {
  const header = [table.labelHeader ?? '', ...table.columns.map((column) => column.header)];
  const rows = tableCells(table);
  const body = table.columns.some((column) => column.header) ? rows.slice(1) : rows;
  return `${[header, ...body].map((row) => row.map(field).join(',')).join('\r\n')}\r\n`;
}
