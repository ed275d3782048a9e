/**
 * Evidence shapes shared by the rules, so every finding about a user or a key reads the same way in JSON, CSV,
 * HTML and OCSF.
 */
import type { SnapshotApiKey, SnapshotUser, TenantSnapshot } from '../collect/snapshot';
import type { Subject } from '../report/model';
import { quoted, tenantText } from '../util/tenant-text';
import type { EffectiveAccess, GrantPath, NamedRef, PermissionResolver } from './resolver';
import { byNameThenId } from './tenant-index';

/** How many principals an evidence list names before it is cut, to keep reports bounded. */
export const EVIDENCE_LIST_LIMIT = 50;

export function userEvidence(user: SnapshotUser) {
  return {
    id: user.id,
    name: user.name,
    ...(user.email ? { email: user.email } : {}),
    // Unset status is what Qlik's default listing returns for active users; say so rather than guess.
    status: user.status ?? 'unset (treated as active)',
  };
}

export function keyEvidence(key: SnapshotApiKey) {
  return {
    id: key.id,
    description: key.description,
    expiry: key.expiry ?? null,
    status: key.status,
    subType: key.subType,
  };
}

export function grantPathEvidence(path: GrantPath) {
  return {
    via: path.via,
    role: path.role,
    ...(path.group ? { group: path.group } : {}),
    reason: path.reason,
    text: path.text,
  };
}

/** The roles and groups seen for a user, and the paths (or their absence) for one scope. */
export function accessEvidence(access: EffectiveAccess, resolver: PermissionResolver, scope: string) {
  const userDefault = resolver.index.userDefault;
  return {
    directRoles: access.directRoles.map((role) => ({
      id: role.id,
      name: role.name,
      ...(role.type ? { type: role.type } : {}),
      scopes: role.scopes,
    })),
    groups: access.groups.map((group) => ({
      id: group.id,
      name: group.name,
      ...(group.status ? { status: group.status } : {}),
      counted: group.counted,
      rolesFrom: group.source,
      roles: group.roles.map((role) => role.name),
    })),
    everyoneRoles: resolver.index.snapshot.everyoneRoles.map((role) => role.name),
    userDefaultScopes: userDefault ? userDefault.assignedScopes : null,
    grantPaths: access.pathsFor(scope).map(grantPathEvidence),
    ...(access.notes.length > 0 ? { notes: access.notes } : {}),
  };
}

/** One sentence saying why no path grants the scope, naming what was looked at. */
export function whyNoGrant(access: EffectiveAccess, resolver: PermissionResolver, scope: string): string {
  const direct =
    access.directRoles.length > 0 ? access.directRoles.map((role) => quoted(role.name)).join(', ') : 'none';
  const groups =
    access.groups.length > 0
      ? access.groups
          .map((group) => {
            const roles = group.roles.length > 0 ? group.roles.map((role) => quoted(role.name)).join(', ') : 'no roles';
            return `${quoted(group.name)}${group.counted ? '' : ' (disabled)'} → ${roles}`;
          })
          .join('; ')
      : 'none';
  const everyone = resolver.index.snapshot.everyoneRoles;
  const everyoneText = everyone.length > 0 ? everyone.map((role) => quoted(role.name)).join(', ') : 'no roles';
  const userDefault = resolver.index.userDefault;
  const userDefaultText = userDefault
    ? `UserDefault scopes: ${userDefault.assignedScopes.length > 0 ? userDefault.assignedScopes.join(', ') : 'none'}`
    : 'UserDefault not in the role list';
  return (
    `No path grants ${scope}: direct roles: ${direct}; groups: ${groups}; Everyone: ${everyoneText}; ${userDefaultText}` +
    (access.notes.length > 0 ? `. Also: ${access.notes.join('; ')}.` : '.')
  );
}

/** Principals as `{ id, name }`, by name then id, cut to {@link EVIDENCE_LIST_LIMIT}. */
export function principalList(principals: readonly NamedRef[]): NamedRef[] {
  return principals
    .map(({ id, name }) => ({ id, name }))
    .sort(byNameThenId)
    .slice(0, EVIDENCE_LIST_LIMIT);
}

/** `“Jane Doe” <jane@example.com>`, or the quoted name and the id when there is no email. */
export function describeUser(user: SnapshotUser): string {
  return user.email
    ? `${quoted(user.name)} <${tenantText(user.email)}>`
    : `${quoted(user.name)} (${tenantText(user.id)})`;
}

export function describeKey(key: SnapshotApiKey): string {
  return key.description ? `${quoted(key.description)} (${tenantText(key.id)})` : tenantText(key.id);
}

/** Quoted key descriptions for a message, at most three, then "and N more". */
export function describeKeys(keys: readonly SnapshotApiKey[]): string {
  const shown = keys.slice(0, 3).map((key) => (key.description ? quoted(key.description) : tenantText(key.id)));
  return keys.length > 3 ? `${shown.join(', ')} and ${keys.length - 3} more` : shown.join(', ');
}

export function userSubject(user: SnapshotUser): Subject {
  return { type: 'user', id: user.id, name: user.name };
}

export function keySubject(key: SnapshotApiKey): Subject {
  return { type: 'apiKey', id: key.id, name: key.description || key.id };
}

export function tenantSubject(snapshot: TenantSnapshot): Subject {
  return { type: 'tenant', id: snapshot.tenantId, name: snapshot.tenantName ?? snapshot.tenantUrl };
}
