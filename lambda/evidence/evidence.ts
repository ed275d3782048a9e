/**
 * Evidence for an audit period from the report archive: one document for all (or the chosen) tenants. The CLI's
 * `evidence` command is a thin door onto this; docs/evidence.md explains the document to auditors.
 */
import { CheckError } from '../errors';
import { RULES } from '../policy/rules/index';
import { keySegment, REPORTS_ROOT, tenantFromFolder } from '../store/layout';
import { type ObjectStore, ObjectStoreError } from '../store/object-store';
import { mapWithConcurrency } from '../util/concurrency';
import type { ExpectedSchedule } from './coverage';
import { EVIDENCE_SCHEMA_VERSION, type EvidenceDocument, isComplete } from './model';
import { type PeriodBounds, periodOf } from './period';
import { readTenantEvidence } from './read';
import type { RuleControls } from './tenant-evidence';

/** Tenants read at once. */
const TENANT_CONCURRENCY = 4;

export interface EvidenceOptions {
  readonly period: PeriodBounds;
  /** Tenant ids to report on; all tenants in the archive when omitted. */
  readonly tenantIds?: readonly string[];
  /** The deployed schedule, when known; otherwise expected runs follow the runs' own cadence. */
  readonly schedule?: ExpectedSchedule;
  readonly now?: () => Date;
}

/** The built-in rules' control mapping; custom rules add theirs from the findings they produced. */
export function builtInRuleControls(): RuleControls {
  return new Map(RULES.map((rule) => [rule.metadata.id, rule.metadata.compliance]));
}

export async function buildEvidence(store: ObjectStore, options: EvidenceOptions): Promise<EvidenceDocument> {
  const now = (options.now ?? (() => new Date()))();
  try {
    const tenantKeys = options.tenantIds ? options.tenantIds.map(tenantKeyOf) : await archivedTenants(store);
    if (tenantKeys.length === 0) {
      throw new CheckError('bad-input', `${store.location('reports/')}: no archived runs found`);
    }
    const ruleControls = builtInRuleControls();
    // A few tenants at a time: reading is latency-bound on S3; each tenant keeps only its own aggregates.
    const tenants = await mapWithConcurrency(tenantKeys, TENANT_CONCURRENCY, (tenantKey) =>
      readTenantEvidence(store, {
        tenantKey,
        mustExist: options.tenantIds !== undefined,
        startMs: options.period.startMs,
        endMs: options.period.endMs,
        nowMs: now.getTime(),
        ruleControls,
        ...(options.schedule ? { schedule: options.schedule } : {}),
      }),
    );
    return {
      schemaVersion: EVIDENCE_SCHEMA_VERSION,
      period: periodOf(options.period),
      generatedAt: now.toISOString(),
      archive: store.location('reports/'),
      tenants,
    };
  } catch (error) {
    if (error instanceof ObjectStoreError) {
      throw new CheckError('unreachable', `the archive could not be read: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

/** 0: every tenant's chain verifies and every expected run checked it; 1: produced, but with problems or gaps. */
export function evidenceExitCode(document: EvidenceDocument): 0 | 1 {
  return document.tenants.every(isComplete) ? 0 : 1;
}

/** Tenants with archived runs (drift state alone, keyed by the configured name, is not evidence of a run). */
async function archivedTenants(store: ObjectStore): Promise<string[]> {
  return (await store.listFolders(REPORTS_ROOT))
    .map(tenantFromFolder)
    .filter((tenant): tenant is string => tenant !== undefined);
}

function tenantKeyOf(tenantId: string): string {
  try {
    return keySegment(tenantId);
  } catch {
    throw new CheckError('bad-input', `--tenant-id ${JSON.stringify(tenantId.slice(0, 80))}: expected a tenant id`);
  }
}
