import { describe, expect, it } from 'vitest';
import { EVERYONE_GROUP_ID } from '../../../../lambda/collect/snapshot';
import { manageApiKeysGrantedToEveryone as rule } from '../../../../lambda/policy/rules/manage-api-keys-granted-to-everyone';
import { findingsOf, policyWith, runRule, SnapshotBuilder } from '../builders';

describe('manage-api-keys-granted-to-everyone', () => {
  it('passes when api-keys comes from a dedicated role', () => {
    const b = new SnapshotBuilder();
    b.userDefault(['apps.data:export']);
    b.everyone(b.role('Viewer', ['spaces:read']));
    b.key(b.user('Jane Doe', { roles: [b.role('AllowManageAPIKeys', ['api-keys'])] }));
    expect(runRule(rule, b.build())).toEqual([]);
  });

  it('reports UserDefault granting api-keys, with the key owners that rely on it', () => {
    const b = new SnapshotBuilder();
    const userDefault = b.userDefault(['api-keys', 'apps.data:export']);
    const relying = b.user('Relies On Default');
    b.key(relying);
    b.key(b.user('Has Own Role', { roles: [b.role('AllowManageAPIKeys', ['api-keys'])] }));
    const [finding, ...rest] = runRule(rule, b.build());
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      severity: 'medium',
      subject: { type: 'role', id: userDefault.id, name: 'UserDefault' },
      evidence: {
        keyOwnersRelyingOnlyOnThis: [{ id: relying.id, name: 'Relies On Default' }],
        keyOwnersRelyingOnlyOnThisCount: 1,
        grantPaths: [expect.objectContaining({ via: 'UserDefault', text: 'UserDefault' })],
      },
    });
    expect(finding?.message).toContain('1 key owner holds it only this way');
    expect(finding?.remediation).toContain(
      `PATCH /api/v1/roles/${userDefault.id} [{"op":"remove-value","path":"/assignedScopes","value":"api-keys"}]`,
    );
    // The existing custom role is the one to hand out before withdrawing the broad grant.
    expect(finding?.remediation).toContain('"AllowManageAPIKeys"');
  });

  it('reports an Everyone role granting api-keys, keeping the other Everyone roles in the fix', () => {
    const b = new SnapshotBuilder();
    const broad = b.role('EveryoneKeys', ['api-keys']);
    const viewer = b.role('Viewer', []);
    b.everyone(broad, viewer);
    const [finding] = runRule(rule, b.build());
    expect(finding?.subject).toEqual({ type: 'group', id: EVERYONE_GROUP_ID, name: 'com.qlik.Everyone' });
    expect(finding?.message).toContain('role “EveryoneKeys”');
    expect(finding?.evidence.grantPaths).toEqual([
      expect.objectContaining({ via: 'Everyone', text: 'Everyone → role “EveryoneKeys”' }),
    ]);
    expect(finding?.remediation).toContain(
      `PATCH /api/v1/groups/${EVERYONE_GROUP_ID} [{"op":"replace","path":"/assignedRoles","value":[{"id":"${viewer.id}"}]}]`,
    );
  });

  it('is silenced by a policy that allows it', () => {
    const b = new SnapshotBuilder();
    b.userDefault(['api-keys']);
    const snapshot = b.build();
    expect(findingsOf(snapshot, 'manage-api-keys-granted-to-everyone')).toHaveLength(1);
    const allowing = policyWith({ rules: { 'manage-api-keys-granted-to-everyone': { enabled: false } } });
    expect(findingsOf(snapshot, 'manage-api-keys-granted-to-everyone', allowing)).toEqual([]);
  });
});
