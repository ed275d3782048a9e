/**
 * The remediation plan file (`qlik-access-guard fix --plan`): what will be written to each tenant, with each action's
 * precondition, sealed with a SHA-256 over everything else so an edited plan is refused at apply time. The format is
 * a contract (docs/remediation.md): extend it, never rename.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { InputError } from '../errors';
import { canonicalJson } from '../policy/load';
import { formatPath } from '../util/path';
import { safeJson } from '../util/tenant-text';

export const PLAN_SCHEMA_VERSION = 1;
export const ACTION_KINDS = ['create-role', 'assign-role-to-user', 'remove-developer-role'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** A role by id and name; a role still to be created has no id yet. */
const roleRef = z.strictObject({ id: z.string().min(1).optional(), name: z.string() });

/** A principal's direct roles when the plan was made (precondition) or once the action is done. */
const principalRoles = z.strictObject({ assignedRoles: z.array(roleRef) });
const roleDefinition = z.strictObject({
  role: z.strictObject({ name: z.string().min(1), description: z.string(), assignedScopes: z.array(z.string()) }),
});

const actionSchema = z.strictObject({
  id: z.string().min(1),
  kind: z.enum(ACTION_KINDS),
  target: z.strictObject({ type: z.enum(['user', 'tenant']), id: z.string().min(1), name: z.string() }),
  role: z.strictObject({ id: z.string().min(1).optional(), name: z.string().min(1) }),
  /** assign/remove: the user's direct roles; create-role: null (no such role yet). */
  before: z.union([principalRoles, z.null()]),
  /** assign/remove: the user's direct roles afterwards; create-role: the role created. */
  after: z.union([principalRoles, roleDefinition]),
  /** Finding ids this action is expected to resolve. */
  resolves: z.array(z.string()),
});

const tenantPlanSchema = z.strictObject({
  tenantUrl: z.string().min(1),
  tenantId: z.string().min(1),
  name: z.string().min(1),
  actions: z.array(actionSchema),
  /** Why something was not planned (a refused role creation, an owner skipped): for the reviewer, never applied. */
  notes: z.array(z.string()),
});

export const planSchema = z.strictObject({
  schemaVersion: z.literal(PLAN_SCHEMA_VERSION),
  planId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  policy: z.strictObject({ name: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
  /** Scope the plan grants (the policy's remediation.scope when it was made). */
  scope: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  tenants: z.array(tenantPlanSchema),
});

export type RemediationPlan = z.infer<typeof planSchema>;
export type TenantPlan = RemediationPlan['tenants'][number];
export type PlanAction = TenantPlan['actions'][number];
export type PrincipalRoles = z.infer<typeof principalRoles>;
export type UnsealedPlan = Omit<RemediationPlan, 'sha256'>;

/** SHA-256 of the canonical JSON of everything but `sha256` itself. */
export function planDigest(plan: UnsealedPlan | RemediationPlan): string {
  const { sha256: _seal, ...rest } = plan as RemediationPlan;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

export function sealPlan(plan: UnsealedPlan): RemediationPlan {
  return { ...plan, sha256: planDigest(plan) };
}

/** The plan as JSON; tenant text keeps its value but no raw control or bidi character reaches the bytes. */
export function renderPlanFile(plan: RemediationPlan): string {
  return `${safeJson(plan, undefined, 2)}\n`;
}

/** A plan file that cannot be used: unreadable, altered, expired or not a plan. Exit code 2, nothing written. */
export class PlanFileError extends InputError {}

/**
 * Reads and checks a plan file's text: JSON, the plan schema, the seal and the expiry. `source` names the file in
 * errors.
 */
export function readPlan(text: string, source: string, now: Date): RemediationPlan {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PlanFileError(source, '', 'a plan written by qlik-access-guard fix (the file is not JSON)', {
      cause: error,
    });
  }
  const parsed = planSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue && issue.path.length > 0 ? formatPath(issue.path, { quoteOddKeys: false }) : '';
    throw new PlanFileError(
      source,
      path,
      `a plan written by qlik-access-guard fix (${issue?.message.slice(0, 160) ?? 'not a plan'})`,
      { cause: parsed.error },
    );
  }
  const plan = parsed.data;
  if (planDigest(plan) !== plan.sha256) {
    throw new PlanFileError(
      source,
      'sha256',
      'an unaltered plan: its content no longer matches its sha256, so it was edited after it was made — make a new plan',
    );
  }
  if (Date.parse(plan.expiresAt) <= now.getTime()) {
    throw new PlanFileError(
      source,
      'expiresAt',
      `a plan that has not expired (it expired at ${plan.expiresAt}) — make a new plan, the tenants may have changed`,
    );
  }
  return plan;
}
