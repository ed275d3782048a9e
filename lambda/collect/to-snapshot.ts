/**
 * From Qlik's wire shapes to the tenant snapshot, the only model the domain reads. Pure: no I/O, no clock.
 */
import type { QlikApiKey, QlikApiKeysConfig, QlikGroup, QlikRole, QlikRoleRef, QlikUser } from '../qlik/schemas';
import { compareText } from '../util/text';
import type { ApiKeysConfig, RoleRef, SnapshotApiKey, SnapshotGroup, SnapshotRole, SnapshotUser } from './snapshot';

export function toRoleRef(role: QlikRoleRef): RoleRef {
  return { id: role.id, name: role.name, type: role.type, ...(role.level ? { level: role.level } : {}) };
}

export function toSnapshotUser(user: QlikUser): SnapshotUser {
  return {
    id: user.id,
    name: user.name ?? '',
    ...(user.email !== undefined ? { email: user.email } : {}),
    ...(user.subject !== undefined ? { subject: user.subject } : {}),
    ...(user.status !== undefined ? { status: user.status } : {}),
    assignedRoles: (user.assignedRoles ?? []).map(toRoleRef),
    assignedGroups: (user.assignedGroups ?? []).map((group) => ({
      id: group.id,
      name: group.name,
      ...(group.assignedRoles ? { assignedRoles: group.assignedRoles.map(toRoleRef) } : {}),
    })),
    ...(user.roles !== undefined ? { legacyRoles: user.roles } : {}),
    ...(user.assignedScopes !== undefined ? { assignedScopes: user.assignedScopes } : {}),
    // Human users may carry `clientId: ""`: only a non-empty value marks a bot / OAuth-client user.
    ...(user.clientId ? { clientId: user.clientId } : {}),
  };
}

export function toSnapshotGroup(group: QlikGroup): SnapshotGroup {
  return {
    id: group.id,
    name: group.name,
    ...(group.status !== undefined ? { status: group.status } : {}),
    ...(group.providerType !== undefined ? { providerType: group.providerType } : {}),
    assignedRoles: (group.assignedRoles ?? []).map(toRoleRef),
  };
}

export function toSnapshotRole(role: QlikRole): SnapshotRole {
  return {
    id: role.id,
    name: role.name,
    type: role.type,
    ...(role.level ? { level: role.level } : {}),
    ...(role.description !== undefined ? { description: role.description } : {}),
    assignedScopes: role.assignedScopes ?? [],
    permissions: role.permissions ?? [],
  };
}

export function toSnapshotApiKey(key: QlikApiKey): SnapshotApiKey {
  return {
    id: key.id,
    description: key.description ?? '',
    sub: key.sub,
    subType: key.subType,
    status: key.status,
    ...(key.expiry !== undefined ? { expiry: key.expiry } : {}),
    ...(key.createdByUser !== undefined ? { createdByUser: key.createdByUser } : {}),
    ...(key.created !== undefined ? { created: key.created } : {}),
  };
}

export function toApiKeysConfig(config: QlikApiKeysConfig): ApiKeysConfig {
  return {
    ...(config.max_api_key_expiry !== undefined ? { maxApiKeyExpiry: config.max_api_key_expiry } : {}),
    ...(config.max_keys_per_user !== undefined ? { maxKeysPerUser: config.max_keys_per_user } : {}),
    ...(config.scim_externalClient_expiry !== undefined
      ? { scimExternalClientExpiry: config.scim_externalClient_expiry }
      : {}),
    ...(config.api_keys_enabled !== undefined ? { apiKeysEnabled: config.api_keys_enabled } : {}),
  };
}

/** Sorted by id and de-duplicated (the same user can come back from several filtered queries). */
export function byId<T extends { readonly id: string }>(items: Iterable<T>): T[] {
  const unique = new Map<string, T>();
  for (const item of items) if (!unique.has(item.id)) unique.set(item.id, item);
  return [...unique.values()].sort((a, b) => compareText(a.id, b.id));
}
