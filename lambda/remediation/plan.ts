/**
 * Building a remediation plan from a check's findings and snapshot (no I/O): key owners lacking Manage API keys get a
 * role carrying the policy's scope — the policy's `remediation.role`, else the tenant's custom role carrying the scope
 * that most people hold, else a role to create (only with a scope some role already carries, or one the operator
 * confirmed). Optionally the stale Developer role is removed afterwards. Nothing else is ever planned: no other role
 * is removed, Everyone and UserDefault are never touched, keys and the key configuration are left alone.
 */
import type { SnapshotRole, SnapshotUser, TenantSnapshot } from '../collect/snapshot';
import { PermissionResolver, resolverOptionsOf } from '../policy/resolver';
import type { Policy } from '../policy/schema';
import { isActiveUser, isDeprecatedDeveloperRole, TenantIndex } from '../policy/tenant-index';
import type { Finding } from '../report/model';
import { compareText } from '../util/text';
import { DAY_MS } from '../util/time';
import {
  PLAN_SCHEMA_VERSION,
  type PlanAction,
  type PrincipalRoles,
  type RemediationPlan,
  sealPlan,
  type TenantPlan,
} from './plan-file';

export const LACKS_RULE = 'api-key-owner-lacks-manage-permission';
const FORMER_DEVELOPER_RULE = 'former-developer-not-migrated';
const DEVELOPER_RULE = 'deprecated-developer-role-assigned';
/** Tenant findings a role carrying the scope settles once it exists. */
const SETTLED_BY_CREATED_ROLE = ['replacement-role-missing', 'api-key-scope-model-mismatch'];

export interface TenantPlanInput {
  readonly tenantUrl: string;
  readonly name: string;
  readonly snapshot: TenantSnapshot;
  /** The check's findings for this tenant (drift applied: ids are the report's). Only `fail` ones are acted on. */
  readonly findings: readonly Finding[];
  readonly policy: Policy;
  readonly now: Date;
  /** `--create-role-scope`: the operator confirms a scope no role of the tenant carries yet. */
  readonly confirmedScope?: string;
}

type RoleChoice =
  | { readonly kind: 'existing'; readonly role: SnapshotRole }
  | { readonly kind: 'create'; readonly name: string; readonly description: string }
  | { readonly kind: 'refused'; readonly reason: string };

export function buildTenantPlan(input: TenantPlanInput): TenantPlan {
  const { snapshot, policy } = input;
  const settings = policy.remediation;
  const scope = settings.scope;
  const failing = input.findings.filter((f) => f.status === 'fail');
  const usersById = new Map(snapshot.users.map((u) => [u.id, u]));
  const notes: string[] = [];
  const actions: Omit<PlanAction, 'id'>[] = [];

  const lacking = failing
    .filter((f) => f.ruleId === LACKS_RULE && f.subject.type === 'user')
    .flatMap((f) => {
      const user = usersById.get(f.subject.id);
      if (!user || !isActiveUser(user)) {
        notes.push(`user ${f.subject.id} was not planned: not an active user in the snapshot`);
        return [];
      }
      return [{ finding: f, user }];
    })
    .sort((a, b) => compareText(a.user.name, b.user.name) || compareText(a.user.id, b.user.id));

  const afterByUser = new Map<string, PrincipalRoles>();
  if (lacking.length > 0) {
    const choice = chooseRole(snapshot, policy, input.confirmedScope);
    if (choice.kind === 'refused') {
      notes.push(`${lacking.length} key owner(s) lacking ${scope} were not planned: ${choice.reason}`);
    } else {
      const role = choice.kind === 'existing' ? { id: choice.role.id, name: choice.role.name } : { name: choice.name };
      if (choice.kind === 'create') {
        actions.push({
          kind: 'create-role',
          target: { type: 'tenant', id: snapshot.tenantId, name: snapshot.tenantName ?? input.name },
          role,
          before: null,
          after: { role: { name: choice.name, description: choice.description, assignedScopes: [scope] } },
          resolves: failing
            .filter((f) => SETTLED_BY_CREATED_ROLE.includes(f.ruleId) && f.subject.type === 'tenant')
            .map((f) => f.id),
        });
      }
      for (const { finding, user } of lacking) {
        const before = rolesOf(user);
        const after = { assignedRoles: [...before.assignedRoles, role] };
        afterByUser.set(user.id, after);
        actions.push({
          kind: 'assign-role-to-user',
          target: { type: 'user', id: user.id, name: user.name },
          role,
          before,
          after,
          resolves: [
            finding.id,
            ...failing
              .filter(
                (f) => f.ruleId === FORMER_DEVELOPER_RULE && f.subject.type === 'user' && f.subject.id === user.id,
              )
              .map((f) => f.id),
          ],
        });
      }
    }
  }

  if (settings.removeDeveloperRole) {
    const access = new PermissionResolver(new TenantIndex(snapshot, input.now), resolverOptionsOf(policy));
    const rolesById = new Map(snapshot.roles.map((r) => [r.id, r]));
    const isDeveloper = (ref: { id?: string; name: string }) =>
      isDeprecatedDeveloperRole((ref.id ? rolesById.get(ref.id) : undefined) ?? { name: ref.name, type: 'default' });
    const holders = failing
      .filter((f) => f.ruleId === DEVELOPER_RULE)
      .sort((a, b) => compareText(a.subject.name, b.subject.name));
    for (const finding of holders) {
      if (finding.subject.type !== 'user') {
        notes.push(`${finding.subject.type} ${finding.subject.name} keeps Developer: fix changes users' roles only`);
        continue;
      }
      const user = usersById.get(finding.subject.id);
      if (!user) continue;
      // The replacement first: either this plan assigns it, or the user already holds the scope.
      const before = afterByUser.get(user.id) ?? (access.forUser(user).has(scope) ? rolesOf(user) : undefined);
      if (!before) {
        notes.push(`user ${user.name} keeps Developer: they would be left without ${scope}`);
        continue;
      }
      const developer = before.assignedRoles.find(isDeveloper);
      if (!developer) continue;
      actions.push({
        kind: 'remove-developer-role',
        target: { type: 'user', id: user.id, name: user.name },
        role: developer,
        before,
        after: { assignedRoles: before.assignedRoles.filter((r) => !isDeveloper(r)) },
        resolves: [finding.id],
      });
    }
  }

  const order = { 'create-role': 0, 'assign-role-to-user': 1, 'remove-developer-role': 2 } as const;
  const sorted = actions.map((a, i) => ({ a, i })).sort((x, y) => order[x.a.kind] - order[y.a.kind] || x.i - y.i);
  return {
    tenantUrl: input.tenantUrl,
    tenantId: snapshot.tenantId,
    name: input.name,
    actions: sorted.map(({ a }, i) => ({ id: `${a.kind}-${i + 1}`, ...a })),
    notes,
  };
}

function rolesOf(user: SnapshotUser): PrincipalRoles {
  return { assignedRoles: user.assignedRoles.map((r) => ({ id: r.id, name: r.name })) };
}

/** Which role carries the scope to the owners; see the module comment for the order. */
export function chooseRole(snapshot: TenantSnapshot, policy: Policy, confirmedScope?: string): RoleChoice {
  const { scope, role: named, createRole } = policy.remediation;
  if (named !== undefined) {
    const role = snapshot.roles.find((r) => r.name === named);
    if (!role)
      return { kind: 'refused', reason: `the policy's remediation.role "${named}" is not a role of this tenant` };
    if (role.type !== 'custom' || !role.assignedScopes.includes(scope))
      return {
        kind: 'refused',
        reason: `the policy's remediation.role "${named}" is not a custom role carrying ${scope}`,
      };
    return { kind: 'existing', role };
  }
  const candidates = snapshot.roles.filter((r) => r.type === 'custom' && r.assignedScopes.includes(scope));
  if (candidates.length > 0) {
    const holders = holderCounts(snapshot);
    const [best] = [...candidates].sort(
      (a, b) => (holders.get(b.id) ?? 0) - (holders.get(a.id) ?? 0) || compareText(a.name, b.name),
    );
    return { kind: 'existing', role: best! };
  }
  const taken = snapshot.roles.find((r) => r.name === createRole.name);
  if (taken)
    return {
      kind: 'refused',
      reason: `a role named "${createRole.name}" exists without ${scope}; name another in remediation.createRole.name`,
    };
  const carried = snapshot.roles.some((r) => r.assignedScopes.includes(scope));
  if (!carried && confirmedScope !== scope)
    return {
      kind: 'refused',
      reason:
        `no role in this tenant carries the scope "${scope}", so creating "${createRole.name}" with it is a guess; ` +
        `confirm the scope with --create-role-scope ${scope}`,
    };
  return { kind: 'create', name: createRole.name, description: createRole.description };
}

/** How many users of the snapshot hold each role, directly or through a group. */
function holderCounts(snapshot: TenantSnapshot): Map<string, number> {
  const groupRoles = new Map(snapshot.groups.map((g) => [g.id, g.assignedRoles.map((r) => r.id)]));
  const counts = new Map<string, number>();
  for (const user of snapshot.users) {
    const held = new Set(user.assignedRoles.map((r) => r.id));
    for (const group of user.assignedGroups) for (const id of groupRoles.get(group.id) ?? []) held.add(id);
    for (const id of held) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

export interface PlanInput {
  readonly planId: string;
  readonly now: Date;
  /** @default 24 hours */
  readonly validForMs?: number;
  readonly policy: { readonly name: string; readonly sha256: string };
  readonly scope: string;
  readonly tenants: readonly TenantPlan[];
}

export const DEFAULT_PLAN_VALIDITY_MS = DAY_MS;

export function buildPlan(input: PlanInput): RemediationPlan {
  return sealPlan({
    schemaVersion: PLAN_SCHEMA_VERSION,
    planId: input.planId,
    createdAt: input.now.toISOString(),
    expiresAt: new Date(input.now.getTime() + (input.validForMs ?? DEFAULT_PLAN_VALIDITY_MS)).toISOString(),
    policy: { name: input.policy.name, sha256: input.policy.sha256 },
    scope: input.scope,
    tenants: [...input.tenants],
  });
}
