/**
 * The email digest: plain text, grouped by severity then rule, each finding with the person, the keys, why, and the
 * exact fix. Bounded: each section shows at most `maxItemsPerSection` findings and the whole body stays within
 * {@link EMAIL_BODY_MAX_BYTES}, so 10,000 findings still make one deliverable message.
 */
import { type Finding, SEVERITIES, type Severity } from '../report/model';
import { quoted } from '../util/tenant-text';
import type { AlertContent, AlertContext, DriftDigest, HealthAlert, ReminderDigest } from './content';
import { type FindingView, viewOf } from './finding-view';
import { fitTitle, headlineOf, SUBJECT_PREFIX } from './headline';
import { BoundedText, field, paragraph } from './text';

/** SNS allows 256 KB per message, attributes and subject included; this leaves ample room. */
export const EMAIL_BODY_MAX_BYTES = 160 * 1024;
export const TRUNCATED_LINE = '… truncated, see the full report';

export interface EmailMessage {
  readonly subject: string;
  readonly body: string;
}

export function emailSubject(content: AlertContent): string {
  return fitTitle(SUBJECT_PREFIX, content.context.tenantName, headlineOf(content));
}

export function renderEmail(content: AlertContent): EmailMessage {
  const out = new BoundedText(EMAIL_BODY_MAX_BYTES, TRUNCATED_LINE);
  out.addAll(header(content));
  switch (content.kind) {
    case 'drift':
      driftBody(out, content);
      break;
    case 'reminder':
      reminderBody(out, content);
      break;
    case 'health':
      healthBody(out, content);
      break;
  }
  out.addAll([
    '',
    '-- ',
    'qlik-access-guard. Finding ids stay the same across runs; the stored report has the evidence.',
  ]);
  return { subject: emailSubject(content), body: out.toString() };
}

function header(content: AlertContent): string[] {
  const { context } = content;
  return [
    `qlik-access-guard — ${field(context.tenantName, 200)}: ${headlineOf(content)}`,
    '',
    `Tenant: ${field(context.tenantName, 200)} (${field(context.tenantUrl, 300)}, id ${field(context.tenantId, 100)})`,
    `Run:    ${field(context.runId, 100)}`,
    ...(context.trigger ? [`Trigger: ${field(context.trigger, 500)}`] : []),
    ...reportLines(context),
    ...(context.remediation ? ['', 'Remediation:', ...context.remediation.map((line) => `  ${field(line, 600)}`)] : []),
  ];
}

function reportLines(context: AlertContext): string[] {
  if (context.archiveFailed) {
    return [
      `Report: NOT STORED — ${field(context.archiveFailed, 500)}`,
      '        This message lists what the run found; the next successful run stores its report as usual.',
    ];
  }
  return context.reportLink ? [`Report: ${field(context.reportLink, 2_000)}`] : [];
}

function driftBody(out: BoundedText, digest: DriftDigest): void {
  const failing = [...digest.changed, ...digest.stillFailing];
  out.addAll([
    '',
    `Now failing: ${digest.totals.failing}${bySeverity(failing)}; suppressed by exceptions: ${digest.totals.suppressed}.`,
  ]);
  if (digest.changed.length > 0) {
    sectionTitle(out, `New and reopened (${digest.changed.length})`);
    groupedDetails(out, digest.changed, digest.context.maxItemsPerSection);
  }
  if (digest.resolved.length > 0) {
    sectionTitle(out, `Resolved (${digest.resolved.length})`);
    briefList(out, digest.resolved, digest.context.maxItemsPerSection, (v) =>
      v.lastSeen ? `last failing ${v.lastSeen}` : undefined,
    );
  }
  if (digest.stillFailing.length > 0) {
    sectionTitle(out, `Still failing (${digest.stillFailing.length})`);
    briefList(out, digest.stillFailing, digest.context.maxItemsPerSection, (v) =>
      v.firstSeen ? `since ${v.firstSeen}` : undefined,
    );
  }
}

function reminderBody(out: BoundedText, digest: ReminderDigest): void {
  out.addAll([
    '',
    `Still failing: ${digest.totals.failing}${bySeverity(digest.failing)}; suppressed by exceptions: ` +
      `${digest.totals.suppressed}. Nothing changed since ${digest.since}; this is the periodic reminder.`,
  ]);
  sectionTitle(out, `Still failing (${digest.failing.length})`);
  groupedDetails(out, digest.failing, digest.context.maxItemsPerSection);
}

function healthBody(out: BoundedText, alert: HealthAlert): void {
  for (const issue of alert.issues) {
    sectionTitle(out, `${issue.severity.toUpperCase()} · ${issue.headline}`);
    out.add(paragraph(issue.meaning, 2_000));
    if (issue.detail) out.add(`Error: ${field(issue.detail, 1_000)}`);
    out.addAll(['', 'What to do:', ...issue.actions.map((action, i) => `  ${i + 1}. ${paragraph(action, 1_000)}`)]);
  }
}

function sectionTitle(out: BoundedText, title: string): void {
  out.addAll(['', title.toUpperCase(), '='.repeat(Math.min(title.length, 78))]);
}

/** Full detail per finding, grouped by severity then rule (the findings arrive in that order). */
function groupedDetails(out: BoundedText, findings: readonly Finding[], maxItems: number): void {
  for (const group of groupBySeverityAndRule(findings)) {
    const [first] = group;
    if (!first) continue;
    out.addAll([
      '',
      `${first.severity.toUpperCase()} · ${field(first.title, 200)} (${field(first.ruleId, 100)}) — ${group.length}`,
    ]);
    for (const finding of group.slice(0, maxItems)) {
      if (!out.addAll(detailLines(viewOf(finding)))) return;
    }
    if (group.length > maxItems) out.add(`  … and ${group.length - maxItems} more`);
  }
}

function detailLines(view: FindingView): string[] {
  const lines = [`  • ${who(view)} [${view.drift}]`];
  if (view.person && view.subject.type !== 'user') lines.push(`    Person: ${personText(view.person)}`);
  if (view.keys.length > 0) {
    const keys = view.keys.map((k) => {
      const description = k.description ? ` ${quoted(k.description)}` : '';
      return `${k.id}${description}${k.expiry ? ` (expires ${k.expiry})` : ''}`;
    });
    const more = view.moreKeys > 0 ? `; … and ${view.moreKeys} more` : '';
    lines.push(`    Keys: ${keys.join('; ')}${more}`);
  }
  const [firstFixLine = '', ...moreFixLines] = view.fix.split('\n');
  lines.push(`    Why: ${view.why}`, `    Fix: ${firstFixLine}`, ...moreFixLines.map((line) => `         ${line}`));
  if (view.exception?.expired) {
    const e = view.exception;
    const ticket = e.ticket ? `, ticket ${e.ticket}` : '';
    lines.push(`    Exception expired ${e.expires ?? ''}: ${quoted(e.reason)} (owner ${quoted(e.owner)}${ticket})`);
  }
  lines.push(`    Id: ${view.id}`);
  return lines;
}

/** One line per finding, capped, for sections whose detail is in the report. */
function briefList(
  out: BoundedText,
  findings: readonly Finding[],
  maxItems: number,
  note: (view: FindingView) => string | undefined,
): void {
  for (const finding of findings.slice(0, maxItems)) {
    const view = viewOf(finding);
    const extra = note(view);
    if (!out.add(`  • [${view.severity}] ${view.title} — ${who(view)}${extra ? `, ${extra}` : ''}`)) return;
  }
  if (findings.length > maxItems) out.add(`  … and ${findings.length - maxItems} more`);
}

function who(view: FindingView): string {
  const label = `${view.subject.type} ${view.subject.id}`;
  if (view.subject.type === 'user' && view.person) return `${personText(view.person)} (${label})`;
  return `${quoted(view.subject.name)} (${label})`;
}

function personText(person: NonNullable<FindingView['person']>): string {
  // The name is the person's own choice: quoted, so it cannot read as part of the line.
  const name = person.name ? quoted(person.name) : (person.id ?? 'unknown person');
  return person.email ? `${name} <${person.email}>` : name;
}

function bySeverity(findings: readonly Finding[]): string {
  const counts = new Map<Severity, number>();
  for (const f of findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
  const parts = SEVERITIES.filter((s) => counts.has(s)).map((s) => `${counts.get(s)} ${s}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** Consecutive runs of the same severity and rule; callers pass findings sorted by importance. */
export function groupBySeverityAndRule(findings: readonly Finding[]): Finding[][] {
  const groups: Finding[][] = [];
  let current: Finding[] = [];
  for (const finding of findings) {
    const head = current[0];
    if (head && (head.severity !== finding.severity || head.ruleId !== finding.ruleId)) {
      groups.push(current);
      current = [];
    }
    current.push(finding);
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
