/**
 * A small builder of tenant snapshots for policy tests: roles, groups, users and keys with deterministic ids, shaped
 * as the collector produces them (group memberships carry the group's roles unless told otherwise).
 */
import type {
  ApiKeysConfig,
  RoleRef,
  SnapshotApiKey,
  SnapshotGroup,
  SnapshotRole,
  SnapshotUser,
  TenantSnapshot,
  UserStatus,
} from '../../../lambda/collect/snapshot';
import { DEFAULT_POLICY_DOCUMENT } from '../../../lambda/policy/default-policy';
import { evaluatePolicy } from '../../../lambda/policy/evaluate';
import { policyFromDocument } from '../../../lambda/policy/load';
import { PermissionResolver, resolverOptionsOf } from '../../../lambda/policy/resolver';
import type { KnownFormerDevelopers, RuleContext, RuleDefinition } from '../../../lambda/policy/rule';
import type { Policy, PolicyDocument } from '../../../lambda/policy/schema';
import { TenantIndex } from '../../../lambda/policy/tenant-index';
import type { FindingDraft } from '../../../lambda/report/model';

export const NOW = new Date('2026-03-01T12:00:00.000Z');
export const TENANT_ID = 'BL4tTJ4S7xrHTcq0zQxQrJ5qB1_Q6cSo';

export function daysFromNow(days: number, now: Date = NOW): string {
  return new Date(now.getTime() + days * 86_400_000).toISOString();
}

export interface GroupHandle {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly RoleRef[];
}

export interface UserOptions {
  readonly id?: string;
  readonly email?: string | null;
  readonly status?: UserStatus | null;
  readonly roles?: readonly RoleRef[];
  readonly groups?: readonly GroupHandle[];
  /** Override a membership's embedded roles (by group id); `null` omits them, as a sparse record would. */
  readonly embeddedGroupRoles?: Readonly<Record<string, readonly RoleRef[] | null>>;
  readonly legacyRoles?: readonly string[];
  readonly assignedScopes?: readonly string[];
}

export interface KeyOptions {
  readonly id?: string;
  readonly description?: string;
  readonly status?: SnapshotApiKey['status'];
  readonly expiry?: string | null;
  readonly subType?: SnapshotApiKey['subType'];
}

export class SnapshotBuilder {
  private sequence = 0;
  private readonly roles: SnapshotRole[] = [];
  private readonly groups: SnapshotGroup[] = [];
  private readonly users: SnapshotUser[] = [];
  private readonly apiKeys: SnapshotApiKey[] = [];
  private everyoneRoles: RoleRef[] = [];
  private apiKeysConfig: ApiKeysConfig | undefined;
  private usersScope: TenantSnapshot['usersScope'] = 'all';
  private usersLookedUp: string[] | undefined;

  /** A 24-hex id, unique within this builder, readable in failures (`…0001`, `…0002`). */
  nextId(): string {
    this.sequence += 1;
    return `65${this.sequence.toString(16).padStart(22, '0')}`;
  }

  role(
    name: string,
    scopes: readonly string[] = [],
    options: { type?: 'default' | 'custom'; id?: string; level?: 'admin' | 'user' } = {},
  ): RoleRef {
    const ref: RoleRef = {
      id: options.id ?? this.nextId(),
      name,
      type: options.type ?? 'custom',
      level: options.level ?? 'user',
    };
    this.roles.push({ ...ref, assignedScopes: [...scopes], permissions: [] });
    return ref;
  }

  /** The UserDefault role, whose scopes every user gets. */
  userDefault(scopes: readonly string[] = []): RoleRef {
    return this.role('UserDefault', scopes, { type: 'default' });
  }

  /** The removed built-in Developer role, as a legacy tenant still lists it. */
  developerRole(options: { listed?: boolean } = {}): RoleRef {
    const ref: RoleRef = { id: '60804cf8a77b649c66733f65', name: 'Developer', type: 'default', level: 'user' };
    if (options.listed !== false) this.roles.push({ ...ref, assignedScopes: [], permissions: ['apikey:create'] });
    return ref;
  }

  /** A role reference that is not in the role list (a stale or hidden role). */
  unlistedRole(name: string, type: 'default' | 'custom' = 'custom'): RoleRef {
    return { id: this.nextId(), name, type, level: 'user' };
  }

  group(
    name: string,
    roles: readonly RoleRef[] = [],
    options: { id?: string; status?: 'active' | 'disabled'; listed?: boolean } = {},
  ): GroupHandle {
    const handle: GroupHandle = { id: options.id ?? this.nextId(), name, roles };
    if (options.listed !== false) {
      this.groups.push({
        id: handle.id,
        name,
        status: options.status ?? 'active',
        providerType: 'idp',
        assignedRoles: [...roles],
      });
    }
    return handle;
  }

  everyone(...roles: RoleRef[]): this {
    this.everyoneRoles = roles;
    return this;
  }

  user(name: string, options: UserOptions = {}): SnapshotUser {
    const id = options.id ?? this.nextId();
    const email =
      options.email === null ? undefined : (options.email ?? `${name.toLowerCase().replace(/\W+/g, '.')}@example.com`);
    const status = options.status === null ? undefined : (options.status ?? 'active');
    const user: SnapshotUser = {
      id,
      name,
      ...(email ? { email } : {}),
      ...(status ? { status } : {}),
      assignedRoles: [...(options.roles ?? [])],
      assignedGroups: (options.groups ?? []).map((group) => {
        const embedded = options.embeddedGroupRoles?.[group.id];
        return embedded === null
          ? { id: group.id, name: group.name }
          : { id: group.id, name: group.name, assignedRoles: [...(embedded ?? group.roles)] };
      }),
      ...(options.legacyRoles ? { legacyRoles: [...options.legacyRoles] } : {}),
      ...(options.assignedScopes ? { assignedScopes: [...options.assignedScopes] } : {}),
    };
    this.users.push(user);
    return user;
  }

  key(owner: SnapshotUser | string, options: KeyOptions = {}): SnapshotApiKey {
    const ownerId = typeof owner === 'string' ? owner : owner.id;
    this.sequence += 1;
    const key: SnapshotApiKey = {
      id: options.id ?? `key${this.sequence.toString().padStart(29, '0')}`,
      description: options.description ?? `integration key ${this.sequence}`,
      sub: ownerId,
      subType: options.subType ?? 'user',
      status: options.status ?? 'active',
      ...(options.expiry === null ? {} : { expiry: options.expiry ?? daysFromNow(180) }),
      createdByUser: ownerId,
    };
    this.apiKeys.push(key);
    return key;
  }

  /** A SCIM provisioning key: no user owner. */
  scimKey(options: KeyOptions = {}): SnapshotApiKey {
    return this.key('SCIM\\6425d61fbb406d75678f1204', {
      description: 'SCIM provisioning (Azure AD)',
      ...options,
      subType: 'externalClient',
    });
  }

  config(config: ApiKeysConfig): this {
    this.apiKeysConfig = config;
    return this;
  }

  /** Only some users were collected; `lookedUp` lists the ids the collector asked for. */
  targeted(lookedUp: readonly string[] = []): this {
    this.usersScope = 'targeted';
    this.usersLookedUp = [...lookedUp];
    return this;
  }

  build(): TenantSnapshot {
    return {
      tenantUrl: 'https://acme.eu.qlikcloud.com',
      tenantId: TENANT_ID,
      tenantName: 'acme',
      collectedAt: NOW.toISOString(),
      users: [...this.users],
      usersScope: this.usersScope,
      ...(this.usersLookedUp ? { usersLookedUp: [...this.usersLookedUp] } : {}),
      groups: [...this.groups],
      groupsScope: 'all',
      roles: [...this.roles],
      everyoneRoles: [...this.everyoneRoles],
      apiKeys: [...this.apiKeys],
      ...(this.apiKeysConfig ? { apiKeysConfig: this.apiKeysConfig } : {}),
    };
  }
}

/** The default policy with top-level sections replaced, validated like a file. */
export function policyWith(overrides: Partial<PolicyDocument> = {}): Policy {
  return policyFromDocument({ ...DEFAULT_POLICY_DOCUMENT, ...overrides }, 'test policy').policy;
}

export function ruleContext(
  snapshot: TenantSnapshot,
  options: { policy?: Policy; now?: Date; known?: KnownFormerDevelopers } = {},
): RuleContext {
  const policy = options.policy ?? policyWith();
  const now = options.now ?? NOW;
  const tenant = new TenantIndex(snapshot, now);
  return {
    snapshot,
    policy,
    now,
    tenant,
    access: new PermissionResolver(tenant, resolverOptionsOf(policy)),
    knownFormerDevelopers: options.known ?? { users: [], groups: [] },
  };
}

/** Runs one rule on its own, as `evaluatePolicy` would. */
export function runRule(
  rule: RuleDefinition,
  snapshot: TenantSnapshot,
  options: { policy?: Policy; now?: Date; known?: KnownFormerDevelopers } = {},
): FindingDraft[] {
  return rule.evaluate(ruleContext(snapshot, options));
}

export function findingsOf(snapshot: TenantSnapshot, ruleId: string, policy: Policy = policyWith()): FindingDraft[] {
  return evaluatePolicy(snapshot, policy, NOW).filter((finding) => finding.ruleId === ruleId);
}
