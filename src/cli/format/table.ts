// Column-aligned tables in kubectl's style: upper-case headers, columns three spaces apart, no
// borders, missing values shown as "-". Cells are laid out on their visible text and styled after,
// so colours never break the alignment.

import { visibleWidth } from './ansi.js';

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  /** Applied to the padded cell, e.g. a colour by verdict. */
  style?: (cell: string, row: Row) => string;
  align?: 'left' | 'right';
}

const GAP = '   ';
export const MISSING = '-';

const pad = (text: string, width: number, align: 'left' | 'right'): string => {
  const fill = ' '.repeat(Math.max(0, width - visibleWidth(text)));
  return align === 'right' ? fill + text : text + fill;
};

/** The table's lines: a header, then one line per row. The last column is not padded. */
export function table<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string[] {
  const cells = rows.map((row) => columns.map((c) => c.value(row) || MISSING));
  const widths = columns.map((c, i) => Math.max(visibleWidth(c.header), ...cells.map((r) => visibleWidth(r[i] ?? ''))));
  const last = columns.length - 1;
  const line = (values: string[], row?: Row): string =>
    values
      .map((v, i) => {
        const column = columns[i]!;
        const text = i === last && column.align !== 'right' ? v : pad(v, widths[i]!, column.align ?? 'left');
        return row !== undefined && column.style ? column.style(text, row) : text;
      })
      .join(GAP)
      .trimEnd();
  return [line(columns.map((c) => c.header.toUpperCase())), ...cells.map((values, r) => line(values, rows[r]))];
}

/** `label: value` lines with the values aligned (at least `minWidth` in); an empty label continues the line above. */
export function fields(pairs: readonly (readonly [label: string, value: string])[], minWidth = 0): string[] {
  const width = Math.max(minWidth, ...pairs.map(([label]) => visibleWidth(label)));
  return pairs.map(([label, value]) => `${pad(label ? `${label}:` : '', width + 1, 'left')} ${value}`.trimEnd());
}

/** Indents every line. */
export const indent = (lines: readonly string[], by = '  '): string[] => lines.map((l) => (l === '' ? l : by + l));
