/**
 * The evidence document as one self-contained HTML page for auditors: per tenant a coverage strip (each expected run
 * present, missing or failed to check), the hash chain's verdict, findings as timelines over the period, time to
 * resolve by severity, exceptions, remediations and the control matrix.
 *
 * Same rules as the run report (lambda/report/html.ts): inline CSS only, no script, no external resource, the same
 * Content-Security-Policy, and every value from a tenant or a file goes through the escaping `html` tag.
 */
import { html, type SafeHtml, trustedHtml } from '../report/escape';
import { REPORT_CSP } from '../report/html';
import { REPORT_CSS } from '../report/html-style';
import { SEVERITIES, type Severity } from '../report/model';
import { truncate } from '../util/tenant-text';
import { isRecord, plural } from '../util/text';
import {
  type ControlEvidence,
  type CoverageSlot,
  type EvidenceDocument,
  type ExceptionEvidence,
  type FindingTimeline,
  isComplete,
  type RemediationEvidence,
  type TenantEvidence,
} from './model';

/** Timeline rows per tenant; the JSON document carries every finding. */
export const TIMELINE_ROW_LIMIT = 500;
/** Characters of a free-form remediation field (target, role) shown in a cell. */
const FIELD_CHARS = 160;

const EVIDENCE_CSS = `
.strip{display:flex;flex-wrap:wrap;gap:2px;list-style:none;padding:0;margin:8px 0}
.slot{width:10px;height:18px;border-radius:2px;-webkit-print-color-adjust:exact;print-color-adjust:exact}
.slot-present{background:#1a7f37}
.slot-missing{background:#fff;border:2px solid #b3261e}
.slot-failed{background:#b3261e}
.legend{display:flex;gap:16px;font-size:13px;color:var(--muted);list-style:none;padding:0;margin:4px 0}
.legend .slot{display:inline-block;vertical-align:middle;margin-right:4px}
.timeline{position:relative;min-width:160px;height:14px;background:var(--soft);border-radius:3px}
.timeline .open{position:absolute;top:2px;height:10px;border-radius:2px;background:#e3765f}
.timeline .open.status-resolved{background:#1a7f37}
.timeline .open.status-accepted{background:#d4a72c}
.verdict-ok{color:var(--ok);font-weight:700}
.verdict-bad{color:var(--err);font-weight:700}
`;

const SEVERITY_LABEL: Record<Severity, string> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  informational: 'Informational',
};

const SLOT_LABEL: Record<CoverageSlot['state'], string> = {
  present: 'checked',
  missing: 'missing: no run archived',
  failed: 'ran, but could not check the tenant',
};

function utc(iso: string | null | undefined): string {
  if (!iso) return '';
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

/** A remediation's target or role: `Ravi Patel (64b1…)` when it has a name, else its JSON. */
function fieldText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (isRecord(value) && typeof value.name === 'string') {
    return truncate(typeof value.id === 'string' ? `${value.name} (${value.id})` : value.name, FIELD_CHARS);
  }
  return truncate(typeof value === 'string' ? value : JSON.stringify(value), FIELD_CHARS);
}

/** `1 day`, `12 hours`, `90 minutes`. */
function interval(minutes: number): string {
  if (minutes % 1440 === 0) return plural(minutes / 1440, 'day');
  if (minutes % 60 === 0) return plural(minutes / 60, 'hour');
  return plural(minutes, 'minute');
}

const muted = (text: string) => html`<span class="muted">${text}</span>`;

function severityBadge(severity: Severity): SafeHtml {
  return html`<span class="badge sev-${severity}">${SEVERITY_LABEL[severity] ?? severity}</span>`;
}

function coverageSection(tenant: TenantEvidence): SafeHtml {
  const { coverage } = tenant;
  const basis =
    coverage.basis === 'schedule'
      ? `the schedule ${coverage.schedule ?? ''}`
      : coverage.basis === 'cadence'
        ? `the runs' own cadence (one every ${interval(coverage.intervalMinutes ?? 0)})`
        : 'the runs alone (too few to infer a cadence)';
  const slots = coverage.slots.map(
    (slot) =>
      html`<li class="slot slot-${slot.state}" data-state="${slot.state}" title="${utc(slot.at)}: ${SLOT_LABEL[slot.state]}${slot.runId ? ` (run ${slot.runId})` : ''}"></li>`,
  );
  const gaps = tenant.gaps.map(
    (gap) =>
      html`<li class="gap">${gap.from === gap.to ? utc(gap.from) : html`${utc(gap.from)} – ${utc(gap.to)}`} ${muted(`(${plural(gap.missed, 'expected run')} missing)`)}</li>`,
  );
  const failed = coverage.slots.filter((slot) => slot.state === 'failed');
  return html`<section class="block coverage"><h3>Coverage</h3>
<p class="totals"><strong>${tenant.runs}</strong> runs archived of <strong>${tenant.expectedRuns}</strong> expected
${muted(`(expected from ${basis})`)}; <strong>${tenant.runsFailed}</strong> could not check the tenant.</p>
<ol class="strip" aria-label="expected runs">${slots}</ol>
<ul class="legend"><li><span class="slot slot-present"></span>checked</li><li><span class="slot slot-failed"></span>could not check</li>
<li><span class="slot slot-missing"></span>missing</li></ul>
${gaps.length > 0 ? html`<h5>Gaps (${plural(gaps.length, 'stretch', 'stretches')} without a run)</h5><ul class="gaps">${gaps}</ul>` : html`<p class="all-clear">No gaps: every expected run is in the archive.</p>`}
${failed.length > 0 ? html`<h5>Runs that could not check the tenant</h5><ul class="failed-runs">${failed.map((s) => html`<li>${utc(s.at)} ${muted(`run ${s.runId ?? ''}`)}</li>`)}</ul>` : ''}
</section>`;
}

function chainSection(tenant: TenantEvidence): SafeHtml {
  const { chain } = tenant;
  if (chain.ok) {
    return html`<section class="block chain"><h3>Hash chain</h3><div class="banner banner-ok" data-chain="ok">
<p class="banner-title">✔ The chain verifies: no stored run was altered, removed or reordered.</p></div></section>`;
  }
  const problems = chain.problems.map(
    (p) => html`<li class="error-item"><strong><code>${p.kind}</code></strong> <code>${p.key}</code>
<div class="error-message">${p.detail}</div></li>`,
  );
  return html`<section class="block chain"><h3>Hash chain</h3><div class="banner banner-error" role="alert" data-chain="broken">
<p class="banner-title">✖ The chain does not verify: ${plural(chain.problems.length, 'problem')}</p>
<ul class="errors">${problems}</ul></div></section>`;
}

function timelineBar(finding: FindingTimeline, startMs: number, endMs: number): SafeHtml {
  const span = Math.max(1, endMs - startMs);
  const from = Math.max(startMs, Date.parse(finding.firstSeen));
  const to = Math.min(endMs, finding.resolvedAt ? Date.parse(finding.resolvedAt) : endMs);
  const left = Math.min(100, Math.max(0, ((from - startMs) / span) * 100));
  const width = Math.max(0.5, Math.min(100 - left, ((to - from) / span) * 100));
  return html`<div class="timeline"><span class="open status-${finding.status}" style="left:${left.toFixed(2)}%;width:${width.toFixed(2)}%"></span></div>`;
}

function findingsSection(tenant: TenantEvidence, startMs: number, endMs: number): SafeHtml {
  if (tenant.findings.length === 0) {
    return html`<section class="block findings"><h3>Findings</h3><p class="all-clear">No finding in the period.</p></section>`;
  }
  const shown = tenant.findings.slice(0, TIMELINE_ROW_LIMIT);
  const rows = shown.map(
    (f) => html`<tr class="finding" data-finding-id="${f.id}" data-status="${f.status}">
<td>${severityBadge(f.severity)}</td><td><code class="rule-id">${f.ruleId}</code></td>
<td><span class="subject-type">${f.subject.type}</span> <strong>${f.subject.name || f.subject.id}</strong> <code class="subject-id">${f.subject.id}</code></td>
<td>${utc(f.firstSeen)}</td><td>${f.resolvedAt ? utc(f.resolvedAt) : muted('open at period end')}</td>
<td class="num">${f.openDays}</td><td>${f.status}${f.reopened > 0 ? muted(` (reopened ${f.reopened}×)`) : ''}</td>
<td>${timelineBar(f, startMs, endMs)}</td></tr>`,
  );
  const more =
    tenant.findings.length > shown.length
      ? html`<p class="muted">${plural(tenant.findings.length - shown.length, 'more finding')} in the JSON document.</p>`
      : '';
  return html`<section class="block findings"><h3>Findings <span class="count">${tenant.findings.length}</span></h3>
<table class="data"><thead><tr><th>Severity</th><th>Rule</th><th>Subject</th><th>First seen</th><th>Resolved</th>
<th class="num">Open days</th><th>Status</th><th>Over the period</th></tr></thead><tbody>${rows}</tbody></table>${more}</section>`;
}

function timeToResolveSection(tenant: TenantEvidence): SafeHtml {
  const rows = SEVERITIES.map((severity) => {
    const stats = tenant.timeToResolve[severity];
    return html`<tr data-severity="${severity}"><td>${severityBadge(severity)}</td><td class="num">${stats?.resolved ?? 0}</td>
<td class="num">${stats?.medianDays ?? '—'}</td><td class="num">${stats?.maxDays ?? '—'}</td></tr>`;
  });
  return html`<section class="block time-to-resolve"><h3>Time to resolve</h3>
<table class="data"><thead><tr><th>Severity</th><th class="num">Resolved</th><th class="num">Median days</th>
<th class="num">Max days</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function exceptionSubject(subject: ExceptionEvidence['subject']): string {
  return [subject.type ?? '', subject.name ?? '', subject.id ? `(${subject.id})` : ''].filter(Boolean).join(' ');
}

function exceptionsSection(tenant: TenantEvidence): SafeHtml {
  if (tenant.exceptions.length === 0) {
    return html`<section class="block exceptions"><h3>Exceptions (accepted risks)</h3><p class="muted">None in the period.</p></section>`;
  }
  const rows = tenant.exceptions.map(
    (
      e,
    ) => html`<tr class="exception"><td><code class="rule-id">${e.rule}</code></td><td>${exceptionSubject(e.subject) || muted('any subject')}</td>
<td>${e.reason}</td><td>${e.owner}</td><td>${e.ticket ?? muted('none')}</td>
<td>${e.expires ?? html`<span class="badge warn">no end date</span>`}${e.expired ? html` <span class="badge expired">expired</span>` : ''}</td>
<td class="num">${e.findingIds.length}</td><td>${utc(e.firstListed)} – ${utc(e.lastListed)}</td></tr>`,
  );
  return html`<section class="block exceptions"><h3>Exceptions (accepted risks) <span class="count">${tenant.exceptions.length}</span></h3>
<table class="data"><thead><tr><th>Rule</th><th>Subject</th><th>Reason</th><th>Owner</th><th>Ticket</th><th>Expires</th>
<th class="num">Findings suppressed</th><th>In the reports</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function remediationRows(remediation: RemediationEvidence): SafeHtml[] {
  return remediation.actions.map(
    (
      a,
    ) => html`<tr class="remediation-action" data-outcome="${a.outcome}"><td><code>${remediation.planId}</code></td><td>${utc(remediation.appliedAt)}</td>
<td>${a.kind}</td><td>${fieldText(a.target)}</td><td>${fieldText(a.role)}</td><td>${a.outcome}</td>
<td>${a.httpStatus ?? ''}</td><td>${a.reason ?? ''}</td></tr>`,
  );
}

function remediationsSection(tenant: TenantEvidence): SafeHtml {
  if (tenant.remediations.length === 0) {
    return html`<section class="block remediations"><h3>Remediations</h3><p class="muted">None applied in the period.</p></section>`;
  }
  return html`<section class="block remediations"><h3>Remediations <span class="count">${tenant.remediations.length}</span></h3>
<table class="data"><thead><tr><th>Plan</th><th>Applied</th><th>Action</th><th>Target</th><th>Role</th><th>Outcome</th>
<th>HTTP</th><th>Reason</th></tr></thead><tbody>${tenant.remediations.flatMap(remediationRows)}</tbody></table></section>`;
}

function controlRow(control: ControlEvidence): SafeHtml {
  return html`<tr class="control" data-control="${control.framework} ${control.control}"><td>${control.framework}</td>
<td><strong>${control.control}</strong></td><td>${control.ruleIds.map((id) => html`<code class="rule-id">${id}</code> `)}</td>
<td class="num">${control.runsFailing}</td><td class="num">${control.runsPassing}</td></tr>`;
}

function controlsSection(tenant: TenantEvidence): SafeHtml {
  return html`<section class="block controls"><h3>Control matrix</h3>
<p class="muted small">Runs that could not check the tenant count as neither failing nor passing.</p>
<table class="data"><thead><tr><th>Framework</th><th>Control</th><th>Rules</th><th class="num">Runs failing</th>
<th class="num">Runs passing</th></tr></thead><tbody>${tenant.controls.map(controlRow)}</tbody></table></section>`;
}

function tenantSection(tenant: TenantEvidence, startMs: number, endMs: number): SafeHtml {
  const complete = isComplete(tenant);
  return html`<section class="tenant${complete ? '' : ' tenant-error'}" data-tenant-id="${tenant.tenantId}">
<h2>${tenant.name} <span class="badge ${complete ? 'status-ok' : 'status-error'} tenant-status">${complete ? 'complete' : 'incomplete'}</span></h2>
<p class="tenant-meta">Tenant id <code>${tenant.tenantId}</code></p>
${coverageSection(tenant)}
${chainSection(tenant)}
${findingsSection(tenant, startMs, endMs)}
${timeToResolveSection(tenant)}
${exceptionsSection(tenant)}
${remediationsSection(tenant)}
${controlsSection(tenant)}
</section>`;
}

function overview(document: EvidenceDocument): SafeHtml {
  const rows = document.tenants.map(
    (t) => html`<tr class="${isComplete(t) ? '' : 'row-error'}"><td>${t.name}</td><td class="num">${t.runs}</td>
<td class="num">${t.expectedRuns}</td><td class="num">${t.gaps.length}</td><td class="num">${t.runsFailed}</td>
<td>${t.chain.ok ? html`<span class="verdict-ok">verifies</span>` : html`<span class="verdict-bad">${plural(t.chain.problems.length, 'problem')}</span>`}</td>
<td class="num">${t.findings.filter((f) => f.status !== 'resolved').length}</td>
<td class="num">${t.findings.filter((f) => f.status === 'resolved').length}</td></tr>`,
  );
  return html`<section class="summary"><table class="data"><thead><tr><th>Tenant</th><th class="num">Runs</th>
<th class="num">Expected</th><th class="num">Gaps</th><th class="num">Could not check</th><th>Chain</th>
<th class="num">Open findings</th><th class="num">Resolved</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

export function renderEvidenceHtml(document: EvidenceDocument): string {
  const startMs = Date.parse(document.period.from);
  const endMs = Math.min(Date.parse(document.period.to) + 1, Date.parse(document.generatedAt));
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Qlik access evidence — ${utc(document.period.from)} to ${utc(document.period.to)}</title>
<style>${trustedHtml(REPORT_CSS)}${trustedHtml(EVIDENCE_CSS)}</style>
</head>
<body>
<main>
<header class="page-head">
<h1>Qlik access evidence</h1>
<dl class="run-meta">
<dt>Period</dt><dd>${utc(document.period.from)} – ${utc(document.period.to)}</dd>
<dt>Generated</dt><dd>${utc(document.generatedAt)}</dd>
<dt>Archive</dt><dd><code>${document.archive}</code></dd>
</dl>
</header>
${overview(document)}
${document.tenants.map((t) => tenantSection(t, startMs, endMs))}
<footer>Evidence schema ${document.schemaVersion} · the same evidence as JSON: <code>evidence --json</code>.</footer>
</main>
</body>
</html>
`;
  return page.value;
}
