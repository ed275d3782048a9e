import { describe, expect, it } from 'vitest';
import { EVERYONE_GROUP_ID } from '../../../lambda/collect/snapshot';
import {
  developerHolders,
  evaluatePolicy,
  policyNeeds,
  ruleMetadata,
  ruleTitle,
  tenantNotes,
} from '../../../lambda/policy/evaluate';
import { daysFromNow, NOW, policyWith, SnapshotBuilder } from './builders';

/** A tenant that fails several rules at once. */
function troubledTenant() {
  const b = new SnapshotBuilder();
  const developer = b.developerRole();
  b.userDefault(['api-keys']);
  const zed = b.user('Zed', { roles: [developer] });
  const amy = b.user('Amy', { roles: [developer] });
  b.key(zed, { expiry: daysFromNow(3) });
  b.key(amy, { expiry: daysFromNow(2) });
  b.key(b.user('Gone', { status: 'disabled' }));
  b.config({ maxApiKeyExpiry: 'P2Y', apiKeysEnabled: true });
  return { b, zed, amy };
}

describe('evaluatePolicy', () => {
  it('runs the enabled rules in registry order, subjects sorted within a rule', () => {
    const { b, zed, amy } = troubledTenant();
    const findings = evaluatePolicy(b.build(), policyWith(), NOW);
    expect(findings.map((f) => [f.ruleId, f.subject.type, f.subject.name])).toEqual([
      ['deprecated-developer-role-assigned', 'user', 'Amy'],
      ['deprecated-developer-role-assigned', 'user', 'Zed'],
      ['api-key-owner-inactive', 'apiKey', expect.any(String)],
      ['api-key-expiring', 'apiKey', expect.any(String)],
      ['api-key-expiring', 'apiKey', expect.any(String)],
      ['manage-api-keys-granted-to-everyone', 'role', 'UserDefault'],
      ['api-key-config-out-of-policy', 'tenant', 'acme'],
    ]);
    // UserDefault grants api-keys, so the Developer holders are not stranded.
    expect(findings.some((f) => f.ruleId === 'api-key-owner-lacks-manage-permission')).toBe(false);
    expect(findings.filter((f) => f.ruleId === 'deprecated-developer-role-assigned').map((f) => f.subject.id)).toEqual([
      amy.id,
      zed.id,
    ]);
  });

  it('gives the same findings whatever order the snapshot lists things in', () => {
    const { b } = troubledTenant();
    const snapshot = b.build();
    const reversed = {
      ...snapshot,
      users: [...snapshot.users].reverse(),
      roles: [...snapshot.roles].reverse(),
      apiKeys: [...snapshot.apiKeys].reverse(),
    };
    expect(evaluatePolicy(reversed, policyWith(), NOW)).toEqual(evaluatePolicy(snapshot, policyWith(), NOW));
  });

  it('skips disabled rules and applies severity overrides', () => {
    const { b } = troubledTenant();
    const policy = policyWith({
      rules: {
        'api-key-expiring': { enabled: false },
        'deprecated-developer-role-assigned': { severity: 'critical' },
      },
    });
    const findings = evaluatePolicy(b.build(), policy, NOW);
    expect(findings.some((f) => f.ruleId === 'api-key-expiring')).toBe(false);
    expect(
      new Set(findings.filter((f) => f.ruleId === 'deprecated-developer-role-assigned').map((f) => f.severity)),
    ).toEqual(new Set(['critical']));
    expect(findings.find((f) => f.ruleId === 'api-key-owner-inactive')?.severity).toBe('medium');
  });

  it("passes earlier runs' Developer holders to former-developer-not-migrated", () => {
    const b = new SnapshotBuilder();
    const jane = b.user('Jane Doe');
    const snapshot = b.build();
    expect(evaluatePolicy(snapshot, policyWith(), NOW)).toEqual([]);
    const findings = evaluatePolicy(snapshot, policyWith(), NOW, {
      knownFormerDevelopers: { users: [{ id: jane.id, name: 'Jane Doe' }], groups: [] },
    });
    expect(findings.map((f) => [f.ruleId, f.subject.id])).toEqual([['former-developer-not-migrated', jane.id]]);
  });

  it('puts custom rules after the built-in ones', () => {
    const b = new SnapshotBuilder();
    b.key(b.user('Jane Doe', { email: 'jane@example.com' }));
    const policy = policyWith({
      require: [
        {
          id: 'jane-keys',
          title: 'Jane can manage keys',
          severity: 'low',
          select: { users: ['jane@example.com'] },
          scopes: ['api-keys'],
        },
      ],
    });
    expect(evaluatePolicy(b.build(), policy, NOW).map((f) => f.ruleId)).toEqual([
      'api-key-owner-lacks-manage-permission',
      'replacement-role-missing',
      'jane-keys',
    ]);
  });

  it('does not turn the legacy api_keys_enabled toggle into a finding', () => {
    const b = new SnapshotBuilder();
    b.config({ apiKeysEnabled: false, maxApiKeyExpiry: 'P30D', maxKeysPerUser: 5 });
    expect(evaluatePolicy(b.build(), policyWith(), NOW)).toEqual([]);
  });
});

describe('developerHolders', () => {
  it('lists direct and legacy user holders and Developer groups, not Everyone or a custom Developer', () => {
    const b = new SnapshotBuilder();
    const developer = b.developerRole();
    const customDeveloper = b.role('Developer Tools', []);
    const listed = b.group('BI Developers', [developer]);
    const unlisted = b.group('Old IdP Group', [developer], { listed: false });
    b.group('Custom', [customDeveloper]);
    b.everyone(developer);
    const direct = b.user('Direct', { roles: [developer] });
    const legacy = b.user('Legacy', { legacyRoles: ['Developer'] });
    b.user('Via Group', { groups: [listed, unlisted] });
    b.user('Custom', {
      roles: [b.role('Developer', ['api-keys'], { type: 'custom', id: '65eeeeeeeeeeeeeeeeeeeeee' })],
    });

    const holders = developerHolders(b.build());
    expect(holders.users).toEqual(
      [
        { id: direct.id, name: 'Direct' },
        { id: legacy.id, name: 'Legacy' },
      ].sort((x, y) => (x.id < y.id ? -1 : 1)),
    );
    expect(holders.groups).toEqual(
      [
        { id: listed.id, name: 'BI Developers' },
        { id: unlisted.id, name: 'Old IdP Group' },
      ].sort((x, y) => (x.id < y.id ? -1 : 1)),
    );
    expect(holders.groups.some((g) => g.id === EVERYONE_GROUP_ID)).toBe(false);
  });

  it('finds nobody on a migrated tenant', () => {
    const b = new SnapshotBuilder();
    b.user('Jane Doe', { roles: [b.role('AllowManageAPIKeys', ['api-keys'])] });
    expect(developerHolders(b.build())).toEqual({ users: [], groups: [] });
  });
});

describe('policyNeeds', () => {
  it('asks for Developer holders, all groups and the key config under the default policy', () => {
    expect(policyNeeds(policyWith())).toEqual({
      allUsers: false,
      allGroups: true,
      userIds: [],
      userEmails: [],
      memberGroups: [],
      roleHolders: ['Developer'],
      apiKeysConfig: true,
    });
  });

  it('adds what custom rules, former Developers and earlier runs need', () => {
    const policy = policyWith({
      formerDevelopers: { users: ['Jane.Doe@example.com', '637390ec6541614d3a88d6c1'], groups: ['BI Developers'] },
      require: [
        {
          id: 'r',
          title: 't',
          severity: 'high',
          select: { users: ['bob@example.com'], groups: ['BI Integrations'], roles: ['Analyst'] },
          scopes: ['api-keys'],
        },
      ],
    });
    const needs = policyNeeds(policy, {
      knownFormerDevelopers: {
        users: [{ id: '65aaaaaaaaaaaaaaaaaaaaaa', name: 'A' }],
        groups: [{ id: '65bbbbbbbbbbbbbbbbbbbbbb', name: 'G' }],
      },
    });
    expect(needs).toEqual({
      allUsers: false,
      allGroups: true,
      userIds: ['637390ec6541614d3a88d6c1', '65aaaaaaaaaaaaaaaaaaaaaa'],
      userEmails: ['bob@example.com', 'jane.doe@example.com'],
      memberGroups: ['65bbbbbbbbbbbbbbbbbbbbbb', 'BI Developers', 'BI Integrations'],
      roleHolders: ['Analyst', 'Developer'],
      apiKeysConfig: true,
    });
  });

  it('asks for less when rules are off', () => {
    const policy = policyWith({
      rules: {
        'deprecated-developer-role-assigned': { enabled: false },
        'former-developer-not-migrated': { enabled: false },
        'api-key-config-out-of-policy': { enabled: false },
      },
      formerDevelopers: { users: ['jane@example.com'], groups: [] },
    });
    expect(policyNeeds(policy)).toMatchObject({
      allGroups: false,
      userEmails: [],
      roleHolders: [],
      apiKeysConfig: false,
    });
  });
});

describe('rule titles and metadata', () => {
  const policy = policyWith({
    require: [
      {
        id: 'bi-keys',
        title: 'BI can manage keys',
        severity: 'medium',
        select: { roles: ['BI'] },
        scopes: ['api-keys'],
      },
    ],
  });

  it('covers built-in and custom rules', () => {
    expect(ruleTitle(policy, 'api-key-expiring')).toBe('No active API key expires within the warning window');
    expect(ruleTitle(policy, 'bi-keys')).toBe('BI can manage keys');
    expect(ruleMetadata(policy, 'bi-keys')).toMatchObject({
      id: 'bi-keys',
      defaultSeverity: 'medium',
      subjectType: ['user'],
    });
    expect(ruleMetadata(policy, 'api-key-owner-inactive')?.compliance).toHaveProperty('SOC 2');
  });

  it('falls back to the id for a rule the policy no longer has', () => {
    expect(ruleTitle(policy, 'retired-rule')).toBe('retired-rule');
    expect(ruleMetadata(policy, 'retired-rule')).toBeUndefined();
  });
});

describe('tenantNotes', () => {
  it('reports legacy leftovers as information', () => {
    const b = new SnapshotBuilder();
    b.developerRole();
    b.user('Legacy', { legacyRoles: ['TenantAdmin'] });
    b.config({ apiKeysEnabled: true });
    const notes = tenantNotes(b.build());
    expect(notes).toHaveLength(3);
    expect(notes[0]).toMatch(
      /^Legacy api_keys_enabled=true still present .* controls nothing since Qlik removed the toggle in 2026/,
    );
    expect(notes[1]).toContain('Developer role is still listed');
    expect(notes[2]).toContain('1 user record(s) still carry the legacy "roles" field');
  });

  it('says nothing about a migrated tenant', () => {
    const b = new SnapshotBuilder();
    b.config({ maxApiKeyExpiry: 'P30D' });
    b.user('Jane Doe');
    expect(tenantNotes(b.build())).toEqual([]);
  });
});
