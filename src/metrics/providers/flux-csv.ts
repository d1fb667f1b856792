// Flux's annotated CSV (the answer of InfluxDB's `POST /api/v2/query`): tables separated by blank
// lines, each opened by `#datatype`, `#group` and `#default` annotation rows and a header row, then
// data rows whose `table` column numbers the table. An error found while the query runs arrives as
// a table with `error` and `reference` columns instead of an HTTP error.

export interface FluxRecord {
  table: string;
  /** The `_value` column's datatype (`double`, `long`, `unsignedLong`, `string`, ...). */
  datatype: string;
  /** The `_value` column as written, or undefined when the table has none. */
  value: string | undefined;
}

export type FluxAnswer = { kind: 'records'; records: FluxRecord[] } | { kind: 'error'; message: string };

/** RFC 4180 rows: quoted fields may hold commas, doubled quotes and line breaks. */
export function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endField = (): void => {
    row.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') endField();
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endField();
      rows.push(row);
      row = [];
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    endField();
    rows.push(row);
  }
  return rows;
}

/** Every data record with its `_value`; a query error reported inside the stream is an error. */
export function readFluxCsv(text: string): FluxAnswer {
  const records: FluxRecord[] = [];
  let datatypes: string[] = [];
  let header: string[] | undefined;
  for (const row of csvRows(text)) {
    if (row.length === 1 && row[0] === '') {
      // A blank line ends a table: the next one brings its own annotations and header.
      header = undefined;
      datatypes = [];
      continue;
    }
    if (row[0] === '#datatype') {
      datatypes = row;
      header = undefined;
    }
    if (row[0]?.startsWith('#')) continue;
    if (!header) {
      header = row;
      continue;
    }
    const error = header.indexOf('error');
    if (error >= 0 && header.includes('reference')) return { kind: 'error', message: row[error] ?? 'query error' };
    const at = header.indexOf('_value');
    records.push({ table: row[header.indexOf('table')] ?? '', datatype: at >= 0 ? (datatypes[at] ?? '') : '', value: at >= 0 ? row[at] : undefined });
  }
  return { kind: 'records', records };
}
