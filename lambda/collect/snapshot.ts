/**
 * The tenant snapshot: everything the policy needs, read from one tenant in one run. Domain code (resolver, rules,
 * drift) works only on this model, never on HTTP responses, so it can be built from any source (live tenant,
 * fixture, generator).
 */

export type UserStatus = 'active' | 'invited' | 'disabled' | 'deleted' | 'provisioned';

export interface RoleRef {
  readonly id: string;
  readonly name: string;
  readonly type: 'default' | 'custom';
  readonly level?: 'admin' | 'user';
}

export interface SnapshotRole extends RoleRef {
  readonly description?: string;
  /** Scopes granted by the role; where custom roles and UserDefault grant `api-keys`. */
  readonly assignedScopes: readonly string[];
  /** Fine-grained permissions of default roles. */
  readonly permissions: readonly string[];
}

export interface SnapshotGroupMembership {
  readonly id: string;
  readonly name: string;
  /** Optional on the wire; the resolver prefers the group list's roles. */
  readonly assignedRoles?: readonly RoleRef[];
}

export interface SnapshotUser {
  readonly id: string;
  readonly name: string;
  readonly email?: string;
  readonly subject?: string;
  /** `undefined` when the tenant did not say; treated as active by Qlik's own default listing. */
  readonly status?: UserStatus;
  readonly assignedRoles: readonly RoleRef[];
  readonly assignedGroups: readonly SnapshotGroupMembership[];
  /** Legacy `User.roles` (role names), when a tenant still returns it. */
  readonly legacyRoles?: readonly string[];
  /** `User.assignedScopes` as returned; only a cross-check, never the source of truth. */
  readonly assignedScopes?: readonly string[];
  /** Set on bot / OAuth-client users. */
  readonly clientId?: string;
}

export interface SnapshotGroup {
  readonly id: string;
  readonly name: string;
  readonly status?: 'active' | 'disabled';
  readonly providerType?: 'idp' | 'custom';
  readonly assignedRoles: readonly RoleRef[];
}

export type ApiKeyStatus = 'active' | 'expired' | 'revoked';

export interface SnapshotApiKey {
  readonly id: string;
  readonly description: string;
  /** Owner user id, or `SCIM\<idpId>` for SCIM keys. */
  readonly sub: string;
  readonly subType: 'user' | 'externalClient';
  readonly status: ApiKeyStatus;
  /** ISO date-time. */
  readonly expiry?: string;
  readonly createdByUser?: string;
  readonly created?: string;
}

export interface ApiKeysConfig {
  /** ISO-8601 duration, e.g. `P365D`. */
  readonly maxApiKeyExpiry?: string;
  readonly maxKeysPerUser?: number;
  readonly scimExternalClientExpiry?: string;
  /** Legacy toggle; present only on tenants not yet migrated. Controls nothing any more. */
  readonly apiKeysEnabled?: boolean;
}

/**
 * How much of the user and group inventory the snapshot holds. `all`: every user (or group) of the tenant.
 * `targeted`: only those the policy needed (key owners, former Developers, members of selected groups); a user id
 * looked up but absent is then known not to exist.
 */
export type InventoryScope = 'all' | 'targeted';

export interface TenantSnapshot {
  readonly tenantUrl: string;
  readonly tenantId: string;
  readonly tenantName?: string;
  /** ISO date-time when collection finished. */
  readonly collectedAt: string;
  readonly users: readonly SnapshotUser[];
  readonly usersScope: InventoryScope;
  /** User ids that were looked up (targeted scope) — absent from `users` means unknown to the tenant. */
  readonly usersLookedUp?: readonly string[];
  readonly groups: readonly SnapshotGroup[];
  readonly groupsScope: InventoryScope;
  /** Every role of the tenant (one full `GET /roles` pass), UserDefault and, on legacy tenants, Developer included. */
  readonly roles: readonly SnapshotRole[];
  /** Roles assigned to the Everyone system group (id 000000000000000000000001). */
  readonly everyoneRoles: readonly RoleRef[];
  readonly apiKeys: readonly SnapshotApiKey[];
  readonly apiKeysConfig?: ApiKeysConfig;
  /** The identity the checker itself runs as, when known (for credential-health checks). */
  readonly caller?: {
    readonly userId: string;
    readonly name?: string;
    /** When the checker's own credential expires (an API key's JWT `exp`), if it can be told. */
    readonly credentialExpiresAt?: string;
  };
  /** Requests made to collect this snapshot. */
  readonly requests?: number;
}

export const EVERYONE_GROUP_ID = '000000000000000000000001';
export const EVERYONE_GROUP_NAME = 'com.qlik.Everyone';
export const USER_DEFAULT_ROLE_NAME = 'UserDefault';
export const DEVELOPER_ROLE_NAME = 'Developer';
/**
 * The default scope string of the "Manage API keys" permission. Unverified (docs/qlik-cloud-api.md §5), so it is a
 * policy setting (`remediation.scope`): rules and `fix` use the policy's value, carried by the PermissionResolver.
 */
export const DEFAULT_MANAGE_API_KEYS_SCOPE = 'api-keys';
