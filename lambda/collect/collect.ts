/**
 * Collects one tenant's snapshot: what the policy needs, in as few requests as that takes.
 *
 * Targeted (the default): cost grows with what is checked, not with the tenant's size. Every API key (any status),
 * then only their owners and the users the policy names, looked up by id in batched SCIM filters; the groups those
 * users belong to; every role (one pass: scopes must be resolved by role id); the Everyone group; the key config when
 * needed. Full: every user, group, role and key, for reference runs and for policies that need it; both modes give
 * the same findings for the same policy.
 *
 * Independent chains run in parallel over one keep-alive pool (the client bounds what is in flight). The first
 * failure stops the others and fails the collection: a partial snapshot would read as a pass.
 */
import type { Dispatcher } from 'undici';
import { QlikClient, type QlikClientOptions } from '../qlik/client';
import type { QlikCredentials } from '../qlik/credentials';
import { QlikApiError } from '../qlik/errors';
import { ALL_STATUSES_FILTER, anyEquals, chunk, inAnyStatus } from '../qlik/filters';
import {
  EVERYONE_SETTINGS_KEY,
  type QlikGroup,
  type QlikRoleRef,
  type QlikTenant,
  type QlikUser,
} from '../qlik/schemas';
import type { TransportStats } from '../qlik/transport';
import { FULL_INVENTORY, type PolicyNeeds } from './plan';
import {
  type ApiKeysConfig,
  EVERYONE_GROUP_ID,
  EVERYONE_GROUP_NAME,
  type InventoryScope,
  type SnapshotApiKey,
  type SnapshotRole,
  type TenantSnapshot,
} from './snapshot';
import {
  byId,
  toApiKeysConfig,
  toRoleRef,
  toSnapshotApiKey,
  toSnapshotGroup,
  toSnapshotRole,
  toSnapshotUser,
} from './to-snapshot';

export type CollectMode = 'targeted' | 'full';

export interface CollectProgress {
  /** `identity`, `tenant`, `roles`, `api-keys`, `users`, `groups`, `everyone`, `api-keys-config`. */
  readonly phase: string;
  /** Items read so far in that phase. */
  readonly done: number;
}

export interface CollectOptions {
  readonly tenantUrl: string;
  readonly credentials: QlikCredentials;
  readonly needs: PolicyNeeds;
  readonly now: Date;
  /** Custom domains besides `*.qlikcloud.com` the credential may be sent to. */
  readonly allowedHosts?: readonly string[];
  readonly allowHttpLoopback?: boolean;
  /** The connection layer (tests inject a MockAgent); default: one keep-alive Agent, closed when done. */
  readonly dispatcher?: Dispatcher;
  /** The tenant's deadline: aborts everything in flight. */
  readonly signal?: AbortSignal;
  /** A deadline of its own, besides `signal`; also lets a long `Retry-After` fail fast as rate-limited. */
  readonly deadlineMs?: number;
  readonly onProgress?: (progress: CollectProgress) => void;
  /** @default 'targeted' */
  readonly mode?: CollectMode;
  /** Transport tuning (page size, retries, in-flight bound, clocks), mostly for tests and benchmarks. */
  readonly tuning?: Pick<
    QlikClientOptions,
    'pageSize' | 'retry' | 'maxInFlight' | 'requestsPerMinute' | 'scheduleRetry' | 'apiVersion' | 'userAgent'
  > & { readonly clock?: () => number };
}

export interface CollectStats {
  /** Requests sent: every attempt, redirect hop and token request. */
  readonly requests: number;
  /** Attempts that repeated an earlier one after a 429, a 5xx or a connection failure. */
  readonly retries: number;
  /** 429 responses received. */
  readonly rateLimited: number;
  /** Endpoints that announced a deprecation or sunset (worth a log line; Qlik may change them). */
  readonly deprecations?: TransportStats['deprecations'];
}

export interface CollectResult {
  readonly snapshot: TenantSnapshot;
  readonly stats: CollectStats;
}

/** Ids per SCIM `or` filter: short enough for any URL limit, one page (≤ 100) per batch. */
export const USER_ID_BATCH = 50;
/** Emails per filter: two conditions each (email or subject). */
export const USER_EMAIL_BATCH = 25;
/** Group ids per `assignedGroups.id` filter. */
export const GROUP_ID_BATCH = 50;
/** Up to this many groups are read one by one without first probing the group list. */
const GROUPS_BY_ID_WITHOUT_PROBE = 2;

const OBJECT_ID = /^[0-9a-f]{24}$/i;

export async function collectTenant(options: CollectOptions): Promise<CollectResult> {
  const stop = new AbortController();
  const signals = [stop.signal];
  if (options.signal) signals.push(options.signal);
  if (options.deadlineMs !== undefined) signals.push(AbortSignal.timeout(options.deadlineMs));
  const { clock = Date.now, ...tuning } = options.tuning ?? {};

  // Built outside the try: a tenant URL or allowed host that breaks the host policy is bad input, nothing to close.
  const client = new QlikClient({
    tenantUrl: options.tenantUrl,
    credentials: options.credentials,
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
    allowHttpLoopback: options.allowHttpLoopback ?? false,
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    signal: AbortSignal.any(signals),
    ...(options.deadlineMs !== undefined ? { deadlineAt: clock() + options.deadlineMs } : {}),
    now: clock,
    ...tuning,
  });
  try {
    // Full mode reads everything, which answers every targeted need as well.
    const needs = options.mode === 'full' ? FULL_INVENTORY : options.needs;
    const collection = new Collection(client, needs, stop, options.onProgress ?? (() => {}));
    const snapshot = await collection.run(options.now);
    const stats = client.stats();
    return {
      snapshot: { ...snapshot, requests: stats.requests },
      stats: {
        requests: stats.requests,
        retries: stats.retries,
        rateLimited: stats.rateLimited,
        ...(stats.deprecations.length > 0 ? { deprecations: stats.deprecations } : {}),
      },
    };
  } finally {
    stop.abort();
    await client.close();
  }
}

class Collection {
  readonly #users = new Map<string, QlikUser>();
  #usersScope: InventoryScope = 'targeted';
  readonly #lookedUp = new Set<string>();
  #roles: SnapshotRole[] = [];
  #apiKeys: SnapshotApiKey[] = [];
  #everyoneRoles: QlikRoleRef[] = [];
  #config: ApiKeysConfig | undefined;
  #tenantName: string | undefined;
  /** `/tenants/me`, read once: both the tenant name and, for a credential without a user, the tenant id need it. */
  #tenantRecord: Promise<QlikTenant> | undefined;
  readonly #memberGroupIds = new Set<string>();
  #failure: { error: unknown } | undefined;

  constructor(
    private readonly client: QlikClient,
    private readonly needs: PolicyNeeds,
    private readonly stop: AbortController,
    private readonly progress: (progress: CollectProgress) => void,
  ) {}

  async run(now: Date): Promise<TenantSnapshot> {
    // Every chain starts at once: only the API-key config needs the tenant id, so nothing else waits for /users/me.
    // The wall time is then the longest chain of dependent requests (on large tenants, the group pages).
    this.progress({ phase: 'identity', done: 0 });
    const identified = this.#identify();
    // Its failure is reported by the chain below that awaits it, not as an unhandled rejection.
    identified.catch(() => {});

    const wantsEveryoneMembers = this.needs.memberGroups.some(
      (group) => group === EVERYONE_GROUP_ID || group === EVERYONE_GROUP_NAME,
    );
    // Known before anything is read; `allUsers` may still turn true once Everyone's roles are known.
    const everyUserUpFront = this.needs.allUsers || wantsEveryoneMembers;
    let allUsers = everyUserUpFront;
    let listedGroups: QlikGroup[] | undefined;

    await this.#inParallel([
      async () => {
        await identified;
        this.progress({ phase: 'identity', done: 1 });
      },
      () => this.#tenant(),
      () => this.#allRoles(),
      async () => {
        if (everyUserUpFront) {
          // Every user is needed whatever Everyone holds: list them while Everyone is read.
          await Promise.all([this.#everyone(), this.#allUsers()]);
          return;
        }
        await this.#everyone();
        // Holding a role through Everyone means every user holds it: only the full inventory lists its holders.
        const everyoneRoleNames = new Set(this.#everyoneRoles.map((role) => role.name));
        if (this.needs.roleHolders.some((name) => everyoneRoleNames.has(name))) {
          allUsers = true;
          await this.#allUsers();
        } else {
          await this.#roleHolders();
        }
      },
      async () => {
        await this.#allApiKeys();
        if (!everyUserUpFront) await this.#usersById(this.#ownerAndNamedIds());
      },
      () => (everyUserUpFront ? Promise.resolve() : this.#usersByEmail()),
      () => (wantsEveryoneMembers ? Promise.resolve() : this.#memberGroupUsers()),
      async () => {
        if (this.needs.apiKeysConfig) await this.#apiKeysConfig((await identified).tenantId);
      },
      async () => {
        if (this.needs.allGroups) listedGroups = await this.#allGroups();
      },
    ]);
    const identity = await identified;

    if (allUsers) {
      // The full inventory answers every lookup: ids it lacks are unknown to the tenant.
      this.#usersScope = 'all';
      this.#lookedUp.clear();
    }
    // Without a full list, the groups to read depend on the users collected.
    const groups = listedGroups ? { groups: listedGroups, scope: 'all' as const } : await this.#groups();

    const snapshot: TenantSnapshot = {
      tenantUrl: this.client.origin,
      tenantId: identity.tenantId,
      ...(this.#tenantName !== undefined ? { tenantName: this.#tenantName } : {}),
      collectedAt: now.toISOString(),
      users: byId([...this.#users.values()].map(toSnapshotUser)),
      usersScope: this.#usersScope,
      ...(this.#usersScope === 'targeted' ? { usersLookedUp: [...this.#lookedUp].sort() } : {}),
      groups: byId(groups.groups.map(toSnapshotGroup)),
      groupsScope: groups.scope,
      roles: byId(this.#roles),
      everyoneRoles: byId(this.#everyoneRoles.map(toRoleRef)),
      apiKeys: byId(this.#apiKeys),
      ...(this.#config !== undefined ? { apiKeysConfig: this.#config } : {}),
      ...(identity.caller ? { caller: identity.caller } : {}),
    };
    return snapshot;
  }

  /**
   * The tenant id and the caller, from `/users/me`. A credential with no user of its own (some machine clients) may
   * get 403/404 there; `/tenants/me` then names the tenant.
   */
  async #identify(): Promise<{ tenantId: string; caller?: NonNullable<TenantSnapshot['caller']> }> {
    const expiresAt = this.client.transport.credentialExpiresAt;
    try {
      const me = await this.client.me();
      return {
        tenantId: me.tenantId,
        caller: {
          userId: me.id,
          ...(me.name ? { name: me.name } : {}),
          ...(expiresAt ? { credentialExpiresAt: expiresAt } : {}),
        },
      };
    } catch (error) {
      if (!isStatus(error, 403, 404)) throw error;
    }
    return { tenantId: (await this.#myTenant()).id };
  }

  #myTenant(): Promise<QlikTenant> {
    this.#tenantRecord ??= this.client.myTenant();
    return this.#tenantRecord;
  }

  /** The tenant's display name: nice to have, so a 403/404 is not fatal. */
  async #tenant(): Promise<void> {
    this.progress({ phase: 'tenant', done: 0 });
    try {
      const tenant = await this.#myTenant();
      if (tenant.name) this.#tenantName = tenant.name;
    } catch (error) {
      if (!isStatus(error, 403, 404)) throw error;
    }
    this.progress({ phase: 'tenant', done: 1 });
  }

  async #allRoles(): Promise<void> {
    const { items } = await this.client.listRoles({ onPage: (done) => this.progress({ phase: 'roles', done }) });
    this.#roles = items.map(toSnapshotRole);
  }

  async #allApiKeys(): Promise<void> {
    const { items } = await this.client.listApiKeys({ onPage: (done) => this.progress({ phase: 'api-keys', done }) });
    this.#apiKeys = items.map(toSnapshotApiKey);
  }

  /** Everyone's roles: from the group itself, else from the group settings' `systemGroups`. */
  async #everyone(): Promise<void> {
    this.progress({ phase: 'everyone', done: 0 });
    try {
      const everyone = await this.client.group(EVERYONE_GROUP_ID);
      if (everyone.assignedRoles !== undefined) {
        this.#everyoneRoles = everyone.assignedRoles;
        this.progress({ phase: 'everyone', done: 1 });
        return;
      }
    } catch (error) {
      if (!isStatus(error, 400, 403, 404)) throw error;
    }
    const settings = await this.client.groupSettings();
    const everyone = settings.systemGroups?.[EVERYONE_SETTINGS_KEY];
    if (!everyone) {
      // Assuming "no roles" here could hide a grant to every user, or invent a missing one.
      throw new QlikApiError(
        'bad-response',
        `GET /api/v1/groups/settings: systemGroups["${EVERYONE_SETTINGS_KEY}"]: expected the Everyone group, ` +
          'and GET /api/v1/groups/000000000000000000000001 gave no roles either',
        { endpoint: 'GET /api/v1/groups/settings' },
      );
    }
    this.#everyoneRoles = everyone.assignedRoles ?? [];
    this.progress({ phase: 'everyone', done: 1 });
  }

  async #apiKeysConfig(tenantId: string): Promise<void> {
    this.progress({ phase: 'api-keys-config', done: 0 });
    this.#config = toApiKeysConfig(await this.client.apiKeysConfig(tenantId));
    this.progress({ phase: 'api-keys-config', done: 1 });
  }

  async #allUsers(): Promise<void> {
    const { items } = await this.client.listUsers({
      filter: ALL_STATUSES_FILTER,
      onPage: (done) => this.progress({ phase: 'users', done }),
    });
    this.#addUsers(items);
  }

  /** Owners of user keys (any key status: filtering is the rules' job) and the users the policy names by id. */
  #ownerAndNamedIds(): string[] {
    const ids = new Set<string>(this.needs.userIds);
    for (const key of this.#apiKeys) if (key.subType === 'user' && key.sub !== '') ids.add(key.sub);
    return [...ids];
  }

  async #usersById(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.#lookedUp.add(id);
    await this.#inParallel(
      chunk(ids, USER_ID_BATCH).map((batch) => async () => {
        const { items } = await this.client.listUsers({ filter: inAnyStatus(anyEquals(['id'], batch)) });
        this.#addUsers(items);
      }),
    );
  }

  async #usersByEmail(): Promise<void> {
    await this.#inParallel(
      chunk(this.needs.userEmails, USER_EMAIL_BATCH).map((batch) => async () => {
        const { items } = await this.client.listUsers({ filter: inAnyStatus(anyEquals(['email', 'subject'], batch)) });
        this.#addUsers(items);
      }),
    );
  }

  /** Holders of the named roles, directly or through a group, in one filtered listing. */
  async #roleHolders(): Promise<void> {
    if (this.needs.roleHolders.length === 0) return;
    const filter = inAnyStatus(
      anyEquals(['assignedRoles.name', 'assignedGroupsAssignedRoles.name'], this.needs.roleHolders),
    );
    const { items } = await this.client.listUsers({ filter });
    this.#addUsers(items);
  }

  /** Members of the named groups (ids, or names resolved with a `name eq` filter). */
  async #memberGroupUsers(): Promise<void> {
    if (this.needs.memberGroups.length === 0) return;
    const ids = this.needs.memberGroups.filter((group) => OBJECT_ID.test(group));
    const names = this.needs.memberGroups.filter((group) => !OBJECT_ID.test(group));
    if (names.length > 0) {
      const { items } = await this.client.listGroups({ filter: anyEquals(['name'], names) });
      for (const group of items) ids.push(group.id);
    }
    for (const id of ids) this.#memberGroupIds.add(id);
    await this.#inParallel(
      chunk([...new Set(ids)], GROUP_ID_BATCH).map((batch) => async () => {
        const { items } = await this.client.listUsers({ filter: inAnyStatus(anyEquals(['assignedGroups.id'], batch)) });
        this.#addUsers(items);
      }),
    );
  }

  #addUsers(users: readonly QlikUser[]): void {
    for (const user of users) if (!this.#users.has(user.id)) this.#users.set(user.id, user);
    this.progress({ phase: 'users', done: this.#users.size });
  }

  async #allGroups(): Promise<QlikGroup[]> {
    const { items } = await this.client.listGroups({ onPage: (done) => this.progress({ phase: 'groups', done }) });
    return items;
  }

  /**
   * The groups of the users collected (and the member groups named by the policy), read one by one or, when fewer
   * requests, by listing them all.
   */
  async #groups(): Promise<{ groups: QlikGroup[]; scope: InventoryScope }> {
    const needed = new Set<string>(this.#memberGroupIds);
    for (const user of this.#users.values()) for (const group of user.assignedGroups ?? []) needed.add(group.id);
    needed.delete(EVERYONE_GROUP_ID);
    if (needed.size === 0) return { groups: [], scope: 'targeted' };
    if (needed.size <= GROUPS_BY_ID_WITHOUT_PROBE)
      return { groups: await this.#groupsById([...needed]), scope: 'targeted' };

    // One page of the full list (with its total) tells whether finishing the list is cheaper than the lookups left.
    const pages = this.client.groupPages({ totalResults: true });
    const listed: QlikGroup[] = [];
    let pageCount = 0;
    for await (const page of pages) {
      pageCount += 1;
      for (const group of page.items) listed.push(group);
      this.progress({ phase: 'groups', done: listed.length });
      if (!page.hasMore) return { groups: listed, scope: 'all' };
      if (pageCount === 1) {
        const missing = [...needed].filter((id) => !listed.some((group) => group.id === id));
        const pagesLeft =
          page.totalResults === undefined
            ? Number.POSITIVE_INFINITY
            : Math.ceil(Math.max(0, page.totalResults - listed.length) / this.client.pageSize);
        if (missing.length < pagesLeft) {
          await pages.return(undefined);
          const found = listed.filter((group) => needed.has(group.id));
          return { groups: [...found, ...(await this.#groupsById(missing))], scope: 'targeted' };
        }
      }
    }
    return { groups: listed, scope: 'all' };
  }

  async #groupsById(ids: readonly string[]): Promise<QlikGroup[]> {
    const groups: QlikGroup[] = [];
    await this.#inParallel(
      ids.map((id) => async () => {
        try {
          groups.push(await this.client.group(id));
          this.progress({ phase: 'groups', done: groups.length });
        } catch (error) {
          // Deleted between reading the user and reading the group: the user's own record still names its roles.
          if (!isStatus(error, 404)) throw error;
        }
      }),
    );
    return groups;
  }

  /**
   * Runs independent chains together. The first failure anywhere (nested runs included) is recorded before the
   * others are stopped, so it, not the aborts it causes, is the error reported.
   */
  async #inParallel(tasks: readonly (() => Promise<void>)[]): Promise<void> {
    await Promise.all(
      tasks.map(async (task) => {
        try {
          await task();
        } catch (error) {
          if (!this.#failure) {
            this.#failure = { error };
            this.stop.abort();
          }
        }
      }),
    );
    if (this.#failure) throw this.#failure.error;
  }
}

function isStatus(error: unknown, ...statuses: number[]): boolean {
  return error instanceof QlikApiError && error.httpStatus !== undefined && statuses.includes(error.httpStatus);
}
