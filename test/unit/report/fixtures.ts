/**
 * Builders for run reports the renderers are tested on. Counts in summaries are derived from the findings, so a test
 * that changes findings cannot leave a stale summary behind.
 */
import { createHash } from 'node:crypto';
import {
  type ExceptionRecord,
  type Finding,
  findingId,
  type NotificationRecord,
  REPORT_SCHEMA_VERSION,
  type ReportError,
  type RunReport,
  SEVERITIES,
  type Severity,
  type Subject,
  type TenantReport,
  type TenantSummary,
} from '../../../lambda/report/model';
import type { TrendPoint } from '../../../lambda/report/trend';

export const RUN_ID = '2026-03-02T06:00:00Z';
export const STARTED_AT = '2026-03-02T06:00:00.000Z';
export const FINISHED_AT = '2026-03-02T06:00:41.250Z';
export const POLICY_SHA256 = createHash('sha256').update('policy: default\n').digest('hex');

export interface FindingInput extends Partial<Omit<Finding, 'subject'>> {
  readonly subject?: Partial<Subject>;
}

const RULE_TITLES: Record<string, string> = {
  'api-key-owner-lacks-manage-permission': 'API key owners hold Manage API keys',
  'deprecated-developer-role-assigned': 'The deprecated Developer role is not assigned',
  'api-key-owner-inactive': 'API keys belong to active users',
  'api-key-expiring': 'API keys are not about to expire',
  'manage-api-keys-granted-to-everyone': 'Manage API keys is not granted to everyone',
};

export function makeFinding(tenantId: string, input: FindingInput = {}): Finding {
  const ruleId = input.ruleId ?? 'api-key-owner-lacks-manage-permission';
  const subject: Subject = {
    type: input.subject?.type ?? 'user',
    id: input.subject?.id ?? 'user-1',
    name: input.subject?.name ?? 'Ada Lovelace',
  };
  return {
    id: input.id ?? findingId(tenantId, ruleId, subject),
    tenantId,
    ruleId,
    title: input.title ?? RULE_TITLES[ruleId] ?? `Rule ${ruleId} passes`,
    severity: input.severity ?? 'critical',
    status: input.status ?? 'fail',
    drift: input.drift ?? 'new',
    subject,
    message:
      input.message ??
      `${subject.name} owns 2 active API keys but holds Manage API keys through no role or group; the keys are disabled and integrations get 401.`,
    evidence: input.evidence ?? {
      user: { id: subject.id, name: subject.name, status: 'active', email: 'ada@example.com' },
      apiKeys: [
        { id: 'key-1', description: 'nightly reload', expiry: '2026-09-01T00:00:00.000Z' },
        { id: 'key-2', description: 'catalog sync', expiry: '2026-12-01T00:00:00.000Z' },
      ],
      grantPaths: [],
      rolesSeen: ['Developer (default, deprecated: not a path)', 'Analyzer'],
    },
    remediation:
      input.remediation ??
      [
        'Assign the custom role that grants Manage API keys to the user:',
        `PATCH /api/v1/users/${subject.id}`,
        '[{ "op": "add", "path": "/assignedRoles/-", "value": { "id": "<api-key-managers role id>" } }]',
      ].join('\n'),
    ...(input.compliance ? { compliance: input.compliance } : {}),
    firstSeen: input.firstSeen ?? '2026-02-23T06:00:12.000Z',
    lastSeen: input.lastSeen ?? '2026-03-02T06:00:12.000Z',
    ...(input.exception ? { exception: input.exception } : {}),
  };
}

export function summarize(findings: readonly Finding[], resolved: readonly Finding[], errors = 0): TenantSummary {
  const failing = findings.filter((f) => f.status === 'fail');
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const byRule: Record<string, number> = {};
  for (const f of failing) {
    bySeverity[f.severity] += 1;
    byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;
  }
  const active = findings.filter((f) => f.status !== 'suppressed');
  return {
    failing: failing.length,
    suppressed: findings.length - active.length,
    errors,
    new: active.filter((f) => f.drift === 'new').length,
    ongoing: active.filter((f) => f.drift === 'ongoing').length,
    reopened: active.filter((f) => f.drift === 'reopened').length,
    resolved: resolved.length,
    bySeverity,
    byRule,
  };
}

export interface TenantInput extends Partial<Omit<TenantReport, 'summary'>> {
  readonly summary?: Partial<TenantSummary>;
}

export function makeTenant(input: TenantInput = {}): TenantReport {
  const tenantId = input.tenantId ?? 'tenant-acme';
  const findings = input.findings ?? [];
  const resolved = input.resolved ?? [];
  const errors: ReportError[] = input.errors ?? [];
  return {
    tenantUrl: input.tenantUrl ?? 'https://acme.eu.qlikcloud.com',
    tenantId,
    ...(input.tenantName !== undefined ? { tenantName: input.tenantName } : {}),
    status: input.status ?? (errors.length > 0 ? 'error' : 'ok'),
    errors,
    findings,
    resolved,
    notifications: input.notifications ?? [],
    exceptions: input.exceptions ?? [],
    summary: { ...summarize(findings, resolved, errors.length), ...input.summary },
    ...(input.notes ? { notes: input.notes } : {}),
    ...(input.reportLocation ? { reportLocation: input.reportLocation } : {}),
  };
}

export function makeRunReport(tenants: TenantReport[], input: Partial<Omit<RunReport, 'tenants'>> = {}): RunReport {
  return {
    schemaVersion: input.schemaVersion ?? REPORT_SCHEMA_VERSION,
    runId: input.runId ?? RUN_ID,
    startedAt: input.startedAt ?? STARTED_AT,
    finishedAt: input.finishedAt ?? FINISHED_AT,
    tool: input.tool ?? { name: 'qlik-access-guard', version: '0.1.0' },
    policy: input.policy ?? { name: 'default', sha256: POLICY_SHA256 },
    tenants,
  };
}

export const EXPIRED_EXCEPTION: ExceptionRecord = {
  rule: 'deprecated-developer-role-assigned',
  subject: { type: 'group', id: 'group-legacy' },
  reason: 'Legacy ETL group kept Developer during the migration window',
  owner: 'platform-team@example.com',
  ticket: 'OPS-1201',
  expires: '2026-03-01',
  created: '2026-01-15',
};

export const ACTIVE_EXCEPTION: ExceptionRecord = {
  rule: 'api-key-expiring',
  subject: { type: 'apiKey', id: 'key-svc-backup' },
  reason: 'Backup service key is rotated by the vendor on 2026-03-10',
  owner: 'Grace Hopper',
  ticket: 'SEC-77',
  expires: '2026-03-15',
  created: '2026-02-20',
};

/** One ok tenant with every kind of finding, one clean tenant and one tenant that could not be checked. */
export function sampleReport(): RunReport {
  const acme = 'tenant-acme';
  const findings: Finding[] = [
    makeFinding(acme, {
      severity: 'critical',
      drift: 'new',
      compliance: { 'SOC 2': ['CC6.1', 'CC6.2'], 'ISO 27001:2022': ['A.5.15', 'A.5.18'] },
    }),
    makeFinding(acme, {
      ruleId: 'api-key-owner-lacks-manage-permission',
      subject: { type: 'user', id: 'user-2', name: 'Alan Turing' },
      severity: 'critical',
      drift: 'ongoing',
      firstSeen: '2026-02-16T06:00:10.000Z',
    }),
    makeFinding(acme, {
      ruleId: 'deprecated-developer-role-assigned',
      subject: { type: 'group', id: 'group-legacy', name: 'Legacy ETL' },
      severity: 'high',
      drift: 'reopened',
      message: 'Group Legacy ETL is assigned the deprecated Developer role; its exception expired on 2026-03-01.',
      evidence: { group: { id: 'group-legacy', name: 'Legacy ETL' }, role: { id: 'role-dev', name: 'Developer' } },
      remediation: 'PATCH /api/v1/groups/group-legacy\n[{ "op": "remove", "path": "/assignedRoles/0" }]',
      exception: { ...EXPIRED_EXCEPTION, expired: true },
    }),
    makeFinding(acme, {
      ruleId: 'api-key-owner-inactive',
      subject: { type: 'apiKey', id: 'key-orphan', name: 'old sync key' },
      severity: 'medium',
      drift: 'ongoing',
      message: 'API key "old sync key" belongs to a disabled user.',
      evidence: { apiKey: { id: 'key-orphan', status: 'active' }, owner: { id: 'user-9', status: 'disabled' } },
      remediation: 'DELETE /api/v1/api-keys/key-orphan',
    }),
    makeFinding(acme, {
      ruleId: 'api-key-expiring',
      subject: { type: 'apiKey', id: 'key-svc-backup', name: 'backup service' },
      severity: 'low',
      status: 'suppressed',
      drift: 'ongoing',
      message: 'API key "backup service" expires on 2026-03-09, within 14 days.',
      evidence: { apiKey: { id: 'key-svc-backup', expiry: '2026-03-09T00:00:00.000Z' }, windowDays: 14 },
      remediation: 'POST /api/v1/api-keys with a new expiry, then DELETE /api/v1/api-keys/key-svc-backup',
      exception: ACTIVE_EXCEPTION,
    }),
  ];
  const resolved: Finding[] = [
    makeFinding(acme, {
      ruleId: 'manage-api-keys-granted-to-everyone',
      subject: { type: 'role', id: 'role-userdefault', name: 'UserDefault' },
      severity: 'medium',
      drift: 'resolved',
      message: 'UserDefault grants Manage API keys to every user.',
      evidence: { role: { id: 'role-userdefault', assignedScopes: ['api-keys'] } },
      remediation: 'PATCH /api/v1/roles/role-userdefault to remove "api-keys" from assignedScopes',
      lastSeen: '2026-02-23T06:00:12.000Z',
    }),
  ];
  const notifications: NotificationRecord[] = [
    {
      eventType: 'drift',
      channel: 'email',
      severity: 'critical',
      subject: '[qlik-access-guard] acme: 1 new, 1 reopened',
    },
    { eventType: 'drift', channel: 'chat', severity: 'critical', subject: 'acme: 1 new critical finding' },
  ];
  const ok = makeTenant({
    tenantId: acme,
    tenantName: 'Acme Analytics',
    findings,
    resolved,
    notifications,
    exceptions: [ACTIVE_EXCEPTION, EXPIRED_EXCEPTION],
    summary: { users: 1240, groups: 85, roles: 14, apiKeys: 37, requests: 52, durationMs: 8120 },
    notes: ['The tenant still returns the legacy api_keys_enabled field (true).'],
    reportLocation: 's3://qag-reports/tenant-acme/2026-03-02T06:00:00Z/',
  });
  const clean = makeTenant({
    tenantId: 'tenant-globex',
    tenantUrl: 'https://globex.us.qlikcloud.com',
    tenantName: 'Globex',
    summary: { users: 310, groups: 12, roles: 9, apiKeys: 4 },
  });
  const broken = makeTenant({
    tenantId: 'initech.eu.qlikcloud.com',
    tenantUrl: 'https://initech.eu.qlikcloud.com',
    errors: [
      {
        code: 'unauthorized',
        message: "GET /api/v1/users answered 401 Authorization Required: the checker's own API key is disabled",
      },
    ],
    notifications: [
      {
        eventType: 'health',
        channel: 'email',
        severity: 'high',
        subject: '[qlik-access-guard] initech could not be checked',
      },
    ],
  });
  return makeRunReport([ok, clean, broken]);
}

/** Text that breaks naive renderers: markup, quotes, separators, line breaks, formulas, non-ASCII. */
export const HOSTILE = {
  script: '<script>alert("pwned")</script>',
  markup: '<img src=x onerror=alert(1)>&amp; </td></tr></table>',
  csvBreaker: 'Doe, "Johnny"\r\nsecond line',
  formula: '=HYPERLINK("http://evil.example","click")',
  plus: '+1-555-0100',
  minus: '-2+3',
  at: '@SUM(A1:A9)',
  tab: '\tleading tab',
  cr: '\rleading carriage return',
  unicode: 'Zoë Łukasiewicz 日本語 🚀 \u202Eevil\u2028next',
} as const;

export function hostileReport(): RunReport {
  const tenantId = 'tenant-<b>x</b>';
  const findings = Object.entries(HOSTILE).map(([key, text], index) =>
    makeFinding(tenantId, {
      subject: { type: 'user', id: `user-${key}`, name: text },
      severity: SEVERITIES[index % SEVERITIES.length],
      drift: index % 2 === 0 ? 'new' : 'ongoing',
      message: `${text} owns a key`,
      evidence: { [`field ${text}`]: text, nested: { deeper: text, list: [text, text] } },
      remediation: `PATCH /api/v1/users/${encodeURIComponent(key)}\n${text}`,
    }),
  );
  return makeRunReport(
    [
      makeTenant({
        tenantId,
        tenantUrl: 'https://"><script>alert(2)</script>.qlikcloud.com',
        tenantName: HOSTILE.script,
        findings,
        exceptions: [{ ...ACTIVE_EXCEPTION, reason: HOSTILE.script, owner: HOSTILE.formula }],
        notes: [HOSTILE.markup],
      }),
    ],
    { policy: { name: HOSTILE.script, sha256: POLICY_SHA256 } },
  );
}

/** A tenant with `count` failing findings spread over severities, rules and drift states. */
export function largeReport(count: number): RunReport {
  const tenantId = 'tenant-big';
  const rules = Object.keys(RULE_TITLES);
  const drifts = ['new', 'ongoing', 'reopened'] as const;
  const findings: Finding[] = [];
  for (let i = 0; i < count; i += 1) {
    const ruleId = rules[i % rules.length] ?? 'api-key-expiring';
    findings.push(
      makeFinding(tenantId, {
        ruleId,
        subject: { type: 'user', id: `user-${i}`, name: `User Number ${i}` },
        severity: SEVERITIES[i % SEVERITIES.length],
        drift: drifts[i % drifts.length],
      }),
    );
  }
  return makeRunReport([makeTenant({ tenantId, tenantUrl: 'https://big.eu.qlikcloud.com', findings })]);
}

/** Daily runs from 2026-01-01, oldest first; none of them is the current run. */
export function trendHistory(count: number, failing: (i: number) => number = (i) => i % 5): TrendPoint[] {
  return Array.from({ length: count }, (_, i) => ({
    runId: `run-${String(i).padStart(3, '0')}`,
    at: new Date(Date.UTC(2026, 0, 1 + i, 6)).toISOString(),
    failing: failing(i),
    new: i % 3,
    resolved: i % 2,
  }));
}
