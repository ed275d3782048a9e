/**
 * Switches for every behaviour docs/qlik-cloud-api.md marks *Unverified*. The defaults follow that document; tests flip
 * them to prove the client copes with each plausible live behaviour.
 */
export interface SimSettings {
  /** `limit` when the request names none (users, groups, roles, api-keys). §2 */
  readonly defaultLimit: number;
  /** Larger `limit` values are clamped to this. §2 */
  readonly maxLimit: number;
  /**
   * Which users a `GET /users` (or filter) without any `status` condition returns: every status, or only `active`
   * users as the deprecated `status` parameter did. §2
   */
  readonly usersWithoutStatusFilter: 'all' | 'active';
  /** `clientId` on human (non-bot) users: omitted, or `""` as in Qlik's examples. §3 */
  readonly humanClientId: 'omit' | 'empty';
  /** What `User.assignedScopes` holds: nothing, scopes of direct roles only, or every path (groups, Everyone, UserDefault). §5 */
  readonly userAssignedScopes: 'absent' | 'direct' | 'effective';
  /** Whether `User.assignedScopes` is in every user body, or only when `fields` asks for it. §5 */
  readonly userAssignedScopesReturned: 'by-default' | 'on-request';
  /** Whether TenantAdmin alone grants the Manage-API-keys scope. §5 */
  readonly tenantAdminImpliesManageApiKeys: boolean;
  /** The scope string of "Manage API keys". §5 */
  readonly manageApiKeysScope: string;
  /** UserDefault's id, `tenantId` (`""` like other default roles, or the tenant's), `canEdit` and `permissions`. §5 */
  readonly userDefaultRoleId: string;
  readonly userDefaultTenantId: 'tenant' | 'empty';
  readonly userDefaultCanEdit: boolean;
  readonly userDefaultPermissions: 'empty' | 'omit';
  /** Id of the removed Developer role on legacy tenants. §11 */
  readonly developerRoleId: string;
  /** How a key whose owner lacks the scope is listed (there is no `disabled` status). §6 */
  readonly keyStatusWhenOwnerLacksScope: 'active' | 'expired' | 'revoked';
  /**
   * On a current tenant, reject (401 "Authorization Required") an API key whose owner lacks the scope — the very
   * failure the checker watches for. Legacy tenants never reject for this reason.
   */
  readonly rejectKeysOfOwnersWithoutScope: boolean;
  /** Prefix of SCIM keys' `sub` (the docs print it double-escaped). §6 */
  readonly scimSubPrefix: string;
  /** Accept `add` / `remove-value` on a user's `/assignedRoles` (typed, documented as unsupported). §3 */
  readonly allowAddRemoveOnAssignedRoles: boolean;
  /**
   * A user PATCH replacing `/assignedRoles` with a reference to an unknown role: refuse the whole patch (400), or
   * assign the known roles and answer 207 with an `Errors` item per unknown one (the "partial success with non-critical
   * failures" the Users API documents without saying which failures qualify). §3
   */
  readonly unknownRoleInUserPatch: 'reject' | 'partial';
  /** Roles allowed to read the API-key config. §6 */
  readonly apiKeysConfigAllowedRoles: readonly string[];
  /** Serve the undocumented `POST /api/v1/accesscontrol/evaluation`. §11 */
  readonly accessControlEvaluation: boolean;
  /** Body of a 401: JSON `errors`, the edge's plain text, or an HTML page. §9 */
  readonly unauthorizedBody: 'json' | 'text' | 'html';
  /**
   * `errors[].status` in error bodies: as each service types it (number for users, groups, api-keys; string for
   * tenants and 401s; absent for roles), or forced to one form. §9
   */
  readonly errorStatusFormat: 'per-service' | 'number' | 'string' | 'omit';
  /** Send `deprecation`, `sunset` and `link` headers on API responses. §1 */
  readonly deprecationHeaders: boolean;
  /** Send `x-ratelimit-*` headers (undocumented). §9 */
  readonly rateLimitHeaders: boolean;
  /** Apply the per-tier budgets below and answer 429 past them. §9 */
  readonly enforceRateLimits: boolean;
  readonly tier1PerMinute: number;
  readonly tier2PerMinute: number;
  readonly filterActionsPerMinute: number;
  /** Length of one budget window. Budgets scale with it (Qlik allows bursts in 5-minute windows). */
  readonly rateLimitWindowSeconds: number;
  /** `expires_in` of OAuth access tokens. §8 */
  readonly oauthExpiresInSeconds: number;
  /** Scopes an OAuth token request may name; any other scope gets 400. §8 */
  readonly oauthAcceptedScopes: readonly string[];
  /**
   * Event types `GET /webhooks/event-types` offers and webhooks are delivered for; the rest reach only the audit log.
   * Default: users and API keys only, as one secondary source says. §14
   */
  readonly webhookEventTypes: readonly string[];
}

export const DEFAULT_SIM_SETTINGS: SimSettings = Object.freeze({
  defaultLimit: 20,
  maxLimit: 100,
  usersWithoutStatusFilter: 'active',
  humanClientId: 'empty',
  userAssignedScopes: 'direct',
  userAssignedScopesReturned: 'by-default',
  tenantAdminImpliesManageApiKeys: false,
  manageApiKeysScope: 'api-keys',
  userDefaultRoleId: '6510c0ffee0000000000abcd',
  userDefaultTenantId: 'tenant',
  userDefaultCanEdit: true,
  userDefaultPermissions: 'empty',
  developerRoleId: '60804cf8a77b649c66733f65',
  keyStatusWhenOwnerLacksScope: 'active',
  rejectKeysOfOwnersWithoutScope: true,
  scimSubPrefix: 'SCIM\\',
  allowAddRemoveOnAssignedRoles: false,
  unknownRoleInUserPatch: 'reject',
  apiKeysConfigAllowedRoles: Object.freeze(['TenantAdmin']),
  accessControlEvaluation: false,
  unauthorizedBody: 'json',
  errorStatusFormat: 'per-service',
  deprecationHeaders: false,
  rateLimitHeaders: false,
  enforceRateLimits: false,
  tier1PerMinute: 1000,
  tier2PerMinute: 100,
  filterActionsPerMinute: 200,
  rateLimitWindowSeconds: 60,
  oauthExpiresInSeconds: 21600,
  oauthAcceptedScopes: Object.freeze(['admin_classic', 'user_default']),
  webhookEventTypes: Object.freeze([
    'com.qlik.core.user.created',
    'com.qlik.core.user.deleted',
    'com.qlik.core.user.updated',
    'com.qlik.v1.user.created',
    'com.qlik.v1.user.deleted',
    'com.qlik.core.api-key.created',
    'com.qlik.core.api-key.updated',
    'com.qlik.core.api-key.deleted',
    'com.qlik.v1.app.created',
    'com.qlik.v1.app.reload.finished',
  ]),
} satisfies SimSettings);

/** Later layers win; a key explicitly set to `undefined` keeps the value below it. */
export function resolveSettings(...layers: (Partial<SimSettings> | undefined)[]): SimSettings {
  const merged: Record<string, unknown> = { ...DEFAULT_SIM_SETTINGS };
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer ?? {})) if (value !== undefined) merged[key] = value;
  }
  return Object.freeze(merged) as unknown as SimSettings;
}
