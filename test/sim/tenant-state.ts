/**
 * The server's working copy of a scenario, with the indexes that keep a 50,000-user tenant fast: lookups by id and by
 * exact attribute value, resolved role scopes, and memoised sorted result lists that every page of a listing reuses.
 * Any change goes through {@link TenantState.mutate}, which rebuilds the indexes and drops the memo.
 */
import type { Scenario, SimApiKey, SimGroup, SimRole, SimUser } from './scenario';
import { DEVELOPER_NAME, TENANT_ADMIN_NAME, USER_DEFAULT_NAME } from './scenario';
import type { SimSettings } from './settings';
import { durationMs, resolveTime } from './time';

const MEMO_LIMIT = 2000;
const INDEXED_USER_ATTRIBUTES: ReadonlySet<string> = new Set(['id', 'subject', 'email', 'clientId', 'name']);

export class TenantState {
  private rolesById = new Map<string, SimRole>();
  private rolesByName = new Map<string, SimRole>();
  private groupsById = new Map<string, SimGroup>();
  private usersById = new Map<string, SimUser>();
  private keysById = new Map<string, SimApiKey>();
  /** attribute → lower-cased value → users, for exact-match filter terms. */
  private userIndex = new Map<string, Map<string, SimUser[]>>();
  private effectiveScopeMemo = new Map<string, ReadonlySet<string>>();
  private memo = new Map<string, unknown>();
  private versionCounter = 0;
  private readonly changeListeners: (() => void)[] = [];

  constructor(
    readonly scenario: Scenario,
    readonly settings: SimSettings,
    private readonly now: () => Date,
  ) {
    this.rebuild();
  }

  get version(): number {
    return this.versionCounter;
  }

  get tenantId(): string {
    return this.scenario.tenant.id;
  }

  mutate(fn: (s: Scenario) => void): void {
    fn(this.scenario);
    this.rebuild();
    for (const listener of this.changeListeners) listener();
  }

  /** Called after every mutation (the event log turns changes into audit events and webhook deliveries). */
  onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  private rebuild(): void {
    const s = this.scenario;
    anchorTimes(s, this.now());
    this.versionCounter++;
    this.rolesById = new Map(s.roles.map((r) => [r.id, r]));
    this.rolesByName = new Map(s.roles.map((r) => [r.name, r]));
    this.groupsById = new Map(s.groups.map((g) => [g.id, g]));
    this.usersById = new Map(s.users.map((u) => [u.id, u]));
    this.keysById = new Map(s.apiKeys.map((k) => [k.id, k]));
    this.userIndex = new Map();
    this.effectiveScopeMemo.clear();
    this.memo.clear();
  }

  role(id: string): SimRole | undefined {
    return this.rolesById.get(id);
  }
  roleByName(name: string): SimRole | undefined {
    return this.rolesByName.get(name);
  }
  group(id: string): SimGroup | undefined {
    return this.groupsById.get(id);
  }
  user(id: string): SimUser | undefined {
    return this.usersById.get(id);
  }
  apiKey(id: string): SimApiKey | undefined {
    return this.keysById.get(id);
  }

  /** Users whose `attribute` equals `valueLowerCase` (case-insensitively); undefined if the attribute has no index. */
  usersWhere(attribute: string, valueLowerCase: string): readonly SimUser[] | undefined {
    if (!INDEXED_USER_ATTRIBUTES.has(attribute)) return undefined;
    let byValue = this.userIndex.get(attribute);
    if (!byValue) {
      // Built on first use: most runs filter by id only, and a rebuild after every mutation should stay cheap.
      byValue = new Map();
      const key = attribute as 'id' | 'subject' | 'email' | 'clientId' | 'name';
      for (const u of this.scenario.users) {
        const value = u[key];
        if (value === undefined) continue;
        const lower = value.toLowerCase();
        const list = byValue.get(lower);
        if (list) list.push(u);
        else byValue.set(lower, [u]);
      }
      this.userIndex.set(attribute, byValue);
    }
    return byValue.get(valueLowerCase) ?? [];
  }

  userDefault(): SimRole | undefined {
    return this.rolesByName.get(USER_DEFAULT_NAME);
  }

  /** Roles of the groups a user belongs to, from the groups themselves (not from anything embedded on the user). */
  groupRoles(user: SimUser): SimRole[] {
    const roles: SimRole[] = [];
    for (const groupId of user.assignedGroups) {
      const g = this.groupsById.get(groupId);
      if (!g) continue;
      for (const roleId of g.assignedRoles) {
        const r = this.rolesById.get(roleId);
        if (r) roles.push(r);
      }
    }
    return roles;
  }

  directRoles(user: SimUser): SimRole[] {
    return user.assignedRoles.flatMap((id) => this.rolesById.get(id) ?? []);
  }

  everyoneRoles(): SimRole[] {
    return this.scenario.everyone.assignedRoles.flatMap((id) => this.rolesById.get(id) ?? []);
  }

  isTenantAdmin(userId: string): boolean {
    const u = this.usersById.get(userId);
    if (!u) return false;
    return [...this.directRoles(u), ...this.groupRoles(u), ...this.everyoneRoles()].some(
      (r) => r.name === TENANT_ADMIN_NAME && r.type === 'default',
    );
  }

  hasRoleNamed(userId: string, names: readonly string[]): boolean {
    const u = this.usersById.get(userId);
    if (!u) return false;
    return [...this.directRoles(u), ...this.groupRoles(u), ...this.everyoneRoles()].some((r) => names.includes(r.name));
  }

  /** Scopes from every path: UserDefault, direct roles, group roles, Everyone (docs/qlik-cloud-api.md §5). */
  effectiveScopes(user: SimUser): ReadonlySet<string> {
    let scopes = this.effectiveScopeMemo.get(user.id);
    if (scopes) return scopes;
    const set = new Set<string>(this.userDefault()?.assignedScopes ?? []);
    for (const r of [...this.directRoles(user), ...this.groupRoles(user), ...this.everyoneRoles()]) {
      for (const s of r.assignedScopes) set.add(s);
      if (this.settings.tenantAdminImpliesManageApiKeys && r.name === TENANT_ADMIN_NAME && r.type === 'default')
        set.add(this.settings.manageApiKeysScope);
    }
    scopes = set;
    this.effectiveScopeMemo.set(user.id, scopes);
    return scopes;
  }

  directScopes(user: SimUser): string[] {
    const set = new Set<string>();
    for (const r of this.directRoles(user)) for (const s of r.assignedScopes) set.add(s);
    return [...set];
  }

  /** Whether `user` may use API keys now: the scope on a current tenant; Developer or the scope on a legacy one. */
  mayUseApiKeys(user: SimUser): boolean {
    if (this.effectiveScopes(user).has(this.settings.manageApiKeysScope)) return true;
    if (this.scenario.mode === 'legacy') {
      return [...this.directRoles(user), ...this.groupRoles(user), ...this.everyoneRoles()].some(
        (r) => r.name === DEVELOPER_NAME && r.type === 'default',
      );
    }
    return false;
  }

  /**
   * The status a key is listed with: Qlik computes expiry, so an active key past its expiry is `expired`; how keys of
   * owners lacking the scope are listed is Unverified (a setting).
   */
  listedKeyStatus(key: SimApiKey, now: Date): SimApiKey['status'] {
    if (key.status === 'active' && this.keyExpired(key, now)) return 'expired';
    if (key.status !== 'active' || key.subType !== 'user' || this.scenario.mode === 'legacy') return key.status;
    const owner = this.usersById.get(key.sub);
    if (owner && !this.mayUseApiKeys(owner)) return this.settings.keyStatusWhenOwnerLacksScope;
    return key.status;
  }

  keyExpired(key: SimApiKey, now: Date): boolean {
    return resolveTime(key.expiry, now).getTime() <= now.getTime();
  }

  /** Memoised per tenant version: sorted, filtered result lists reused by every page of a listing. */
  memoize<T>(key: string, compute: () => T): T {
    if (this.memo.has(key)) return this.memo.get(key) as T;
    const value = compute();
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    this.memo.set(key, value);
    return value;
  }
}

/**
 * Relative dates (`P10D`) are fixed against the sim clock when the tenant starts, and when a mutation introduces new
 * ones: afterwards the clock may move forward and keys expire, as on a real tenant.
 */
export function anchorTimes(s: Scenario, now: Date): void {
  // Generated tenants repeat a handful of relative dates across 50,000 users: resolve each distinct one once.
  const resolved = new Map<string, string>();
  const fix = <T extends object>(obj: T, keys: readonly (keyof T)[]) => {
    for (const key of keys) {
      const value = obj[key];
      if (typeof value !== 'string') continue;
      let absolute = resolved.get(value);
      if (absolute === undefined) {
        if (!isRelative(value)) continue;
        absolute = resolveTime(value, now).toISOString();
        resolved.set(value, absolute);
      }
      (obj as Record<keyof T, unknown>)[key] = absolute;
    }
  };
  fix(s.tenant, ['created']);
  fix(s.caller, ['apiKeyExpiry']);
  fix(s.everyone, ['createdAt', 'lastUpdatedAt']);
  for (const r of s.roles) fix(r, ['createdAt', 'lastUpdatedAt']);
  for (const g of s.groups) fix(g, ['createdAt', 'lastUpdatedAt']);
  for (const u of s.users) fix(u, ['createdAt', 'lastUpdatedAt', 'inviteExpiry']);
  for (const k of s.apiKeys) fix(k, ['expiry', 'created', 'lastUpdated']);
}

function isRelative(value: string): boolean {
  const c = value.charCodeAt(0);
  // "P…", "-P…" or "+P…"; absolute date-times start with a digit.
  return (c === 80 || c === 45 || c === 43) && durationMs(value) !== undefined;
}
