/**
 * The record of one apply, per tenant, stored in the tenant's archive chain beside the check runs (so `verify` covers
 * it): `plan.json` (the plan file as applied) and `remediation.json` (each action's outcome, HTTP status, who — the
 * credential kind, never the credential — and when). The `evidence` command reads `remediation.json`: keep its shape.
 */
import type { QlikCredentials } from '../qlik/credentials';
import type { ReportFile } from '../store/store';
import { safeJson } from '../util/tenant-text';
import type { ActionOutcome } from './apply';
import { type RemediationPlan, renderPlanFile } from './plan-file';

export const REMEDIATION_RECORD_VERSION = 1;

export interface RemediationRecord {
  readonly schemaVersion: typeof REMEDIATION_RECORD_VERSION;
  readonly kind: 'remediation';
  readonly planId: string;
  readonly tenantId: string;
  readonly appliedAt: string;
  readonly credentialKind: QlikCredentials['kind'];
  readonly actions: readonly ActionOutcome[];
}

/** Where an apply is stored: the tenant's archive (a check run's chain), as an entry of kind `remediation`. */
export interface RemediationArchive {
  archiveRun(input: {
    readonly tenantId: string;
    readonly runId: string;
    readonly startedAt: string;
    readonly files: readonly ReportFile[];
    readonly kind?: 'remediation';
  }): Promise<{ readonly location: string; readonly written: boolean }>;
}

/** `apply-<planId>-<yyyymmddThhmmssZ>`: unique per apply, readable in a listing. */
export function applyEntryId(planId: string, appliedAt: string): string {
  return `apply-${planId}-${appliedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
}

export function remediationFiles(plan: RemediationPlan, record: RemediationRecord): ReportFile[] {
  return [
    { name: 'plan.json', body: renderPlanFile(plan), contentType: 'application/json' },
    { name: 'remediation.json', body: `${safeJson(record, undefined, 2)}\n`, contentType: 'application/json' },
  ];
}

export async function storeRemediation(
  archive: RemediationArchive,
  plan: RemediationPlan,
  record: RemediationRecord,
): Promise<string> {
  const stored = await archive.archiveRun({
    tenantId: record.tenantId,
    runId: applyEntryId(plan.planId, record.appliedAt),
    startedAt: record.appliedAt,
    files: remediationFiles(plan, record),
    kind: 'remediation',
  });
  return stored.location;
}
