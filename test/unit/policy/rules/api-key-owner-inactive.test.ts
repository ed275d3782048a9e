import { describe, expect, it } from 'vitest';
import { apiKeyOwnerInactive as rule } from '../../../../lambda/policy/rules/api-key-owner-inactive';
import { daysFromNow, runRule, SnapshotBuilder } from '../builders';

const MISSING_ID = '65aaaaaaaaaaaaaaaaaaaaaa';

describe('api-key-owner-inactive', () => {
  it('passes when every live key has an active owner', () => {
    const b = new SnapshotBuilder();
    b.key(b.user('Jane Doe'));
    b.key(b.user('No Status', { status: null }));
    expect(runRule(rule, b.build())).toEqual([]);
  });

  it.each(['disabled', 'deleted'] as const)('reports each live key of a %s owner', (status) => {
    const b = new SnapshotBuilder();
    const owner = b.user('Former Employee', { status });
    const first = b.key(owner, { description: 'sales sync' });
    const second = b.key(owner);
    const findings = runRule(rule, b.build());
    expect(findings.map((f) => f.subject)).toEqual([
      { type: 'apiKey', id: first.id, name: 'sales sync' },
      { type: 'apiKey', id: second.id, name: second.description },
    ]);
    expect(findings[0]).toMatchObject({
      severity: 'medium',
      evidence: { owner: { id: owner.id, status }, key: { id: first.id }, ownerLiveKeys: 2 },
    });
    expect(findings[0]?.message).toContain(`is ${status}`);
    expect(findings[0]?.remediation).toContain(`DELETE /api/v1/api-keys/${first.id}`);
  });

  it('reports an unknown owner when the full user inventory was read', () => {
    const b = new SnapshotBuilder();
    const key = b.key(MISSING_ID);
    const [finding] = runRule(rule, b.build());
    expect(finding?.subject.id).toBe(key.id);
    expect(finding?.evidence.owner).toEqual({ id: MISSING_ID, status: 'unknown', lookedUp: 'full user inventory' });
    expect(finding?.message).toContain('does not exist in the tenant');
  });

  it('reports an unknown owner in a targeted snapshot only when it was looked up', () => {
    const looked = new SnapshotBuilder();
    looked.key(MISSING_ID);
    looked.targeted([MISSING_ID]);
    expect(runRule(rule, looked.build())).toHaveLength(1);

    const notLooked = new SnapshotBuilder();
    notLooked.key(MISSING_ID);
    notLooked.targeted(['65bbbbbbbbbbbbbbbbbbbbbb']);
    expect(runRule(rule, notLooked.build())).toEqual([]);
  });

  it('ignores SCIM keys and keys that can no longer authenticate', () => {
    const b = new SnapshotBuilder();
    const owner = b.user('Former Employee', { status: 'disabled' });
    b.key(owner, { status: 'revoked' });
    b.key(owner, { status: 'expired' });
    b.key(owner, { expiry: daysFromNow(-2) });
    b.scimKey();
    expect(runRule(rule, b.build())).toEqual([]);
  });
});
