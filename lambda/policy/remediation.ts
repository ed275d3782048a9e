/**
 * The Qlik calls that fix findings (docs/qlik-cloud-api.md §12), written out with the tenant's real ids and names so a
 * platform engineer can paste them.
 */
import type { SnapshotUser } from '../collect/snapshot';
import { escapeJsonText, escapeUnsafe, quoted } from '../util/tenant-text';
import { compareText } from '../util/text';
import type { NamedRef, PermissionResolver, RoleSeen } from './resolver';
import { isDeprecatedDeveloperRole } from './tenant-index';

/** The name the docs and Qlik's tutorials give the replacement for the removed Developer role. */
export const REPLACEMENT_ROLE_NAME = 'AllowManageAPIKeys';

export interface GrantingRoleSuggestion {
  readonly name: string;
  /** Set when the role exists in the tenant. */
  readonly id?: string;
  /** The scope the role carries (or is to carry): the policy's `remediation.scope`. */
  readonly scope: string;
}

/**
 * The role to hand out: an existing custom role that grants api-keys (alphabetically first, so the advice is stable),
 * or the replacement role still to be created. UserDefault is never suggested: assigning it is meaningless.
 */
export function suggestGrantingRole(resolver: PermissionResolver): GrantingRoleSuggestion {
  const scope = resolver.manageApiKeysScope;
  const candidates = resolver
    .rolesGranting(scope)
    .filter((role) => role.type === 'custom')
    .sort((a, b) => compareText(a.name, b.name));
  const existing = candidates[0];
  return existing ? { name: existing.name, id: existing.id, scope } : { name: REPLACEMENT_ROLE_NAME, scope };
}

/** The call that creates the replacement role carrying `scope` (the policy's `remediation.scope`). */
export function createRoleCall(name: string, scope: string): string {
  const body = {
    name,
    description: 'Replacement for the removed Developer role',
    assignedScopes: [scope],
  };
  return `POST /api/v1/roles ${jsonBody(body)}`;
}

/** How to obtain the granting role: use the existing one, or create it first. */
export function grantingRoleStep(role: GrantingRoleSuggestion): string {
  return role.id
    ? `The role ${quoted(role.name)} (${pathId(role.id)}) already grants ${escapeUnsafe(role.scope)}; use it.`
    : `Create the replacement role (as TenantAdmin): ${createRoleCall(role.name, role.scope)}`;
}

/**
 * Replacing a user's roles: the Users API takes only the full list, so the call names every role the user keeps.
 * The removed Developer role is dropped from the list; Qlik no longer accepts it.
 */
export function replaceUserRolesCall(
  user: Pick<SnapshotUser, 'id'>,
  currentRoles: readonly Pick<RoleSeen, 'name' | 'type'>[],
  add?: string,
): string {
  const kept = currentRoles.filter((role) => !isDeprecatedDeveloperRole(role)).map((role) => role.name);
  if (add && !kept.includes(add)) kept.push(add);
  const patch = [{ op: 'replace', path: '/assignedRoles', value: kept.map((name) => ({ name })) }];
  const id = pathId(user.id);
  return `GET /api/v1/users/${id}, then PATCH /api/v1/users/${id} ${jsonBody(patch)}`;
}

/** Replacing a group's roles: `replace` is the only op, with the full list of role ids (at most 100). */
export function replaceGroupRolesCall(
  group: NamedRef,
  currentRoles: readonly Pick<RoleSeen, 'id' | 'name' | 'type'>[],
  add?: GrantingRoleSuggestion,
): string {
  const kept = currentRoles.filter((role) => !isDeprecatedDeveloperRole(role)).map((role) => ({ id: role.id }));
  if (add) {
    const id = add.id ?? `<id of ${escapeUnsafe(add.name)} from the POST /api/v1/roles response>`;
    if (!kept.some((role) => role.id === id)) kept.push({ id });
  }
  const patch = [{ op: 'replace', path: '/assignedRoles', value: kept }];
  const id = pathId(group.id);
  return `GET /api/v1/groups/${id}, then PATCH /api/v1/groups/${id} ${jsonBody(patch)}`;
}

/**
 * An id as a URL path segment: percent-encoded, so a hostile id can neither change the path nor break the line, and
 * the call still works when pasted.
 */
export function pathId(id: string): string {
  return encodeURIComponent(id);
}

/** A request body in a fix step: exact JSON to paste, with no raw line break, control or bidi character in it. */
export function jsonBody(body: unknown): string {
  return escapeJsonText(JSON.stringify(body));
}

/**
 * A fix: the intro, then one numbered step per line. The line feeds between them are the only ones: whatever a step
 * holds (a name a tenant user chose, say) is escaped onto its own line, so nobody can add a step.
 */
export function numberedSteps(intro: string, steps: readonly string[]): string {
  return [escapeUnsafe(intro), ...steps.map((step, index) => `${index + 1}. ${escapeUnsafe(step)}`)].join('\n');
}
