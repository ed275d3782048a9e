/**
 * Qlik's wire shapes, typed against @qlik/api's published types so `tsc` fails when the simulator's bodies drift from
 * them. Fields Qlik returns but does not type (User.clientId, Group.idpId, legacy User.roles / created / lastUpdated,
 * api_keys_enabled) live in the local extension types below and nowhere else.
 */
import type { ApiKey, ApiKeyPage, ApiKeysConfig } from '@qlik/api/api-keys';
import type { Group, GroupSettings, Groups } from '@qlik/api/groups';
import type { ListRolesResult, Role } from '@qlik/api/roles';
import type { Tenant } from '@qlik/api/tenants';
import type { AssignedGroups, AssignedRoles, User, Users } from '@qlik/api/users';
import { LEGACY_ROLE_NAMES } from './builtin-roles';
import type { SimApiKey, SimGroup, SimRole, SimUser } from './scenario';
import { EVERYONE_ID, EVERYONE_NAME } from './scenario';
import type { SimSettings } from './settings';
import type { TenantState } from './tenant-state';
import { isoAt, isoSecondsAt, resolveTime } from './time';

export type LegacyRoleName =
  | 'TenantAdmin'
  | 'Developer'
  | 'AnalyticsAdmin'
  | 'DataAdmin'
  | 'DataSpaceCreator'
  | 'ManagedSpaceCreator'
  | 'SharedSpaceCreator';

/** A user as the service returns it: the typed `User` plus the untyped fields still seen on the wire. */
export type WireUser = User & {
  clientId?: string;
  /** Legacy role names, replaced by `assignedRoles`. */
  roles?: LegacyRoleName[];
  /** Legacy timestamps, replaced by `createdAt` / `lastUpdatedAt`. */
  created?: string;
  lastUpdated?: string;
  /** IdP group names, only when `fields` names `groups`. */
  groups?: string[];
};
export type WireUsers = Omit<Users, 'data'> & { data?: WireUser[] };
export type WireGroup = Group & { idpId?: string };
export type WireGroups = Omit<Groups, 'data'> & { data?: WireGroup[] };
export type WireGroupSettings = GroupSettings;
export type WireRole = Role;
export type WireRoles = ListRolesResult;
export type WireApiKey = ApiKey;
export type WireApiKeyPage = ApiKeyPage;
export type WireApiKeysConfig = ApiKeysConfig & { api_keys_enabled?: boolean };
export type WireTenant = Tenant;

/** `POST /oauth/token` response (not typed by @qlik/api; docs/qlik-cloud-api.md §8, §13.7). */
export interface WireOAuthToken {
  access_token: string;
  token_type: 'bearer';
  expires_at: string;
  expires_in: number;
  scope?: string;
}

/** Error bodies: `status` is a number, a string or absent depending on the service (docs/qlik-cloud-api.md §9). */
export interface WireErrorItem {
  code: string;
  title: string;
  detail?: string;
  status?: number | string;
  source?: { parameter?: string; pointer?: string };
}
export interface WireErrors {
  errors: WireErrorItem[];
  traceId?: string;
}

/** Builders assign the service's read-only fields too; the result is returned as the read-only wire type. */
type Building<T> = { -readonly [K in keyof T]: T[K] };

export interface RenderContext {
  readonly origin: string;
  readonly now: Date;
  readonly settings: SimSettings;
  readonly state: TenantState;
  readonly callerId: string;
  readonly callerIsAdmin: boolean;
}

function roleRef(r: SimRole): AssignedRoles[number] {
  return { id: r.id, level: r.level, name: r.name, type: r.type };
}

/** Everything a user body can hold, before `fields` selects from it. */
export function renderUser(u: SimUser, ctx: RenderContext, fields?: ReadonlySet<string>): WireUser {
  const { state, settings, now } = ctx;
  const legacy = state.scenario.mode === 'legacy';
  // Other users' roles are visible only to callers with access to roles (§3).
  const showRoles = ctx.callerIsAdmin || u.id === ctx.callerId;
  const wire: Building<WireUser> = {
    id: u.id,
    tenantId: state.tenantId,
    subject: u.subject,
    name: u.name,
  };
  if (u.clientId !== undefined) wire.clientId = u.clientId;
  else if (settings.humanClientId === 'empty') wire.clientId = '';
  if (u.status !== undefined) wire.status = u.status;
  if (u.email !== undefined) wire.email = u.email;
  if (legacy) {
    if (u.createdAt !== undefined) wire.created = isoAt(u.createdAt, now);
    if (u.lastUpdatedAt !== undefined) wire.lastUpdated = isoAt(u.lastUpdatedAt, now);
  } else {
    if (u.createdAt !== undefined) wire.createdAt = isoAt(u.createdAt, now);
    if (u.lastUpdatedAt !== undefined) wire.lastUpdatedAt = isoAt(u.lastUpdatedAt, now);
  }
  if (u.inviteExpiry !== undefined) wire.inviteExpiry = Math.floor(resolveTime(u.inviteExpiry, now).getTime() / 1000);
  if (showRoles) {
    const direct = state.directRoles(u);
    wire.assignedRoles = direct.map(roleRef);
    wire.assignedGroups = u.assignedGroups.flatMap((groupId): AssignedGroups => {
      const g = state.group(groupId);
      if (!g) return [];
      const entry: AssignedGroups[number] = { id: g.id, name: g.name };
      if (g.providerType) entry.providerType = g.providerType;
      if (u.embedGroupRoles !== false)
        entry.assignedRoles = g.assignedRoles.flatMap((id) => state.role(id) ?? []).map(roleRef);
      return [entry];
    });
    if (legacy) {
      wire.roles = direct
        .filter((r) => r.type === 'default' && LEGACY_ROLE_NAMES.has(r.name))
        .map((r) => r.name as LegacyRoleName);
    }
    const scopesWanted = settings.userAssignedScopesReturned === 'by-default' || fields?.has('assignedScopes') === true;
    if (scopesWanted && settings.userAssignedScopes !== 'absent') {
      const scopes =
        settings.userAssignedScopes === 'effective' ? [...state.effectiveScopes(u)] : state.directScopes(u);
      wire.assignedScopes = scopes;
    }
  }
  if (u.picture !== undefined) wire.picture = u.picture;
  if (u.locale !== undefined) wire.locale = u.locale;
  if (u.preferredLocale !== undefined) wire.preferredLocale = u.preferredLocale;
  if (u.zoneinfo !== undefined) wire.zoneinfo = u.zoneinfo;
  if (u.preferredZoneinfo !== undefined) wire.preferredZoneinfo = u.preferredZoneinfo;
  if (fields?.has('groups')) {
    wire.groups = u.assignedGroups.flatMap((id) => {
      const g = state.group(id);
      return g && g.providerType !== 'custom' ? [g.name] : [];
    });
  }
  wire.links = { self: { href: `${ctx.origin}/api/v1/users/${u.id}` } };
  return fields ? selectFields(wire, fields) : wire;
}

/** `fields`: the listed fields only (plus `id`, which every consumer needs to page and correlate). */
function selectFields(wire: WireUser, fields: ReadonlySet<string>): WireUser {
  const out: Record<string, unknown> = { id: wire.id };
  for (const [key, value] of Object.entries(wire)) if (fields.has(key)) out[key] = value;
  return out as WireUser;
}

export function renderGroup(g: SimGroup, ctx: RenderContext): WireGroup {
  const wire: Building<WireGroup> = {
    id: g.id,
    tenantId: ctx.state.tenantId,
    name: g.name,
    status: g.status,
    createdAt: isoAt(g.createdAt, ctx.now),
    lastUpdatedAt: isoAt(g.lastUpdatedAt, ctx.now),
    links: { self: { href: `${ctx.origin}/api/v1/groups/${g.id}` } },
  };
  if (g.providerType) wire.providerType = g.providerType;
  if (g.description !== undefined) wire.description = g.description;
  if (g.idpId !== undefined) wire.idpId = g.idpId;
  if (ctx.callerIsAdmin) wire.assignedRoles = g.assignedRoles.flatMap((id) => ctx.state.role(id) ?? []).map(roleRef);
  if (g.createdBy !== undefined) wire.createdBy = g.createdBy;
  if (g.updatedBy !== undefined) wire.updatedBy = g.updatedBy;
  return wire;
}

export function renderEveryone(ctx: RenderContext): WireGroup {
  const e = ctx.state.scenario.everyone;
  return {
    id: EVERYONE_ID,
    tenantId: ctx.state.tenantId,
    name: EVERYONE_NAME,
    status: 'active',
    providerType: 'custom',
    assignedRoles: e.assignedRoles.flatMap((id) => ctx.state.role(id) ?? []).map(roleRef),
    createdAt: isoAt(e.createdAt, ctx.now),
    lastUpdatedAt: isoAt(e.lastUpdatedAt, ctx.now),
    links: { self: { href: `${ctx.origin}/api/v1/groups/${EVERYONE_ID}` } },
  };
}

export function renderGroupSettings(ctx: RenderContext): WireGroupSettings {
  const e = ctx.state.scenario.everyone;
  return {
    autoCreateGroups: true,
    syncIdpGroups: true,
    systemGroups: {
      [EVERYONE_ID]: {
        id: EVERYONE_ID,
        name: EVERYONE_NAME,
        enabled: true,
        assignedRoles: e.assignedRoles.flatMap((id) => ctx.state.role(id) ?? []).map(roleRef),
        createdAt: isoAt(e.createdAt, ctx.now),
        lastUpdatedAt: isoAt(e.lastUpdatedAt, ctx.now),
      },
    },
    tenantId: ctx.state.tenantId,
    links: { self: { href: `${ctx.origin}/api/v1/groups/settings` } },
  };
}

export function renderRole(r: SimRole, ctx: RenderContext): WireRole {
  const isUserDefault = r.id === ctx.settings.userDefaultRoleId;
  const tenantScoped = r.type === 'custom' || (isUserDefault && ctx.settings.userDefaultTenantId === 'tenant');
  const wire: Building<WireRole> = {
    id: r.id,
    tenantId: tenantScoped ? ctx.state.tenantId : '',
    name: r.name,
    description: r.description,
    type: r.type,
    level: r.level,
    assignedScopes: [...r.assignedScopes],
    createdAt: isoAt(r.createdAt, ctx.now),
    lastUpdatedAt: isoAt(r.lastUpdatedAt, ctx.now),
    links: { self: { href: `${ctx.origin}/api/v1/roles/${r.id}` } },
  };
  if (!(isUserDefault && ctx.settings.userDefaultPermissions === 'omit')) wire.permissions = [...r.permissions];
  const canEdit = isUserDefault ? ctx.settings.userDefaultCanEdit : r.canEdit;
  if (canEdit !== undefined) wire.canEdit = canEdit;
  if (r.canDelete !== undefined) wire.canDelete = r.canDelete;
  if (r.fullUser !== undefined) wire.fullUser = r.fullUser;
  if (r.userEntitlementType !== undefined) wire.userEntitlementType = r.userEntitlementType;
  if (r.createdBy !== undefined) wire.createdBy = r.createdBy;
  if (r.updatedBy !== undefined) wire.updatedBy = r.updatedBy;
  return wire;
}

export function renderApiKey(k: SimApiKey, ctx: RenderContext): WireApiKey {
  const sub =
    k.subType === 'externalClient' && k.sub.startsWith('SCIM\\') ? ctx.settings.scimSubPrefix + k.sub.slice(5) : k.sub;
  const wire: Building<WireApiKey> = {
    id: k.id,
    tenantId: ctx.state.tenantId,
    description: k.description,
    sub,
    subType: k.subType,
    status: ctx.state.listedKeyStatus(k, ctx.now),
    expiry: isoSecondsAt(k.expiry, ctx.now),
    createdByUser: k.createdByUser,
  };
  if (k.created !== undefined) wire.created = isoSecondsAt(k.created, ctx.now);
  if (k.lastUpdated !== undefined) wire.lastUpdated = isoSecondsAt(k.lastUpdated, ctx.now);
  return wire;
}

export function renderApiKeysConfig(ctx: RenderContext): WireApiKeysConfig {
  const c = ctx.state.scenario.apiKeysConfig;
  const wire: WireApiKeysConfig = {};
  // Legacy tenants list the toggle first, as in Qlik's legacy example.
  if (ctx.state.scenario.mode === 'legacy' && c.api_keys_enabled !== undefined)
    wire.api_keys_enabled = c.api_keys_enabled;
  if (c.max_api_key_expiry !== undefined) wire.max_api_key_expiry = c.max_api_key_expiry;
  if (c.max_keys_per_user !== undefined) wire.max_keys_per_user = c.max_keys_per_user;
  if (c.scim_externalClient_expiry !== undefined) wire.scim_externalClient_expiry = c.scim_externalClient_expiry;
  return wire;
}

export function renderTenant(ctx: RenderContext, requestHost: string): WireTenant {
  const t = ctx.state.scenario.tenant;
  const wire: Building<WireTenant> = {
    id: t.id,
    name: t.name,
    hostnames: t.hostnames ? [...t.hostnames] : [requestHost],
    status: t.status ?? 'active',
    links: { self: { href: `${ctx.origin}/api/v1/tenants/${t.id}` } },
  };
  if (t.region !== undefined) wire.region = t.region;
  if (t.datacenter !== undefined) wire.datacenter = t.datacenter;
  if (t.created !== undefined) {
    wire.created = isoAt(t.created, ctx.now);
    wire.lastUpdated = isoAt(t.created, ctx.now);
  }
  if (t.createdByUser !== undefined) wire.createdByUser = t.createdByUser;
  return wire;
}
