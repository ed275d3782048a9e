/**
 * A strict RFC 4180 reader for tests: quoted fields may hold commas, quotes (doubled) and line breaks; rows end with
 * CRLF. Anything else (a bare quote inside an unquoted field, text after a closing quote) throws, so a renderer bug
 * shows as a parse error rather than as a shifted column.
 */
export function parseCsv(text: string): string[][] {
  const input = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < input.length) {
    let cell = '';
    if (input[i] === '"') {
      i += 1;
      for (;;) {
        if (i >= input.length) throw new Error('CSV: unterminated quoted field');
        if (input[i] === '"') {
          if (input[i + 1] === '"') {
            cell += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        cell += input[i];
        i += 1;
      }
    } else {
      while (i < input.length && input[i] !== ',' && input[i] !== '\r' && input[i] !== '\n') {
        if (input[i] === '"') throw new Error(`CSV: bare quote at offset ${i}`);
        cell += input[i];
        i += 1;
      }
    }
    row.push(cell);
    if (input[i] === ',') {
      i += 1;
      continue;
    }
    if (input.startsWith('\r\n', i)) {
      rows.push(row);
      row = [];
      i += 2;
      continue;
    }
    if (i >= input.length) break;
    throw new Error(`CSV: unexpected ${JSON.stringify(input[i])} at offset ${i}`);
  }
  if (row.length > 0) rows.push(row);
  return rows;
}
