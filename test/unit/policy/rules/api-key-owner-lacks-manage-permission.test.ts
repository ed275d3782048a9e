import { describe, expect, it } from 'vitest';
import { apiKeyOwnerLacksManagePermission as rule } from '../../../../lambda/policy/rules/api-key-owner-lacks-manage-permission';
import { daysFromNow, policyWith, runRule, SnapshotBuilder } from '../builders';

describe('api-key-owner-lacks-manage-permission', () => {
  it('passes when the owner holds api-keys through a direct custom role', () => {
    const b = new SnapshotBuilder();
    const allow = b.role('AllowManageAPIKeys', ['api-keys']);
    b.key(b.user('Jane Doe', { roles: [allow] }));
    expect(runRule(rule, b.build())).toEqual([]);
  });

  it('fails for an active owner with no path, naming the keys, the 401 and the fix', () => {
    const b = new SnapshotBuilder();
    const audit = b.role('AuditAdmin', [], { type: 'default', level: 'admin' });
    b.userDefault(['apps.data:export']);
    const svc = b.user('Integration Svc', { roles: [audit], email: 'svc-etl@example.com' });
    const key = b.key(svc, { description: 'nightly ETL reload trigger' });

    const [finding, ...rest] = runRule(rule, b.build());
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      ruleId: 'api-key-owner-lacks-manage-permission',
      severity: 'critical',
      subject: { type: 'user', id: svc.id, name: 'Integration Svc' },
    });
    expect(finding?.message).toContain('“Integration Svc” <svc-etl@example.com>');
    expect(finding?.message).toContain('“nightly ETL reload trigger”');
    expect(finding?.message).toContain('401 Authorization Required');
    expect(finding?.evidence).toMatchObject({
      user: { id: svc.id, name: 'Integration Svc', email: 'svc-etl@example.com', status: 'active' },
      keys: [{ id: key.id, description: 'nightly ETL reload trigger', status: 'active', expiry: key.expiry }],
      grantPaths: [],
      directRoles: [{ name: 'AuditAdmin' }],
      userDefaultScopes: ['apps.data:export'],
    });
    expect(finding?.evidence.whyNoGrant).toMatch(/No path grants api-keys: direct roles: “AuditAdmin”/);
    // No granting role exists yet: the fix creates it, then replaces the full role list.
    expect(finding?.remediation).toContain('POST /api/v1/roles {"name":"AllowManageAPIKeys"');
    expect(finding?.remediation).toContain(
      `PATCH /api/v1/users/${svc.id} [{"op":"replace","path":"/assignedRoles","value":[{"name":"AuditAdmin"},{"name":"AllowManageAPIKeys"}]}]`,
    );
  });

  it('groups all keys of one owner into one finding', () => {
    const b = new SnapshotBuilder();
    const owner = b.user('Jane Doe');
    const keys = [b.key(owner), b.key(owner), b.key(owner), b.key(owner)];
    const findings = runRule(rule, b.build());
    expect(findings).toHaveLength(1);
    expect((findings[0]!.evidence.keys as { id: string }[]).map((k) => k.id)).toEqual(keys.map((k) => k.id));
    expect(findings[0]?.message).toContain('4 active API keys');
    expect(findings[0]?.message).toContain('and 1 more');
  });

  it('never counts the removed Developer role, and drops it from the suggested role list', () => {
    const b = new SnapshotBuilder();
    const developer = b.developerRole();
    const existing = b.role('AllowManageAPIKeys', ['api-keys']);
    const dev = b.user('Dev One', { roles: [developer] });
    b.key(dev);
    const [finding] = runRule(rule, b.build());
    expect(finding?.message).toContain('The Developer role they still hold no longer counts');
    expect(finding?.evidence.holdsRemovedDeveloperRole).toBe(true);
    // The existing granting role is suggested by name and id; nothing to create.
    expect(finding?.remediation).toContain(`“AllowManageAPIKeys” (${existing.id}) already grants api-keys`);
    expect(finding?.remediation).not.toContain('POST /api/v1/roles');
    expect(finding?.remediation).toContain('"value":[{"name":"AllowManageAPIKeys"}]');
  });

  it('treats a custom role named Developer like any custom role', () => {
    const b = new SnapshotBuilder();
    const customDeveloper = b.role('Developer', ['api-keys'], { type: 'custom' });
    b.key(b.user('Jane Doe', { roles: [customDeveloper] }));
    expect(runRule(rule, b.build())).toEqual([]);
  });

  it.each([
    [
      'a group role only',
      (b: SnapshotBuilder) => ({ groups: [b.group('BI Integrations', [b.role('Keys', ['api-keys'])])] }),
    ],
    ['the Everyone group', (b: SnapshotBuilder) => (b.everyone(b.role('Keys', ['api-keys'])), {})],
    ['UserDefault', (b: SnapshotBuilder) => (b.userDefault(['api-keys']), {})],
  ])('passes when the permission comes through %s', (_, arrange) => {
    const b = new SnapshotBuilder();
    const options = arrange(b);
    b.key(b.user('Jane Doe', options));
    expect(runRule(rule, b.build())).toEqual([]);
  });

  it('counts the policy grantingRoles only when the policy names them', () => {
    const b = new SnapshotBuilder();
    const admin = b.role('TenantAdmin', [], { type: 'default', level: 'admin' });
    b.key(b.user('Admin', { roles: [admin] }));
    const snapshot = b.build();
    expect(runRule(rule, snapshot)).toHaveLength(1);
    expect(runRule(rule, snapshot, { policy: policyWith({ grantingRoles: ['TenantAdmin'] }) })).toEqual([]);
  });

  it('does not count the roles of a disabled group, and says so', () => {
    const b = new SnapshotBuilder();
    const group = b.group('BI Integrations', [b.role('Keys', ['api-keys'])], { status: 'disabled' });
    b.key(b.user('Jane Doe', { groups: [group] }));
    const [finding] = runRule(rule, b.build());
    expect(finding?.evidence.notes).toContain('group “BI Integrations” is disabled; its roles do not count');
    expect(finding?.evidence.groups).toEqual([
      expect.objectContaining({ name: 'BI Integrations', status: 'disabled', counted: false }),
    ]);
  });

  it('prefers the groups list over the roles embedded in the user record', () => {
    const b = new SnapshotBuilder();
    const keysRole = b.role('Keys', ['api-keys']);
    // The list says the group has no roles; a stale user record still claims it grants api-keys.
    const group = b.group('Finance', []);
    b.key(b.user('Jane Doe', { groups: [group], embeddedGroupRoles: { [group.id]: [keysRole] } }));
    expect(runRule(rule, b.build())).toHaveLength(1);
  });

  it('falls back to the embedded roles when the group is not in the groups list', () => {
    const b = new SnapshotBuilder();
    const group = b.group('BI Integrations', [b.role('Keys', ['api-keys'])], { listed: false });
    b.key(b.user('Jane Doe', { groups: [group] }));
    expect(runRule(rule, b.build())).toEqual([]);
  });

  it('ignores expired, revoked, past-expiry and SCIM keys', () => {
    const b = new SnapshotBuilder();
    const owner = b.user('Jane Doe');
    b.key(owner, { status: 'expired' });
    b.key(owner, { status: 'revoked' });
    b.key(owner, { expiry: daysFromNow(-1) });
    b.scimKey();
    b.key(owner, { subType: 'externalClient' });
    expect(runRule(rule, b.build())).toEqual([]);
  });

  it('leaves inactive and unknown owners to api-key-owner-inactive', () => {
    const b = new SnapshotBuilder();
    b.key(b.user('Gone', { status: 'disabled' }));
    b.key(b.user('Deleted', { status: 'deleted' }));
    b.key('65ffffffffffffffffffffff');
    expect(runRule(rule, b.build())).toEqual([]);
  });

  it('treats an owner without a status as active', () => {
    const b = new SnapshotBuilder();
    b.key(b.user('No Status', { status: null }));
    const [finding] = runRule(rule, b.build());
    expect(finding?.evidence.user).toMatchObject({ status: 'unset (treated as active)' });
  });

  it('records a disagreeing User.assignedScopes as a cross-check, not as a grant', () => {
    const b = new SnapshotBuilder();
    b.key(b.user('Jane Doe', { assignedScopes: ['api-keys'] }));
    const [finding] = runRule(rule, b.build());
    expect(finding?.evidence.assignedScopesCrossCheck).toMatch(/User.assignedScopes lists api-keys/);
  });
});
