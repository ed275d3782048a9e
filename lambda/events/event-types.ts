/**
 * The Qlik event types that can break an API key or change who may use one (docs/events.md): a user's roles, groups
 * or status; a role's scopes; a group's roles or members; an API key; the API-key configuration. Legacy and
 * `com.qlik.core.*` names both, as tenants send either during the migration (qlik-cloud-api.md §10, §14).
 */
export const RELEVANT_EVENT_TYPES: readonly string[] = Object.freeze([
  'com.qlik.core.user.created',
  'com.qlik.core.user.deleted',
  'com.qlik.core.user.provisioned',
  'com.qlik.core.user.updated',
  'com.qlik.v1.user.created',
  'com.qlik.v1.user.deleted',
  'com.qlik.core.role.created',
  'com.qlik.core.role.deleted',
  'com.qlik.core.role.synced',
  'com.qlik.core.role.updated',
  'com.qlik.core.group.created',
  'com.qlik.core.group.deleted',
  'com.qlik.core.group.updated',
  'com.qlik.v1.group.created',
  'com.qlik.v1.group.deleted',
  'com.qlik.v1.group.updated',
  'com.qlik.v1.group.users.modified',
  'com.qlik.api-key.created',
  'com.qlik.api-key.deleted',
  'com.qlik.api-key.updated',
  'com.qlik.core.api-key.created',
  'com.qlik.core.api-key.deleted',
  'com.qlik.core.api-key.updated',
  'com.qlik.api-keys-config.updated',
  'com.qlik.core.api-keys-config.updated',
]);

const RELEVANT = new Set(RELEVANT_EVENT_TYPES);

export function isRelevantEventType(eventType: string): boolean {
  return RELEVANT.has(eventType);
}

/** What to subscribe a tenant's webhook to: the relevant types it offers, in our order. */
export function webhookSubscription(offered: readonly string[]): string[] {
  const offeredSet = new Set(offered);
  return RELEVANT_EVENT_TYPES.filter((t) => offeredSet.has(t));
}
