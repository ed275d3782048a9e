/**
 * Large tenants for benchmarks and scale tests: N users, M groups, K keys held by `keyOwners` distinct active owners,
 * of whom `ownersLackingPermission` hold `api-keys` through no path. Deterministic for a seed; no per-user work beyond
 * a few array writes, so 50,000 users build in a fraction of a second. The `expect` block follows from construction:
 * one critical finding per owner lacking the permission, nothing else.
 */
import { builtinRoles } from './builtin-roles';
import type { ExpectedFinding, Scenario, SimApiKey, SimGroup, SimRole, SimUser, UserStatus } from './scenario';
import { DEFAULT_SIM_SETTINGS } from './settings';

export interface GenerateTenantSpec {
  readonly users: number;
  readonly groups: number;
  readonly keys: number;
  readonly keyOwners: number;
  readonly ownersLackingPermission: number;
  readonly seed?: number;
}

/** mulberry32: tiny, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const ZEROS = '000000000000000';

function check(condition: boolean, message: string): void {
  if (!condition) throw new RangeError(`generateTenant: ${message}`);
}

export function generateTenant(spec: GenerateTenantSpec): Scenario {
  const { users: userCount, groups: groupCount, keys: keyCount, keyOwners, ownersLackingPermission } = spec;
  const seed = spec.seed ?? 1;
  for (const [name, value] of Object.entries({
    users: userCount,
    groups: groupCount,
    keys: keyCount,
    keyOwners,
    ownersLackingPermission,
  })) {
    check(Number.isInteger(value) && value >= 0, `${name} must be a non-negative integer, got ${value}`);
  }
  check(
    userCount >= keyOwners + 2,
    `users (${userCount}) must leave room for the ${keyOwners} key owners, the admin caller and the OAuth bot`,
  );
  check(
    ownersLackingPermission <= keyOwners,
    `ownersLackingPermission (${ownersLackingPermission}) cannot exceed keyOwners (${keyOwners})`,
  );
  check(
    keyOwners === 0 ? keyCount === 0 : keyCount >= keyOwners,
    `keys (${keyCount}) must give each of the ${keyOwners} owners at least one key`,
  );
  check(groupCount <= 10_000, 'Qlik allows at most 10,000 groups per tenant');

  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const seedHex = (seed >>> 0).toString(16).padStart(8, '0');
  // Unique by construction: a per-kind prefix, the seed, and a counter.
  const objectId = (kind: number, n: number) => `${kind.toString(16)}${seedHex}${n.toString(16).padStart(15, '0')}`;
  const urlSafe = (length: number) => {
    let out = '';
    for (let i = 0; i < length; i++) out += URL_SAFE[Math.floor(random() * URL_SAFE.length)];
    return out;
  };

  const tenantId = urlSafe(32);
  const settings = DEFAULT_SIM_SETTINGS;
  const roles: SimRole[] = builtinRoles('current', settings, ['apps.data:export']);
  const byName = (name: string) => roles.find((r) => r.name === name)!.id;
  const manageKeys: SimRole = {
    id: objectId(6, 1),
    name: 'AllowManageAPIKeys',
    description: 'Replacement for the removed Developer role',
    type: 'custom',
    level: 'user',
    assignedScopes: [settings.manageApiKeysScope],
    permissions: [],
    canEdit: true,
    canDelete: true,
    fullUser: false,
    userEntitlementType: '',
    createdAt: '-P40D',
    lastUpdatedAt: '-P40D',
  };
  const reportAuthors: SimRole = {
    ...manageKeys,
    id: objectId(6, 2),
    name: 'ReportAuthors',
    description: 'Builds reports',
    assignedScopes: ['apps.image:export', 'reports:create'],
  };
  roles.push(manageKeys, reportAuthors);
  const otherRoles = [
    byName('SharedSpaceCreator'),
    byName('ManagedSpaceCreator'),
    byName('DataSpaceCreator'),
    reportAuthors.id,
  ];

  const groups: SimGroup[] = [];
  for (let i = 0; i < groupCount; i++) {
    const grantsKeys = i === 0;
    groups.push({
      id: objectId(7, i),
      name: grantsKeys ? 'API Integrations' : `Team ${String(i).padStart(5, '0')}`,
      status: 'active',
      providerType: i % 3 === 2 ? 'custom' : 'idp',
      ...(i % 3 === 2 ? {} : { idpId: objectId(8, i) }),
      assignedRoles: grantsKeys ? [manageKeys.id] : random() < 0.5 ? [pick(otherRoles)] : [],
      createdAt: '-P400D',
      lastUpdatedAt: '-P100D',
    });
  }
  const ordinaryGroups = groups.slice(1);

  const users: SimUser[] = new Array<SimUser>(userCount);
  const userPrefix = `5${seedHex}`;
  const makeUser = (i: number, status: UserStatus): SimUser => {
    const hex = i.toString(16);
    const user: SimUser = {
      id: userPrefix + ZEROS.slice(hex.length) + hex,
      name: `User ${i}`,
      subject: `auth0|gen${seedHex}${i}`,
      status,
      assignedRoles: [],
      assignedGroups: [],
      createdAt: '-P500D',
      lastUpdatedAt: '-P30D',
    };
    // Some users have no email: the field is optional on the wire.
    if (i % 7 !== 3) user.email = `user${i}@example.com`;
    return user;
  };
  const caller = makeUser(0, 'active');
  caller.name = 'Tenant Admin';
  caller.assignedRoles = [byName('TenantAdmin'), manageKeys.id];
  users[0] = caller;
  const clientId = `gen${seedHex}${urlSafe(21)}`.toLowerCase();
  const bot = makeUser(1, 'active');
  bot.name = 'qlik-access-guard (OAuth client)';
  bot.clientId = clientId;
  bot.subject = `qlik-bot|${clientId}`;
  bot.assignedRoles = [byName('TenantAdmin')];
  users[1] = bot;

  // Owners are the users right after the caller and the bot; the first ones lack the permission.
  const findings: ExpectedFinding[] = [];
  for (let o = 0; o < keyOwners; o++) {
    const user = makeUser(2 + o, 'active');
    if (ordinaryGroups.length > 0 && random() < 0.5) user.assignedGroups.push(pick(ordinaryGroups).id);
    if (o < ownersLackingPermission) {
      findings.push({
        ruleId: 'api-key-owner-lacks-manage-permission',
        subjectType: 'user',
        subjectId: user.id,
        severity: 'critical',
      });
    } else if (groupCount > 0 && o % 2 === 1) {
      user.assignedGroups.push(groups[0]!.id);
    } else {
      user.assignedRoles.push(manageKeys.id);
    }
    users[2 + o] = user;
  }
  const statuses: UserStatus[] = [
    'active',
    'active',
    'active',
    'active',
    'active',
    'active',
    'active',
    'active',
    'disabled',
    'invited',
  ];
  for (let i = 2 + keyOwners; i < userCount; i++) {
    const user = makeUser(i, pick(statuses));
    const r = random();
    if (r < 0.3) user.assignedRoles.push(pick(otherRoles));
    if (ordinaryGroups.length > 0 && r > 0.4) user.assignedGroups.push(pick(ordinaryGroups).id);
    if (ordinaryGroups.length > 1 && r > 0.8) {
      const second = pick(ordinaryGroups).id;
      if (!user.assignedGroups.includes(second)) user.assignedGroups.push(second);
    }
    users[i] = user;
  }

  const apiKeys: SimApiKey[] = [];
  for (let k = 0; k < keyCount; k++) {
    const owner = users[2 + (k % keyOwners)]!;
    // Expiries stay beyond any "expiring soon" window so the expected findings are exactly the owners' ones.
    const days = 30 + Math.floor(random() * 335);
    apiKeys.push({
      id: urlSafe(32),
      description: `integration ${k}`,
      sub: owner.id,
      subType: 'user',
      status: 'active',
      expiry: `P${days}D`,
      created: `-P${1 + Math.floor(random() * 300)}D`,
      createdByUser: owner.id,
    });
  }

  return {
    name: `generated-${userCount}u-${groupCount}g-${keyCount}k-s${seed}`,
    description: `Generated tenant: ${userCount} users, ${groupCount} groups, ${keyCount} keys, ${keyOwners} owners of whom ${ownersLackingPermission} lack api-keys.`,
    mode: 'current',
    tenant: { id: tenantId, name: `generated-${seedHex}`, created: '-P1500D', createdByUser: caller.id },
    caller: { userId: caller.id, apiKeyId: urlSafe(32), apiKeyExpiry: 'P90D' },
    oauthClient: { clientId, clientSecret: urlSafe(48), userId: bot.id },
    everyone: { assignedRoles: [], createdAt: '-P1500D', lastUpdatedAt: '-P20D' },
    roles,
    groups,
    users,
    apiKeys,
    apiKeysConfig: { max_keys_per_user: 5, max_api_key_expiry: 'PT24H', scim_externalClient_expiry: 'P365D' },
    expect: { exitCode: findings.length > 0 ? 1 : 0, tenantStatus: 'ok', apiKeyCredential: 'accepted', findings },
  };
}
