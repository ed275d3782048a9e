/**
 * Health issues: the checker itself cannot do its job for a tenant. Each says what happened, what it means and what
 * to do, because the person reading it at 6 am should not need the runbook to act.
 */

import type { ReportError, Severity } from '../report/model';
import { DAY_MS } from '../util/time';
import type { HealthIssue } from './content';

const NOT_A_PASS =
  'Nothing was checked in this run: this is not a pass. The findings of the last successful run still stand.';

interface ErrorAdvice {
  readonly headline: string;
  readonly meaning: string;
  readonly actions: readonly string[];
}

const ADVICE: Record<string, ErrorAdvice> = {
  unauthorized: {
    headline: 'cannot be checked: credential rejected (unauthorized)',
    meaning:
      "Qlik rejected the checker's own credential (HTTP 401). If the checker signs in with an API key, the likeliest " +
      'cause is the very change this tool watches for: the key owner no longer holds the Manage API keys permission ' +
      '(scope api-keys) now that the Developer role is gone, so Qlik disabled the key. The key may also have expired ' +
      'or been revoked.',
    actions: [
      'Prefer an OAuth machine-to-machine client: it is not subject to the API-key permission. Create one in the ' +
        'Administration activity center (OAuth, machine-to-machine) and store its client id and secret in this ' +
        'tenant\'s secret as { "clientId", "clientSecret" }.',
      'Or keep the API key and give its owner a role that grants Manage API keys: POST /api/v1/roles with ' +
        '"assignedScopes": ["api-keys"], then PATCH /api/v1/users/{ownerId} replacing /assignedRoles with the ' +
        "owner's roles plus the new one. Check that the key is active and unexpired.",
    ],
  },
  forbidden: {
    headline: 'cannot be checked: missing permission (forbidden)',
    meaning:
      'Qlik accepted the credential but refused to list users, groups, roles or API keys (HTTP 403). The checker ' +
      "needs the Tenant Admin role: the roles list and other users' API keys are visible to tenant admins only.",
    actions: [
      'Assign the TenantAdmin role to the user the checker runs as (PATCH /api/v1/users/{id} replacing ' +
        "/assignedRoles with the user's roles plus TenantAdmin), or switch to an OAuth machine-to-machine client.",
      'If the OAuth client asks for scopes explicitly, include admin_classic.',
    ],
  },
  'rate-limited': {
    headline: 'cannot be checked: rate-limited',
    meaning:
      'Qlik kept answering 429 Too Many Requests for longer than the tenant deadline allowed. Limits count per user ' +
      'and tenant, so integrations running as the same user share them.',
    actions: [
      'Run the checker as a user or OAuth client of its own, not shared with busy integrations.',
      'Lower tenantConcurrency or raise tenantDeadlineSeconds in the deploy configuration.',
    ],
  },
  unreachable: {
    headline: 'cannot be checked: tenant unreachable',
    meaning: 'The checker could not connect to the tenant (DNS, TLS or network failure), or the host is not allowed.',
    actions: [
      'Check the tenant URL in the configuration and that the tenant is active.',
      'For a custom domain, list it in allowedHosts.',
      'If the checker runs inside a VPC, make sure it has outbound internet access.',
    ],
  },
  timeout: {
    headline: 'cannot be checked: timed out',
    meaning:
      'The tenant did not finish answering within the per-tenant deadline; the check was stopped so the other ' +
      'tenants could run.',
    actions: [
      'Raise tenantDeadlineSeconds (and the function timeout) for a large tenant.',
      "Check Qlik Cloud's status page for incidents in the tenant's region.",
    ],
  },
  'bad-response': {
    headline: 'cannot be checked: unexpected response',
    meaning:
      'The tenant answered with something the checker could not read: an HTML page, a proxy error or an unexpected ' +
      "shape. Often the URL points at a login page or a proxy rather than the tenant's API.",
    actions: [
      "Check that the URL is the tenant's base URL, e.g. https://<tenant>.<region>.qlikcloud.com.",
      'If it persists, report it with the error below (it contains no credentials).',
    ],
  },
  'bad-input': {
    headline: 'cannot be checked: bad input',
    meaning: 'A configuration, policy or state file is invalid; the error names the file and the path in it.',
    actions: ['Fix the named file, then redeploy or run the check again.'],
  },
};

const UNKNOWN: ErrorAdvice = {
  headline: 'cannot be checked',
  meaning: 'The check of this tenant failed.',
  actions: ['See the error below and the function logs of this run.'],
};

export function tenantErrorIssue(error: ReportError): HealthIssue {
  const advice = ADVICE[error.code] ?? UNKNOWN;
  return {
    kind: 'tenant-error',
    code: error.code,
    severity: 'high',
    headline: advice.headline,
    meaning: `${advice.meaning} ${NOT_A_PASS}`,
    actions: advice.actions,
    detail: error.message,
  };
}

/**
 * The checker's own credential expires soon (or has). Undefined when it is further away than `warningDays` or the
 * date cannot be read.
 */
export function credentialExpiryIssue(expiresAt: string, now: Date, warningDays: number): HealthIssue | undefined {
  const expires = Date.parse(expiresAt);
  if (Number.isNaN(expires)) return undefined;
  const remainingMs = expires - now.getTime();
  if (remainingMs > warningDays * DAY_MS) return undefined;
  const days = Math.ceil(remainingMs / DAY_MS);
  const expired = remainingMs <= 0;
  const severity: Severity = days <= 3 ? 'high' : 'medium';
  const when = new Date(expires).toISOString();
  return {
    kind: 'credential-expiring',
    severity,
    headline: expired
      ? 'checker credential has expired'
      : `checker credential expires in ${days === 1 ? '1 day' : `${days} days`}`,
    meaning: expired
      ? `The credential the checker uses for this tenant expired at ${when}. Runs will fail with unauthorized and the ` +
        'tenant goes unchecked until it is replaced.'
      : `The credential the checker uses for this tenant expires at ${when}. After that every run fails with ` +
        'unauthorized and the tenant goes unchecked.',
    actions: [
      "Rotate it now: create a new credential and update this tenant's secret (Secrets Manager, or the environment " +
        'for the CLI).',
      'Prefer an OAuth machine-to-machine client: it is not subject to the Manage API keys permission.',
    ],
  };
}

export function archiveFailureIssue(reason: string): HealthIssue {
  return {
    kind: 'archive-failed',
    severity: 'high',
    headline: 'report could not be stored',
    meaning:
      'The report of this run could not be written to the archive, so auditors will miss this run. Alerts were sent ' +
      'as usual.',
    actions: [
      "Check the checker's access to the report bucket (s3:PutObject, the KMS key) and the bucket's Object Lock " +
        'settings.',
      'The next successful run stores its report as usual; this run is also in the function logs.',
    ],
    detail: reason,
  };
}

/** The drift state is not the one the last archived run saved: changed by someone else, or out of step. */
export function stateMismatchIssue(detail: string): HealthIssue {
  return {
    kind: 'state-mismatch',
    severity: 'high',
    headline: 'drift state tampered with or out of sync',
    meaning:
      'The drift state this run read is not the one the last archived run saved (its SHA-256 is recorded in that ' +
      "run's manifest). Someone may have changed it, e.g. to make new findings read as ongoing or to postpone " +
      'reminders. The tenant was checked as usual, but every finding counts as new in this run and the state was ' +
      'started afresh.',
    actions: [
      "Find out who wrote the state object (S3 server access logs or CloudTrail data events for the report bucket's " +
        'state/ prefix) and why.',
      'Run qlik-access-guard verify on the archive to confirm the reports themselves are intact.',
    ],
    detail,
  };
}
