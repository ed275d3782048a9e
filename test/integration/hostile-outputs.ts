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

/** What kind of output a text is, which says what its structure is. */
export type OutputKind = 'text' | 'csv' | 'ocsf' | 'report-json' | 'json' | 'exact-json' | 'html';

export interface Output {
  readonly name: string;
  readonly text: string;
  readonly kind: OutputKind;
}

/** The kind of a stored or written file, by its name. */
export function kindOfFile(name: string): OutputKind {
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.jsonl')) return 'ocsf';
  if (name.endsWith('report.json')) return 'report-json';
  if (name.endsWith('.json')) return 'json';
  if (name.endsWith('.html')) return 'html';
  return 'text';
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const RAW_BREAK_BUT_LF = /[\r\u000b\u000c\u0085\u2028\u2029]/;
/** Markup that the hostile scenario writes into names and descriptions, as a tag it would open. */
const TENANT_MARKUP = /<(?:script|img|b)\b/i;
/** A CSS rule whose `white-space` keeps line breaks. */
const CSS_KEEPING_LINES = /([^{}]+)\{[^}]*white-space:\s*(?:pre|pre-wrap|pre-line|break-spaces)\b/g;

/**
 * Everything in `output` where tenant text became structure; empty when none did. The bytes of every output hold no
 * terminal control (ESC, CSI, OSC, BEL), no bidi control and no line break but LF (CRLF only as a CSV row end); then
 * per kind:
 *
 * - text (email, chat text, CLI stdout/stderr): no forged line.
 * - csv: every row as wide as the header under RFC 4180, no cell a formula, no forged line inside a cell.
 * - ocsf: one JSON event per line; its prose fields (message, title, description, fix, status detail) no forged line.
 *   Names, evidence and `unmapped` keep the tenant's exact value by contract (docs/tenant-text.md), so a JSON reader
 *   that prints them gets the tenant's line breaks: those are data in a string, never a line of the file.
 * - report-json: the same for the report's prose (finding messages and fixes, error messages, notes).
 * - json (chat messages): no forged line in any string.
 * - exact-json (`verify --json`): JSON whose strings keep exact values by contract: the bytes only.
 * - html: no tag from tenant markup, and no forged line where a line break shows as one: in `<pre>`, the only element
 *   whose CSS keeps line breaks. Elsewhere a line feed in HTML text renders as a space, so the source may hold one.
 */
export function structureProblems(output: Output): string[] {
  const { name, text, kind } = output;
  const problems: string[] = [];
  if (TERMINAL_CONTROL.test(text)) problems.push(`${name}: a terminal control character`);
  if (BIDI_CONTROL.test(text)) problems.push(`${name}: a bidi control character`);
  const breaks = kind === 'csv' ? text.replaceAll('\r\n', '\n') : text;
  if (RAW_BREAK_BUT_LF.test(breaks)) problems.push(`${name}: a raw CR, VT, FF, NEL, LS or PS`);
  const forged = (where: string, value: string) => {
    for (const line of forgedLines(value)) problems.push(`${name}: forged line in ${where}: ${line.slice(0, 80)}`);
  };
  switch (kind) {
    case 'text':
      forged('the text', text);
      break;
    case 'csv': {
      const rows = csvRows(text);
      const width = rows[0]?.length ?? 0;
      rows.forEach((row, i) => {
        if (row.length !== width) problems.push(`${name}: row ${i} has ${row.length} cells, the header ${width}`);
        for (const cell of row) {
          if (CSV_FORMULA.test(cell)) problems.push(`${name}: row ${i} has a formula cell: ${cell.slice(0, 80)}`);
          forged(`row ${i}`, cell);
        }
      });
      break;
    }
    case 'ocsf':
      text
        .split(LINE_BREAKS)
        .filter((line) => line !== '')
        .forEach((line, i) => {
          const event = parseJson(line);
          if (event === undefined) return problems.push(`${name}: line ${i + 1} is not one JSON event`);
          for (const [where, value] of ocsfProse(event)) forged(`line ${i + 1} ${where}`, value);
        });
      break;
    case 'report-json': {
      forged('the bytes', text);
      const report = parseJson(text);
      if (report === undefined) problems.push(`${name}: not JSON`);
      else for (const [where, value] of reportProse(report)) forged(where, value);
      break;
    }
    case 'json': {
      forged('the bytes', text);
      const value = parseJson(text);
      if (value === undefined) problems.push(`${name}: not JSON`);
      else forged('a string', stringsOf(value).join('\n'));
      break;
    }
    case 'exact-json':
      forged('the bytes', text);
      if (parseJson(text) === undefined) problems.push(`${name}: not JSON`);
      break;
    case 'html': {
      const markup = TENANT_MARKUP.exec(text);
      if (markup) problems.push(`${name}: a tag from tenant markup: ${markup[0]}`);
      const css = [...text.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/g)].map((m) => m[1]).join('\n');
      const keepingLines = [...css.matchAll(CSS_KEEPING_LINES)].map((m) => m[1]!.trim());
      if (keepingLines.some((selector) => selector !== 'pre'))
        problems.push(`${name}: CSS keeps line breaks outside <pre>: ${keepingLines.join(', ')}`);
      for (const pre of text.matchAll(/<pre\b[^>]*>([\s\S]*?)<\/pre>/g)) forged('a <pre>', pre[1]!);
      break;
    }
  }
  return problems;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

type Json = Record<string, unknown> | undefined;
const field = (value: unknown, key: string): unknown => (value as Json)?.[key];
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const proseOf = (entries: [string, unknown][]): [string, string][] =>
  entries.filter((e): e is [string, string] => typeof e[1] === 'string');

/** An OCSF event's prose fields (lambda/report/ocsf.ts). */
function ocsfProse(event: unknown): [string, string][] {
  const info = field(event, 'finding_info');
  return proseOf([
    ['message', field(event, 'message')],
    ['status_detail', field(event, 'status_detail')],
    ['finding_info.title', field(info, 'title')],
    ['finding_info.desc', field(info, 'desc')],
    ['remediation.desc', field(field(event, 'remediation'), 'desc')],
  ]);
}

/** A run report's prose: finding messages and fixes, tenant error messages, notes. */
function reportProse(report: unknown): [string, string][] {
  return list(field(report, 'tenants')).flatMap((tenant, t) =>
    proseOf([
      ...list(field(tenant, 'findings')).flatMap((finding, f): [string, unknown][] => [
        [`tenants[${t}].findings[${f}].message`, field(finding, 'message')],
        [`tenants[${t}].findings[${f}].remediation`, field(finding, 'remediation')],
      ]),
      ...list(field(tenant, 'errors')).map((error, e): [string, unknown] => [
        `tenants[${t}].errors[${e}].message`,
        field(error, 'message'),
      ]),
      ...list(field(tenant, 'notes')).map((note, n): [string, unknown] => [`tenants[${t}].notes[${n}]`, note]),
    ]),
  );
}
