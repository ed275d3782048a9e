/**
 * What `fix` does (its options and help are in ./commands/fix.ts).
 *
 * - Plan: runs a check with every option of `check`, builds a plan (lambda/remediation/plan.ts) from each checked
 *   tenant's snapshot and findings, writes it (default `<out>/plans/<plan id>.json`) and prints the diff (with
 *   --json, the plan). Changes nothing. Exit 0 when a plan was written; 2 when a tenant could not be checked.
 * - Apply: reads and checks the plan, applies each tenant's actions (lambda/remediation/apply.ts), records each
 *   tenant's apply in its archive chain, re-checks the tenants it touched and prints which findings the plan resolved.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import type { TenantSnapshot } from '../collect/snapshot';
import { CheckError, InputError, messageOf } from '../errors';
import type { LoadedPolicy } from '../policy/load';
import { QlikClient } from '../qlik/client';
import { type ActionOutcome, applyTenantPlan, DEFAULT_MAX_CHANGES } from '../remediation/apply';
import { describeAction, renderPlanDiff } from '../remediation/diff';
import { buildPlan, buildTenantPlan } from '../remediation/plan';
import { PlanFileError, type RemediationPlan, readPlan, renderPlanFile } from '../remediation/plan-file';
import { type RemediationRecord, storeRemediation } from '../remediation/record';
import type { Finding } from '../report/model';
import type { TenantTarget } from '../run/run';
import { createRunArchive } from '../store/store';
import { mapWithConcurrency } from '../util/concurrency';
import { safeJson, tenantText } from '../util/tenant-text';
import { plural } from '../util/text';
import { displayUrl } from '../util/url';
import { runCheck } from './check-run';
import type { CliIo, OptionValues } from './command';
import type { FIX_OPTIONS } from './commands/fix';
import { nonNegativeInt, openArchive, outDirOf, positiveInt, tenantTargets } from './options';

export type FixValues = OptionValues<typeof FIX_OPTIONS>;

export async function runFix(values: FixValues, io: CliIo): Promise<number> {
  if (values.apply !== undefined) return applyCommand(values, values.apply, io);
  if (values['max-changes'] !== undefined)
    throw new InputError('command line', '--max-changes', 'it only with --apply <plan file>');
  if (values.bucket !== undefined)
    throw new InputError('command line', '--bucket', 'it only with --apply <plan file> (a plan records nothing)');
  return planCommand(values, io);
}

interface Assessed {
  readonly target: TenantTarget;
  readonly snapshot: TenantSnapshot;
  readonly findings: readonly Finding[];
  readonly policy: LoadedPolicy;
}

async function planCommand(values: FixValues, io: CliIo): Promise<number> {
  const assessed: Assessed[] = [];
  const code = await runCheck(values, io, {
    keepStdout: true,
    onAssessed: (target, assessment, policy) =>
      assessed.push({ target, snapshot: assessment.snapshot, findings: assessment.findings, policy }),
  });
  if (code === 2) {
    io.stderr('error: not every tenant could be checked; no plan was written\n');
    return 2;
  }
  const now = (io.now ?? (() => new Date()))();
  const policy = assessed[0]?.policy;
  if (!policy) {
    io.stderr('error: no tenant was checked; no plan was written\n');
    return 2;
  }
  const planId = `plan-${compactTime(now)}-${randomBytes(3).toString('hex')}`;
  const plan = buildPlan({
    planId,
    now,
    policy: { name: policy.name, sha256: policy.sha256 },
    scope: policy.policy.remediation.scope,
    tenants: assessed.map(({ target, snapshot, findings }) =>
      buildTenantPlan({
        tenantUrl: displayUrl(target.url),
        name: target.name,
        snapshot,
        findings,
        policy: policy.policy,
        now,
        ...(values['create-role-scope'] !== undefined && { confirmedScope: values['create-role-scope'] }),
      }),
    ),
  });
  const planPath = values.plan
    ? resolve(io.cwd, values.plan)
    : resolve(outDirOf(values, io), 'plans', `${planId}.json`);
  try {
    await mkdir(dirname(planPath), { recursive: true });
    await writeFile(planPath, renderPlanFile(plan), { flag: 'wx' });
  } catch (error) {
    throw new InputError('--plan', '', `a new file that can be written (${planPath}: ${codeOf(error)})`, {
      cause: error,
    });
  }
  io.stdout(values.json ? renderPlanFile(plan) : renderPlanDiff(plan, relative(io.cwd, planPath) || planPath));
  return 0;
}

interface TenantApply {
  readonly plan: RemediationPlan['tenants'][number];
  readonly outcomes: readonly ActionOutcome[];
  /** Why the tenant's plan could not be applied at all (unreachable, wrong tenant). */
  readonly error?: string;
  readonly recordedAt?: string;
  /** Why the apply, made on the tenant, could not be recorded in the archive. */
  readonly recordError?: string;
}

async function applyCommand(values: FixValues, planFile: string, io: CliIo): Promise<number> {
  const now = io.now ?? (() => new Date());
  const path = resolve(io.cwd, planFile);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new PlanFileError(planFile, '', `a readable plan file (${codeOf(error)})`, { cause: error });
  }
  const plan = readPlan(text, planFile, now());
  const maxChanges =
    values['max-changes'] === undefined ? DEFAULT_MAX_CHANGES : nonNegativeInt(values['max-changes'], '--max-changes');
  const targets = await planTargets(plan, values, io);
  // The archive of the tenant's chain: the deployed checker's bucket (--bucket), else the --out folder.
  const archive = createRunArchive(await openArchive(values, io));
  const archiveName = values.bucket ? `s3://${values.bucket}` : outDirOf(values, io);
  const progress = values.quiet ? () => {} : (line: string) => io.stderr(`${line}\n`);

  const concurrency = positiveInt(values.concurrency, '--concurrency');
  const applied = await mapWithConcurrency(
    plan.tenants,
    concurrency,
    async (tenantPlan, index): Promise<TenantApply> => {
      const target = targets[index]!;
      let client: QlikClient | undefined;
      try {
        const credentials = await target.credentials();
        client = new QlikClient({
          tenantUrl: target.url,
          credentials,
          allowedHosts: target.allowedHosts,
          allowHttpLoopback: values['allow-http-loopback'],
        });
        const appliedAt = now().toISOString();
        const outcomes = await applyTenantPlan(client, tenantPlan, { maxChanges, scope: plan.scope });
        if (outcomes.length === 0) return { plan: tenantPlan, outcomes };
        const record: RemediationRecord = {
          schemaVersion: 1,
          kind: 'remediation',
          planId: plan.planId,
          tenantId: tenantPlan.tenantId,
          appliedAt,
          credentialKind: credentials.kind,
          actions: outcomes,
        };
        try {
          const location = await storeRemediation(archive, plan, record);
          progress(`${tenantPlan.name}: apply recorded in ${location}`);
        } catch (error) {
          // The writes are made: say so after the summary, and exit 2.
          return { plan: tenantPlan, outcomes, recordedAt: appliedAt, recordError: messageOf(error) };
        }
        return { plan: tenantPlan, outcomes, recordedAt: appliedAt };
      } catch (error) {
        if (!(error instanceof CheckError)) throw error;
        return { plan: tenantPlan, outcomes: [], error: error.message };
      } finally {
        await client?.close();
      }
    },
  );

  // Re-check every tenant the plan touched; what it resolved is then resolved by this plan in the drift alert.
  const touched = applied.filter((t) =>
    t.outcomes.some((o) => o.outcome === 'applied' || o.outcome === 'already-in-place'),
  );
  const failingAfter = new Map<string, Set<string>>();
  let recheckCode = 0;
  if (touched.length > 0) {
    recheckCode = await runCheck(
      {
        ...values,
        json: false,
        // The tenants file names them (and their state keys); else the plan's URLs.
        tenant: values['tenants-file'] ? [] : touched.map((t) => t.plan.tenantUrl),
        // Its own run id: the check that made the plan may have run within the same second.
        'run-id': values['run-id'] ?? `recheck-${plan.planId}-${compactTime(now())}`,
      },
      io,
      {
        keepStdout: true,
        trigger: { kind: 'remediation', planId: plan.planId, appliedAt: touched[0]!.recordedAt ?? now().toISOString() },
        onAssessed: (_target, assessment) =>
          failingAfter.set(
            assessment.snapshot.tenantId,
            new Set(assessment.findings.filter((f) => f.status === 'fail').map((f) => f.id)),
          ),
      },
    );
  }

  const result = summarize(plan, applied, failingAfter);
  io.stdout(values.json ? `${safeJson(result.json, undefined, 2)}\n` : result.text);
  const unrecorded = applied.filter((t) => t.recordError !== undefined);
  for (const t of unrecorded) {
    io.stderr(
      `error: tenant ${tenantText(t.plan.name)}: plan ${plan.planId} was applied (${outcomeCounts(t.outcomes)}) ` +
        `but the apply could not be recorded in ${tenantText(archiveName, 400)}: ${tenantText(t.recordError!, 400)}\n`,
    );
  }
  if (applied.some((t) => t.error !== undefined) || unrecorded.length > 0 || recheckCode === 2) return 2;
  return result.clean ? 0 : 1;
}

/** Each plan tenant's target: from the tenants file when given (matched by URL), else from the plan's URL. */
async function planTargets(plan: RemediationPlan, values: FixValues, io: CliIo): Promise<TenantTarget[]> {
  const tenantsFile = values['tenants-file'];
  if (tenantsFile) {
    const all = await tenantTargets({ ...values, tenant: [] }, io);
    return plan.tenants.map((t) => {
      const target = all.find((candidate) => displayUrl(candidate.url) === t.tenantUrl);
      if (!target) throw new PlanFileError(tenantsFile, 'tenants', `an entry for ${t.tenantUrl}, a tenant of the plan`);
      return target;
    });
  }
  const targets = await tenantTargets({ ...values, tenant: plan.tenants.map((t) => t.tenantUrl) }, io);
  // The plan's names key the drift state the re-check updates.
  return targets.map((target, i) => ({ ...target, name: plan.tenants[i]!.name }));
}

function summarize(plan: RemediationPlan, applied: readonly TenantApply[], failingAfter: Map<string, Set<string>>) {
  const lines = [`Applied plan ${plan.planId}:`];
  let clean = true;
  const tenants = applied.map((t) => {
    lines.push('', `tenant ${tenantText(t.plan.name)} (${tenantText(t.plan.tenantUrl)}):`);
    if (t.error) {
      clean = false;
      lines.push(`  ! not applied: ${tenantText(t.error, 400)}`);
    }
    const failing = failingAfter.get(t.plan.tenantId);
    const resolved: string[] = [];
    const stillFailing: string[] = [];
    for (const outcome of t.outcomes) {
      const action = t.plan.actions.find((a) => a.id === outcome.id)!;
      lines.push(
        `  ${outcome.outcome.padEnd(16)} ${describeAction(action)}${outcome.httpStatus ? ` [${outcome.httpStatus}]` : ''}` +
          (outcome.reason ? ` — ${tenantText(outcome.reason, 400)}` : ''),
      );
      if (outcome.outcome === 'refused' || outcome.outcome === 'failed') {
        clean = false;
        continue;
      }
      for (const id of action.resolves) (failing === undefined || failing.has(id) ? stillFailing : resolved).push(id);
    }
    if (stillFailing.length > 0) clean = false;
    lines.push(`  resolved by plan ${plan.planId}: ${plural(resolved.length, 'finding')}${listed(resolved)}`);
    if (stillFailing.length > 0)
      lines.push(`  still failing: ${plural(stillFailing.length, 'finding')}${listed(stillFailing)}`);
    return {
      tenantId: t.plan.tenantId,
      name: t.plan.name,
      error: t.error,
      ...(t.recordError !== undefined && { recordError: t.recordError }),
      actions: t.outcomes,
      resolved,
      stillFailing,
    };
  });
  return { clean, text: `${lines.join('\n')}\n`, json: { planId: plan.planId, tenants } };
}

/** `2 applied, 1 refused`: how many actions ended each way, in the order they first occur. */
function outcomeCounts(outcomes: readonly ActionOutcome[]): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) counts.set(o.outcome, (counts.get(o.outcome) ?? 0) + 1);
  return [...counts].map(([outcome, n]) => `${n} ${outcome}`).join(', ');
}

function listed(ids: readonly string[]): string {
  return ids.length > 0 ? ` (${ids.join(', ')})` : '';
}

function compactTime(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? 'cannot be used';
}
