import { describe, expect, it } from 'vitest';
import { replacementRoleMissing as rule } from '../../../../lambda/policy/rules/replacement-role-missing';
import { policyWith, runRule, SnapshotBuilder, TENANT_ID } from '../builders';

describe('replacement-role-missing', () => {
  it('passes when a role grants api-keys, even before it is assigned', () => {
    const b = new SnapshotBuilder();
    b.role('AllowManageAPIKeys', ['api-keys']);
    b.key(b.user('Jane Doe'));
    expect(runRule(rule, b.build())).toEqual([]);
  });

  it('passes when there are no live user keys', () => {
    const b = new SnapshotBuilder();
    b.key(b.user('Jane Doe'), { status: 'revoked' });
    b.scimKey();
    expect(runRule(rule, b.build())).toEqual([]);
  });

  it('fails when keys exist and no role grants api-keys', () => {
    const b = new SnapshotBuilder();
    b.developerRole();
    b.userDefault(['apps.data:export']);
    const jane = b.user('Jane Doe');
    b.key(jane);
    b.key(jane);
    b.key(b.user('Integration Svc'));
    const [finding, ...rest] = runRule(rule, b.build());
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      severity: 'high',
      subject: { type: 'tenant', id: TENANT_ID, name: 'acme' },
      evidence: {
        liveUserKeys: 3,
        keyOwnersCount: 2,
        developerRoleStillListed: true,
        grantPaths: [],
        userDefaultScopes: ['apps.data:export'],
      },
    });
    expect(finding?.message).toContain('3 active API keys owned by 2 users');
    expect(finding?.evidence.whyNoGrant).toContain('the Developer role still listed no longer counts');
    expect(finding?.remediation).toContain(
      'POST /api/v1/roles {"name":"AllowManageAPIKeys","description":"Replacement for the removed Developer role","assignedScopes":["api-keys"]}',
    );
  });

  it('counts a role the policy names in grantingRoles', () => {
    const b = new SnapshotBuilder();
    b.role('TenantAdmin', [], { type: 'default', level: 'admin' });
    b.key(b.user('Jane Doe'));
    const snapshot = b.build();
    expect(runRule(rule, snapshot)).toHaveLength(1);
    expect(runRule(rule, snapshot, { policy: policyWith({ grantingRoles: ['TenantAdmin'] }) })).toEqual([]);
  });
});
