/**
 * The run report as one self-contained HTML page for people: auditors reading the archive, the platform team
 * following a link from an alert.
 *
 * Self-contained: inline CSS, inline SVG, no script, no font, image or link to anywhere (the tenant URL is shown as
 * text), and a Content-Security-Policy that forbids scripts, so even a rendering mistake cannot run code. Markup is
 * built with the escaping `html` template tag: every value from a tenant or a file is text.
 *
 * Large runs stay usable: the first findings (critical first) get a full card with evidence and fix, the rest a
 * compact row each; long groups start collapsed in <details>; evidence is capped per finding. The JSON and CSV files
 * of the same run carry everything.
 */

import { OPEN_ENDED_EXCEPTION_MAX_AGE_DAYS } from '../drift/exceptions';
import { CHECK_ERROR_CODES, type CheckErrorCode } from '../errors';
import { truncate } from '../util/tenant-text';
import { compareText, plural } from '../util/text';
import { DAY_MS } from '../util/time';
import { html, type SafeHtml, trustedHtml } from './escape';
import { REPORT_CSS } from './html-style';
import { bigintAsText } from './json';
import {
  type ExceptionRecord,
  type Finding,
  type NotificationRecord,
  type ReportError,
  type RunReport,
  SEVERITIES,
  SEVERITY_RANK,
  type Severity,
  type SubjectType,
  type TenantReport,
  worstSeverity,
} from './model';
import { ERROR_CODE_HINTS, ERROR_CODE_TITLES, NOT_CHECKED_STATEMENT } from './tenant-errors';
import { renderTrendSvg, type TrendPoint, trendWithCurrentRun } from './trend';

export interface HtmlOptions {
  /** Trend history per tenant id; the current run is added when missing. */
  readonly trends?: Record<string, TrendPoint[]>;
  /** Who or what produced the page (e.g. "scheduled run in eu-west-1"), shown in the footer. */
  readonly generatedBy?: string;
  /** Findings per tenant shown as full cards; the rest are compact rows. */
  readonly fullDetailLimit?: number;
}

export const DEFAULT_FULL_DETAIL_LIMIT = 200;
/** Evidence caps per finding: entries per object, items per list, characters per text, nesting depth. */
const EVIDENCE_LIMITS = { entries: 25, items: 12, chars: 600, depth: 3 } as const;
/** Evidence keys longer than this may wrap; shorter ones stay on one line. */
const LONG_KEY = 24;
/** Groups longer than this start collapsed. */
const OPEN_GROUP_LIMIT = 100;
const EXCEPTION_ENDS_SOON_DAYS = 14;

const SEVERITY_LABEL: Record<Severity, string> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  informational: 'Informational',
};

const DRIFT_LABEL: Record<Finding['drift'], string> = {
  new: 'New',
  reopened: 'Reopened',
  ongoing: 'Ongoing',
  resolved: 'Resolved',
};

/** Changes first: what reopened or appeared matters more than what was already known. */
const DRIFT_RANK: Record<Finding['drift'], number> = { reopened: 0, new: 1, ongoing: 2, resolved: 3 };

const SUBJECT_LABEL: Record<SubjectType, string> = {
  user: 'User',
  group: 'Group',
  apiKey: 'API key',
  role: 'Role',
  tenant: 'Tenant',
};

// "User 9" before "User 10"; a fixed locale so the order does not depend on the machine.
const SUBJECT_ORDER = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

// ---------------------------------------------------------------------------------------------------------------
// Formatting

function utc(iso: string | undefined): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function formatMs(ms: number): string {
  if (Number.isNaN(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 100) / 10;
  if (seconds < 120) return `${seconds} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

function tenantTitle(tenant: TenantReport): string {
  if (tenant.tenantName) return tenant.tenantName;
  try {
    return new URL(tenant.tenantUrl).host || tenant.tenantUrl;
  } catch {
    return tenant.tenantUrl;
  }
}

/** Days from `from` to `to` (negative: `to` is in the past), or undefined when either is not a date. */
function daysBetween(from: string, to: string | undefined): number | undefined {
  if (!to) return undefined;
  const start = Date.parse(from);
  const end = Date.parse(to);
  if (Number.isNaN(start) || Number.isNaN(end)) return undefined;
  return Math.floor((end - start) / DAY_MS);
}

function isKnownCode(code: string): code is CheckErrorCode {
  return (CHECK_ERROR_CODES as readonly string[]).includes(code);
}

/** The worst severity the tenant's summary counts a failing finding of. */
function worstFailing(summary: TenantReport['summary']): Severity | undefined {
  return SEVERITIES.find((severity) => (summary.bySeverity[severity] ?? 0) > 0);
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function byDriftThenSubject(a: Finding, b: Finding): number {
  return (
    DRIFT_RANK[a.drift] - DRIFT_RANK[b.drift] ||
    SUBJECT_ORDER.compare(a.subject.name || a.subject.id, b.subject.name || b.subject.id) ||
    compareText(a.id, b.id)
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Small pieces

const muted = (text: string) => html`<span class="muted">${text}</span>`;
const count = (n: number) => html`<span class="count">${n}</span>`;

function severityBadge(severity: Severity): SafeHtml {
  return html`<span class="badge sev-${severity}">${SEVERITY_LABEL[severity] ?? severity}</span>`;
}

function driftBadge(drift: Finding['drift']): SafeHtml {
  return html`<span class="badge drift-${drift}">${DRIFT_LABEL[drift] ?? drift}</span>`;
}

function subjectHtml({ subject }: Finding): SafeHtml {
  return html`<span class="subject-type">${SUBJECT_LABEL[subject.type] ?? subject.type}</span>
<strong class="subject-name">${subject.name || subject.id}</strong> <code class="subject-id">${subject.id}</code>`;
}

function ruleHtml(finding: Finding): SafeHtml {
  return html`${finding.title}<br><code class="rule-id">${finding.ruleId}</code>`;
}

/** A finding element: every finding of the report, in whatever form, carries its id for people and tests alike. */
function findingAttrs(finding: Finding): SafeHtml {
  return html`id="${finding.id}" data-finding-id="${finding.id}"`;
}

function expiryHtml(exception: ExceptionRecord & { expired?: boolean }, reference: string): SafeHtml {
  if (!exception.expires) {
    const age = daysBetween(exception.created ?? reference, reference);
    const review =
      age !== undefined && age > OPEN_ENDED_EXCEPTION_MAX_AGE_DAYS
        ? html` ${muted(`created ${age} days ago — review it`)}`
        : '';
    return html`<span class="badge warn">no end date</span>${review}`;
  }
  const days = daysBetween(reference, exception.expires);
  if (exception.expired || (days !== undefined && days < 0)) {
    return html`<span class="badge expired">expired</span> ${exception.expires}`;
  }
  const soon =
    days !== undefined && days <= EXCEPTION_ENDS_SOON_DAYS ? html`<span class="badge warn">ends soon</span> ` : '';
  const inDays = days === undefined ? '' : html` ${muted(`(in ${plural(days, 'day')})`)}`;
  return html`${soon}${exception.expires}${inDays}`;
}

function exceptionSubject(subject: ExceptionRecord['subject']): SafeHtml {
  const type = subject.type ? (SUBJECT_LABEL[subject.type] ?? subject.type) : '';
  const text = [type, subject.name ?? '', subject.id ? `(${subject.id})` : ''].filter(Boolean).join(' ');
  return text ? html`${text}` : muted('any subject');
}

function orNone(value: string | undefined, none = 'none'): SafeHtml {
  return value ? html`${value}` : muted(none);
}

// ---------------------------------------------------------------------------------------------------------------
// Evidence: a readable table, capped

function isPrimitive(value: unknown): value is string | number | boolean | bigint {
  return ['string', 'number', 'boolean', 'bigint'].includes(typeof value);
}

function compactJson(value: unknown): string {
  return JSON.stringify(value, bigintAsText) ?? String(value);
}

function evidenceValue(value: unknown, depth: number): SafeHtml {
  if (value === null || value === undefined) return muted('none');
  if (isPrimitive(value)) return html`${truncate(String(value), EVIDENCE_LIMITS.chars)}`;
  if (Array.isArray(value)) {
    if (value.length === 0) return muted('none');
    const shown = value.slice(0, EVIDENCE_LIMITS.items);
    const items = shown.map((v: unknown) => html`<li>${evidenceValue(v, depth + 1)}</li>`);
    const more =
      value.length > shown.length ? html`<li class="muted">… and ${value.length - shown.length} more</li>` : '';
    return shown.every(isPrimitive)
      ? html`<ul class="ev-list">${items}${more}</ul>`
      : html`<ol class="ev-items">${items}${more}</ol>`;
  }
  if (typeof value === 'object') {
    if (depth >= EVIDENCE_LIMITS.depth)
      return html`<code>${truncate(compactJson(value), EVIDENCE_LIMITS.chars)}</code>`;
    return evidenceTable(value as Record<string, unknown>, depth + 1, 'ev-nested');
  }
  return html`${truncate(String(value), EVIDENCE_LIMITS.chars)}`;
}

function evidenceTable(evidence: Record<string, unknown>, depth: number, className: string): SafeHtml {
  const entries = Object.entries(evidence);
  if (entries.length === 0) return muted('none');
  const shown = entries.slice(0, EVIDENCE_LIMITS.entries);
  const rows = shown.map(([key, value]) => {
    const th = key.length > LONG_KEY ? html`<th scope="row" class="long-key">` : html`<th scope="row">`;
    return html`<tr>${th}${truncate(key, EVIDENCE_LIMITS.chars)}</th><td>${evidenceValue(value, depth)}</td></tr>`;
  });
  const more =
    entries.length > shown.length
      ? html`<tr><td colspan="2" class="muted">… and ${entries.length - shown.length} more entries (see report.json)</td></tr>`
      : '';
  return html`<table class="${className}"><tbody>${rows}${more}</tbody></table>`;
}

// ---------------------------------------------------------------------------------------------------------------
// Findings

function complianceHtml(finding: Finding): SafeHtml | '' {
  const mapped = Object.entries(finding.compliance ?? {});
  if (mapped.length === 0) return '';
  const text = mapped.map(([standard, controls]) => `${standard} ${controls.join(', ')}`).join(' · ');
  return html`<div><dt>Controls</dt><dd>${text}</dd></div>`;
}

function reopenedNote(finding: Finding): SafeHtml | '' {
  const exception = finding.exception;
  if (!exception || finding.status === 'suppressed') return '';
  const ended = exception.expired
    ? `expired${exception.expires ? ` on ${exception.expires}` : ''}`
    : 'no longer applies';
  const ticket = exception.ticket ? `, ticket ${exception.ticket}` : '';
  return html`<p class="note-reopened">Was suppressed by an exception that ${ended}: “${exception.reason}”
(owner ${exception.owner}${ticket}).</p>`;
}

function seenHtml(iso: string | undefined): SafeHtml {
  return iso ? html`${utc(iso)}` : muted('this run');
}

function findingCard(finding: Finding): SafeHtml {
  const ruleError =
    finding.status === 'error' ? html` <span class="badge status-error">Rule error: result unknown</span>` : '';
  return html`<article class="finding card sev-${finding.severity}" ${findingAttrs(finding)}>
<header class="finding-head">${severityBadge(finding.severity)} ${driftBadge(finding.drift)}${ruleError}
<span class="finding-subject">${subjectHtml(finding)}</span></header>
<p class="message">${finding.message}</p>
${reopenedNote(finding)}<dl class="finding-meta"><div><dt>Finding</dt><dd><code>${finding.id}</code></dd></div>
<div><dt>First seen</dt><dd>${seenHtml(finding.firstSeen)}</dd></div>
<div><dt>Last seen</dt><dd>${seenHtml(finding.lastSeen)}</dd></div>${complianceHtml(finding)}</dl>
<div class="finding-body">
<section class="evidence"><h6>Evidence</h6>${evidenceTable(finding.evidence, 0, 'ev')}</section>
<section class="remediation"><h6>Fix</h6><pre>${finding.remediation}</pre></section>
</div>
</article>
`;
}

function compactTable(findings: readonly Finding[]): SafeHtml {
  const rows = findings.map(
    (f) => html`<tr class="finding compact" ${findingAttrs(f)}><td>${severityBadge(f.severity)}</td>
<td>${driftBadge(f.drift)}</td><td>${subjectHtml(f)}</td><td>${f.message}</td><td><code>${f.id}</code></td></tr>
`,
  );
  return html`<table class="compact-findings">
<thead><tr><th>Severity</th><th>Change</th><th>Subject</th><th>Message</th><th>Finding</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

/** One line per rule, worst first: the shape of the problem before the details. */
function ruleOverview(active: readonly Finding[]): SafeHtml | '' {
  const rules = [...groupBy(active, (f) => f.ruleId)].map(([ruleId, findings]) => ({
    ruleId,
    title: findings[0]?.title ?? ruleId,
    severity: worstSeverity(findings.map((f) => f.severity)) ?? 'informational',
    count: findings.length,
    changed: findings.filter((f) => f.drift === 'new' || f.drift === 'reopened').length,
  }));
  if (rules.length < 2) return '';
  rules.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || b.count - a.count);
  const rows = rules.map(
    (r) => html`<tr><td>${severityBadge(r.severity)}</td>
<td>${r.title} <code class="rule-id">${r.ruleId}</code></td><td>${r.count}</td><td>${r.changed}</td></tr>`,
  );
  return html`<table class="data rules-table">
<thead><tr><th>Severity</th><th>Rule</th><th>Failing</th><th>New or reopened</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

function failingSection(tenant: TenantReport, fullDetailLimit: number): SafeHtml | '' {
  const active = tenant.findings.filter((f) => f.status !== 'suppressed');
  if (active.length === 0) {
    return tenant.status === 'ok'
      ? html`<section class="block"><h3>Failing findings</h3>
<p class="all-clear">No failing findings: every checked rule passed for this tenant.</p></section>`
      : '';
  }
  let detailed = 0;
  const bySeverity = groupBy(active, (f) => f.severity);
  const severityOrder = [...SEVERITIES, ...[...bySeverity.keys()].filter((s) => !SEVERITIES.includes(s as Severity))];
  const groups = severityOrder.flatMap((severity) => {
    const group = bySeverity.get(severity);
    if (!group) return [];
    const open = active.length <= OPEN_GROUP_LIMIT || severity === 'critical' || severity === 'high';
    const rules = [...groupBy(group, (f) => f.ruleId)].map(([ruleId, findings]) => {
      findings.sort(byDriftThenSubject);
      const room = Math.max(0, fullDetailLimit - detailed);
      const cards = findings.slice(0, room);
      const rows = findings.slice(room);
      detailed += cards.length;
      const compact =
        rows.length > 0
          ? html`<details class="more"${rows.length <= OPEN_GROUP_LIMIT ? html` open` : ''}>
<summary>${plural(rows.length, 'more finding')} of this rule, listed compactly (${COMPACT_NOTE})</summary>
${compactTable(rows)}</details>`
          : '';
      return html`<div class="rule-group">
<h5><span class="rule-title">${findings[0]?.title ?? ruleId}</span> <code class="rule-id">${ruleId}</code> ${count(findings.length)}</h5>
${cards.map(findingCard)}${compact}</div>
`;
    });
    return [
      html`<details class="sev-group sev-${severity}"${open ? html` open` : ''}>
<summary><h4>${severityBadge(severity as Severity)} ${plural(group.length, 'finding')}</h4></summary>
${rules}</details>
`,
    ];
  });
  return html`<section class="block"><h3>Failing findings ${count(active.length)}</h3>
${ruleOverview(active)}
${groups}</section>`;
}

function collapsibleTable(label: string, size: number, head: SafeHtml, rows: readonly SafeHtml[]): SafeHtml {
  return html`<details class="table-wrap"${size <= OPEN_GROUP_LIMIT ? html` open` : ''}><summary>${label}</summary>
<table class="data"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></details>`;
}

function suppressedSection(tenant: TenantReport, reference: string): SafeHtml | '' {
  const suppressed = tenant.findings.filter((f) => f.status === 'suppressed');
  if (suppressed.length === 0) return '';
  const rows = suppressed.map((f) => {
    const e = f.exception;
    const exceptionCells = e
      ? html`<td>${e.reason}</td><td>${e.owner}</td><td>${orNone(e.ticket)}</td><td>${expiryHtml(e, reference)}</td>`
      : html`<td colspan="4"><span class="badge expired">no exception recorded</span></td>`;
    return html`<tr class="finding suppressed" ${findingAttrs(f)}><td>${severityBadge(f.severity)}</td>
<td>${subjectHtml(f)}<div class="muted small">${f.message}</div></td><td>${ruleHtml(f)}</td>${exceptionCells}</tr>
`;
  });
  return html`<section class="block"><h3>Suppressed by an exception ${count(suppressed.length)}</h3>
<p class="muted">Accepted risks: these still fail their rule, and come back when the exception ends.</p>
${collapsibleTable(
  plural(suppressed.length, 'suppressed finding'),
  suppressed.length,
  html`<th>Severity</th><th>Subject</th><th>Rule</th><th>Reason</th><th>Owner</th><th>Ticket</th><th>Expires</th>`,
  rows,
)}</section>`;
}

function resolvedSection(tenant: TenantReport): SafeHtml | '' {
  if (tenant.resolved.length === 0) return '';
  const rows = tenant.resolved.map(
    (
      f,
    ) => html`<tr class="finding resolved" ${findingAttrs(f)}><td>${driftBadge('resolved')} ${severityBadge(f.severity)}</td>
<td>${subjectHtml(f)}<div class="muted small">${f.message}</div></td><td>${ruleHtml(f)}</td>
<td>${utc(f.firstSeen)}</td><td>${utc(f.lastSeen)}</td><td><code>${f.id}</code></td></tr>
`,
  );
  return html`<section class="block"><h3>Resolved since the last run ${count(tenant.resolved.length)}</h3>
${collapsibleTable(
  plural(tenant.resolved.length, 'resolved finding'),
  tenant.resolved.length,
  html`<th>Status</th><th>Subject (as last seen failing)</th><th>Rule</th><th>First seen</th><th>Last seen failing</th><th>Finding</th>`,
  rows,
)}</section>`;
}

function exceptionsSection(tenant: TenantReport, reference: string): SafeHtml | '' {
  if (tenant.exceptions.length === 0) {
    return tenant.status === 'ok'
      ? html`<section class="block"><h3>Exceptions in force</h3><p class="muted">No exceptions apply to this tenant.</p></section>`
      : '';
  }
  const rows = tenant.exceptions.map(
    (
      e,
    ) => html`<tr class="exception"><td><code class="rule-id">${e.rule}</code></td><td>${exceptionSubject(e.subject)}</td>
<td>${e.reason}</td><td>${e.owner}</td><td>${orNone(e.ticket)}</td><td>${orNone(e.created, 'unknown')}</td>
<td>${expiryHtml(e, reference)}</td></tr>
`,
  );
  return html`<section class="block"><h3>Exceptions in force ${count(tenant.exceptions.length)}</h3>
<table class="data"><thead><tr><th>Rule</th><th>Subject</th><th>Reason</th><th>Owner</th><th>Ticket</th><th>Created</th>
<th>Expires</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function notesSection(tenant: TenantReport): SafeHtml | '' {
  if (!tenant.notes || tenant.notes.length === 0) return '';
  return html`<section class="block"><h3>Notes</h3><ul class="notes">${tenant.notes.map((n) => html`<li>${n}</li>`)}</ul></section>`;
}

function notificationsSection(notifications: readonly NotificationRecord[]): SafeHtml {
  if (notifications.length === 0) {
    return html`<section class="block"><h3>Notifications sent</h3><p class="muted">None for this tenant in this run.</p></section>`;
  }
  const rows = notifications.map(
    (n) =>
      html`<tr><td>${n.eventType}</td><td>${n.channel}</td><td>${severityBadge(n.severity)}</td><td>${n.subject}</td></tr>`,
  );
  return html`<section class="block"><h3>Notifications sent ${count(notifications.length)}</h3>
<table class="data"><thead><tr><th>Event</th><th>Channel</th><th>Severity</th><th>Subject</th></tr></thead>
<tbody>${rows}</tbody></table></section>`;
}

// ---------------------------------------------------------------------------------------------------------------
// Tenant status and summary

function errorItem(error: ReportError): SafeHtml {
  const known = isKnownCode(error.code);
  return html`<li class="error-item" data-error-code="${error.code}"><strong><code>${error.code}</code>
${known ? ERROR_CODE_TITLES[error.code] : ''}</strong><div class="error-message">${error.message}</div>
${known ? html`<div class="hint">${ERROR_CODE_HINTS[error.code]}</div>` : ''}</li>`;
}

function errorBanner(tenant: TenantReport): SafeHtml | '' {
  const items = tenant.errors.map(errorItem);
  if (tenant.status === 'error') {
    return html`<div class="banner banner-error" role="alert"><p class="banner-title">✖ NOT CHECKED — compliance unknown</p>
<p>${NOT_CHECKED_STATEMENT}</p><ul class="errors">${items}</ul></div>`;
  }
  if (items.length === 0) return '';
  return html`<div class="banner banner-warn" role="alert">
<p class="banner-title">Checked with errors — some results may be missing</p><ul class="errors">${items}</ul></div>`;
}

function statusBanner(tenant: TenantReport): SafeHtml | '' {
  if (tenant.status === 'error') return '';
  const s = tenant.summary;
  if (s.failing === 0) {
    const suppressed = s.suppressed ? ` (${plural(s.suppressed, 'finding')} suppressed by exceptions)` : '';
    return html`<div class="banner banner-ok"><p class="banner-title">✔ Checked: no failing findings${suppressed}</p></div>`;
  }
  const changes = [
    s.new ? `${s.new} new` : '',
    s.reopened ? `${s.reopened} reopened` : '',
    s.resolved ? `${s.resolved} resolved` : '',
  ].filter(Boolean);
  const worst = worstFailing(s);
  const text = [
    plural(s.failing, 'failing finding'),
    worst ? `, worst ${SEVERITY_LABEL[worst]}` : '',
    changes.length ? ` — ${changes.join(', ')} since the last run` : '',
  ].join('');
  return html`<div class="banner banner-fail"><p class="banner-title">▲ ${text}</p></div>`;
}

function summaryCards(tenant: TenantReport): SafeHtml | '' {
  // Counts of a tenant that could not be checked are not zeros, they are unknown: show none.
  if (tenant.status === 'error') return '';
  const s = tenant.summary;
  const stat = (label: string, value: number, cls = '') =>
    html`<div class="stat${cls ? ` ${cls}` : ''}${value === 0 ? ' zero' : ''}"><span class="stat-value">${value}</span>
<span class="stat-label">${label}</span></div>`;
  const stats = [
    stat('failing', s.failing, 'stat-failing'),
    stat('new', s.new, 'stat-new'),
    stat('reopened', s.reopened, 'stat-reopened'),
    stat('ongoing', s.ongoing),
    stat('resolved', s.resolved, 'stat-resolved'),
    stat('suppressed', s.suppressed),
    stat('rule errors', s.errors),
  ];
  const severities = SEVERITIES.map((sev) => {
    const n = s.bySeverity[sev] ?? 0;
    return html`<li${n === 0 ? html` class="zero"` : ''}>${severityBadge(sev)} <span class="n">${n}</span></li>`;
  });
  const read: SafeHtml[] = (
    [
      ['users', s.users],
      ['groups', s.groups],
      ['roles', s.roles],
      ['API keys', s.apiKeys],
      ['API requests', s.requests],
    ] as const
  )
    .filter(([, v]) => typeof v === 'number')
    .map(([label, v]) => html`<span><strong>${v}</strong> ${label}</span>`);
  if (typeof s.durationMs === 'number')
    read.push(html`<span>checked in <strong>${formatMs(s.durationMs)}</strong></span>`);
  const inventory = read.length
    ? html`<p class="inventory">Read: ${read.map((r, i) => (i === 0 ? r : html` · ${r}`))}</p>`
    : '';
  return html`<div class="summary"><div class="stats">${stats}</div>
<ul class="by-severity" aria-label="Failing findings by severity">${severities}</ul>${inventory}</div>`;
}

function trendBlock(
  report: RunReport,
  tenant: TenantReport,
  index: number,
  trends: HtmlOptions['trends'],
): SafeHtml | '' {
  if (!trends || !Object.hasOwn(trends, tenant.tenantId)) return '';
  const points = trendWithCurrentRun(trends[tenant.tenantId] ?? [], report, tenant);
  const rows = points
    .map(
      (p) =>
        html`<tr><td>${utc(p.at)}</td><td><code>${p.runId}</code></td><td>${p.failing}</td><td>${p.new}</td><td>${p.resolved}</td></tr>`,
    )
    .reverse();
  return html`<section class="block trend"><h3>Trend</h3>
<figure>${trustedHtml(renderTrendSvg(points, { idPrefix: `trend-${index}` }))}
<figcaption>Failing findings per run, oldest to newest; the darker bar is the latest run.</figcaption></figure>
<details class="trend-data"><summary>Numbers per run</summary><table class="data"><thead><tr><th>Run time</th><th>Run</th>
<th>Failing</th><th>New</th><th>Resolved</th></tr></thead><tbody>${rows}</tbody></table></details></section>`;
}

function tenantSection(report: RunReport, tenant: TenantReport, index: number, options: HtmlOptions): SafeHtml {
  const failed = tenant.status === 'error';
  const status = failed
    ? html`<span class="badge tenant-status status-error">ERROR — not checked</span>`
    : html`<span class="badge tenant-status status-ok">Checked</span>`;
  const stored = tenant.reportLocation ? html` · stored at <code>${tenant.reportLocation}</code>` : '';
  return html`<section class="tenant ${failed ? 'tenant-error' : 'tenant-ok'}" id="tenant-${index}"
aria-labelledby="tenant-${index}-title" data-tenant-id="${tenant.tenantId}" data-status="${tenant.status}">
<header class="tenant-head"><h2 id="tenant-${index}-title">${tenantTitle(tenant)} ${status}</h2>
<p class="tenant-meta"><span class="tenant-url">${tenant.tenantUrl}</span> · tenant id <code>${tenant.tenantId}</code>${stored}</p>
</header>
${errorBanner(tenant)}${statusBanner(tenant)}
${summaryCards(tenant)}
${trendBlock(report, tenant, index, options.trends)}
${failingSection(tenant, options.fullDetailLimit ?? DEFAULT_FULL_DETAIL_LIMIT)}
${suppressedSection(tenant, report.finishedAt)}
${resolvedSection(tenant)}
${exceptionsSection(tenant, report.finishedAt)}
${notesSection(tenant)}
${notificationsSection(tenant.notifications)}
</section>
`;
}

// ---------------------------------------------------------------------------------------------------------------
// Page

function overviewRow(tenant: TenantReport, index: number): SafeHtml {
  const link = html`<a href="#tenant-${index}">${tenantTitle(tenant)}</a>`;
  if (tenant.status === 'error') {
    const codes = tenant.errors.map((e) => html` <code>${e.code}</code>`);
    return html`<tr class="row-error"><td>${link}</td><td><span class="badge status-error">ERROR</span>${codes}</td>
<td colspan="5" class="not-checked">not checked — compliance unknown</td></tr>`;
  }
  const s = tenant.summary;
  const worst = worstFailing(s);
  const status =
    s.failing > 0
      ? html`<span class="badge status-fail">FAILING</span>`
      : html`<span class="badge status-ok">OK</span>`;
  return html`<tr><td>${link}</td><td>${status}</td><td class="num">${s.failing}</td>
<td>${worst ? severityBadge(worst) : muted('—')}</td><td class="num">${s.new + s.reopened}</td>
<td class="num">${s.resolved}</td><td class="num">${s.suppressed}</td></tr>`;
}

function overview(report: RunReport): SafeHtml {
  const errorTenants = report.tenants.filter((t) => t.status === 'error');
  const checked = report.tenants.filter((t) => t.status === 'ok');
  const total = (key: 'failing' | 'new' | 'reopened' | 'resolved') => checked.reduce((n, t) => n + t.summary[key], 0);
  const which = errorTenants.map((t) => `${tenantTitle(t)} (${t.errors.map((e) => e.code).join(', ') || 'error'})`);
  const headline = `${plural(errorTenants.length, 'tenant')} of ${report.tenants.length} could not be checked`;
  const banner =
    errorTenants.length > 0
      ? html`<div class="banner banner-error" role="alert">
<p class="banner-title">✖ ${headline}: ${which.join('; ')}</p>
<p>Their compliance is unknown. This run is not a pass.</p></div>`
      : '';
  return html`<section class="overview" aria-label="Run overview">${banner}
<p class="totals"><strong>${report.tenants.length}</strong> ${report.tenants.length === 1 ? 'tenant' : 'tenants'} ·
<strong>${total('failing')}</strong> failing · <strong>${total('new')}</strong> new ·
<strong>${total('reopened')}</strong> reopened · <strong>${total('resolved')}</strong> resolved</p>
<table class="data tenants-table"><thead><tr><th>Tenant</th><th>Status</th><th>Failing</th><th>Worst</th>
<th>New or reopened</th><th>Resolved</th><th>Suppressed</th></tr></thead>
<tbody>${report.tenants.map(overviewRow)}</tbody></table></section>`;
}

const COMPACT_NOTE = 'evidence and fix are in report.json and findings.csv';
const FOOTER_NOTE =
  'the same run is stored as report.json, findings.csv and findings.ocsf.jsonl with the same finding ids.';
export const REPORT_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

export function renderHtml(report: RunReport, options: HtmlOptions = {}): string {
  const generated = [`${report.tool.name} ${report.tool.version}`, options.generatedBy].filter(Boolean).join(' · ');
  const took = formatMs(Date.parse(report.finishedAt) - Date.parse(report.startedAt));
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${generated}">
<title>Qlik access compliance report — ${report.runId}</title>
<style>${trustedHtml(REPORT_CSS)}</style>
</head>
<body>
<main>
<header class="page-head">
<h1>Qlik access compliance report</h1>
<dl class="run-meta">
<dt>Run</dt><dd><code>${report.runId}</code></dd>
<dt>Started</dt><dd>${utc(report.startedAt)}</dd>
<dt>Finished</dt><dd>${utc(report.finishedAt)}${took ? html` ${muted(`(${took})`)}` : ''}</dd>
<dt>Policy</dt><dd><strong>${report.policy.name}</strong> · sha256 <code>${report.policy.sha256}</code></dd>
</dl>
</header>
${overview(report)}
${report.tenants.map((t, i) => tenantSection(report, t, i, options))}
<footer>Generated by ${generated} · report schema ${report.schemaVersion} · ${FOOTER_NOTE}</footer>
</main>
</body>
</html>
`;
  return page.value;
}
