/**
 * The simulated tenant's data model. Scenario files (YAML) and the generator both produce a {@link Scenario}; the
 * server renders it in Qlik's wire shapes (wire.ts). Everything is mutable on purpose: `tenant.mutate(fn)` lets a test
 * change the tenant between runs. Role and group references are ids, as in Qlik.
 */
import type { SimSettings } from './settings';
import type { TimeRef } from './time';

export type UserStatus = 'active' | 'invited' | 'disabled' | 'deleted' | 'provisioned';
export type ApiKeyStatus = 'active' | 'expired' | 'revoked';
export type TenantMode = 'current' | 'legacy';

export interface SimTenantInfo {
  /** 32-character URL-safe id, e.g. `BL4tTJ4S7xrHTcq0zQxQrJ5qB1_Q6cSo`. */
  id: string;
  name: string;
  /** Defaults to the host the request came in on. */
  hostnames?: string[];
  region?: string;
  datacenter?: string;
  status?: 'active' | 'disabled' | 'deleted' | 'user-access-disabled';
  created?: TimeRef;
  createdByUser?: string;
}

export interface SimRole {
  id: string;
  name: string;
  description: string;
  type: 'default' | 'custom';
  level: 'admin' | 'user';
  assignedScopes: string[];
  permissions: string[];
  canEdit?: boolean;
  canDelete?: boolean;
  fullUser?: boolean;
  userEntitlementType?: string;
  createdAt: TimeRef;
  lastUpdatedAt: TimeRef;
  createdBy?: string;
  updatedBy?: string;
}

export interface SimGroup {
  id: string;
  name: string;
  status: 'active' | 'disabled';
  providerType?: 'idp' | 'custom';
  description?: string;
  /** Returned on IdP groups; untyped in @qlik/api. */
  idpId?: string;
  /** Role ids. */
  assignedRoles: string[];
  createdAt: TimeRef;
  lastUpdatedAt: TimeRef;
  createdBy?: string;
  updatedBy?: string;
}

export interface SimUser {
  /** 24-hex ObjectId. */
  id: string;
  name: string;
  subject: string;
  email?: string;
  status?: UserStatus;
  /** Set on bot / OAuth-client users. */
  clientId?: string;
  /** Role ids assigned directly. */
  assignedRoles: string[];
  /** Group ids. */
  assignedGroups: string[];
  /** `false`: this user's `assignedGroups[]` come without their `assignedRoles` (optional on the wire). */
  embedGroupRoles?: boolean;
  createdAt?: TimeRef;
  lastUpdatedAt?: TimeRef;
  inviteExpiry?: TimeRef;
  picture?: string;
  locale?: string;
  preferredLocale?: string;
  zoneinfo?: string;
  preferredZoneinfo?: string;
}

export interface SimApiKey {
  /** 32-character id, e.g. `TiQ8GPVr8qI714Lp5ChAAFFaU24MJy69`. */
  id: string;
  description: string;
  /** Owner user id, or `SCIM\<idpId>` for SCIM keys. */
  sub: string;
  subType: 'user' | 'externalClient';
  status: ApiKeyStatus;
  expiry: TimeRef;
  created?: TimeRef;
  lastUpdated?: TimeRef;
  createdByUser: string;
}

export interface SimApiKeysConfig {
  max_api_key_expiry?: string;
  max_keys_per_user?: number;
  scim_externalClient_expiry?: string;
  /** Legacy toggle; only legacy tenants still return it. */
  api_keys_enabled?: boolean;
}

/** The identity the sim's API key belongs to. */
export interface SimCaller {
  userId: string;
  /** Id (`jti`) of the caller's API key. If it names a key in `apiKeys`, that key's status and expiry apply. */
  apiKeyId: string;
  /** Expiry of the caller's key when it is not one of `apiKeys`. */
  apiKeyExpiry: TimeRef;
}

export interface SimOAuthClient {
  clientId: string;
  clientSecret: string;
  /** The bot user the client acts as (a user with `clientId` set). */
  userId: string;
}

export interface SimEveryone {
  /** Role ids assigned to the Everyone system group. */
  assignedRoles: string[];
  createdAt: TimeRef;
  lastUpdatedAt: TimeRef;
}

/** One finding the default policy must give on this scenario (the rule table in docs/rules.md). */
export interface ExpectedFinding {
  ruleId: string;
  subjectType: 'user' | 'group' | 'apiKey' | 'role' | 'tenant';
  subjectId: string;
  severity: 'critical' | 'high' | 'medium' | 'low' | 'informational';
}

/**
 * What a check of this scenario with the DEFAULT policy and `--fail-on high` must give, written from docs/rules.md's rule
 * table, assuming the checker runs with the scenario's OAuth client.
 */
export interface ScenarioExpectation {
  exitCode: 0 | 1 | 2;
  tenantStatus: 'ok' | 'error';
  /** Report error code when `tenantStatus` is `error`. */
  errorCode?: string;
  findings: ExpectedFinding[];
  /** Whether the caller's API key is accepted; `rejected` means a check run with it ends in `unauthorized`, exit 2. */
  apiKeyCredential: 'accepted' | 'rejected';
  /** For people: facts the report should mention that are not findings (e.g. legacy `api_keys_enabled`). */
  notes?: string[];
}

export interface Scenario {
  name: string;
  description: string;
  mode: TenantMode;
  tenant: SimTenantInfo;
  caller: SimCaller;
  oauthClient: SimOAuthClient;
  everyone: SimEveryone;
  /** Every role: built-in defaults, UserDefault, custom roles and, on legacy tenants, Developer. */
  roles: SimRole[];
  groups: SimGroup[];
  users: SimUser[];
  apiKeys: SimApiKey[];
  apiKeysConfig: SimApiKeysConfig;
  /** Scenario-specific settings; options given to the server win over these. */
  settings?: Partial<SimSettings>;
  expect?: ScenarioExpectation;
}

export const EVERYONE_ID = '000000000000000000000001';
export const EVERYONE_NAME = 'com.qlik.Everyone';
export const USER_DEFAULT_NAME = 'UserDefault';
export const DEVELOPER_NAME = 'Developer';
export const TENANT_ADMIN_NAME = 'TenantAdmin';

/**
 * A deep copy of a scenario. Hand-written because structuredClone is several times slower on 50,000-user tenants and
 * every scenario is plain data of known shape.
 */
export function cloneScenario(s: Scenario): Scenario {
  const copy: Scenario = {
    name: s.name,
    description: s.description,
    mode: s.mode,
    tenant: { ...s.tenant, ...(s.tenant.hostnames ? { hostnames: [...s.tenant.hostnames] } : {}) },
    caller: { ...s.caller },
    oauthClient: { ...s.oauthClient },
    everyone: { ...s.everyone, assignedRoles: [...s.everyone.assignedRoles] },
    roles: s.roles.map((r) => ({ ...r, assignedScopes: [...r.assignedScopes], permissions: [...r.permissions] })),
    groups: s.groups.map((g) => ({ ...g, assignedRoles: [...g.assignedRoles] })),
    users: s.users.map((u) => ({ ...u, assignedRoles: [...u.assignedRoles], assignedGroups: [...u.assignedGroups] })),
    apiKeys: s.apiKeys.map((k) => ({ ...k })),
    apiKeysConfig: { ...s.apiKeysConfig },
  };
  if (s.settings) copy.settings = structuredClone(s.settings);
  if (s.expect) copy.expect = structuredClone(s.expect);
  return copy;
}
