/** Builders for notification tests: findings and tenant reports as drift would hand them over. */
import { applyDrift } from '../../../lambda/drift/apply';
import type { PolicyException } from '../../../lambda/drift/exceptions';
import type { TenantState } from '../../../lambda/drift/state';
import type { AlertContext, DriftDigest } from '../../../lambda/notify/content';
import type { NotificationSettings, PlanInput } from '../../../lambda/notify/plan';
import { type Finding, type FindingDraft, findingId, type TenantReport } from '../../../lambda/report/model';
import { tenantSummary } from '../../support/report';

export const TENANT_ID = 'Zk3xQm9vT0tenantIdForTests000001';
export const TENANT_URL = 'https://acme.eu.qlikcloud.com';
export const LACKS = 'api-key-owner-lacks-manage-permission';
export const DEVELOPER = 'deprecated-developer-role-assigned';

export const SETTINGS: NotificationSettings = {
  reminderEveryDays: 7,
  credentialExpiryWarningDays: 14,
  maxItemsPerSection: 25,
};

/** Token-shaped values planted in evidence: none may ever reach an alert. */
export const SECRETS = {
  jwt: 'eyJhbGciOiJFUzM4NCIsImtpZCI6ImFiYyJ9.eyJzdWIiOiJ1MSIsInN1YlR5cGUiOiJ1c2VyIn0.c2lnbmF0dXJlLXNlY3JldA',
  bearer: 'Bearer s3cr3tAccessTokenValue-XYZ',
  clientSecret: 'client-secret-value-42-do-not-leak',
} as const;

/** What a rendered alert knows of the tenant and run, as the plan would fill it in. */
export function alertContext(overrides: Partial<AlertContext> = {}): AlertContext {
  return {
    tenantName: 'acme',
    tenantId: TENANT_ID,
    tenantUrl: TENANT_URL,
    runId: '2026-03-01T06:00:00Z',
    reportLink: 'https://reports.example.com/run/1',
    maxItemsPerSection: 25,
    ...overrides,
  };
}

/** A drift alert of `changed` findings, all new, nothing resolved or still failing; `overrides` on top. */
export function driftDigest(changed: Finding[], overrides: Partial<DriftDigest> = {}): DriftDigest {
  return {
    kind: 'drift',
    context: alertContext(),
    severity: 'critical',
    counts: { new: changed.length, reopened: 0, exceptionExpired: 0, resolved: 0 },
    changed,
    resolved: [],
    stillFailing: [],
    totals: { failing: changed.length, suppressed: 0 },
    ...overrides,
  };
}

export function userDraft(id: string, name: string, overrides: Partial<FindingDraft> = {}): FindingDraft {
  return {
    ruleId: LACKS,
    severity: 'critical',
    subject: { type: 'user', id, name },
    message: `${name} owns an active API key but holds Manage API keys through no role; integrations get 401.`,
    evidence: {
      user: { id, name, email: `${name.toLowerCase().replace(/\W+/g, '.')}@example.com`, apiKey: SECRETS.jwt },
      apiKeys: [{ id: `key-${id}`, description: 'CI pipeline', expiry: '2026-12-31T00:00:00Z', token: SECRETS.jwt }],
      authorization: SECRETS.bearer,
      oauth: { clientSecret: SECRETS.clientSecret },
    },
    remediation: `PATCH /api/v1/users/${id} replacing /assignedRoles with its roles plus AllowManageAPIKeys.`,
    ...overrides,
  };
}

export function groupDraft(id: string, name: string): FindingDraft {
  return {
    ruleId: DEVELOPER,
    severity: 'high',
    subject: { type: 'group', id, name },
    message: `Group ${name} is assigned the removed Developer role.`,
    evidence: { group: { id, name }, secret: SECRETS.clientSecret },
    remediation: `PATCH /api/v1/groups/${id} replacing /assignedRoles without Developer.`,
  };
}

export function titleOf(ruleId: string): string {
  return ruleId === LACKS ? 'API-key owners hold Manage API keys' : `Title of ${ruleId}`;
}

export function dayAt(day: number, time = '06:00:00'): Date {
  return new Date(`2026-03-${String(day).padStart(2, '0')}T${time}Z`);
}

export function tenantReport(
  findings: Finding[],
  resolved: Finding[] = [],
  overrides: Partial<TenantReport> = {},
): TenantReport {
  return {
    tenantUrl: TENANT_URL,
    tenantId: TENANT_ID,
    tenantName: 'acme',
    status: 'ok',
    errors: [],
    findings,
    resolved,
    notifications: [],
    exceptions: [],
    summary: tenantSummary(),
    ...overrides,
  };
}

/** A finding as drift returns it, without running drift. */
export function finding(draft: FindingDraft, overrides: Partial<Finding> = {}): Finding {
  return {
    ...draft,
    id: findingId(TENANT_ID, draft.ruleId, draft.subject),
    tenantId: TENANT_ID,
    title: titleOf(draft.ruleId),
    status: 'fail',
    drift: 'new',
    firstSeen: '2026-03-01T06:00:00.000Z',
    lastSeen: '2026-03-01T06:00:00.000Z',
    ...overrides,
  };
}

/**
 * One scheduled run end to end through drift and the notification plan, the way the orchestrator chains them.
 */
export function checkRun(options: {
  previous: TenantState | undefined;
  drafts: FindingDraft[];
  now: Date;
  exceptions?: PolicyException[];
  settings?: Partial<NotificationSettings>;
  plan?: Partial<PlanInput>;
}) {
  const runId = options.now.toISOString();
  const drift = applyDrift({
    tenantId: TENANT_ID,
    runId,
    now: options.now,
    previous: options.previous,
    drafts: options.drafts,
    exceptions: options.exceptions ?? [],
    titleOf,
    developerHolders: { users: [], groups: [] },
  });
  const input: PlanInput = {
    tenant: tenantReport(drift.findings, drift.resolved),
    tenantName: 'acme',
    runId,
    now: options.now,
    previous: options.previous,
    next: drift.next,
    settings: { ...SETTINGS, ...options.settings },
    reportLink: `https://reports.example.com/${runId}`,
    ...options.plan,
  };
  return { drift, input };
}

export function hasLoneSurrogate(text: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}
