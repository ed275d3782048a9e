/**
 * Applying one tenant's part of a remediation plan: creates before assigns before removals; every action re-reads
 * its principal and goes ahead only when the principal is as planned (`before`), else it is refused as stale and the
 * rest go on. The Users API replaces the whole role list, so a write always sends the roles read a moment ago plus
 * the new one (or minus Developer), never fewer. An action already in place counts as done, so applying the same
 * plan twice changes nothing the second time. Each action ends with an outcome for the record (./record.ts).
 */
import { CheckError, messageOf } from '../errors';
import type { QlikClient, RoleReference } from '../qlik/client';
import type { QlikCredentials } from '../qlik/credentials';
import { QlikApiError } from '../qlik/errors';
import type { QlikUser } from '../qlik/schemas';
import { plural } from '../util/text';
import type { PlanAction, PrincipalRoles, TenantPlan } from './plan-file';

export { DEFAULT_MAX_CHANGES } from './scheduled';

export type ActionOutcomeKind = 'applied' | 'already-in-place' | 'refused' | 'failed';

export interface ActionOutcome {
  readonly id: string;
  readonly kind: PlanAction['kind'];
  readonly target: PlanAction['target'];
  readonly role: PlanAction['role'];
  readonly outcome: ActionOutcomeKind;
  /** The status of the write (or of the read that stopped it). */
  readonly httpStatus?: number;
  readonly reason?: string;
}

/** The part of the Qlik client an apply uses. */
export type RemediationClient = Pick<QlikClient, 'myTenant' | 'user' | 'listRoles' | 'createRole' | 'patchUserRoles'>;

export interface ApplyTenantOptions {
  /** A tenant plan with more actions is refused whole; 0 refuses every tenant plan that has any action. */
  readonly maxChanges: number;
  /** How the limit is named in the refusal. @default '--max-changes' */
  readonly maxChangesName?: string;
  /** The policy scope the plan grants: a role found by name must carry it to count as in place. */
  readonly scope: string;
}

/** The tenant answering is not the one the plan was made for: the plan cannot be used there (exit 2). */
export class WrongTenantError extends CheckError {
  override readonly name = 'WrongTenantError';
}

export async function applyTenantPlan(
  client: RemediationClient,
  plan: TenantPlan,
  options: ApplyTenantOptions,
): Promise<ActionOutcome[]> {
  if (plan.actions.length > options.maxChanges) {
    const limit = `${options.maxChangesName ?? '--max-changes'} ${options.maxChanges}`;
    const reason =
      options.maxChanges === 0
        ? `not attempted: ${limit} allows no change, and the plan has ${plural(plan.actions.length, 'change')} for this tenant`
        : `not attempted: the plan has ${plural(plan.actions.length, 'change')} for this tenant, above ${limit}`;
    return plan.actions.map((action) => outcomeOf(action, 'refused', { reason }));
  }
  if (plan.actions.length === 0) return [];
  const tenant = await client.myTenant();
  if (tenant.id !== plan.tenantId) {
    throw new WrongTenantError(
      'bad-input',
      `${plan.tenantUrl} answers as tenant ${tenant.id}, but the plan was made for tenant ${plan.tenantId}; not applied`,
    );
  }

  const roleIds = new Map<string, string>();
  for (const action of plan.actions) if (action.role.id) roleIds.set(action.role.name, action.role.id);
  const outcomes: ActionOutcome[] = [];
  let stopped: string | undefined;
  for (const action of plan.actions) {
    if (stopped) {
      outcomes.push(outcomeOf(action, 'refused', { reason: `not attempted: ${stopped}` }));
      continue;
    }
    let outcome: ActionOutcome;
    try {
      outcome = await applyAction(client, action, roleIds, options.scope);
    } catch (error) {
      outcome = failureOf(action, error);
      if (error instanceof QlikApiError && (error.code === 'forbidden' || error.code === 'unauthorized')) {
        // The credential may not write here: every further write would fail the same way.
        stopped = `an earlier request was refused (${error.httpStatus ?? error.code}): writes need a TenantAdmin credential`;
      }
    }
    outcomes.push(outcome);
  }
  return outcomes;
}

async function applyAction(
  client: RemediationClient,
  action: PlanAction,
  roleIds: Map<string, string>,
  scope: string,
): Promise<ActionOutcome> {
  switch (action.kind) {
    case 'create-role':
      return createRole(client, action, roleIds, scope);
    case 'assign-role-to-user':
      return assignRole(client, action, roleIds);
    case 'remove-developer-role':
      return removeDeveloper(client, action, roleIds);
  }
}

async function createRole(
  client: RemediationClient,
  action: PlanAction,
  roleIds: Map<string, string>,
  scope: string,
): Promise<ActionOutcome> {
  const wanted = 'role' in action.after ? action.after.role : undefined;
  if (!wanted) return outcomeOf(action, 'refused', { reason: 'the plan gives no role definition' });
  // The filter matches case-insensitively; Qlik's role names are case-sensitive.
  const { items } = await client.listRoles({ filter: `name eq ${JSON.stringify(wanted.name)}` });
  const existing = items.find((role) => role.name === wanted.name);
  if (existing) {
    if (!existing.assignedScopes?.includes(scope)) {
      return outcomeOf(action, 'refused', {
        reason: `stale: a role named "${wanted.name}" now exists without ${scope}; it was not changed`,
      });
    }
    roleIds.set(wanted.name, existing.id);
    return outcomeOf(action, 'already-in-place');
  }
  const created = await client.createRole({
    name: wanted.name,
    description: wanted.description,
    assignedScopes: wanted.assignedScopes,
  });
  roleIds.set(wanted.name, created.id);
  return outcomeOf(action, 'applied', { httpStatus: 201 });
}

async function assignRole(
  client: RemediationClient,
  action: PlanAction,
  roleIds: Map<string, string>,
): Promise<ActionOutcome> {
  const roleId = action.role.id ?? roleIds.get(action.role.name);
  if (!roleId) {
    return outcomeOf(action, 'refused', {
      reason: `role "${action.role.name}" does not exist: its create-role action was not applied`,
    });
  }
  const user = await client.user(action.target.id);
  const current = directRoles(user);
  if (current.some((role) => role.id === roleId)) return outcomeOf(action, 'already-in-place');
  const stale = staleness(current, action.before, roleIds);
  if (stale) return outcomeOf(action, 'refused', { reason: stale });
  const result = await client.patchUserRoles(action.target.id, [...current, { id: roleId, name: action.role.name }]);
  if (result.status !== 207) return outcomeOf(action, 'applied', { httpStatus: result.status });
  // 207: a partial success. Only what the tenant now says counts.
  const reread = directRoles(await client.user(action.target.id));
  const landed = reread.some((role) => role.id === roleId);
  return outcomeOf(action, landed ? 'applied' : 'failed', {
    httpStatus: 207,
    reason: `partial success: ${result.partialFailure ?? 'no details'}${landed ? '' : '; the role is not assigned'}`,
  });
}

async function removeDeveloper(
  client: RemediationClient,
  action: PlanAction,
  roleIds: Map<string, string>,
): Promise<ActionOutcome> {
  const user = await client.user(action.target.id);
  const current = directRoles(user);
  const isTheRole = (role: RoleReference) =>
    action.role.id !== undefined ? role.id === action.role.id : role.name === action.role.name;
  if (!current.some(isTheRole)) return outcomeOf(action, 'already-in-place');
  const stale = staleness(current, action.before, roleIds);
  if (stale) return outcomeOf(action, 'refused', { reason: stale });
  const kept = current.filter((role) => !isTheRole(role));
  const result = await client.patchUserRoles(action.target.id, kept);
  return outcomeOf(action, result.status === 207 ? 'failed' : 'applied', {
    httpStatus: result.status,
    ...(result.status === 207 ? { reason: `partial success: ${result.partialFailure ?? 'no details'}` } : {}),
  });
}

function directRoles(user: QlikUser): RoleReference[] {
  if (!user.assignedRoles) {
    // Qlik shows other users' roles only to callers with access to roles: without them the full list cannot be sent.
    throw new QlikApiError(
      'forbidden',
      `GET /api/v1/users/{id}: the tenant did not show the user's roles; reading and writing roles needs a TenantAdmin credential`,
      { endpoint: 'GET /api/v1/users/{id}' },
    );
  }
  return user.assignedRoles.map((role) => ({ id: role.id, name: role.name }));
}

/** Why the principal is no longer as planned, or undefined when its roles are exactly the plan's `before`. */
function staleness(
  current: readonly RoleReference[],
  before: PrincipalRoles | null,
  roleIds: ReadonlyMap<string, string>,
): string | undefined {
  if (!before) return undefined;
  const keyOf = (role: { id?: string; name: string }) => role.id ?? roleIds.get(role.name) ?? `name:${role.name}`;
  const planned = before.assignedRoles.map(keyOf).sort();
  const now = current.map(keyOf).sort();
  if (planned.length === now.length && planned.every((key, i) => key === now[i])) return undefined;
  const names = (roles: readonly { name: string }[]) => roles.map((r) => `"${r.name}"`).join(', ') || 'none';
  return `stale: the user's roles changed since the plan (planned ${names(before.assignedRoles)}, now ${names(current)})`;
}

function outcomeOf(
  action: PlanAction,
  outcome: ActionOutcomeKind,
  extra: { httpStatus?: number; reason?: string } = {},
): ActionOutcome {
  return {
    id: action.id,
    kind: action.kind,
    target: action.target,
    role: action.role,
    outcome,
    ...(extra.httpStatus !== undefined ? { httpStatus: extra.httpStatus } : {}),
    ...(extra.reason !== undefined ? { reason: extra.reason } : {}),
  };
}

function failureOf(action: PlanAction, error: unknown): ActionOutcome {
  const httpStatus = error instanceof QlikApiError ? error.httpStatus : undefined;
  return outcomeOf(action, 'failed', {
    ...(httpStatus !== undefined ? { httpStatus } : {}),
    reason: messageOf(error).slice(0, 400),
  });
}

/** The credential kind for the record: what kind of credential wrote, never the credential. */
export function credentialKindOf(credentials: QlikCredentials): QlikCredentials['kind'] {
  return credentials.kind;
}
