/** The report shapes a run builds: the run report around its tenants, and the parts every tenant report shares. */
import type { TenantSnapshot } from '../collect/snapshot';
import type { LoadedPolicy } from '../policy/load';
import {
  type CheckTrigger,
  type Finding,
  REPORT_SCHEMA_VERSION,
  type RunReport,
  SEVERITIES,
  type Severity,
  type TenantReport,
  type TenantSummary,
} from '../report/model';
import { displayUrl } from '../util/url';
import { TOOL_VERSION } from '../version';

/** The run report around some tenants: the whole run's, or one tenant's for its own archive folder. */
export function runReport(
  run: { readonly runId: string; readonly policy: LoadedPolicy },
  startedAt: string,
  finished: Date,
  tenants: TenantReport[],
): RunReport {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    runId: run.runId,
    startedAt,
    finishedAt: finished.toISOString(),
    tool: { name: 'qlik-access-guard', version: TOOL_VERSION },
    policy: { name: run.policy.name, sha256: run.policy.sha256 },
    tenants,
  };
}

/** Who the tenant report is about and why it was checked; the same in every outcome. */
export function tenantShell(
  target: { readonly name: string; readonly url: string },
  tenantId: string,
  snapshot: TenantSnapshot | undefined,
  trigger: CheckTrigger,
): Pick<TenantReport, 'tenantUrl' | 'tenantId' | 'tenantName' | 'name' | 'trigger'> {
  return {
    tenantUrl: displayUrl(target.url),
    tenantId,
    tenantName: snapshot?.tenantName ?? target.name,
    name: target.name,
    trigger,
  };
}

/** The lists of a tenant report that found nothing (could not check, or a duplicate run). */
export function nothingFound(): Pick<TenantReport, 'findings' | 'resolved' | 'notifications' | 'exceptions'> {
  return { findings: [], resolved: [], notifications: [], exceptions: [] };
}

/** Counts for the tenant summary; `extra` adds inventory sizes, request stats, duration and flags. */
export function summarize(
  findings: readonly Finding[],
  resolved: readonly Finding[],
  errors: number,
  extra: Record<string, unknown>,
): TenantSummary {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const byRule: Record<string, number> = {};
  const drifts = { new: 0, ongoing: 0, reopened: 0 };
  let failing = 0;
  let suppressed = 0;
  for (const f of findings) {
    if (f.status === 'suppressed') {
      suppressed++;
      continue;
    }
    failing++;
    bySeverity[f.severity]++;
    byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;
    if (f.drift !== 'resolved') drifts[f.drift]++;
  }
  return {
    failing,
    suppressed,
    errors,
    ...drifts,
    resolved: resolved.length,
    bySeverity,
    byRule,
    ...extra,
  };
}
