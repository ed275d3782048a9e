/**
 * The short human summary the CLI prints: what is broken, who, why, and the fix — for a person at a terminal.
 * The full detail lives in the run folder's report.html.
 */
import { type Finding, type RunReport, SEVERITY_RANK } from '../report/model';

export interface SummaryOptions {
  /** Findings listed per tenant before "… and N more". @default 10 */
  readonly maxFindings?: number;
  /** Where the run's files are, shown at the end. */
  readonly runFolder?: string;
}

export function formatSummary(report: RunReport, options: SummaryOptions = {}): string {
  const max = options.maxFindings ?? 10;
  const lines: string[] = [];
  lines.push(`qlik-access-guard run ${report.runId} — policy "${report.policy.name}"`);
  for (const tenant of report.tenants) {
    lines.push('');
    const label = tenant.tenantName ? `${tenant.tenantName} (${tenant.tenantUrl})` : tenant.tenantUrl;
    if (tenant.status === 'error') {
      lines.push(`✖ ${label}: COULD NOT BE CHECKED — this is not a pass`);
      for (const e of tenant.errors) lines.push(`    ${e.code}: ${e.message}`);
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
    for (const r of tenant.resolved.slice(0, max)) lines.push(`  resolved: ${r.title} — ${r.subject.name}`);
    for (const note of tenant.notes ?? []) lines.push(`  note: ${note}`);
  }
  if (options.runFolder) {
    lines.push('');
    lines.push(`Reports: ${options.runFolder}/report.html (also report.json, findings.csv, findings.ocsf.jsonl)`);
  }
  return `${lines.join('\n')}\n`;
}

function formatFinding(f: Finding): string[] {
  const fix = firstLine(f.remediation);
  return [
    `  [${f.severity.toUpperCase()}] ${f.subject.type} ${f.subject.name}${f.drift === 'new' ? ' (new)' : ''}`,
    `      why: ${f.message}`,
    ...(fix ? [`      fix: ${fix}`] : []),
  ];
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim().length > 0) ?? '';
  return line.length > 200 ? `${line.slice(0, 197)}…` : line.trim();
}
