/**
 * Lookups over one tenant snapshot, built once per evaluation so no rule scans every user, group or role per item.
 */
import {
  DEVELOPER_ROLE_NAME,
  type RoleRef,
  type SnapshotApiKey,
  type SnapshotGroup,
  type SnapshotGroupMembership,
  type SnapshotRole,
  type SnapshotUser,
  type TenantSnapshot,
  USER_DEFAULT_ROLE_NAME,
} from '../collect/snapshot';
import { compareText } from '../util/text';

/** People and groups in the order a reader expects, with the id breaking ties between equal names. */
export function byNameThenId(a: { name: string; id: string }, b: { name: string; id: string }): number {
  return compareText(a.name, b.name) || compareText(a.id, b.id);
}

export class TenantIndex {
  readonly usersById = new Map<string, SnapshotUser>();
  readonly rolesById = new Map<string, SnapshotRole>();
  readonly rolesByName = new Map<string, SnapshotRole>();
  readonly groupsById = new Map<string, SnapshotGroup>();
  readonly groupsByName = new Map<string, SnapshotGroup>();
  readonly userDefault: SnapshotRole | undefined;
  /** Keys that can authenticate today and belong to a user, grouped by owner id (`sub`). */
  readonly liveUserKeysByOwner = new Map<string, SnapshotApiKey[]>();
  private readonly usersLookedUp: ReadonlySet<string>;
  private usersByEmailCache?: Map<string, SnapshotUser>;
  /** Members per group id, filled only for the groups someone asked about. */
  private readonly membersCache = new Map<string, SnapshotUser[]>();
  private unlistedCache?: Map<string, SnapshotGroupMembership>;

  constructor(
    readonly snapshot: TenantSnapshot,
    readonly now: Date,
  ) {
    for (const user of snapshot.users) this.usersById.set(user.id, user);
    for (const role of snapshot.roles) {
      this.rolesById.set(role.id, role);
      // Names are unique per tenant; should a snapshot ever repeat one, the first wins so results stay stable.
      if (!this.rolesByName.has(role.name)) this.rolesByName.set(role.name, role);
    }
    for (const group of snapshot.groups) {
      this.groupsById.set(group.id, group);
      if (!this.groupsByName.has(group.name)) this.groupsByName.set(group.name, group);
    }
    this.userDefault = snapshot.roles.find((role) => role.name === USER_DEFAULT_ROLE_NAME && role.type === 'default');
    // Sorted by owner, then key id, so evidence and messages do not depend on the order Qlik listed the keys in.
    const keys = [...snapshot.apiKeys].sort((a, b) => compareText(a.sub, b.sub) || compareText(a.id, b.id));
    for (const key of keys) {
      if (!isLiveUserKey(key, now)) continue;
      const owned = this.liveUserKeysByOwner.get(key.sub);
      if (owned) owned.push(key);
      else this.liveUserKeysByOwner.set(key.sub, [key]);
    }
    this.usersLookedUp = new Set(snapshot.usersLookedUp ?? []);
  }

  /** A role reference resolved against the tenant's role list: by id, then by name. */
  role(ref: Pick<RoleRef, 'id' | 'name'>): SnapshotRole | undefined {
    return this.rolesById.get(ref.id) ?? this.rolesByName.get(ref.name);
  }

  /** A group by id, or by its (unique, case-sensitive) name. */
  group(idOrName: string): SnapshotGroup | undefined {
    return this.groupsById.get(idOrName) ?? this.groupsByName.get(idOrName);
  }

  /** A user by id, or by email (case-insensitive). */
  user(idOrEmail: string): SnapshotUser | undefined {
    const byId = this.usersById.get(idOrEmail);
    if (byId) return byId;
    if (!this.usersByEmailCache) {
      this.usersByEmailCache = new Map();
      for (const user of this.snapshot.users) {
        if (user.email) this.usersByEmailCache.set(user.email.toLowerCase(), user);
      }
    }
    return this.usersByEmailCache.get(idOrEmail.toLowerCase());
  }

  /**
   * True when the tenant is known not to have this user: the inventory is complete, or the id was looked up and not
   * found. A user merely not collected is not unknown.
   */
  isKnownMissingUser(userId: string): boolean {
    if (this.usersById.has(userId)) return false;
    return this.snapshot.usersScope === 'all' || this.usersLookedUp.has(userId);
  }

  /** Users of the snapshot that are members of the group (matched by the membership's id). */
  membersOf(groupId: string): readonly SnapshotUser[] {
    return this.membersOfGroups([groupId]).get(groupId) ?? [];
  }

  /**
   * Members of several groups in one pass over the users. Only a few groups ever need their members (Developer
   * groups, former-Developer groups, groups a custom rule selects), so indexing all 10,000 would be wasted work.
   */
  membersOfGroups(groupIds: Iterable<string>): ReadonlyMap<string, readonly SnapshotUser[]> {
    const wanted = new Set<string>();
    for (const id of groupIds) if (!this.membersCache.has(id)) wanted.add(id);
    if (wanted.size > 0) {
      for (const id of wanted) this.membersCache.set(id, []);
      for (const user of this.snapshot.users) {
        for (const membership of user.assignedGroups) {
          if (wanted.has(membership.id)) this.membersCache.get(membership.id)?.push(user);
        }
      }
    }
    const result = new Map<string, readonly SnapshotUser[]>();
    for (const id of groupIds) result.set(id, this.membersCache.get(id) ?? []);
    return result;
  }

  /**
   * Members of a group named by id or name. A name is matched against the groups list first, then against the
   * memberships users carry (a group may be missing from a targeted groups list).
   */
  membersOfGroup(idOrName: string): readonly SnapshotUser[] {
    const group = this.group(idOrName);
    if (group) return this.membersOf(group.id);
    const unlisted = this.unlistedGroups();
    if (unlisted.has(idOrName)) return this.membersOf(idOrName);
    for (const membership of unlisted.values()) {
      if (membership.name === idOrName) return this.membersOf(membership.id);
    }
    return [];
  }

  /** Groups users belong to that the groups list lacks, as the first user record carrying their roles shows them. */
  unlistedGroups(): ReadonlyMap<string, SnapshotGroupMembership> {
    if (!this.unlistedCache) {
      const unlisted = new Map<string, SnapshotGroupMembership>();
      for (const user of this.snapshot.users) {
        for (const membership of user.assignedGroups) {
          if (this.groupsById.has(membership.id)) continue;
          const seen = unlisted.get(membership.id);
          // Prefer a record that carries the group's roles; sparse records may omit them.
          if (!seen || (!seen.assignedRoles && membership.assignedRoles)) unlisted.set(membership.id, membership);
        }
      }
      this.unlistedCache = unlisted;
    }
    return this.unlistedCache;
  }

  /** Whether the reference is the removed built-in Developer role (not a custom role that happens to share the name). */
  isDeprecatedDeveloper(ref: Pick<RoleRef, 'id' | 'name' | 'type'>): boolean {
    const role = this.rolesById.get(ref.id);
    return isDeprecatedDeveloperRole(role ?? ref);
  }

  /** Whether a user or group is still assigned the removed Developer role (users also by the legacy roles field). */
  holdsDeveloperRole(principal: {
    readonly assignedRoles: readonly Pick<RoleRef, 'id' | 'name' | 'type'>[];
    readonly legacyRoles?: readonly string[];
  }): boolean {
    return (
      principal.assignedRoles.some((ref) => this.isDeprecatedDeveloper(ref)) ||
      (principal.legacyRoles?.includes(DEVELOPER_ROLE_NAME) ?? false)
    );
  }
}

/** A role whose type is unknown is not the built-in one. */
export function isDeprecatedDeveloperRole(role: { readonly name: string; readonly type?: RoleRef['type'] }): boolean {
  return role.name === DEVELOPER_ROLE_NAME && role.type === 'default';
}

/** A key that can still authenticate on its own terms: active, unexpired, owned by a user (not a SCIM client). */
export function isLiveUserKey(key: SnapshotApiKey, now: Date): boolean {
  return key.subType === 'user' && isLiveKey(key, now);
}

export function isLiveKey(key: SnapshotApiKey, now: Date): boolean {
  if (key.status !== 'active') return false;
  if (key.expiry === undefined) return true;
  const expiry = Date.parse(key.expiry);
  // An unparseable expiry cannot prove the key dead, so it still counts.
  return Number.isNaN(expiry) || expiry > now.getTime();
}

/** Status `active`, or unset (Qlik's default listing shows active users). */
export function isActiveUser(user: SnapshotUser): boolean {
  return user.status === undefined || user.status === 'active';
}
