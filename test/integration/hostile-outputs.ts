/**
 * What "tenant text never becomes structure" means for the outputs of a run, shared by the hostile-tenant tests of
 * the CLI and of the Lambda handler: no forged line, no terminal or bidi control, no CSV formula.
 */

/** Lines a hostile name tries to add to an output, each as it would start a line of its own. */
export const FORGED_LINE = /^\s*(?:\d+\.\s*URGENT|3\. Done|OK: every tenant compliant|forged line)/;
/** Every way a line can end for some reader: LF, CR, NEL, LS, PS (and so CRLF). */
export const LINE_BREAKS = /\r\n|[\n\r\u0085\u2028\u2029]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
export const TERMINAL_CONTROL = /[\u001b\u0007\u009b\u009d]/;
export const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;

/** A CSV cell a spreadsheet would run as a formula (also after spaces or controls, also full-width). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
export const CSV_FORMULA = /^[\s\u0000-\u001f]*[=+\-@\uff1d\uff0b\uff0d\uff20]/;

/** Every line of `text` (split at every kind of line break) that starts like a forged line. */
export function forgedLines(text: string): string[] {
  return text.split(LINE_BREAKS).filter((line) => FORGED_LINE.test(line));
}

/** Every string inside a JSON value, for outputs whose readers split strings into lines (chat, OCSF). */
export function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}

/** RFC 4180 rows (quoted fields may hold commas, quotes and line breaks). */
export function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i += 1;
    } else cell += char;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}
