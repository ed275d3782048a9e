/**
 * Lookups over one tenant snapshot, built once per evaluation so no rule scans every user, group or role per item.
 */
import {
  DEVELOPER_ROLE_NAME,
  EVERYONE_GROUP_ID,
  USER_DEFAULT_ROLE_NAME,
  type RoleRef,
  type SnapshotApiKey,
  type SnapshotGroup,
  type SnapshotRole,
  type SnapshotUser,
  type TenantSnapshot,
} from '../collect/snapshot';

/** Prefix of membership-cache keys that hold a group name rather than an id. */
const NAME_KEY = '\u0000name:';

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
  private membersCache?: Map<string, SnapshotUser[]>;

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
    for (const key of snapshot.apiKeys) {
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
    return this.memberships().get(groupId) ?? [];
  }

  /**
   * Members of a group named by id or name. A name is matched against the groups list first, then against the
   * memberships users carry (a group may be missing from a targeted groups list).
   */
  membersOfGroup(idOrName: string): readonly SnapshotUser[] {
    const group = this.group(idOrName);
    if (group) return this.membersOf(group.id);
    return this.memberships().get(idOrName) ?? this.memberships().get(`${NAME_KEY}${idOrName}`) ?? [];
  }

  private memberships(): Map<string, SnapshotUser[]> {
    if (!this.membersCache) {
      const cache = new Map<string, SnapshotUser[]>();
      const add = (key: string, user: SnapshotUser): void => {
        const members = cache.get(key);
        if (members) members.push(user);
        else cache.set(key, [user]);
      };
      for (const user of this.snapshot.users) {
        for (const membership of user.assignedGroups) {
          add(membership.id, user);
          add(`${NAME_KEY}${membership.name}`, user);
        }
      }
      this.membersCache = cache;
    }
    return this.membersCache;
  }

  /** Whether the reference is the removed built-in Developer role (not a custom role that happens to share the name). */
  isDeprecatedDeveloper(ref: Pick<RoleRef, 'id' | 'name' | 'type'>): boolean {
    const role = this.rolesById.get(ref.id);
    return isDeprecatedDeveloperRole(role ?? ref);
  }
}

export function isDeprecatedDeveloperRole(role: Pick<RoleRef, 'name' | 'type'>): boolean {
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

export function isEveryoneGroup(groupId: string): boolean {
  return groupId === EVERYONE_GROUP_ID;
}
