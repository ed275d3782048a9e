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

// Caps on every string a tenant sends, applied while parsing (tenant strings are hostile: a 25 MB user name must not
// reach the resolver, the reports or the archive). Text people read (names, descriptions, emails) is truncated with a
// note in the value itself; anything the checker compares or looks up (ids, scopes, dates, links) is never cut: an
// over-long one fails the tenant as a bad response naming the field.

/** Ids: Qlik's are 24 hex characters (users, groups, roles), a UUID (keys) or a short tenant id. */
export const MAX_ID_LENGTH = 256;
/** Names, emails, subjects: what a directory would ever hold, with room to spare. */
export const MAX_NAME_LENGTH = 512;
/** Free text (descriptions). */
export const MAX_DESCRIPTION_LENGTH = 2048;
/** ISO dates, durations, enum-like settings. */
const MAX_SHORT_LENGTH = 64;
/** `links.*.href`: a URL with a cursor. */
const MAX_HREF_LENGTH = 8192;
/** An OAuth access token (a JWT). */
const MAX_TOKEN_LENGTH = 16 * 1024;
/**
 * Items in one list page. The checker asks for at most 100 (Qlik's maximum); a page ten times longer is a server
 * that ignores `limit`, not a tenant.
 */
export const MAX_ITEMS_PER_PAGE = 1000;

/** Marks a value cut at parse time; the note says how long the original was. */
export const TRUNCATION_NOTE = '… [truncated by qlik-access-guard';

/** `value` cut to `max` characters (never inside a surrogate pair) with a note of its original length. */
export function truncated(value: string, max: number): string {
  if (value.length <= max) return value;
  const end = isHighSurrogate(value.charCodeAt(max - 1)) ? max - 1 : max;
  return `${value.slice(0, end)}${TRUNCATION_NOTE}: ${value.length} characters]`;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** A string the checker compares or looks up: longer than `max` is a bad response, never a silent cut. */
const exact = (max: number, what: string) =>
  z.string().max(max, { error: (issue) => `${what} of at most ${max} characters, got ${lengthOf(issue.input)}` });
/** Text people read: longer than `max` is truncated with a note. */
const readable = (max: number) => z.string().transform((value) => truncated(value, max));

function lengthOf(input: unknown): string {
  return typeof input === 'string' ? `${input.length}` : 'another type';
}

const id = exact(MAX_ID_LENGTH, 'an id');
const name = readable(MAX_NAME_LENGTH);
const description = readable(MAX_DESCRIPTION_LENGTH);
const shortText = exact(MAX_SHORT_LENGTH, 'a short value (a date, duration or setting)');
const scope = exact(MAX_ID_LENGTH, 'a scope or permission');

const link = z.looseObject({ href: exact(MAX_HREF_LENGTH, 'a link') });

export const roleRefSchema = z.looseObject({
  id,
  name,
  type: z.enum(['default', 'custom']),
  level: z.enum(['admin', 'user']).optional(),
});

export const groupRefSchema = z.looseObject({
  id,
  name,
  providerType: z.enum(['idp', 'custom']).optional(),
  assignedRoles: z.array(roleRefSchema).optional(),
});

export const USER_STATUSES = ['active', 'invited', 'disabled', 'deleted', 'provisioned'] as const;

export const userSchema = z.looseObject({
  id,
  tenantId: id,
  // Qlik types name and subject as required; an invited user without a name is still a user to check.
  name: name.optional(),
  subject: exact(MAX_NAME_LENGTH, 'a subject').optional(),
  email: name.optional(),
  status: z.enum(USER_STATUSES).optional(),
  assignedRoles: z.array(roleRefSchema).optional(),
  assignedGroups: z.array(groupRefSchema).optional(),
  assignedScopes: z.array(scope).optional(),
  createdAt: shortText.optional(),
  lastUpdatedAt: shortText.optional(),
  links: z.looseObject({ self: link }).optional(),
  // Returned but untyped by @qlik/api: see UserExtension.
  clientId: id.optional(),
  roles: z.array(name).optional(),
  created: shortText.optional(),
  lastUpdated: shortText.optional(),
});

export const groupSchema = z.looseObject({
  id,
  tenantId: id.optional(),
  name,
  status: z.enum(['active', 'disabled']).optional(),
  providerType: z.enum(['idp', 'custom']).optional(),
  description: description.optional(),
  assignedRoles: z.array(roleRefSchema).optional(),
  createdAt: shortText.optional(),
  lastUpdatedAt: shortText.optional(),
  links: z.looseObject({ self: link }).optional(),
  idpId: id.optional(),
});

export const EVERYONE_SETTINGS_KEY = '000000000000000000000001';

export const groupSettingsSchema = z.looseObject({
  tenantId: id.optional(),
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
  id,
  tenantId: id.optional(),
  name,
  description: description.optional(),
  type: z.enum(['default', 'custom']),
  level: z.enum(['admin', 'user']).optional(),
  permissions: z.array(scope).optional(),
  assignedScopes: z.array(scope).optional(),
  createdAt: shortText.optional(),
  lastUpdatedAt: shortText.optional(),
  links: z.looseObject({ self: link }).optional(),
});

export const apiKeySchema = z.looseObject({
  id,
  tenantId: id.optional(),
  description: description.optional(),
  sub: id,
  subType: z.enum(['user', 'externalClient']),
  status: z.enum(['active', 'expired', 'revoked']),
  expiry: shortText.optional(),
  createdByUser: id.optional(),
  created: shortText.optional(),
  lastUpdated: shortText.optional(),
});

export const apiKeysConfigSchema = z.looseObject({
  max_api_key_expiry: shortText.optional(),
  max_keys_per_user: z.number().optional(),
  scim_externalClient_expiry: shortText.optional(),
  // Legacy toggle, untyped by @qlik/api since January 2026: see ApiKeysConfigExtension.
  api_keys_enabled: z.boolean().optional(),
});

export const tenantSchema = z.looseObject({
  id,
  name: name.optional(),
  hostnames: z.array(exact(MAX_ID_LENGTH, 'a host name')).optional(),
  status: z.enum(['active', 'disabled', 'deleted', 'user-access-disabled']).optional(),
});

export const oauthTokenSchema = z.looseObject({
  access_token: exact(MAX_TOKEN_LENGTH, 'an access token').min(1),
  token_type: shortText.optional(),
  expires_in: z.number().optional(),
  expires_at: shortText.optional(),
});

const pageLinks = z.looseObject({ self: link.optional(), next: link.optional(), prev: link.optional() });

/**
 * One list page. `optionalData`: users and groups type `data` and `links` as optional (an empty result may omit
 * them); roles and api-keys type them as required, and a key list without `data` must never read as "no keys".
 */
export function pageSchema<Item extends z.ZodType>(item: Item, options: { optionalData: boolean }) {
  const data = z.array(item).max(MAX_ITEMS_PER_PAGE, {
    error: `at most ${MAX_ITEMS_PER_PAGE} items per page (the checker asks for 100 at most)`,
  });
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
export type Agrees<Ours, Theirs> = [NamedKeys<Ours>] extends [keyof Theirs]
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
export type Assert<T extends true> = T;

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
