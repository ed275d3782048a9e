/**
 * A tenant at Qlik's limits — 100,000 users, 10,000 groups (the per-tenant maximum), 5,000 keys — built so the
 * expected findings follow arithmetically from its construction. Shared by the scale test and benchmarks.
 */
import type {
  RoleRef,
  SnapshotApiKey,
  SnapshotGroup,
  SnapshotRole,
  SnapshotUser,
  TenantSnapshot,
} from '../../../lambda/collect/snapshot';
import { daysFromNow, NOW } from './builders';

export const USERS = 100_000;
export const GROUPS = 10_000;
export const KEYS = 5_000;
export const ROLES = 50;
/** Roles 0–4 carry api-keys; role 5 is the removed Developer role. */
export const GRANTING_ROLES = 5;
export const DEVELOPER_ROLE = 5;

export const hex = (prefix: string, n: number) => `${prefix}${n.toString(16).padStart(24 - prefix.length, '0')}`;
export const roleIndexOfGroup = (g: number) => g % ROLES;
export const groupDisabled = (g: number) => g % 97 === 0;
export const groupsOfUser = (u: number) => [u % GROUPS, (u * 7 + 3) % GROUPS];
export const directDeveloper = (u: number) => u % 1000 === 0;
/** Owners are users 0, 20, 40, …; every fifth key is revoked, SCIM or expired and counts for nothing. */
export const ownerOfKey = (k: number) => (k % 4000) * 20;
export const keyIsLive = (k: number) => k % 5 !== 0;

export function groupGrants(g: number): boolean {
  const role = roleIndexOfGroup(g);
  return !groupDisabled(g) && role < GRANTING_ROLES;
}

/** Ids are flattened through JSON, as a collector's parsed responses are; template-built strings hash slower. */
export function buildTenant(): TenantSnapshot {
  return JSON.parse(JSON.stringify(buildRawTenant())) as TenantSnapshot;
}

function buildRawTenant(): TenantSnapshot {
  const roleRefs: RoleRef[] = Array.from({ length: ROLES }, (_, r) => ({
    id: hex('6a', r),
    name: r === DEVELOPER_ROLE ? 'Developer' : `Role ${r}`,
    type: r === DEVELOPER_ROLE ? 'default' : 'custom',
  }));
  const roles: SnapshotRole[] = roleRefs.map((ref, r) => ({
    ...ref,
    assignedScopes: r < GRANTING_ROLES ? ['api-keys'] : [`scope-${r}`],
    permissions: [],
  }));
  const groups: SnapshotGroup[] = Array.from({ length: GROUPS }, (_, g) => ({
    id: hex('6b', g),
    name: `Group ${g}`,
    status: groupDisabled(g) ? 'disabled' : 'active',
    assignedRoles: [roleRefs[roleIndexOfGroup(g)] as RoleRef],
  }));
  const users: SnapshotUser[] = Array.from({ length: USERS }, (_, u) => ({
    id: hex('6c', u),
    name: `User ${u}`,
    email: `user${u}@example.com`,
    status: 'active',
    assignedRoles: directDeveloper(u) ? [roleRefs[DEVELOPER_ROLE] as RoleRef] : [],
    // Memberships carry no embedded roles: the groups list is the source, as the resolver prefers.
    assignedGroups: groupsOfUser(u).map((g) => ({ id: hex('6b', g), name: `Group ${g}` })),
  }));
  const apiKeys: SnapshotApiKey[] = Array.from({ length: KEYS }, (_, k) => {
    const dead = !keyIsLive(k);
    return {
      id: hex('6d', k),
      description: `key ${k}`,
      sub: dead && k % 3 === 0 ? 'SCIM\\idp' : hex('6c', ownerOfKey(k)),
      subType: dead && k % 3 === 0 ? 'externalClient' : 'user',
      status: dead && k % 3 === 1 ? 'revoked' : 'active',
      expiry: dead && k % 3 === 2 ? daysFromNow(-1) : daysFromNow(200),
    };
  });
  return {
    tenantUrl: 'https://big.eu.qlikcloud.com',
    tenantId: 'big-tenant',
    collectedAt: NOW.toISOString(),
    users,
    usersScope: 'all',
    groups,
    groupsScope: 'all',
    roles,
    everyoneRoles: [],
    apiKeys,
  };
}
