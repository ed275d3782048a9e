/**
 * Effective scopes of a user (docs/qlik-cloud-api.md §5), with every path that grants each one.
 *
 * A scope holds when a role carrying it reaches the user through (1) UserDefault, (2) a direct role, (3) a role of one
 * of the user's groups, or (4) a role of the Everyone group. Roles only add permissions. The removed built-in
 * Developer role grants nothing, whatever a stale record says: Qlik no longer honours it, so counting it would hide the
 * very keys this tool exists to find.
 */
import {
  DEFAULT_MANAGE_API_KEYS_SCOPE,
  type RoleRef,
  type SnapshotGroup,
  type SnapshotUser,
  type TenantSnapshot,
} from '../collect/snapshot';
import { quoted, tenantText } from '../util/tenant-text';
import type { Policy } from './schema';
import { isDeprecatedDeveloperRole, TenantIndex } from './tenant-index';

export type GrantVia = 'UserDefault' | 'direct' | 'group' | 'Everyone';

export interface NamedRef {
  readonly id: string;
  readonly name: string;
}

export interface GrantPath {
  readonly scope: string;
  readonly via: GrantVia;
  readonly role: NamedRef;
  readonly group?: NamedRef;
  /** The role lists the scope, or the policy's `grantingRoles` names it (api-keys only). */
  readonly reason: 'assignedScopes' | 'grantingRoles';
  /** e.g. `group “BI Integrations” → role “AllowManageAPIKeys”`. */
  readonly text: string;
}

export interface RoleSeen extends NamedRef {
  readonly type?: 'default' | 'custom';
  /** False when the role is not in the tenant's role list, so its scopes are unknown. */
  readonly resolved: boolean;
  readonly scopes: readonly string[];
}

export interface GroupSeen extends NamedRef {
  readonly status?: 'active' | 'disabled';
  /** Where its roles came from: the groups list (preferred) or the user record, when the list lacks the group. */
  readonly source: 'groups-list' | 'user-record';
  /** False for a disabled group, whose roles grant nothing. */
  readonly counted: boolean;
  readonly roles: readonly RoleSeen[];
}

export interface EffectiveAccess {
  readonly userId: string;
  readonly scopes: ReadonlySet<string>;
  readonly paths: readonly GrantPath[];
  readonly directRoles: readonly RoleSeen[];
  readonly groups: readonly GroupSeen[];
  /** Facts that explain a missing grant: disabled groups, unresolved roles, the Developer role ignored. */
  readonly notes: readonly string[];
  has(scope: string): boolean;
  pathsFor(scope: string): readonly GrantPath[];
}

export interface ResolverOptions {
  /** Role names that count as granting Manage API keys although their scopes do not say so (policy `grantingRoles`). */
  readonly grantingRoles?: readonly string[];
  /** The scope string of Manage API keys (policy `remediation.scope`). @default 'api-keys' */
  readonly manageApiKeysScope?: string;
}

/** The resolver options a policy sets: one place turns the policy's scope and granting roles into them. */
export function resolverOptionsOf(policy: Pick<Policy, 'grantingRoles' | 'remediation'>): ResolverOptions {
  return {
    ...(policy.grantingRoles ? { grantingRoles: policy.grantingRoles } : {}),
    manageApiKeysScope: policy.remediation.scope,
  };
}

interface RoleGrant {
  readonly seen: RoleSeen;
  readonly grants: ReadonlyMap<string, GrantPath['reason']>;
  readonly note?: string;
}

interface GroupGrant {
  readonly seen: GroupSeen;
  readonly roleGrants: readonly RoleGrant[];
  readonly notes: readonly string[];
}

export class PermissionResolver {
  readonly index: TenantIndex;
  /** The scope string that grants Manage API keys: the policy's `remediation.scope`, used by every rule. */
  readonly manageApiKeysScope: string;
  private readonly grantingRoles: ReadonlySet<string>;
  /** By role id; a reference whose name differs from the cached one is resolved again (and not cached). */
  private readonly roleCache = new Map<string, { readonly refName: string; readonly grant: RoleGrant }>();
  private readonly rolesGrantingCache = new Map<string, RoleSeen[]>();
  private readonly groupCache = new Map<string, GroupGrant>();
  private readonly userCache = new Map<string, EffectiveAccess>();
  private sharedCache?: { paths: GrantPath[]; notes: string[] };

  constructor(index: TenantIndex, options: ResolverOptions = {}) {
    this.index = index;
    this.grantingRoles = new Set(options.grantingRoles ?? []);
    this.manageApiKeysScope = options.manageApiKeysScope ?? DEFAULT_MANAGE_API_KEYS_SCOPE;
  }

  /** The user's effective access; computed once per user id and evaluation. */
  forUser(user: SnapshotUser): EffectiveAccess {
    const cached = this.userCache.get(user.id);
    if (cached) return cached;
    const access = this.computeUser(user);
    this.userCache.set(user.id, access);
    return access;
  }

  /** The scopes a role reference carries, resolved against the tenant's role list. */
  role(ref: RoleRef | (NamedRef & { type?: 'default' | 'custom' })): RoleGrant {
    const cached = this.roleCache.get(ref.id);
    if (cached && cached.refName === ref.name) return cached.grant;
    const grant = this.computeRole(ref);
    if (!cached) this.roleCache.set(ref.id, { refName: ref.name, grant });
    return grant;
  }

  /** The group's roles and what each grants; for groups in the groups list. */
  groupGrants(groupId: string): GroupGrant | undefined {
    const group = this.index.groupsById.get(groupId);
    return group && this.groupFromList(group);
  }

  /** Paths every user gets: UserDefault and the Everyone group. */
  sharedPaths(): { readonly paths: readonly GrantPath[]; readonly notes: readonly string[] } {
    if (!this.sharedCache) {
      const paths: GrantPath[] = [];
      const notes: string[] = [];
      const userDefault = this.index.userDefault;
      if (userDefault) paths.push(...pathsThrough(this.role(userDefault), 'UserDefault', 'UserDefault'));
      for (const ref of this.index.snapshot.everyoneRoles) {
        const grant = this.role(ref);
        if (grant.note) notes.push(`Everyone: ${grant.note}`);
        paths.push(...pathsThrough(grant, 'Everyone', `Everyone → role ${quoted(grant.seen.name)}`));
      }
      this.sharedCache = { paths, notes };
    }
    return this.sharedCache;
  }

  /** Roles of the tenant that grant the scope (the removed Developer role never does). */
  rolesGranting(scope: string): readonly RoleSeen[] {
    let roles = this.rolesGrantingCache.get(scope);
    if (!roles) {
      roles = this.index.snapshot.roles
        .map((role) => this.role(role))
        .filter((grant) => grant.grants.has(scope))
        .map((grant) => grant.seen);
      this.rolesGrantingCache.set(scope, roles);
    }
    return roles;
  }

  /** Role and group names recur for every user: each is quoted once per resolver. */
  private readonly quotedNames = new Map<string, string>();

  private quotedName(name: string): string {
    let text = this.quotedNames.get(name);
    if (text === undefined) {
      text = quoted(name);
      this.quotedNames.set(name, text);
    }
    return text;
  }

  private computeUser(user: SnapshotUser): EffectiveAccess {
    const shared = this.sharedPaths();
    const paths: GrantPath[] = [...shared.paths];
    const notes: string[] = [...shared.notes];

    const directRoles: RoleSeen[] = [];
    for (const ref of user.assignedRoles) {
      const grant = this.role(ref);
      directRoles.push(grant.seen);
      if (grant.note) notes.push(grant.note);
      paths.push(...pathsThrough(grant, 'direct', `direct role ${this.quotedName(grant.seen.name)}`));
    }

    const groups: GroupSeen[] = [];
    for (const membership of user.assignedGroups) {
      const listed = this.index.groupsById.get(membership.id);
      const group = listed
        ? this.groupFromList(listed)
        : this.groupGrant(
            { id: membership.id, name: membership.name, source: 'user-record' },
            membership.assignedRoles ?? [],
          );
      groups.push(group.seen);
      notes.push(...group.notes);
      if (!group.seen.counted) continue;
      const via = { id: group.seen.id, name: group.seen.name };
      for (const roleGrant of group.roleGrants) {
        paths.push(
          ...pathsThrough(
            roleGrant,
            'group',
            `group ${this.quotedName(via.name)} → role ${this.quotedName(roleGrant.seen.name)}`,
            via,
          ),
        );
      }
    }

    const scopes = new Set(paths.map((path) => path.scope));
    return {
      userId: user.id,
      scopes,
      paths,
      directRoles,
      groups,
      notes: [...new Set(notes)],
      has: (scope) => scopes.has(scope),
      pathsFor: (scope) => paths.filter((path) => path.scope === scope),
    };
  }

  private groupFromList(group: SnapshotGroup): GroupGrant {
    let cached = this.groupCache.get(group.id);
    if (!cached) {
      cached = this.groupGrant(
        { id: group.id, name: group.name, status: group.status, source: 'groups-list' },
        group.assignedRoles,
      );
      this.groupCache.set(group.id, cached);
    }
    return cached;
  }

  private groupGrant(
    group: Pick<GroupSeen, 'id' | 'name' | 'status' | 'source'>,
    roleRefs: readonly RoleRef[],
  ): GroupGrant {
    const roleGrants = roleRefs.map((ref) => this.role(ref));
    const counted = group.status !== 'disabled';
    const notes: string[] = [];
    if (!counted) notes.push(`group ${quoted(group.name)} is disabled; its roles do not count`);
    if (group.source === 'user-record') {
      notes.push(`group ${quoted(group.name)} is not in the groups list; its roles were taken from the user record`);
    }
    for (const grant of roleGrants) if (grant.note) notes.push(`group ${quoted(group.name)}: ${grant.note}`);
    return {
      seen: { ...group, counted, roles: roleGrants.map((grant) => grant.seen) },
      roleGrants,
      notes,
    };
  }

  private computeRole(ref: NamedRef & { type?: 'default' | 'custom' }): RoleGrant {
    const role = this.index.role(ref);
    const name = role?.name ?? ref.name;
    const type = role?.type ?? ref.type;
    const seen: RoleSeen = {
      id: role?.id ?? ref.id,
      name,
      ...(type ? { type } : {}),
      resolved: role !== undefined,
      scopes: role?.assignedScopes ?? [],
    };
    if (isDeprecatedDeveloperRole({ name, type })) {
      return {
        seen,
        grants: new Map(),
        note: `role ${quoted(name)} is the removed built-in Developer role; it no longer grants ${this.manageApiKeysScope}`,
      };
    }
    const grants = new Map<string, GrantPath['reason']>();
    for (const scope of role?.assignedScopes ?? []) grants.set(scope, 'assignedScopes');
    if (this.grantingRoles.has(name) && !grants.has(this.manageApiKeysScope)) {
      grants.set(this.manageApiKeysScope, 'grantingRoles');
    }
    return {
      seen,
      grants,
      ...(role
        ? {}
        : {
            note: `role ${quoted(name)} (${tenantText(ref.id)}) is not in the tenant's role list; its scopes are unknown`,
          }),
    };
  }
}

/** The paths one role opens, one per scope it grants; `label` says how the role reaches the user. */
function pathsThrough(grant: RoleGrant, via: GrantVia, label: string, group?: NamedRef): GrantPath[] {
  return [...grant.grants].map(([scope, reason]) => ({
    scope,
    via,
    role: { id: grant.seen.id, name: grant.seen.name },
    ...(group ? { group } : {}),
    reason,
    text: reason === 'grantingRoles' ? `${label} (counted by the policy's grantingRoles)` : label,
  }));
}

/** A resolver over a snapshot, for callers that need no other lookups. */
export function createResolver(snapshot: TenantSnapshot, now: Date, options: ResolverOptions = {}): PermissionResolver {
  return new PermissionResolver(new TenantIndex(snapshot, now), options);
}
