import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lambda/errors';
import type { Scenario, SimUser } from '../../sim/server';
import { EVERYONE_ID, listScenarios, loadScenario, scenarioFromDocument, startSimulatedTenant } from '../../sim/server';
import { anchorTimes } from '../../sim/tenant-state';
import { call } from './helpers';

const REQUIRED = [
  'migration',
  'legacy',
  'everyone-grants',
  'userdefault-grants',
  'no-replacement-role',
  'clean',
  'config-out-of-policy',
];
const SEVERITY_RANK = { informational: 1, low: 2, medium: 3, high: 4, critical: 5 } as const;

describe('scenario files', () => {
  it('include every required story', () => {
    expect(listScenarios()).toEqual(expect.arrayContaining(REQUIRED));
  });

  describe.each(listScenarios())('%s', (name) => {
    const s = loadScenario(name);
    const expectation = s.expect!;

    it('names only subjects that exist in the scenario', () => {
      const ids = {
        user: new Set(s.users.map((u) => u.id)),
        group: new Set([...s.groups.map((g) => g.id), EVERYONE_ID]),
        role: new Set(s.roles.map((r) => r.id)),
        apiKey: new Set(s.apiKeys.map((k) => k.id)),
        tenant: new Set([s.tenant.id]),
      };
      for (const f of expectation.findings)
        expect(ids[f.subjectType].has(f.subjectId), `${f.ruleId} ${f.subjectType} ${f.subjectId}`).toBe(true);
    });

    it('has an exit code consistent with its findings and status (fail-on high)', () => {
      const failing = expectation.findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK.high);
      const code = expectation.tenantStatus === 'error' ? 2 : failing ? 1 : 0;
      expect(expectation.exitCode).toBe(code);
      if (expectation.tenantStatus === 'error') expect(expectation.findings).toEqual([]);
    });

    it('has an expect block matching the data under the design rule table', () => {
      if (expectation.tenantStatus === 'error') return;
      const oracle = rulesOracle(s, new Date('2026-03-01T00:00:00Z'));
      const key = (f: { ruleId: string; subjectType: string; subjectId: string; severity: string }) =>
        `${f.ruleId} ${f.subjectType} ${f.subjectId} ${f.severity}`;
      expect(expectation.findings.map(key).sort()).toEqual(oracle.map(key).sort());
    });

    it('serves the caller key as the expectation says', async () => {
      const tenant = await startSimulatedTenant({ scenario: s });
      try {
        const res = await call(tenant, '/api/v1/users/me');
        expect(res.status).toBe(expectation.apiKeyCredential === 'accepted' ? 301 : 401);
      } finally {
        await tenant.close();
      }
    });
  });
});

/**
 * An independent reading of the rule table in docs/rules.md over the scenario model, to catch mistakes in the hand-written
 * expect blocks (a wrong id, a forgotten key). It covers the default policy's rules except
 * former-developer-not-migrated, which needs earlier runs' state.
 */
function rulesOracle(loaded: Scenario, now: Date) {
  const s = structuredClone(loaded);
  anchorTimes(s, now);
  const SCOPE = 'api-keys';
  const role = new Map(s.roles.map((r) => [r.id, r]));
  const group = new Map(s.groups.map((g) => [g.id, g]));
  const user = new Map(s.users.map((u) => [u.id, u]));
  const scopesOf = (ids: readonly string[]) => ids.flatMap((id) => role.get(id)?.assignedScopes ?? []);
  const userDefault = s.roles.find((r) => r.name === 'UserDefault')!;
  const holds = (u: SimUser) =>
    [
      ...userDefault.assignedScopes,
      ...scopesOf(u.assignedRoles),
      ...u.assignedGroups.flatMap((g) => scopesOf(group.get(g)?.assignedRoles ?? [])),
      ...scopesOf(s.everyone.assignedRoles),
    ].includes(SCOPE);
  const isDeveloper = (id: string) => role.get(id)?.name === 'Developer' && role.get(id)?.type === 'default';
  const activeKeys = s.apiKeys.filter((k) => k.status === 'active' && Date.parse(k.expiry) > now.getTime());
  const userKeys = activeKeys.filter((k) => k.subType === 'user');
  const findings: { ruleId: string; subjectType: string; subjectId: string; severity: string }[] = [];
  const owners = new Set(
    userKeys.filter((k) => user.get(k.sub)?.status === 'active' && !holds(user.get(k.sub)!)).map((k) => k.sub),
  );
  for (const id of owners)
    findings.push({
      ruleId: 'api-key-owner-lacks-manage-permission',
      subjectType: 'user',
      subjectId: id,
      severity: 'critical',
    });
  for (const u of s.users)
    if (u.assignedRoles.some(isDeveloper))
      findings.push({
        ruleId: 'deprecated-developer-role-assigned',
        subjectType: 'user',
        subjectId: u.id,
        severity: 'high',
      });
  for (const g of s.groups)
    if (g.assignedRoles.some(isDeveloper))
      findings.push({
        ruleId: 'deprecated-developer-role-assigned',
        subjectType: 'group',
        subjectId: g.id,
        severity: 'high',
      });
  for (const k of userKeys) {
    const owner = user.get(k.sub);
    if (!owner || owner.status === 'disabled' || owner.status === 'deleted')
      findings.push({ ruleId: 'api-key-owner-inactive', subjectType: 'apiKey', subjectId: k.id, severity: 'medium' });
  }
  for (const k of activeKeys)
    if (Date.parse(k.expiry) - now.getTime() <= 14 * 86_400_000)
      findings.push({ ruleId: 'api-key-expiring', subjectType: 'apiKey', subjectId: k.id, severity: 'low' });
  if (userDefault.assignedScopes.includes(SCOPE))
    findings.push({
      ruleId: 'manage-api-keys-granted-to-everyone',
      subjectType: 'role',
      subjectId: userDefault.id,
      severity: 'medium',
    });
  if (scopesOf(s.everyone.assignedRoles).includes(SCOPE))
    findings.push({
      ruleId: 'manage-api-keys-granted-to-everyone',
      subjectType: 'group',
      subjectId: EVERYONE_ID,
      severity: 'medium',
    });
  if (userKeys.length > 0 && !s.roles.some((r) => r.assignedScopes.includes(SCOPE)))
    findings.push({
      ruleId: 'replacement-role-missing',
      subjectType: 'tenant',
      subjectId: s.tenant.id,
      severity: 'high',
    });
  const c = s.apiKeysConfig;
  const days = (d: string | undefined) => (d && /^P(\d+)D$/.test(d) ? Number(/^P(\d+)D$/.exec(d)![1]) : 0);
  if (days(c.max_api_key_expiry) > 365 || (c.max_keys_per_user ?? 0) > 5)
    findings.push({
      ruleId: 'api-key-config-out-of-policy',
      subjectType: 'tenant',
      subjectId: s.tenant.id,
      severity: 'low',
    });
  return findings;
}

describe('scenario loading', () => {
  const minimal = () => ({
    name: 'tiny',
    description: 'A tiny tenant',
    tenant: { id: 'TinyTenantForLoaderTests_0000001', name: 'tiny' },
    caller: { user: 'Admin' },
    users: [{ id: '6800000000000000000000a0', name: 'Admin', status: 'active', roles: ['TenantAdmin'] }],
    expect: { exitCode: 0 },
  });

  it('adds built-in roles, UserDefault and an OAuth bot user acting as TenantAdmin', () => {
    const s = scenarioFromDocument(minimal(), 'tiny.yaml');
    expect(s.roles.map((r) => r.name)).toEqual(
      expect.arrayContaining(['TenantAdmin', 'SharedSpaceCreator', 'UserDefault']),
    );
    expect(s.roles.some((r) => r.name === 'Developer')).toBe(false);
    const bot = s.users.find((u) => u.id === s.oauthClient.userId)!;
    expect(bot.clientId).toBe(s.oauthClient.clientId);
    expect(bot.assignedRoles).toEqual([s.roles.find((r) => r.name === 'TenantAdmin')!.id]);
    const legacy = scenarioFromDocument({ ...minimal(), mode: 'legacy' }, 'tiny.yaml');
    expect(legacy.roles.find((r) => r.name === 'Developer')).toMatchObject({
      id: '60804cf8a77b649c66733f65',
      type: 'default',
      level: 'user',
    });
  });

  it.each([
    [{ users: [{ id: 'xyz', name: 'Admin' }] }, 'users[0].id', '24-character'],
    [
      { users: [{ id: '6800000000000000000000a0', name: 'Admin', roles: ['NoSuchRole'] }] },
      'users[0].roles[0]',
      'no role "NoSuchRole"',
    ],
    [{ users: [{ id: '6800000000000000000000a0', name: 'Admin', status: 'sleeping' }] }, 'users[0].status', ''],
    [{ caller: { user: 'Nobody' } }, 'caller.user', 'no user "Nobody"'],
    [{ roles: [{ name: 'TenantAdmin' }] }, 'roles[0].name', 'unique role name'],
    [
      {
        apiKeys: [
          { id: 'Key0000000001', description: 'x', sub: 'Admin', expiresIn: 'P1D', expiry: '2026-01-01T00:00:00Z' },
        ],
      },
      'apiKeys[0]',
      'exactly one of expiresIn or expiry',
    ],
    [
      { apiKeys: [{ id: 'Key0000000001', description: 'x', sub: 'Admin', expiresIn: 'soon' }] },
      'apiKeys[0].expiresIn',
      'duration relative to the sim clock',
    ],
    [{ settings: { noSuchSetting: 1 } }, 'settings', ''],
    [{ expect: { exitCode: 3 } }, 'expect.exitCode', ''],
    [
      {
        expect: {
          exitCode: 0,
          findings: [{ ruleId: 'api-key-expiring', subjectType: 'user', subjectName: 'Ghost', severity: 'low' }],
        },
      },
      'expect.findings[0].subjectName',
      'no user "Ghost"',
    ],
  ])('rejects a bad document with the path and what was expected (%#)', (patch, path, expected) => {
    const doc = { ...minimal(), ...patch };
    let error: unknown;
    try {
      scenarioFromDocument(doc, 'tiny.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    const input = error as InputError;
    expect(input.file).toBe('tiny.yaml');
    expect(input.path.startsWith(path)).toBe(true);
    expect(input.expected).toContain(expected);
  });

  it('names the file and the known scenarios for an unknown name', () => {
    expect(() => loadScenario('no-such-scenario')).toThrow(/no-such-scenario\.yaml.*known scenarios: .*migration/);
  });

  it('anchors relative dates to the sim clock at start, so moving the clock expires keys', async () => {
    let now = new Date('2026-03-01T00:00:00.000Z');
    const tenant = await startSimulatedTenant({ scenario: loadScenario('migration'), now: () => now });
    try {
      const key = (await call(tenant, '/api/v1/api-keys/Ol1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sE')).json();
      expect(key).toMatchObject({ status: 'active', expiry: '2026-03-11T00:00:00Z', created: '2025-03-11T00:00:00Z' });
      now = new Date('2026-03-12T00:00:00.000Z');
      expect((await call(tenant, '/api/v1/api-keys/Ol1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sE')).json().status).toBe('expired');
    } finally {
      await tenant.close();
    }
  });

  it('renames UserDefault and Developer references when settings give them other ids', async () => {
    const tenant = await startSimulatedTenant({
      scenario: loadScenario('legacy'),
      settings: { developerRoleId: '0123456789abcdef01234567', userDefaultRoleId: '76543210fedcba9876543210' },
    });
    try {
      const alice = (await call(tenant, '/api/v1/users/64c0000000000000000000c1')).json();
      expect(alice.assignedRoles[0]).toMatchObject({ id: '0123456789abcdef01234567', name: 'Developer' });
      const ud = (await call(tenant, `/api/v1/roles?filter=${encodeURIComponent('name eq "UserDefault"')}`)).json();
      expect(ud.data[0].id).toBe('76543210fedcba9876543210');
    } finally {
      await tenant.close();
    }
  });
});
