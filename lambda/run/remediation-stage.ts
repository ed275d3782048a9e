/**
 * The remediation stage of a tenant's scheduled check (after drift, before the alerts are planned): per the tenant's
 * `remediation` setting (lambda/remediation/scheduled.ts) it builds the Manage API keys plan from this check's
 * snapshot and findings, and in mode `apply` applies its role assignments for key owners.
 *
 * Only a completed check reaches this stage (a tenant that could not be checked ends before it), and only role
 * assignments to existing roles are applied: a role creation needs its scope confirmed by a person (`fix
 * --create-role-scope`), which a schedule cannot do, and Developer removals stay with the CLI. Each write re-reads the
 * user first (lambda/remediation/apply.ts); above `maxChanges` nothing is written. The apply is recorded in the
 * tenant's archive chain exactly as `fix --apply` records it (lambda/remediation/record.ts), so `verify` covers it.
 * A 401/403 or any other failure of the apply becomes an alert, never a failed check.
 */
import { CheckError, messageOf } from '../errors';
import type { HealthIssue } from '../notify/content';
import { QlikClient } from '../qlik/client';
import { type ActionOutcome, applyTenantPlan } from '../remediation/apply';
import { buildPlan, buildTenantPlan } from '../remediation/plan';
import { renderPlanFile, type TenantPlan } from '../remediation/plan-file';
import { type RemediationRecord, storeRemediation } from '../remediation/record';
import {
  applyCommandFor,
  applyNeedsAlert,
  REMEDIATION_OFF,
  remediationAlertLines,
  type ScheduledApply,
  type TenantRemediation,
  type TenantRemediationReport,
} from '../remediation/scheduled';
import type { TenantReport } from '../report/model';
import type { ReportFile } from '../store/store';
import { plural } from '../util/text';
import { displayUrl } from '../util/url';
import type { RunDeps, RunLog, TenantTarget } from './run';
import type { Assessment, TenantCheckContext } from './tenant-pipeline';

/** What the stage adds to the assessment: the report's `remediation` field and what the alerts say about it. */
export interface RemediationStageResult {
  readonly report: TenantRemediationReport;
  readonly alert: { readonly lines: readonly string[]; readonly alert: boolean; readonly issue?: HealthIssue };
}

export interface RemediationStageInput {
  readonly deps: Pick<RunDeps, 'archive' | 'dispatcher'>;
  readonly context: Pick<TenantCheckContext, 'runId' | 'runStartedAt' | 'policy' | 'allowHttpLoopback'>;
  readonly target: TenantTarget;
  readonly log: RunLog;
  /** When the tenant's deadline passes (epoch ms): the apply's requests stop then. */
  readonly deadlineAt: number;
}

/** The least time an apply gets even when the check used up the deadline, so its refusals are still recorded. */
const MIN_APPLY_MS = 5_000;

/** Plans (and in mode `apply` applies) the tenant's remediation; the assessment with `remediation` set when not off. */
export async function remediationStage(input: RemediationStageInput, assessment: Assessment): Promise<Assessment> {
  const settings = input.target.remediation ?? REMEDIATION_OFF;
  if (settings.mode === 'off') return assessment;
  const { context, target } = input;
  const { snapshot } = assessment;
  const planId = planIdOf(context.runId, target.name);
  const built = buildTenantPlan({
    tenantUrl: displayUrl(target.url),
    name: target.name,
    snapshot,
    findings: assessment.findings,
    policy: context.policy.policy,
    now: assessment.now,
  });
  const tenantPlan = settings.mode === 'apply' ? assignmentsOnly(built) : built;
  const plan = buildPlan({
    planId,
    now: assessment.now,
    policy: { name: context.policy.name, sha256: context.policy.sha256 },
    scope: context.policy.policy.remediation.scope,
    tenants: [tenantPlan],
  });
  const planFile = `${input.deps.archive.locate(snapshot.tenantId, context.runId, context.runStartedAt)}plan.json`;
  const resolvedByPlan = resolvedByEarlierPlan(assessment);
  const base = {
    maxChanges: settings.maxChanges,
    planId,
    changes: tenantPlan.actions.length,
    plan,
    planFile,
    ...(resolvedByPlan ? { resolvedByPlan } : {}),
  };

  if (settings.mode === 'plan') {
    const report: TenantRemediationReport = {
      mode: 'plan',
      ...base,
      ...(tenantPlan.actions.length > 0 ? { applyCommand: applyCommandFor(planFile) } : {}),
    };
    return withRemediation(assessment, { report, alert: { lines: remediationAlertLines(report), alert: false } });
  }

  const apply = await applyScheduled(input, settings, assessment, plan);
  const report: TenantRemediationReport = { mode: 'apply', ...base, apply };
  const issue = applyIssue(apply);
  const result: RemediationStageResult = {
    report,
    alert: { lines: remediationAlertLines(report), alert: applyNeedsAlert(report), ...(issue ? { issue } : {}) },
  };
  const done = apply.outcomes.filter((o) => o.outcome === 'applied' || o.outcome === 'already-in-place');
  if (done.length === 0) return withRemediation(assessment, result);
  // Remembered in the state: the next check names this plan beside the findings it sees resolved.
  const resolves = tenantPlan.actions.filter((a) => done.some((o) => o.id === a.id)).flatMap((a) => a.resolves);
  const lastRemediation = { planId, appliedAt: apply.appliedAt, resolves };
  return withRemediation(
    { ...assessment, drift: { ...assessment.drift, next: { ...assessment.drift.next, lastRemediation } } },
    result,
  );
}

/** `plan.json` beside the run's report, when the run made a plan. */
export function remediationRunFiles(report: TenantReport): ReportFile[] {
  if (!report.remediation) return [];
  return [{ name: 'plan.json', body: renderPlanFile(report.remediation.plan), contentType: 'application/json' }];
}

/** One plan per run and tenant, named so a retried invocation of the run names the same plan. */
function planIdOf(runId: string, tenantName: string): string {
  return `plan-${runId.replace(/[^A-Za-z0-9.-]/g, '')}-${tenantName}`.slice(0, 128);
}

function withRemediation(assessment: Assessment, remediation: RemediationStageResult): Assessment {
  return { ...assessment, remediation };
}

/**
 * The part of a plan a schedule may apply: role assignments to roles that exist. A role to create (and the
 * assignments waiting for it) and Developer removals are left out, with a note saying how to apply them.
 */
function assignmentsOnly(plan: TenantPlan): TenantPlan {
  const kept = plan.actions.filter((a) => a.kind === 'assign-role-to-user' && a.role.id !== undefined);
  const left = plan.actions.length - kept.length;
  if (left === 0) return plan;
  return {
    ...plan,
    actions: kept,
    notes: [
      ...plan.notes,
      `${plural(left, 'change')} not applied automatically: creating a role (and assigning it) needs its scope ` +
        'confirmed, and Developer removals are reviewed — make and apply a plan with the CLI (qlik-access-guard fix)',
    ],
  };
}

/** Findings this check saw resolved that the last scheduled apply was meant to resolve. */
function resolvedByEarlierPlan(assessment: Assessment): TenantRemediationReport['resolvedByPlan'] {
  const last = assessment.drift.next.lastRemediation;
  if (!last) return undefined;
  const targeted = new Set(last.resolves);
  const findings = assessment.resolved.filter((f) => targeted.has(f.id)).map((f) => f.id);
  return findings.length > 0 ? { planId: last.planId, findings } : undefined;
}

async function applyScheduled(
  input: RemediationStageInput,
  settings: TenantRemediation,
  assessment: Assessment,
  plan: ReturnType<typeof buildPlan>,
): Promise<ScheduledApply> {
  const { target, context, deps, log } = input;
  const tenantPlan = plan.tenants[0]!;
  const appliedAt = assessment.now.toISOString();
  if (assessment.findings.some((f) => f.status === 'error')) {
    return { appliedAt, outcomes: [], error: 'the check could not evaluate every rule; nothing was applied' };
  }
  if (tenantPlan.actions.length === 0) return { appliedAt, outcomes: [] };

  const controller = new AbortController();
  const remainingMs = Math.max(MIN_APPLY_MS, input.deadlineAt - Date.now());
  const timer = setTimeout(() => controller.abort(new Error('the tenant deadline passed')), remainingMs);
  timer.unref?.();
  let client: QlikClient | undefined;
  let outcomes: ActionOutcome[];
  let credentialKind: RemediationRecord['credentialKind'];
  try {
    const credentials = await target.credentials();
    credentialKind = credentials.kind;
    const dispatcher = deps.dispatcher?.(target.url);
    client = new QlikClient({
      tenantUrl: target.url,
      credentials,
      allowedHosts: target.allowedHosts,
      allowHttpLoopback: context.allowHttpLoopback,
      signal: controller.signal,
      deadlineAt: Date.now() + remainingMs,
      ...(dispatcher ? { dispatcher } : {}),
    });
    outcomes = await applyTenantPlan(client, tenantPlan, {
      maxChanges: settings.maxChanges,
      maxChangesName: 'remediation.maxChanges',
      scope: plan.scope,
    });
  } catch (error) {
    // The check stands; a plan that could not be applied at all is this run's alert, not its failure.
    if (!(error instanceof CheckError)) log.error('remediation apply failed unexpectedly', { error: messageOf(error) });
    return { appliedAt, outcomes: [], error: messageOf(error).slice(0, 400) };
  } finally {
    clearTimeout(timer);
    await client?.close().catch(() => undefined);
  }
  log.info('remediation applied', {
    planId: plan.planId,
    applied: outcomes.filter((o) => o.outcome === 'applied').length,
    notApplied: outcomes.filter((o) => o.outcome === 'refused' || o.outcome === 'failed').length,
  });
  const record: RemediationRecord = {
    schemaVersion: 1,
    kind: 'remediation',
    planId: plan.planId,
    tenantId: tenantPlan.tenantId,
    appliedAt,
    credentialKind,
    actions: outcomes,
  };
  try {
    const recordLocation = await storeRemediation(deps.archive, plan, record);
    return { appliedAt, outcomes, recordLocation };
  } catch (error) {
    log.error('remediation apply could not be recorded', { error: messageOf(error) });
    return { appliedAt, outcomes, recordFailed: messageOf(error).slice(0, 400) };
  }
}

/** A health issue when the apply could not write: the credential is refused, or nothing could be applied. */
function applyIssue(apply: ScheduledApply): HealthIssue | undefined {
  const refused = apply.outcomes.find((o) => o.outcome === 'failed' && (o.httpStatus === 401 || o.httpStatus === 403));
  if (refused) {
    return {
      kind: 'remediation-failed',
      code: 'forbidden',
      severity: 'high',
      headline: `remediation not applied: the credential may not write roles (${refused.httpStatus})`,
      meaning:
        "remediation.mode is apply, but Qlik refused the checker's role writes. Applying a plan needs a TenantAdmin " +
        'credential (an OAuth machine-to-machine client, or a TenantAdmin user’s API key); the check itself completed.',
      actions: [
        "Give the checker's credential the TenantAdmin role, or store an OAuth M2M client in the tenant's secret.",
        'Or set remediation.mode to plan for this tenant and apply the stored plans from the CLI.',
      ],
      ...(refused.reason ? { detail: refused.reason } : {}),
    };
  }
  if (apply.error) {
    return {
      kind: 'remediation-failed',
      severity: 'high',
      headline: 'remediation not applied',
      meaning:
        'remediation.mode is apply, but the plan could not be applied; nothing was written. The check completed.',
      actions: ['Read the error below; the next scheduled check plans and tries again.'],
      detail: apply.error,
    };
  }
  return undefined;
}
