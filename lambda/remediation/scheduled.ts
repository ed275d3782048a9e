/**
 * Remediation in the scheduled checker (AWS): the per-tenant setting of the deploy and runtime config, what a tenant
 * report records about it, and the lines its alerts show. No I/O: the stage that plans, applies and stores is
 * lambda/run/remediation-stage.ts; the runbook is the README's "Remediation in AWS" section and docs/remediation.md.
 *
 * - `off` (default): nothing is planned.
 * - `plan`: each check builds the tenant's plan; the report (and `plan.json` beside it) holds it, the alert summarises
 *   it with the command that applies it from the CLI. Nothing is written to the tenant.
 * - `apply`: additionally applies the plan's role assignments for key owners — never a role creation (the scope of a
 *   role to create needs a person's confirmation) and never a Developer removal — at most `maxChanges` of them, each
 *   re-read before it is written, recorded in the tenant's archive chain like a CLI apply.
 */
import * as z from 'zod';
import { tenantText } from '../util/tenant-text';
import { plural } from '../util/text';
import type { ActionOutcome } from './apply';
import { describeAction } from './diff';
import { ACTION_KINDS, planSchema } from './plan-file';

/** Changes one tenant's apply may make before its plan is refused whole (`fix --max-changes`, `maxChanges`). */
export const DEFAULT_MAX_CHANGES = 25;
export const REMEDIATION_MODES = ['off', 'plan', 'apply'] as const;
export type RemediationMode = (typeof REMEDIATION_MODES)[number];

export const TenantRemediationSchema = z
  .object({
    /** off: nothing; plan: plan and report it; apply: also apply its role assignments for key owners. */
    mode: z.enum(REMEDIATION_MODES, { error: 'off, plan or apply' }).default('off'),
    /** A plan with more changes for the tenant is refused whole, nothing written; 0 refuses every non-empty plan. */
    maxChanges: z
      .number({ error: 'a whole number' })
      .int({ error: 'a whole number' })
      .min(0, { error: 'a whole number, 0 or more' })
      .max(500, { error: 'at most 500 (a larger migration belongs in a reviewed plan applied from the CLI)' })
      .default(DEFAULT_MAX_CHANGES),
  })
  .strict();

export type TenantRemediation = z.infer<typeof TenantRemediationSchema>;
export const REMEDIATION_OFF: TenantRemediation = { mode: 'off', maxChanges: DEFAULT_MAX_CHANGES };

const roleRef = z.object({ id: z.string().optional(), name: z.string() });

/** One action's outcome, as in the apply record (./apply.ts `ActionOutcome`). */
const ActionOutcomeSchema = z.object({
  id: z.string(),
  kind: z.enum(ACTION_KINDS),
  target: z.object({ type: z.enum(['user', 'tenant']), id: z.string(), name: z.string() }),
  role: roleRef,
  outcome: z.enum(['applied', 'already-in-place', 'refused', 'failed']),
  httpStatus: z.number().int().optional(),
  reason: z.string().optional(),
});

/** What the scheduled checker applied of a plan (mode `apply`). */
const ScheduledApplySchema = z.object({
  appliedAt: z.iso.datetime({ offset: true }),
  outcomes: z.array(ActionOutcomeSchema),
  /** Where the apply record (`plan.json` + `remediation.json`) is stored in the tenant's archive chain. */
  recordLocation: z.string().optional(),
  /** Why the record could not be stored, when it could not. */
  recordFailed: z.string().optional(),
  /** Why nothing was applied at all (e.g. the tenant answered as another tenant). */
  error: z.string().optional(),
});

/** The `remediation` field of a tenant report (the report contract: fields are added, never renamed). */
export const TenantRemediationReportSchema = z.object({
  mode: z.enum(['plan', 'apply']),
  maxChanges: z.number().int().nonnegative(),
  planId: z.string(),
  /** Actions in the plan. */
  changes: z.number().int().nonnegative(),
  /** The sealed plan, as stored in `planFile`. */
  plan: planSchema,
  /** Where the plan is stored: `plan.json` beside this run's report. */
  planFile: z.string(),
  /** Mode `plan` with changes: the command that applies the stored plan from the CLI. */
  applyCommand: z.string().optional(),
  /** Mode `apply`: what was applied. */
  apply: ScheduledApplySchema.optional(),
  /** Findings of an earlier scheduled apply that this run saw resolved. */
  resolvedByPlan: z.object({ planId: z.string(), findings: z.array(z.string()) }).optional(),
});

export type ScheduledApply = z.output<typeof ScheduledApplySchema>;
export type TenantRemediationReport = z.output<typeof TenantRemediationReportSchema>;

/**
 * The CLI command that applies a plan stored in the archive (credentials as for `check`); for a plan in S3 it records
 * the apply in the same bucket (`--bucket`), so the tenant's chain there holds it.
 */
export function applyCommandFor(planFile: string): string {
  const bucket = /^s3:\/\/([^/]+)\//.exec(planFile)?.[1];
  return `aws s3 cp ${planFile} plan.json && qlik-access-guard fix --apply plan.json${bucket ? ` --bucket ${bucket}` : ''}`;
}

const SHOWN_ACTIONS = 5;

/** Lines for the alert: the plan and how to apply it, what was applied, what an earlier plan resolved. */
export function remediationAlertLines(report: TenantRemediationReport): string[] {
  const lines: string[] = [];
  if (report.resolvedByPlan && report.resolvedByPlan.findings.length > 0) {
    const { planId, findings } = report.resolvedByPlan;
    lines.push(
      `Resolved by plan ${tenantText(planId)}: ${plural(findings.length, 'finding')} (${findings.join(', ')})`,
    );
  }
  const actions = report.plan.tenants.flatMap((t) => t.actions);
  const notes = report.plan.tenants.flatMap((t) => t.notes);
  if (!report.apply) {
    if (actions.length === 0 && notes.length === 0) return lines;
    lines.push(`Plan ${tenantText(report.planId)}: ${plural(actions.length, 'change')}, nothing was changed.`);
    lines.push(...actions.slice(0, SHOWN_ACTIONS).map((a) => `  ${describeAction(a)}`));
    if (actions.length > SHOWN_ACTIONS) lines.push(`  … and ${actions.length - SHOWN_ACTIONS} more in the plan`);
    lines.push(...notes.slice(0, 3).map((note) => `  ! ${tenantText(note, 300)}`));
    if (actions.length > 0) {
      lines.push(`Plan stored at ${report.planFile}`);
      if (report.applyCommand) lines.push(`Review it, then apply: ${report.applyCommand}`);
    }
    return lines;
  }
  const { apply } = report;
  if (apply.error) {
    lines.push(`Plan ${tenantText(report.planId)} was not applied: ${tenantText(apply.error, 400)}`);
    return lines;
  }
  if (apply.outcomes.length === 0 && notes.length === 0) return lines;
  const count = (kind: ActionOutcome['outcome']) => apply.outcomes.filter((o) => o.outcome === kind).length;
  lines.push(
    `Applied plan ${tenantText(report.planId)} (remediation mode apply, maxChanges ${report.maxChanges}): ` +
      `${count('applied')} applied, ${count('already-in-place')} already in place, ${count('refused')} refused, ` +
      `${count('failed')} failed.`,
  );
  const byId = new Map(actions.map((a) => [a.id, a]));
  const shown = [...apply.outcomes].sort((a, b) => rank(a) - rank(b)).slice(0, SHOWN_ACTIONS);
  for (const outcome of shown) {
    const action = byId.get(outcome.id);
    const what = action ? describeAction(action) : tenantText(outcome.id);
    const why = outcome.reason ? ` — ${tenantText(outcome.reason, 300)}` : '';
    lines.push(`  ${outcome.outcome}${outcome.httpStatus ? ` [${outcome.httpStatus}]` : ''} ${what}${why}`);
  }
  if (apply.outcomes.length > SHOWN_ACTIONS) lines.push(`  … and ${apply.outcomes.length - SHOWN_ACTIONS} more`);
  lines.push(...notes.slice(0, 3).map((note) => `  ! ${tenantText(note, 300)}`));
  if (apply.recordLocation) lines.push(`Apply recorded at ${apply.recordLocation}`);
  if (apply.recordFailed) lines.push(`The apply record could not be stored: ${tenantText(apply.recordFailed, 300)}`);
  if (count('applied') > 0) lines.push('The next check shows the findings it resolves as resolved by this plan.');
  return lines;
}

/** Refused and failed first: they are what someone must act on. */
function rank(outcome: ActionOutcome): number {
  return { failed: 0, refused: 1, applied: 2, 'already-in-place': 3 }[outcome.outcome];
}

/** True when the apply changed the tenant or was stopped: people must hear of it even when no finding changed. */
export function applyNeedsAlert(report: TenantRemediationReport | undefined): boolean {
  const apply = report?.apply;
  if (!apply) return false;
  return apply.error !== undefined || apply.outcomes.some((o) => o.outcome !== 'already-in-place');
}
