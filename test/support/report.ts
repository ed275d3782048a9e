/** Report parts for tests that need a run's output as input (evidence, alerts, the Lambda door), not a real run. */
import {
  type Finding,
  SEVERITIES,
  type Severity,
  type TenantReport,
  type TenantSummary,
} from '../../lambda/report/model';

/** A tenant summary with every count zero, `overrides` on top. */
export function tenantSummary(overrides: Partial<TenantSummary> = {}): TenantSummary {
  return {
    failing: 0,
    suppressed: 0,
    errors: 0,
    new: 0,
    ongoing: 0,
    reopened: 0,
    resolved: 0,
    bySeverity: Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>,
    byRule: {},
    ...overrides,
  };
}

/** A failing, new finding of tenant `t`; `overrides` name what the test is about. */
export function failingFinding(overrides: Partial<Finding> & Pick<Finding, 'id'>): Finding {
  return {
    tenantId: 't',
    ruleId: 'api-key-owner-lacks-manage-permission',
    title: 'title',
    severity: 'critical',
    subject: { type: 'user', id: `u-${overrides.id}`, name: overrides.id },
    message: 'm',
    evidence: {},
    remediation: 'r',
    status: 'fail',
    drift: 'new',
    ...overrides,
  };
}

/**
 * Tenant `t` (acme) as a run reports it: checked with `findings` (failing count set from them), or not checked
 * (status error, one error). `overrides` on top.
 */
export function checkedTenant(
  status: 'ok' | 'error',
  findings: Finding[],
  overrides: Partial<TenantReport> = {},
): TenantReport {
  return {
    tenantUrl: 'https://acme.eu.qlikcloud.com',
    tenantId: 't',
    name: 'acme',
    status,
    errors: status === 'error' ? [{ code: 'unauthorized', message: 'the credential was refused' }] : [],
    findings,
    resolved: [],
    notifications: [],
    exceptions: [],
    summary: tenantSummary({ failing: findings.length, errors: status === 'error' ? 1 : 0 }),
    ...overrides,
  };
}
