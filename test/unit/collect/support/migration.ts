/**
 * A tenant in the middle of the Developer-role migration, for collector tests: key owners of every status, a
 * missing owner, a SCIM key, a former Developer, groups that grant or do not grant `api-keys`, and filler users and
 * groups the targeted collection must not read.
 */
import {
  objectId,
  type TenantData,
  type Wire,
  wireGroup,
  wireKey,
  wireRole,
  wireUser,
} from '../../qlik/support/fake-tenant';

export interface Migration {
  readonly data: TenantData;
  readonly roles: Record<'tenantAdmin' | 'developer' | 'allowKeys' | 'userDefault' | 'sharedSpace', Wire>;
  readonly groups: Record<'biDevelopers' | 'finance' | 'legacyDevs', Wire>;
  readonly users: Record<
    | 'me'
    | 'migrated'
    | 'unmigrated'
    | 'disabledOwner'
    | 'deletedOwner'
    | 'formerDeveloper'
    | 'byEmail'
    | 'legacyMember',
    Wire
  >;
  readonly missingOwnerId: string;
}

export function migrationTenant(options: { fillerUsers?: number; fillerGroups?: number } = {}): Migration {
  const roles = {
    tenantAdmin: wireRole('TenantAdmin', { type: 'default', level: 'admin', tenantId: '' }),
    developer: wireRole('Developer', { type: 'default', description: 'Grants permission to generate API keys' }),
    allowKeys: wireRole('AllowManageAPIKeys', { assignedScopes: ['api-keys'] }),
    userDefault: wireRole('UserDefault', { type: 'default', assignedScopes: ['apps.data:export'] }),
    sharedSpace: wireRole('SharedSpaceCreator', { type: 'default', permissions: ['spaces:create'] }),
  };
  const groups = {
    biDevelopers: wireGroup('BI Developers', [roles.allowKeys], { providerType: 'idp', idpId: 'idp-1' }),
    finance: wireGroup('Finance', []),
    legacyDevs: wireGroup('Legacy Devs', [roles.developer]),
  };
  const fillerGroups = Array.from({ length: options.fillerGroups ?? 6 }, (_, i) =>
    wireGroup(`Team ${i}`, [roles.sharedSpace]),
  );
  const users = {
    me: wireUser('Checker Bot', { roles: [roles.tenantAdmin], fields: { clientId: 'bot-client' } }),
    migrated: wireUser('Jane Doe', { groups: [groups.biDevelopers, groups.finance], roles: [roles.sharedSpace] }),
    unmigrated: wireUser('Integration Svc', {
      roles: [roles.developer],
      fields: { roles: ['Developer'], clientId: '' },
    }),
    disabledOwner: wireUser('Gone Girl', { status: 'disabled', groups: [fillerGroups[0] as Wire] }),
    deletedOwner: wireUser('Old Timer', { status: 'deleted' }),
    formerDeveloper: wireUser('Former Dev', { groups: [groups.finance] }),
    byEmail: wireUser('Mail Person', { groups: [fillerGroups[1] as Wire] }),
    legacyMember: wireUser('Legacy Member', { groups: [groups.legacyDevs] }),
  };
  const filler = Array.from({ length: options.fillerUsers ?? 40 }, (_, i) =>
    wireUser(`Filler ${i}`, {
      groups: [fillerGroups[i % fillerGroups.length] as Wire],
      status: i % 7 === 0 ? 'invited' : 'active',
    }),
  );
  const missingOwnerId = objectId();
  const apiKeys = [
    wireKey(users.migrated),
    wireKey(users.unmigrated, { expiry: '2026-03-10T00:00:00Z' }),
    wireKey(users.disabledOwner),
    wireKey(users.deletedOwner, { status: 'revoked' }),
    wireKey(missingOwnerId),
    wireKey('SCIM\\215g5595380d646163cadbb9', { subType: 'externalClient', createdByUser: users.migrated.id }),
    wireKey(users.unmigrated, { status: 'expired', expiry: '2025-01-01T00:00:00Z' }),
  ];
  return {
    roles,
    groups,
    users,
    missingOwnerId,
    data: {
      users: [...Object.values(users), ...filler],
      groups: [...Object.values(groups), ...fillerGroups],
      roles: Object.values(roles),
      apiKeys,
      everyoneRoles: [],
      config: {
        max_api_key_expiry: 'P365D',
        max_keys_per_user: 5,
        scim_externalClient_expiry: 'P365D',
        api_keys_enabled: true,
      },
      meId: users.me.id,
      tenantName: 'Acme EU',
    },
  };
}
