/**
 * The run report as one self-contained HTML page for people: auditors reading the archive, the platform team
 * following a link from an alert.
 *
 * Self-contained: inline CSS, inline SVG, no script, no font, image or link to anywhere (the tenant URL is shown as
 * text), and a Content-Security-Policy that forbids scripts, so even a rendering mistake cannot run code. Everything
 * that came from a tenant or a file is escaped.
 *
 * Large runs stay usable: the first findings (critical first) get a full card with evidence and fix, the rest a
 * compact row each; long groups are collapsed in <details>; evidence is capped per finding. The JSON and CSV files
 * of the same run carry everything.
 */
import { CHECK_ERROR_CODES } from '../errors';
import { escapeHtml as esc } from './escape';
import {
  SEVERITIES,
  type ExceptionRecord,
  type Finding,
  type NotificationRecord,
  type RunReport,
  type Severity,
  type SubjectType,
  type TenantReport,
} from './model';
import { ERROR_CODE_HINTS, ERROR_CODE_TITLES, NOT_CHECKED_STATEMENT } from './tenant-errors';
import { renderTrendSvg, trendWithCurrentRun, type TrendPoint } from './trend';

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
const DAY_MS = 86_400_000;
/** Expectations: an exception without an end date older than this deserves a second look. */
const OPEN_ENDED_EXCEPTION_WARN_DAYS = 90;

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

const DRIFT_RANK: Record<Finding['drift'], number> = { reopened: 0, new: 1, ongoing: 2, resolved: 3 };

const SUBJECT_LABEL: Record<SubjectType, string> = {
  user: 'User',
  group: 'Group',
  apiKey: 'API key',
  role: 'Role',
  tenant: 'Tenant',
};

// ---------------------------------------------------------------------------------------------------------------
// Small formatting helpers

function utc(iso: string | undefined): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function duration(fromIso: string, toIso: string): string {
  return formatMs(Date.parse(toIso) - Date.parse(fromIso));
}

function formatMs(ms: number): string {
  if (Number.isNaN(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 100) / 10;
  if (seconds < 120) return `${seconds} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

function tenantTitle(tenant: TenantReport): string {
  return tenant.tenantName ?? hostOf(tenant.tenantUrl);
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function severityBadge(severity: Severity): string {
  return `<span class="badge sev-${severity}">${SEVERITY_LABEL[severity] ?? esc(severity)}</span>`;
}

function driftBadge(drift: Finding['drift']): string {
  return `<span class="badge drift-${drift}">${DRIFT_LABEL[drift] ?? esc(drift)}</span>`;
}

function subjectHtml(finding: Finding): string {
  const { subject } = finding;
  const label = SUBJECT_LABEL[subject.type] ?? subject.type;
  return `<span class="subject-type">${esc(label)}</span> <strong class="subject-name">${esc(subject.name || subject.id)}</strong> <code class="subject-id">${esc(subject.id)}</code>`;
}

/** Days from the run to an exception's end (negative: already over). */
function daysUntil(dateText: string | undefined, reference: string): number | undefined {
  if (!dateText) return undefined;
  const end = Date.parse(dateText);
  const now = Date.parse(reference);
  if (Number.isNaN(end) || Number.isNaN(now)) return undefined;
  return Math.floor((end - now) / DAY_MS);
}

function expiryHtml(exception: ExceptionRecord & { expired?: boolean }, reference: string): string {
  const days = daysUntil(exception.expires, reference);
  if (!exception.expires) {
    const age = daysUntil(reference, exception.created ?? reference);
    const old = age !== undefined && age > OPEN_ENDED_EXCEPTION_WARN_DAYS;
    return `<span class="badge warn">no end date</span>${old ? ` <span class="muted">created ${age} days ago — review it</span>` : ''}`;
  }
  if (exception.expired || (days !== undefined && days < 0)) {
    return `<span class="badge expired">expired</span> ${esc(exception.expires)}`;
  }
  const soon = days !== undefined && days <= 14;
  const inDays = days === undefined ? '' : ` <span class="muted">(in ${plural(days, 'day')})</span>`;
  return `${soon ? '<span class="badge warn">ends soon</span> ' : ''}${esc(exception.expires)}${inDays}`;
}

function exceptionSubject(subject: ExceptionRecord['subject']): string {
  const parts = [subject.type ? SUBJECT_LABEL[subject.type] ?? subject.type : '', subject.name ?? '', subject.id ? `(${subject.id})` : ''];
  const text = parts.filter(Boolean).join(' ');
  return text ? esc(text) : '<span class="muted">any subject</span>';
}

// ---------------------------------------------------------------------------------------------------------------
// Evidence: a readable table, capped

function isPrimitive(value: unknown): value is string | number | boolean | bigint {
  return ['string', 'number', 'boolean', 'bigint'].includes(typeof value);
}

function evidenceValue(value: unknown, depth: number): string {
  if (value === null || value === undefined) return '<span class="muted">none</span>';
  if (isPrimitive(value)) return esc(truncate(String(value), EVIDENCE_LIMITS.chars));
  if (Array.isArray(value)) {
    if (value.length === 0) return '<span class="muted">none</span>';
    const shown = value.slice(0, EVIDENCE_LIMITS.items);
    const more = value.length > shown.length ? `<li class="muted">… and ${value.length - shown.length} more</li>` : '';
    if (shown.every(isPrimitive)) {
      return `<ul class="ev-list">${shown.map((v) => `<li>${evidenceValue(v, depth + 1)}</li>`).join('')}${more}</ul>`;
    }
    return `<ol class="ev-items">${shown.map((v) => `<li>${evidenceValue(v, depth + 1)}</li>`).join('')}${more}</ol>`;
  }
  if (typeof value === 'object') {
    if (depth >= EVIDENCE_LIMITS.depth) {
      return `<code>${esc(truncate(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)), EVIDENCE_LIMITS.chars))}</code>`;
    }
    return evidenceTable(value as Record<string, unknown>, depth + 1, 'ev-nested');
  }
  return esc(truncate(String(value), EVIDENCE_LIMITS.chars));
}

function evidenceTable(evidence: Record<string, unknown>, depth: number, className: string): string {
  const entries = Object.entries(evidence);
  if (entries.length === 0) return '<span class="muted">none</span>';
  const shown = entries.slice(0, EVIDENCE_LIMITS.entries);
  const rows = shown.map(([key, value]) => {
    const long = key.length > LONG_KEY ? ' class="long-key"' : '';
    return `<tr><th scope="row"${long}>${esc(truncate(key, EVIDENCE_LIMITS.chars))}</th><td>${evidenceValue(value, depth)}</td></tr>`;
  });
  if (entries.length > shown.length) {
    rows.push(`<tr><td colspan="2" class="muted">… and ${entries.length - shown.length} more entries (see report.json)</td></tr>`);
  }
  return `<table class="${className}"><tbody>${rows.join('')}</tbody></table>`;
}

// ---------------------------------------------------------------------------------------------------------------
// Findings

function complianceHtml(finding: Finding): string {
  if (!finding.compliance) return '';
  const items = Object.entries(finding.compliance).map(([standard, controls]) => `${standard} ${controls.join(', ')}`);
  return items.length ? `<div><dt>Controls</dt><dd>${esc(items.join(' · '))}</dd></div>` : '';
}

function reopenedNote(finding: Finding): string {
  const exception = finding.exception;
  if (!exception || finding.status === 'suppressed') return '';
  const ended = exception.expired ? `expired ${exception.expires ? `on ${esc(exception.expires)}` : ''}` : 'no longer applies';
  return `<p class="note-reopened">Was suppressed by an exception that ${ended}: “${esc(exception.reason)}” (owner ${esc(exception.owner)}${exception.ticket ? `, ticket ${esc(exception.ticket)}` : ''}).</p>`;
}

function findingCard(finding: Finding): string {
  const ruleError =
    finding.status === 'error' ? ' <span class="badge status-error">Rule error: result unknown</span>' : '';
  return `<article class="finding card sev-${esc(finding.severity)}" id="${esc(finding.id)}" data-finding-id="${esc(finding.id)}">
<header class="finding-head">${severityBadge(finding.severity)} ${driftBadge(finding.drift)}${ruleError} <span class="finding-subject">${subjectHtml(finding)}</span></header>
<p class="message">${esc(finding.message)}</p>
${reopenedNote(finding)}<dl class="finding-meta"><div><dt>Finding</dt><dd><code>${esc(finding.id)}</code></dd></div><div><dt>First seen</dt><dd>${esc(utc(finding.firstSeen)) || '<span class="muted">this run</span>'}</dd></div><div><dt>Last seen</dt><dd>${esc(utc(finding.lastSeen)) || '<span class="muted">this run</span>'}</dd></div>${complianceHtml(finding)}</dl>
<div class="finding-body"><section class="evidence"><h6>Evidence</h6>${evidenceTable(finding.evidence, 0, 'ev')}</section><section class="remediation"><h6>Fix</h6><pre>${esc(finding.remediation)}</pre></section></div>
</article>`;
}

function findingRow(finding: Finding): string {
  return `<tr class="finding compact" id="${esc(finding.id)}" data-finding-id="${esc(finding.id)}"><td>${severityBadge(finding.severity)}</td><td>${driftBadge(finding.drift)}</td><td>${subjectHtml(finding)}</td><td>${esc(finding.message)}</td><td><code>${esc(finding.id)}</code></td></tr>`;
}

function compactTable(findings: readonly Finding[]): string {
  return `<table class="compact-findings"><thead><tr><th>Severity</th><th>Change</th><th>Subject</th><th>Message</th><th>Finding</th></tr></thead><tbody>${findings.map(findingRow).join('')}</tbody></table>`;
}

// "User 9" before "User 10"; a fixed locale so the order does not depend on the machine.
const SUBJECT_ORDER = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

function byDriftThenSubject(a: Finding, b: Finding): number {
  const drift = DRIFT_RANK[a.drift] - DRIFT_RANK[b.drift];
  if (drift !== 0) return drift;
  return (
    SUBJECT_ORDER.compare(a.subject.name || a.subject.id, b.subject.name || b.subject.id) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
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

/** One line per rule, worst first: the shape of the problem before the details. */
function ruleOverview(active: readonly Finding[]): string {
  const rules = [...groupBy(active, (f) => f.ruleId)].map(([ruleId, findings]) => ({
    ruleId,
    title: findings[0]?.title ?? ruleId,
    severity: worstOf(findings),
    count: findings.length,
    changed: findings.filter((f) => f.drift === 'new' || f.drift === 'reopened').length,
  }));
  if (rules.length < 2) return '';
  const rank = (s: Severity) => SEVERITIES.indexOf(s);
  rules.sort((a, b) => rank(a.severity) - rank(b.severity) || b.count - a.count);
  const rows = rules.map(
    (r) =>
      `<tr><td>${severityBadge(r.severity)}</td><td>${esc(r.title)} <code class="rule-id">${esc(r.ruleId)}</code></td><td>${r.count}</td><td>${r.changed}</td></tr>`,
  );
  return `<table class="data rules-table"><thead><tr><th>Severity</th><th>Rule</th><th>Failing</th><th>New or reopened</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function worstOf(findings: readonly Finding[]): Severity {
  return SEVERITIES.find((s) => findings.some((f) => f.severity === s)) ?? 'informational';
}

function failingSection(tenant: TenantReport, fullDetailLimit: number): string {
  const active = tenant.findings.filter((f) => f.status !== 'suppressed');
  if (active.length === 0) {
    return tenant.status === 'ok'
      ? '<section class="block"><h3>Failing findings</h3><p class="all-clear">No failing findings: every checked rule passed for this tenant.</p></section>'
      : '';
  }
  let detailed = 0;
  const out: string[] = [
    `<section class="block"><h3>Failing findings <span class="count">${active.length}</span></h3>`,
    ruleOverview(active),
  ];
  const bySeverity = groupBy(active, (f) => f.severity);
  const severities = [...SEVERITIES, ...[...bySeverity.keys()].filter((s) => !SEVERITIES.includes(s as Severity))];
  for (const severity of severities) {
    const group = bySeverity.get(severity);
    if (!group) continue;
    const open = active.length <= OPEN_GROUP_LIMIT || severity === 'critical' || severity === 'high';
    out.push(
      `<details class="sev-group sev-${esc(severity)}"${open ? ' open' : ''}><summary><h4>${severityBadge(severity as Severity)} ${plural(group.length, 'finding')}</h4></summary>`,
    );
    for (const [ruleId, findings] of groupBy(group, (f) => f.ruleId)) {
      findings.sort(byDriftThenSubject);
      const title = findings[0]?.title ?? ruleId;
      out.push(
        `<div class="rule-group"><h5><span class="rule-title">${esc(title)}</span> <code class="rule-id">${esc(ruleId)}</code> <span class="count">${findings.length}</span></h5>`,
      );
      const room = Math.max(0, fullDetailLimit - detailed);
      const cards = findings.slice(0, room);
      const rows = findings.slice(room);
      detailed += cards.length;
      out.push(cards.map(findingCard).join('\n'));
      if (rows.length > 0) {
        out.push(
          `<details class="more"${rows.length <= OPEN_GROUP_LIMIT ? ' open' : ''}><summary>${plural(rows.length, 'more finding')} of this rule, listed compactly (evidence and fix are in report.json and findings.csv)</summary>${compactTable(rows)}</details>`,
        );
      }
      out.push('</div>');
    }
    out.push('</details>');
  }
  out.push('</section>');
  return out.join('\n');
}

function suppressedSection(tenant: TenantReport, reference: string): string {
  const suppressed = tenant.findings.filter((f) => f.status === 'suppressed');
  if (suppressed.length === 0) return '';
  const rows = suppressed.map((f) => {
    const e = f.exception;
    return `<tr class="finding suppressed" id="${esc(f.id)}" data-finding-id="${esc(f.id)}"><td>${severityBadge(f.severity)}</td><td>${subjectHtml(f)}<div class="muted small">${esc(f.message)}</div></td><td>${esc(f.title)}<br><code class="rule-id">${esc(f.ruleId)}</code></td><td>${e ? esc(e.reason) : '<span class="badge expired">no exception recorded</span>'}</td><td>${e ? esc(e.owner) : ''}</td><td>${e?.ticket ? esc(e.ticket) : '<span class="muted">none</span>'}</td><td>${e ? expiryHtml(e, reference) : ''}</td></tr>`;
  });
  return `<section class="block"><h3>Suppressed by an exception <span class="count">${suppressed.length}</span></h3>
<p class="muted">Accepted risks: these still fail their rule, and come back when the exception ends.</p>
<details class="table-wrap"${suppressed.length <= OPEN_GROUP_LIMIT ? ' open' : ''}><summary>${plural(suppressed.length, 'suppressed finding')}</summary>
<table class="data"><thead><tr><th>Severity</th><th>Subject</th><th>Rule</th><th>Reason</th><th>Owner</th><th>Ticket</th><th>Expires</th></tr></thead><tbody>${rows.join('')}</tbody></table></details></section>`;
}

function resolvedSection(tenant: TenantReport): string {
  if (tenant.resolved.length === 0) return '';
  const rows = tenant.resolved.map(
    (f) =>
      `<tr class="finding resolved" id="${esc(f.id)}" data-finding-id="${esc(f.id)}"><td>${driftBadge('resolved')} ${severityBadge(f.severity)}</td><td>${subjectHtml(f)}<div class="muted small">${esc(f.message)}</div></td><td>${esc(f.title)}<br><code class="rule-id">${esc(f.ruleId)}</code></td><td>${esc(utc(f.firstSeen))}</td><td>${esc(utc(f.lastSeen))}</td><td><code>${esc(f.id)}</code></td></tr>`,
  );
  return `<section class="block"><h3>Resolved since the last run <span class="count">${tenant.resolved.length}</span></h3>
<details class="table-wrap"${tenant.resolved.length <= OPEN_GROUP_LIMIT ? ' open' : ''}><summary>${plural(tenant.resolved.length, 'resolved finding')}</summary>
<table class="data"><thead><tr><th>Status</th><th>Subject (as last seen failing)</th><th>Rule</th><th>First seen</th><th>Last seen failing</th><th>Finding</th></tr></thead><tbody>${rows.join('')}</tbody></table></details></section>`;
}

function exceptionsSection(tenant: TenantReport, reference: string): string {
  if (tenant.exceptions.length === 0) {
    return tenant.status === 'ok'
      ? '<section class="block"><h3>Exceptions in force</h3><p class="muted">No exceptions apply to this tenant.</p></section>'
      : '';
  }
  const rows = tenant.exceptions.map(
    (e) =>
      `<tr class="exception"><td><code class="rule-id">${esc(e.rule)}</code></td><td>${exceptionSubject(e.subject)}</td><td>${esc(e.reason)}</td><td>${esc(e.owner)}</td><td>${e.ticket ? esc(e.ticket) : '<span class="muted">none</span>'}</td><td>${e.created ? esc(e.created) : '<span class="muted">unknown</span>'}</td><td>${expiryHtml(e, reference)}</td></tr>`,
  );
  return `<section class="block"><h3>Exceptions in force <span class="count">${tenant.exceptions.length}</span></h3>
<table class="data"><thead><tr><th>Rule</th><th>Subject</th><th>Reason</th><th>Owner</th><th>Ticket</th><th>Created</th><th>Expires</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function notesSection(tenant: TenantReport): string {
  if (!tenant.notes || tenant.notes.length === 0) return '';
  return `<section class="block"><h3>Notes</h3><ul class="notes">${tenant.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></section>`;
}

function notificationsSection(notifications: readonly NotificationRecord[]): string {
  if (notifications.length === 0) {
    return '<section class="block"><h3>Notifications sent</h3><p class="muted">None for this tenant in this run.</p></section>';
  }
  const rows = notifications.map(
    (n) =>
      `<tr><td>${esc(n.eventType)}</td><td>${esc(n.channel)}</td><td>${severityBadge(n.severity)}</td><td>${esc(n.subject)}</td></tr>`,
  );
  return `<section class="block"><h3>Notifications sent <span class="count">${notifications.length}</span></h3>
<table class="data"><thead><tr><th>Event</th><th>Channel</th><th>Severity</th><th>Subject</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

// ---------------------------------------------------------------------------------------------------------------
// Tenant header, status and summary

function errorBanner(tenant: TenantReport): string {
  const items = tenant.errors.map((e) => {
    const known = (CHECK_ERROR_CODES as readonly string[]).includes(e.code);
    return `<li class="error-item" data-error-code="${esc(e.code)}"><strong><code>${esc(e.code)}</code> ${known ? esc(ERROR_CODE_TITLES[e.code]) : ''}</strong><div class="error-message">${esc(e.message)}</div>${known ? `<div class="hint">${esc(ERROR_CODE_HINTS[e.code])}</div>` : ''}</li>`;
  });
  if (tenant.status === 'error') {
    return `<div class="banner banner-error" role="alert"><p class="banner-title">✖ NOT CHECKED — compliance unknown</p><p>${esc(NOT_CHECKED_STATEMENT)}</p><ul class="errors">${items.join('')}</ul></div>`;
  }
  if (items.length === 0) return '';
  return `<div class="banner banner-warn" role="alert"><p class="banner-title">Checked with errors — some results may be missing</p><ul class="errors">${items.join('')}</ul></div>`;
}

function statusBanner(tenant: TenantReport): string {
  if (tenant.status === 'error') return '';
  const s = tenant.summary;
  if (s.failing === 0) {
    const suppressed = s.suppressed ? ` (${plural(s.suppressed, 'finding')} suppressed by exceptions)` : '';
    return `<div class="banner banner-ok"><p class="banner-title">✔ Checked: no failing findings${suppressed}</p></div>`;
  }
  const changes = [
    s.new ? `${s.new} new` : '',
    s.reopened ? `${s.reopened} reopened` : '',
    s.resolved ? `${s.resolved} resolved` : '',
  ].filter(Boolean);
  const worst = SEVERITIES.find((sev) => (s.bySeverity[sev] ?? 0) > 0);
  return `<div class="banner banner-fail${worst ? ` worst-${worst}` : ''}"><p class="banner-title">▲ ${plural(s.failing, 'failing finding')}${worst ? `, worst ${SEVERITY_LABEL[worst]}` : ''}${changes.length ? ` — ${changes.join(', ')} since the last run` : ''}</p></div>`;
}

function summaryCards(tenant: TenantReport): string {
  if (tenant.status === 'error') return '';
  const s = tenant.summary;
  const card = (label: string, value: number, cls = '') =>
    `<div class="stat${cls ? ` ${cls}` : ''}${value === 0 ? ' zero' : ''}"><span class="stat-value">${value}</span><span class="stat-label">${label}</span></div>`;
  const counts = [
    card('failing', s.failing, 'stat-failing'),
    card('new', s.new, 'stat-new'),
    card('reopened', s.reopened, 'stat-reopened'),
    card('ongoing', s.ongoing),
    card('resolved', s.resolved, 'stat-resolved'),
    card('suppressed', s.suppressed),
    card('rule errors', s.errors),
  ];
  const severities = SEVERITIES.map(
    (sev) =>
      `<li class="${(s.bySeverity[sev] ?? 0) === 0 ? 'zero' : ''}">${severityBadge(sev)} <span class="n">${s.bySeverity[sev] ?? 0}</span></li>`,
  );
  const inventory: [string, number | undefined][] = [
    ['users', s.users],
    ['groups', s.groups],
    ['roles', s.roles],
    ['API keys', s.apiKeys],
    ['API requests', s.requests],
  ];
  const seen = inventory
    .filter(([, v]) => typeof v === 'number')
    .map(([label, v]) => `<span><strong>${v}</strong> ${label}</span>`);
  if (typeof s.durationMs === 'number') seen.push(`<span>checked in <strong>${esc(formatMs(s.durationMs))}</strong></span>`);
  return `<div class="summary"><div class="stats">${counts.join('')}</div><ul class="by-severity" aria-label="Failing findings by severity">${severities.join('')}</ul>${seen.length ? `<p class="inventory">Read: ${seen.join(' · ')}</p>` : ''}</div>`;
}

function trendBlock(report: RunReport, tenant: TenantReport, index: number, trends: HtmlOptions['trends']): string {
  if (!trends || !(tenant.tenantId in trends)) return '';
  const points = trendWithCurrentRun(trends[tenant.tenantId] ?? [], report, tenant);
  const rows = points
    .map((p) => `<tr><td>${esc(utc(p.at))}</td><td><code>${esc(p.runId)}</code></td><td>${p.failing}</td><td>${p.new}</td><td>${p.resolved}</td></tr>`)
    .reverse();
  return `<section class="block trend"><h3>Trend</h3><figure>${renderTrendSvg(points, { idPrefix: `trend-${index}` })}<figcaption>Failing findings per run, oldest to newest; the darker bar is the latest run.</figcaption></figure>
<details class="trend-data"><summary>Numbers per run</summary><table class="data"><thead><tr><th>Run time</th><th>Run</th><th>Failing</th><th>New</th><th>Resolved</th></tr></thead><tbody>${rows.join('')}</tbody></table></details></section>`;
}

function tenantSection(report: RunReport, tenant: TenantReport, index: number, options: HtmlOptions): string {
  const reference = report.finishedAt;
  const status =
    tenant.status === 'error'
      ? '<span class="badge tenant-status status-error">ERROR — not checked</span>'
      : '<span class="badge tenant-status status-ok">Checked</span>';
  return `<section class="tenant tenant-${tenant.status === 'error' ? 'error' : 'ok'}" id="tenant-${index}" aria-labelledby="tenant-${index}-title" data-tenant-id="${esc(tenant.tenantId)}" data-status="${esc(tenant.status)}">
<header class="tenant-head"><h2 id="tenant-${index}-title">${esc(tenantTitle(tenant))} ${status}</h2>
<p class="tenant-meta"><span class="tenant-url">${esc(tenant.tenantUrl)}</span> · tenant id <code>${esc(tenant.tenantId)}</code>${tenant.reportLocation ? ` · stored at <code>${esc(tenant.reportLocation)}</code>` : ''}</p></header>
${errorBanner(tenant)}${statusBanner(tenant)}
${summaryCards(tenant)}
${trendBlock(report, tenant, index, options.trends)}
${failingSection(tenant, options.fullDetailLimit ?? DEFAULT_FULL_DETAIL_LIMIT)}
${suppressedSection(tenant, reference)}
${resolvedSection(tenant)}
${exceptionsSection(tenant, reference)}
${notesSection(tenant)}
${notificationsSection(tenant.notifications)}
</section>`;
}

// ---------------------------------------------------------------------------------------------------------------
// Page

function overview(report: RunReport): string {
  const errorTenants = report.tenants.filter((t) => t.status === 'error');
  const totals = report.tenants
    .filter((t) => t.status === 'ok')
    .reduce(
      (acc, t) => ({
        failing: acc.failing + t.summary.failing,
        new: acc.new + t.summary.new,
        reopened: acc.reopened + t.summary.reopened,
        resolved: acc.resolved + t.summary.resolved,
      }),
      { failing: 0, new: 0, reopened: 0, resolved: 0 },
    );
  const banner =
    errorTenants.length > 0
      ? `<div class="banner banner-error" role="alert"><p class="banner-title">✖ ${plural(errorTenants.length, 'tenant')} of ${report.tenants.length} could not be checked: ${errorTenants
          .map((t) => `${esc(tenantTitle(t))} (${t.errors.map((e) => esc(e.code)).join(', ') || 'error'})`)
          .join('; ')}</p><p>Their compliance is unknown. This run is not a pass.</p></div>`
      : '';
  const rows = report.tenants.map((t, i) => {
    const link = `<a href="#tenant-${i}">${esc(tenantTitle(t))}</a>`;
    if (t.status === 'error') {
      return `<tr class="row-error"><td>${link}</td><td><span class="badge status-error">ERROR</span> ${t.errors.map((e) => `<code>${esc(e.code)}</code>`).join(' ')}</td><td colspan="5" class="not-checked">not checked — compliance unknown</td></tr>`;
    }
    const s = t.summary;
    const worst = SEVERITIES.find((sev) => (s.bySeverity[sev] ?? 0) > 0);
    return `<tr><td>${link}</td><td>${s.failing > 0 ? '<span class="badge status-fail">FAILING</span>' : '<span class="badge status-ok">OK</span>'}</td><td class="num">${s.failing}</td><td>${worst ? severityBadge(worst) : '<span class="muted">—</span>'}</td><td class="num">${s.new + s.reopened}</td><td class="num">${s.resolved}</td><td class="num">${s.suppressed}</td></tr>`;
  });
  return `<section class="overview" aria-label="Run overview">${banner}
<p class="totals"><strong>${report.tenants.length}</strong> tenant${report.tenants.length === 1 ? '' : 's'} · <strong>${totals.failing}</strong> failing · <strong>${totals.new}</strong> new · <strong>${totals.reopened}</strong> reopened · <strong>${totals.resolved}</strong> resolved</p>
<table class="data tenants-table"><thead><tr><th>Tenant</th><th>Status</th><th>Failing</th><th>Worst</th><th>New or reopened</th><th>Resolved</th><th>Suppressed</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

const CSS = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;--ok:#1a7f37;--err:#b3261e;--warn:#9a6700}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans",Arial,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:22px;margin:0}h3{font-size:18px;margin:28px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
h4{display:inline;font-size:16px;margin:0}h5{font-size:15px;margin:18px 0 8px}h6{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin:0 0 6px}
code,pre{font-family:ui-monospace,"SFMono-Regular","DejaVu Sans Mono","Liberation Mono",Menlo,Consolas,monospace;font-size:13px}
code{background:var(--soft);padding:1px 4px;border-radius:4px;overflow-wrap:anywhere}
pre{background:#0d1117;color:#e6edf3;padding:10px 12px;border-radius:6px;white-space:pre-wrap;overflow-wrap:anywhere;margin:0}
a{color:#0969da}
.muted{color:var(--muted)}.small{font-size:13px}
.page-head{border-bottom:3px solid var(--fg);padding-bottom:12px;margin-bottom:18px}
.run-meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:10px 0 0;font-size:14px}
.run-meta dt{color:var(--muted)}.run-meta dd{margin:0;overflow-wrap:anywhere}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600;line-height:18px;border:1px solid transparent;white-space:nowrap;vertical-align:middle;-webkit-print-color-adjust:exact;print-color-adjust:exact}
.sev-critical.badge{background:#8e1519;color:#fff}.sev-high.badge{background:#c2410c;color:#fff}.sev-medium.badge{background:#fde68a;color:#713f12;border-color:#d4a72c}
.sev-low.badge{background:#dbeafe;color:#1e3a8a;border-color:#93c5fd}.sev-informational.badge{background:#eef1f4;color:#424a53;border-color:#c8d1da}
.drift-new{background:#ede9fe;color:#4c1d95;border-color:#c4b5fd}.drift-reopened{background:#ffedd5;color:#9a3412;border-color:#fdba74}
.drift-ongoing{background:#f3f4f6;color:#374151;border-color:#d1d5db}.drift-resolved{background:#dcfce7;color:#14532d;border-color:#86efac}
.status-ok{background:#dcfce7;color:#14532d;border-color:#86efac}.status-error{background:var(--err);color:#fff}.status-fail{background:#fee2e2;color:#7f1d1d;border-color:#fca5a5}
.warn{background:#fff8c5;color:#7d4e00;border-color:#d4a72c}.expired{background:#fee2e2;color:#7f1d1d;border-color:#fca5a5}
.banner{border-radius:8px;padding:12px 16px;margin:14px 0;border:2px solid}
.banner p{margin:4px 0}.banner-title{font-size:17px;font-weight:700}
.banner-error{background:#fdecea;border-color:var(--err);color:#5f100c}.banner-warn{background:#fff8c5;border-color:#d4a72c}
.banner-ok{background:#e6f4ea;border-color:var(--ok);color:#0f3d1d}.banner-fail{background:#fff4f2;border-color:#e3765f;color:#5f1d0c}
.errors{margin:8px 0 0;padding-left:20px}.error-item{margin:6px 0}.error-message{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:13px;overflow-wrap:anywhere}.hint{color:#5f100c;font-style:italic}
.totals{font-size:16px}
table{border-collapse:collapse}
.data{width:100%;font-size:14px;margin:6px 0}
.data th,.data td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
.data thead th{background:var(--soft);font-size:13px}
.num{text-align:right;font-variant-numeric:tabular-nums}
.row-error td{background:#fdecea}.not-checked{color:var(--err);font-weight:700}
.tenant{border-top:3px solid var(--line);margin-top:36px;padding-top:18px}
.tenant.tenant-error{border-top-color:var(--err)}
.tenant-meta{margin:4px 0 0;color:var(--muted);overflow-wrap:anywhere}
.tenant-status{font-size:13px;margin-left:8px}
.summary{margin:12px 0}
.stats{display:flex;flex-wrap:wrap;gap:8px}
.stat{border:1px solid var(--line);border-radius:8px;padding:6px 14px;min-width:92px;background:var(--bg)}
.stat-value{display:block;font-size:24px;font-weight:700;font-variant-numeric:tabular-nums}.stat-label{font-size:13px;color:var(--muted)}
.stat.zero .stat-value{color:#8c959f}.stat-failing:not(.zero){border-color:#e3765f;background:#fff4f2}.stat-new:not(.zero){border-color:#c4b5fd}.stat-reopened:not(.zero){border-color:#fdba74}.stat-resolved:not(.zero){border-color:#86efac}
.by-severity{list-style:none;display:flex;flex-wrap:wrap;gap:14px;padding:0;margin:10px 0}.by-severity .n{font-weight:700}.by-severity .zero{opacity:.55}
.inventory{font-size:14px;color:var(--muted)}.inventory strong{color:var(--fg)}
.trend figure{margin:0}.trend figcaption{font-size:13px;color:var(--muted)}
.trend-chart{max-width:100%;height:auto;font-family:inherit}
.trend-chart .bar{fill:#e3765f}.trend-chart .bar-current{fill:#8e1519}.trend-chart .bar-zero{fill:#1a7f37}
.trend-chart .grid{stroke:#e6e9ec}.trend-chart .axis{stroke:#59636e}.trend-chart text{font-size:11px;fill:#424a53}.trend-chart .value{font-weight:700;fill:#1f2328}.trend-chart .axis-label{font-size:12px;fill:#59636e}
details>summary{cursor:pointer}
.sev-group{margin:10px 0 16px}.sev-group>summary{padding:6px 0;border-bottom:1px dashed var(--line)}
.rule-group{margin-left:4px}.rule-title{font-weight:700}.rule-id{font-size:12px}
.count{display:inline-block;min-width:22px;padding:0 7px;border-radius:999px;background:#eaeef2;font-size:12px;text-align:center;vertical-align:middle}
.card{border:1px solid var(--line);border-left:6px solid #8c959f;border-radius:8px;padding:10px 14px;margin:10px 0;background:#fff;break-inside:avoid}
.card.sev-critical{border-left-color:#8e1519}.card.sev-high{border-left-color:#c2410c}.card.sev-medium{border-left-color:#d4a72c}.card.sev-low{border-left-color:#3b82f6}
.finding-head{display:flex;flex-wrap:wrap;gap:6px;align-items:center}
.finding-subject{margin-left:4px}.subject-type{color:var(--muted);font-size:13px}.subject-id{font-size:12px}
.message{margin:8px 0;font-size:15px}
.note-reopened{background:#fff4e5;border-left:3px solid #fdba74;padding:4px 8px;margin:6px 0;font-size:14px}
.finding-meta{display:flex;flex-wrap:wrap;gap:4px 22px;margin:6px 0 10px;font-size:13px}.finding-meta dt{color:var(--muted);display:inline}.finding-meta dt::after{content:": "}.finding-meta dd{display:inline;margin:0}
.finding-body{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:14px}
@media (max-width:820px){.finding-body{grid-template-columns:1fr}}
.ev,.ev-nested{font-size:13px;width:100%}
.ev th,.ev td,.ev-nested th,.ev-nested td{border-top:1px solid #eaeef2;padding:3px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
.ev th,.ev-nested th{color:var(--muted);font-weight:600;white-space:nowrap;width:1%}.ev th.long-key,.ev-nested th.long-key{white-space:normal;min-width:10em}
.ev td,.ev-nested td{min-width:10em}
.ev-nested{background:var(--soft);border-radius:4px}
.ev-list{margin:0;padding:0;list-style:none}.ev-list li{display:inline}.ev-list li+li::before{content:", "}
.ev-items{margin:0;padding-left:18px}
.compact-findings{width:100%;font-size:13px}.compact-findings td:last-child code{white-space:nowrap;font-size:12px}.compact-findings th,.compact-findings td{border-bottom:1px solid #eaeef2;padding:4px 6px;text-align:left;vertical-align:top}
.more>summary{color:var(--muted);font-size:14px;margin:6px 0}
.all-clear{color:var(--ok);font-weight:600}
.notes li{margin:4px 0}
footer{margin-top:40px;border-top:1px solid var(--line);padding-top:10px;color:var(--muted);font-size:13px}
@media print{
  body{font-size:10.5pt}main{max-width:none;padding:0}
  a{color:inherit;text-decoration:none}
  details::details-content{content-visibility:visible;display:block}
  details>summary{list-style:none}
  .tenant{break-before:page}.tenant:first-of-type{break-before:auto}
  .card,.data tr,.banner{break-inside:avoid}
  pre{background:#fff;color:#000;border:1px solid #999}
  .badge,.banner,.stat{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
`;

export function renderHtml(report: RunReport, options: HtmlOptions = {}): string {
  const title = `Qlik access compliance report — ${report.runId}`;
  const generated = [`${report.tool.name} ${report.tool.version}`, options.generatedBy].filter(Boolean).join(' · ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${esc(generated)}">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header class="page-head">
<h1>Qlik access compliance report</h1>
<dl class="run-meta">
<dt>Run</dt><dd><code>${esc(report.runId)}</code></dd>
<dt>Started</dt><dd>${esc(utc(report.startedAt))}</dd>
<dt>Finished</dt><dd>${esc(utc(report.finishedAt))}${duration(report.startedAt, report.finishedAt) ? ` <span class="muted">(${esc(duration(report.startedAt, report.finishedAt))})</span>` : ''}</dd>
<dt>Policy</dt><dd><strong>${esc(report.policy.name)}</strong> · sha256 <code>${esc(report.policy.sha256)}</code></dd>
</dl>
</header>
${overview(report)}
${report.tenants.map((t, i) => tenantSection(report, t, i, options)).join('\n')}
<footer>Generated by ${esc(generated)} · report schema ${esc(report.schemaVersion)} · the same run is stored as report.json, findings.csv and findings.ocsf.jsonl with the same finding ids.</footer>
</main>
</body>
</html>
`;
}
