/**
 * The shapes the client reads from Qlik, validated at runtime with zod and checked at compile time against
 * @qlik/api's published types.
 *
 * Runtime: unknown fields pass (loose objects), so Qlik can add fields freely; a field the checker relies on that is
 * missing or mistyped fails the tenant with a bad-response naming the endpoint and the JSON path. Fields Qlik types
 * as required but the checker never reads are optional here, so a harmless omission does not fail a check.
 *
 * Compile time: the `Agrees` checks at the bottom make `tsc` fail when a published shape drifts from what we parse
 * (a field renamed, retyped, or an enum widened), so such drift is found by the build, not by a tenant.
 */
import type { ApiKey, ApiKeyPage, ApiKeysConfig as PublishedApiKeysConfig } from '@qlik/api/api-keys';
import type { Group, GroupSettings, Groups } from '@qlik/api/groups';
import type { ListRolesResult, Role } from '@qlik/api/roles';
import type { Tenant } from '@qlik/api/tenants';
import type { User, Users } from '@qlik/api/users';
import * as z from 'zod';

const link = z.looseObject({ href: z.string() });

export const roleRefSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  type: z.enum(['default', 'custom']),
  level: z.enum(['admin', 'user']).optional(),
});

export const groupRefSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  providerType: z.enum(['idp', 'custom']).optional(),
  assignedRoles: z.array(roleRefSchema).optional(),
});

export const USER_STATUSES = ['active', 'invited', 'disabled', 'deleted', 'provisioned'] as const;

export const userSchema = z.looseObject({
  id: z.string(),
  tenantId: z.string(),
  // Qlik types name and subject as required; an invited user without a name is still a user to check.
  name: z.string().optional(),
  subject: z.string().optional(),
  email: z.string().optional(),
  status: z.enum(USER_STATUSES).optional(),
  assignedRoles: z.array(roleRefSchema).optional(),
  assignedGroups: z.array(groupRefSchema).optional(),
  assignedScopes: z.array(z.string()).optional(),
  createdAt: z.string().optional(),
  lastUpdatedAt: z.string().optional(),
  links: z.looseObject({ self: link }).optional(),
  // Returned but untyped by @qlik/api: see UserExtension.
  clientId: z.string().optional(),
  roles: z.array(z.string()).optional(),
  created: z.string().optional(),
  lastUpdated: z.string().optional(),
});

export const groupSchema = z.looseObject({
  id: z.string(),
  tenantId: z.string().optional(),
  name: z.string(),
  status: z.enum(['active', 'disabled']).optional(),
  providerType: z.enum(['idp', 'custom']).optional(),
  description: z.string().optional(),
  assignedRoles: z.array(roleRefSchema).optional(),
  createdAt: z.string().optional(),
  lastUpdatedAt: z.string().optional(),
  links: z.looseObject({ self: link }).optional(),
  idpId: z.string().optional(),
});

export const EVERYONE_SETTINGS_KEY = '000000000000000000000001';

export const groupSettingsSchema = z.looseObject({
  tenantId: z.string().optional(),
  autoCreateGroups: z.boolean().optional(),
  systemGroups: z
    .looseObject({
      [EVERYONE_SETTINGS_KEY]: z
        .looseObject({
          id: z.literal(EVERYONE_SETTINGS_KEY).optional(),
          name: z.literal('com.qlik.Everyone').optional(),
          assignedRoles: z.array(roleRefSchema).optional(),
        })
        .optional(),
    })
    .optional(),
});

export const roleSchema = z.looseObject({
  id: z.string(),
  tenantId: z.string().optional(),
  name: z.string(),
  description: z.string().optional(),
  type: z.enum(['default', 'custom']),
  level: z.enum(['admin', 'user']).optional(),
  permissions: z.array(z.string()).optional(),
  assignedScopes: z.array(z.string()).optional(),
  createdAt: z.string().optional(),
  lastUpdatedAt: z.string().optional(),
  links: z.looseObject({ self: link }).optional(),
});

export const apiKeySchema = z.looseObject({
  id: z.string(),
  tenantId: z.string().optional(),
  description: z.string().optional(),
  sub: z.string(),
  subType: z.enum(['user', 'externalClient']),
  status: z.enum(['active', 'expired', 'revoked']),
  expiry: z.string().optional(),
  createdByUser: z.string().optional(),
  created: z.string().optional(),
  lastUpdated: z.string().optional(),
});

export const apiKeysConfigSchema = z.looseObject({
  max_api_key_expiry: z.string().optional(),
  max_keys_per_user: z.number().optional(),
  scim_externalClient_expiry: z.string().optional(),
  // Legacy toggle, untyped by @qlik/api since January 2026: see ApiKeysConfigExtension.
  api_keys_enabled: z.boolean().optional(),
});

export const tenantSchema = z.looseObject({
  id: z.string(),
  name: z.string().optional(),
  hostnames: z.array(z.string()).optional(),
  status: z.enum(['active', 'disabled', 'deleted', 'user-access-disabled']).optional(),
});

export const oauthTokenSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.number().optional(),
  expires_at: z.string().optional(),
});

const pageLinks = z.looseObject({ self: link.optional(), next: link.optional(), prev: link.optional() });

/**
 * One list page. `optionalData`: users and groups type `data` and `links` as optional (an empty result may omit
 * them); roles and api-keys type them as required, and a key list without `data` must never read as "no keys".
 */
export function pageSchema<Item extends z.ZodType>(item: Item, options: { optionalData: boolean }) {
  const data = z.array(item);
  return z.looseObject({
    data: options.optionalData ? data.optional() : data,
    links: options.optionalData ? pageLinks.optional() : pageLinks,
    totalResults: z.number().optional(),
  });
}

export const usersPageSchema = pageSchema(userSchema, { optionalData: true });
export const groupsPageSchema = pageSchema(groupSchema, { optionalData: true });
export const rolesPageSchema = pageSchema(roleSchema, { optionalData: false });
export const apiKeysPageSchema = pageSchema(apiKeySchema, { optionalData: false });

export type QlikUser = z.infer<typeof userSchema>;
export type QlikGroup = z.infer<typeof groupSchema>;
export type QlikGroupSettings = z.infer<typeof groupSettingsSchema>;
export type QlikRole = z.infer<typeof roleSchema>;
export type QlikRoleRef = z.infer<typeof roleRefSchema>;
export type QlikApiKey = z.infer<typeof apiKeySchema>;
export type QlikApiKeysConfig = z.infer<typeof apiKeysConfigSchema>;
export type QlikTenant = z.infer<typeof tenantSchema>;
export type OAuthTokenResponse = z.infer<typeof oauthTokenSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Contract with @qlik/api: fields Qlik returns but does not type (docs/qlik-cloud-api.md §1, §3, §6).

/** `clientId` is set on bot / OAuth-client users; `roles`, `created`, `lastUpdated` are the legacy fields. */
export type UserExtension = {
  clientId?: string;
  roles?: string[];
  created?: string;
  lastUpdated?: string;
};
/** IdP groups carry the IdP's id. */
export type GroupExtension = { idpId?: string };
/** The legacy "Enable API keys" toggle, present on tenants not yet migrated. */
export type ApiKeysConfigExtension = { api_keys_enabled?: boolean };

/**
 * `Ours` agrees with `Theirs` on the keys `Ours` names: everything Qlik may send for them, we accept
 * (`Theirs` assignable to `Ours`), and what we accept is what Qlik sends, except that a field Qlik marks as required
 * may be optional for us, at any depth (`Ours` assignable to `DeepPartial<Theirs>`). Resolves to `true`, or to the
 * offending keys.
 */
type Agrees<Ours, Theirs> = [NamedKeys<Ours>] extends [keyof Theirs]
  ? Pick<Theirs, NamedKeys<Ours>> extends Pick<Ours, NamedKeys<Ours>>
    ? Pick<Ours, NamedKeys<Ours>> extends DeepPartial<Pick<Theirs, NamedKeys<Ours>>>
      ? true
      : { weAcceptValuesQlikNeverSends: Disagreeing<Pick<Ours, NamedKeys<Ours>>, DeepPartial<Theirs>> }
    : { weRejectValuesQlikMaySend: Disagreeing<Pick<Theirs, NamedKeys<Ours>>, Pick<Ours, NamedKeys<Ours>>> }
  : { notInQlikTypes: Exclude<NamedKeys<Ours>, keyof Theirs> };

/** The declared keys of a zod loose object's output (its index signature excluded). */
type NamedKeys<T> = keyof { [K in keyof T as string extends K ? never : K]: T[K] } & string;
type DeepPartial<T> = T extends readonly (infer Item)[]
  ? DeepPartial<Item>[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;
type Disagreeing<From, To> = { [K in keyof From & keyof To]: From[K] extends To[K] ? never : K }[keyof From & keyof To];
type Assert<T extends true> = T;

type RoleRefOnUser = NonNullable<User['assignedRoles']>[number];
type GroupRefOnUser = NonNullable<User['assignedGroups']>[number];
type EveryoneSettings = NonNullable<NonNullable<GroupSettings['systemGroups']>['000000000000000000000001']>;
type TokenResponse = { access_token: string; token_type?: string; expires_in?: number; expires_at?: string };

export type SchemaContract = [
  Assert<Agrees<QlikRoleRef, RoleRefOnUser>>,
  Assert<Agrees<z.infer<typeof groupRefSchema>, GroupRefOnUser>>,
  Assert<Agrees<QlikUser, User & UserExtension>>,
  Assert<Agrees<QlikGroup, Group & GroupExtension>>,
  Assert<
    Agrees<NonNullable<NonNullable<QlikGroupSettings['systemGroups']>[typeof EVERYONE_SETTINGS_KEY]>, EveryoneSettings>
  >,
  Assert<Agrees<QlikRole, Role>>,
  Assert<Agrees<QlikApiKey, ApiKey>>,
  Assert<Agrees<QlikApiKeysConfig, PublishedApiKeysConfig & ApiKeysConfigExtension>>,
  Assert<Agrees<QlikTenant, Tenant>>,
  Assert<Agrees<OAuthTokenResponse, TokenResponse>>,
  // List pages: the required-ness of `data` and `links` follows each published list type.
  Assert<Agrees<Pick<z.infer<typeof usersPageSchema>, 'totalResults'>, Users>>,
  Assert<Agrees<Pick<z.infer<typeof groupsPageSchema>, 'totalResults'>, Groups>>,
  Assert<Agrees<Pick<z.infer<typeof rolesPageSchema>, 'totalResults'>, ListRolesResult>>,
  Assert<Pick<ApiKeyPage, 'data'> extends { data: unknown[] } ? true : false>,
  Assert<undefined extends Users['data'] ? true : false>,
  Assert<undefined extends Groups['data'] ? true : false>,
  Assert<undefined extends ListRolesResult['data'] ? false : true>,
];
