/**
 * Findings as CSV for spreadsheets (RFC 4180: CRLF line ends, fields quoted when they hold a comma, a quote or a line
 * break, quotes doubled).
 *
 * Rows: one per finding — failing, errored, suppressed and resolved; the `drift` column tells current findings
 * (new | ongoing | reopened) from resolved ones, `status` tells fail | error | suppressed. A tenant that could not be
 * checked also gets one row per error with `status` "error", an empty findingId, subjectType "tenant", the error code
 * in the title ("Tenant could not be checked (unauthorized)") and its message in `message`: a filter on status shows
 * it, and nobody reads the tenant's missing findings as a pass. A checked tenant without findings has no rows.
 *
 * Cells are tenant text made safe (lambda/util/tenant-text.ts): one line each, controls, bidi and invisible format
 * characters shown escaped, length-capped; only the remediation cell keeps the line feeds between its numbered steps.
 * Every cell that a spreadsheet would read as a formula is then prefixed with a single quote (OWASP CSV injection):
 * one that starts, after any leading whitespace, with = + - @ or their full-width forms ＝ ＋ － ＠, or that starts
 * with a tab or a carriage return. Finding text comes from the tenant, and a user name is not allowed to run formulas
 * on an auditor's machine.
 */
import { FIX_MAX, PROSE_MAX, safeLines, tenantText } from '../util/tenant-text';
import type { Finding, RunReport, TenantReport } from './model';

export const CSV_COLUMNS = [
  'runId',
  'tenantUrl',
  'tenantId',
  'findingId',
  'ruleId',
  'title',
  'severity',
  'status',
  'drift',
  'subjectType',
  'subjectId',
  'subjectName',
  'message',
  'remediation',
  'firstSeen',
  'lastSeen',
  'exceptionReason',
  'exceptionOwner',
  'exceptionExpires',
] as const;

export type CsvColumn = (typeof CSV_COLUMNS)[number];
type CsvRow = Record<CsvColumn, string>;

export interface CsvOptions {
  /** Start with a UTF-8 byte order mark, so that Excel reads non-ASCII names correctly when opening the file. */
  readonly excelBom?: boolean;
}

/** Spreadsheets skip leading whitespace (ideographic space included) and read full-width signs as ASCII ones. */
const FORMULA_START = /^(?:[\t\r]|[\s\u3000]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/u;

/** Neutralises spreadsheet formulas: the quote makes the cell text, and shows the value unchanged otherwise. */
export function guardFormula(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** Columns whose text has lines of its own: a fix's numbered steps. */
const MULTI_LINE_COLUMNS: ReadonlySet<CsvColumn> = new Set(['remediation']);

/** A cell's text: safe, one line (or safe lines for a fix), capped. */
function cellText(column: CsvColumn, value: string): string {
  return MULTI_LINE_COLUMNS.has(column) ? safeLines(value, FIX_MAX) : tenantText(value, PROSE_MAX);
}

export function csvField(value: string): string {
  const guarded = guardFormula(value);
  return /[",\r\n]/.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

function findingRow(report: RunReport, tenant: TenantReport, finding: Finding): CsvRow {
  return {
    runId: report.runId,
    tenantUrl: tenant.tenantUrl,
    tenantId: tenant.tenantId,
    findingId: finding.id,
    ruleId: finding.ruleId,
    title: finding.title,
    severity: finding.severity,
    status: finding.status,
    drift: finding.drift,
    subjectType: finding.subject.type,
    subjectId: finding.subject.id,
    subjectName: finding.subject.name,
    message: finding.message,
    remediation: finding.remediation,
    firstSeen: finding.firstSeen ?? '',
    lastSeen: finding.lastSeen ?? '',
    exceptionReason: finding.exception?.reason ?? '',
    exceptionOwner: finding.exception?.owner ?? '',
    exceptionExpires: finding.exception?.expires ?? '',
  };
}

function errorRows(report: RunReport, tenant: TenantReport): CsvRow[] {
  return tenant.errors.map((error) => ({
    runId: report.runId,
    tenantUrl: tenant.tenantUrl,
    tenantId: tenant.tenantId,
    findingId: '',
    ruleId: '',
    title: `Tenant could not be checked (${error.code})`,
    severity: '',
    status: 'error',
    drift: '',
    subjectType: 'tenant',
    subjectId: tenant.tenantId,
    subjectName: tenant.tenantName ?? tenant.tenantUrl,
    message: error.message,
    remediation: '',
    firstSeen: '',
    lastSeen: '',
    exceptionReason: '',
    exceptionOwner: '',
    exceptionExpires: '',
  }));
}

export function renderCsv(report: RunReport, options: CsvOptions = {}): string {
  const lines: string[] = [CSV_COLUMNS.join(',')];
  for (const tenant of report.tenants) {
    const rows = [
      ...errorRows(report, tenant),
      ...tenant.findings.map((f) => findingRow(report, tenant, f)),
      ...tenant.resolved.map((f) => findingRow(report, tenant, f)),
    ];
    for (const row of rows) {
      lines.push(CSV_COLUMNS.map((column) => csvField(cellText(column, row[column]))).join(','));
    }
  }
  return `${options.excelBom ? '\uFEFF' : ''}${lines.join('\r\n')}\r\n`;
}
