/**
 * The short human summary the CLI prints: what is broken, who, why, and the fix — for a person at a terminal.
 * The full detail lives in the run folder's report.html.
 *
 * A terminal obeys what it is sent: an ESC or CSI sequence can erase lines, move the cursor or plant a link (OSC 8),
 * and a carriage return overwrites what was printed. Every tenant value is therefore shown as safe text
 * (lambda/util/tenant-text.ts), names in quotes, and every line is escaped once more before it is printed, so the
 * summary has exactly the lines written here and nothing in it steers the terminal.
 */
import { type Finding, type RunReport, SEVERITY_RANK } from '../report/model';
import { escapeUnsafe, quoted, TENANT_TEXT_MAX, tenantText } from '../util/tenant-text';

export interface SummaryOptions {
  /** Findings listed per tenant before "… and N more". @default 10 */
  readonly maxFindings?: number;
  /** Where the run's files are, shown at the end. */
  readonly runFolder?: string;
}

/** A finding's why and fix on a terminal line. */
const LINE_MAX = 400;

export function formatSummary(report: RunReport, options: SummaryOptions = {}): string {
  const max = options.maxFindings ?? 10;
  const lines: string[] = [];
  lines.push(`qlik-access-guard run ${tenantText(report.runId)} — policy ${quoted(report.policy.name)}`);
  for (const tenant of report.tenants) {
    lines.push('');
    const url = tenantText(tenant.tenantUrl, TENANT_TEXT_MAX);
    const label = tenant.tenantName ? `${quoted(tenant.tenantName)} (${url})` : url;
    if (tenant.status === 'error') {
      lines.push(`✖ ${label}: COULD NOT BE CHECKED — this is not a pass`);
      for (const e of tenant.errors) lines.push(`    ${tenantText(e.code)}: ${tenantText(e.message, LINE_MAX)}`);
      continue;
    }
    const s = tenant.summary;
    const counts = `${s.failing} failing (${s.new} new, ${s.reopened} reopened), ${s.resolved} resolved, ${s.suppressed} suppressed`;
    lines.push(`${s.failing > 0 ? '⚠' : '✔'} ${label}: ${counts}`);
    const failing = tenant.findings
      .filter((f) => f.status === 'fail')
      .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
    for (const finding of failing.slice(0, max)) lines.push(...formatFinding(finding));
    if (failing.length > max) lines.push(`  … and ${failing.length - max} more (see the report)`);
    for (const r of tenant.resolved.slice(0, max)) {
      lines.push(`  resolved: ${tenantText(r.title)} — ${quoted(r.subject.name)}`);
    }
    for (const note of tenant.notes ?? []) lines.push(`  note: ${tenantText(note, LINE_MAX)}`);
  }
  if (options.runFolder) {
    lines.push('');
    lines.push(`Reports: ${options.runFolder}/report.html (also report.json, findings.csv, findings.ocsf.jsonl)`);
  }
  return `${lines.map(escapeUnsafe).join('\n')}\n`;
}

function formatFinding(f: Finding): string[] {
  const fix = firstLine(f.remediation);
  return [
    `  [${f.severity.toUpperCase()}] ${f.subject.type} ${quoted(f.subject.name)}${f.drift === 'new' ? ' (new)' : ''}`,
    `      why: ${tenantText(f.message, LINE_MAX)}`,
    ...(fix ? [`      fix: ${fix}`] : []),
  ];
}

/** The fix's first line (its summary sentence); the numbered steps are in the report. */
function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim().length > 0) ?? '';
  return tenantText(line.trim(), LINE_MAX);
}
