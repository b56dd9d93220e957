/**
 * Aligned plain-text tables and key/value blocks for human output. Pure: rows in, text out. Colour (ANSI) only
 * when the caller says so — the CLI decides from the TTY, NO_COLOR and --no-color.
 */

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  /** Numbers read best right-aligned. */
  align?: 'left' | 'right';
  /** Longer cells are cut with `…` (long descriptions, URLs). */
  maxWidth?: number;
}

export interface TableOptions {
  color?: boolean;
  /** Spaces between columns (default 2). */
  gap?: number;
}

/** Header line plus one line per row; the last column is not padded, so lines carry no trailing spaces. */
export function renderTable<Row>(
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  options: TableOptions = {},
): string {
  const gap = ' '.repeat(options.gap ?? 2);
  const cells = rows.map((row) => columns.map((column) => fitCell(column.value(row), column.maxWidth)));
  const widths = columns.map((column, i) =>
    Math.max(displayWidth(column.header), ...cells.map((line) => displayWidth(line[i] ?? ''))),
  );
  const line = (values: readonly string[]): string =>
    values
      .map((value, i) => padCell(value, widths[i] ?? 0, columns[i]?.align ?? 'left', i === values.length - 1))
      .join(gap)
      .trimEnd();
  const header = line(columns.map((column) => column.header));
  return [options.color ? style.bold(header) : header, ...cells.map(line)].join('\n') + '\n';
}

/** `label  value` lines with the values aligned; `undefined`/`null` values are skipped. */
export function renderKeyValues(
  entries: readonly (readonly [string, string | undefined | null])[],
  options: TableOptions = {},
): string {
  const present = entries.filter((entry): entry is readonly [string, string] => typeof entry[1] === 'string');
  const width = Math.max(0, ...present.map(([label]) => displayWidth(label) + 1));
  return present
    .map(([label, value]) => {
      const head = `${label}:`.padEnd(width + (options.gap ?? 2));
      return `${options.color ? style.dim(head) : head}${value}`.trimEnd();
    })
    .map((line) => `${line}\n`)
    .join('');
}

/** Minimal ANSI styling; callers apply it only when colour is wanted. */
export const style = {
  bold: (text: string): string => `\x1b[1m${text}\x1b[22m`,
  dim: (text: string): string => `\x1b[2m${text}\x1b[22m`,
  red: (text: string): string => `\x1b[31m${text}\x1b[39m`,
  green: (text: string): string => `\x1b[32m${text}\x1b[39m`,
  yellow: (text: string): string => `\x1b[33m${text}\x1b[39m`,
  cyan: (text: string): string => `\x1b[36m${text}\x1b[39m`,
};

const ANSI = /\x1b\[[0-9;]*m/g; // the control character is the point: it matches ANSI styling

/** Width on screen: ANSI styling takes none, each code point one column (tables hold ids, names, numbers). */
export function displayWidth(text: string): number {
  return [...text.replace(ANSI, '')].length;
}

/** `text` cut to `maxWidth` columns with `…` (styling is dropped from a cut text, never left half-open). */
export function fitWidth(text: string, maxWidth: number): string {
  if (displayWidth(text) <= maxWidth) return text;
  return `${[...text.replace(ANSI, '')].slice(0, Math.max(0, maxWidth - 1)).join('')}…`;
}

function fitCell(raw: string, maxWidth: number | undefined): string {
  const text = raw.replace(/[\r\n\t]+/g, ' ');
  return maxWidth === undefined ? text : fitWidth(text, maxWidth);
}

function padCell(value: string, width: number, align: 'left' | 'right', last: boolean): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(value)));
  if (align === 'right') return fill + value;
  return last ? value : value + fill;
}
