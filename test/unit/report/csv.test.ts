import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvField, guardFormula, renderCsv } from '../../../lambda/report/csv';
import type { Finding, RunReport } from '../../../lambda/report/model';
import { FIX_MAX, PROSE_MAX, safeLines, tenantText } from '../../../lambda/util/tenant-text';
import { HOSTILE, hostileReport, makeRunReport, makeTenant, sampleReport } from './fixtures';

/**
 * A strict RFC 4180 reader: records end with CRLF, fields may be quoted, quotes inside are doubled. Throws on anything
 * else, so a renderer that emits a bare quote or a stray LF fails here instead of being read leniently.
 */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  const atRecordEnd = () => text.startsWith('\r\n', i);
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i += 1;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        field += text[i];
        i += 1;
      }
    } else {
      while (i < text.length && text[i] !== ',' && !atRecordEnd()) {
        if (text[i] === '"' || text[i] === '\n' || text[i] === '\r') {
          throw new Error(`character ${JSON.stringify(text[i])} in an unquoted field at offset ${i}`);
        }
        field += text[i];
        i += 1;
      }
    }
    record.push(field);
    if (text[i] === ',') {
      i += 1;
    } else if (atRecordEnd()) {
      i += 2;
      records.push(record);
      record = [];
    } else {
      throw new Error(`expected a comma or CRLF at offset ${i}`);
    }
  }
  if (record.length > 0) throw new Error('last record does not end with CRLF');
  return records;
}

function rowsAsObjects(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  expect(header).toEqual([...CSV_COLUMNS]);
  return rows.map((row) => {
    expect(row).toHaveLength(CSV_COLUMNS.length);
    return Object.fromEntries(row.map((value, index) => [CSV_COLUMNS[index]!, value]));
  });
}

/** What a spreadsheet shows for a guarded cell: the leading quote marks text and is not part of the value. */
const unguard = (value: string) =>
  /^'(?:[\t\r]|[\s\u3000]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/u.test(value) ? value.slice(1) : value;

describe('renderCsv', () => {
  it('writes a header and one row per finding, suppressed and resolved included, plus one per tenant error', () => {
    const report = sampleReport();
    const rows = rowsAsObjects(renderCsv(report));
    const findings = report.tenants.flatMap((t) => [...t.findings, ...t.resolved]);
    const errors = report.tenants.flatMap((t) => t.errors);
    expect(rows).toHaveLength(findings.length + errors.length);
    expect(rows.filter((r) => r.findingId !== '').map((r) => r.findingId)).toEqual(findings.map((f) => f.id));
    expect(new Set(rows.map((r) => r.runId))).toEqual(new Set([report.runId]));
  });

  it('tells current, suppressed and resolved findings apart with status and drift', () => {
    const report = sampleReport();
    const rows = rowsAsObjects(renderCsv(report));
    const byId = new Map(rows.map((r) => [r.findingId, r]));
    for (const finding of report.tenants.flatMap((t) => [...t.findings, ...t.resolved])) {
      const row = byId.get(finding.id)!;
      expect([row.status, row.drift, row.severity, row.ruleId]).toEqual([
        finding.status,
        finding.drift,
        finding.severity,
        finding.ruleId,
      ]);
      expect([row.exceptionReason, row.exceptionOwner, row.exceptionExpires]).toEqual([
        finding.exception?.reason ?? '',
        finding.exception?.owner ?? '',
        finding.exception?.expires ?? '',
      ]);
    }
    expect(rows.filter((r) => r.drift === 'resolved')).toHaveLength(1);
    expect(rows.filter((r) => r.status === 'suppressed')).toHaveLength(1);
    expect(rows.filter((r) => r.drift === 'reopened')).toHaveLength(1);
  });

  it('gives a tenant that could not be checked an error row with its code and message', () => {
    const rows = rowsAsObjects(renderCsv(sampleReport()));
    const errorRows = rows.filter((r) => r.status === 'error');
    expect(errorRows).toHaveLength(1);
    expect(errorRows[0]).toMatchObject({
      tenantId: 'initech.eu.qlikcloud.com',
      findingId: '',
      subjectType: 'tenant',
      title: 'Tenant could not be checked (unauthorized)',
    });
    expect(errorRows[0]!.message).toContain('401 Authorization Required');
  });

  it('round-trips quotes, commas and unicode through an RFC 4180 parser, with line breaks and bidi shown escaped', () => {
    const report = hostileReport();
    const rows = rowsAsObjects(renderCsv(report));
    const findings = report.tenants[0]!.findings;
    expect(rows).toHaveLength(findings.length);
    rows.forEach((row, index) => {
      const finding: Finding = findings[index]!;
      expect(unguard(row.subjectName!)).toBe(tenantText(finding.subject.name, PROSE_MAX));
      expect(unguard(row.message!)).toBe(tenantText(finding.message, PROSE_MAX));
      // The fix keeps its line feeds (the rules build it with tenant values already on one line) and escapes the rest.
      expect(unguard(row.remediation!)).toBe(safeLines(finding.remediation, FIX_MAX));
    });
    expect(rows.map((r) => r.subjectName)).toContain('Doe, "Johnny"\\r\\nsecond line');
    expect(rows.map((r) => r.subjectName)).toContain('Zoë Łukasiewicz 日本語 🚀 \\u202Eevil\\u2028next');
  });

  it.each([
    ['=', HOSTILE.formula],
    ['+', HOSTILE.plus],
    ['-', HOSTILE.minus],
    ['@', HOSTILE.at],
  ])('prefixes a cell starting with %s with a single quote', (_label, text) => {
    const rows = rowsAsObjects(renderCsv(hostileReport()));
    const row = rows.find((r) => unguard(r.subjectName!) === text)!;
    expect(row.subjectName).toBe(`'${text}`);
    // The message starts with the same text, so it is guarded too: every column is, not only names.
    expect(row.message!.startsWith(`'${text}`)).toBe(true);
  });

  it('shows a leading tab as a space and a leading carriage return as an inert escape', () => {
    const rows = rowsAsObjects(renderCsv(hostileReport()));
    const names = rows.map((r) => r.subjectName);
    expect(names).toContain(' leading tab');
    expect(names).toContain('\\rleading carriage return');
  });

  it('guards formulas after leading whitespace and in full-width form', () => {
    for (const value of [
      ' =1+1',
      '\t=1',
      '\u3000@x',
      '\uFF1D1+1',
      '\uFF0B1',
      '\uFF0D1',
      '\uFF20SUM(A1)',
      '\t',
      '\rx',
    ]) {
      expect(guardFormula(value)).toBe(`'${value}`);
    }
    expect(guardFormula('a =1')).toBe('a =1');
  });

  it('leaves ordinary values alone and quotes only when needed', () => {
    expect(guardFormula('Ada Lovelace')).toBe('Ada Lovelace');
    expect(guardFormula('a=b')).toBe('a=b');
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('=1,2')).toBe(`"'=1,2"`);
  });

  it('writes only the header for a run without findings or errors, and ends every record with CRLF', () => {
    const text = renderCsv(makeRunReport([makeTenant()]));
    expect(text).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
  });

  it('adds a byte order mark only when asked', () => {
    const report: RunReport = sampleReport();
    expect(renderCsv(report).startsWith('runId,')).toBe(true);
    const withBom = renderCsv(report, { excelBom: true });
    expect(withBom.startsWith('\uFEFFrunId,')).toBe(true);
    expect(withBom.slice(1)).toBe(renderCsv(report));
  });
});
