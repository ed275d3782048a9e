import { describe, expect, it } from 'vitest';
import { apiKeyExpiring as rule } from '../../../../lambda/policy/rules/api-key-expiring';
import { daysFromNow, NOW, policyWith, runRule, SnapshotBuilder } from '../builders';

describe('api-key-expiring', () => {
  it('passes when keys expire after the window', () => {
    const b = new SnapshotBuilder();
    b.key(b.user('Jane Doe'), { expiry: daysFromNow(15) });
    b.key(b.user('No Expiry'), { expiry: null });
    expect(runRule(rule, b.build())).toEqual([]);
  });

  it('reports a user key expiring within the window, inclusive of its last day', () => {
    const b = new SnapshotBuilder();
    const owner = b.user('Jane Doe');
    const soon = b.key(owner, { description: 'reload trigger', expiry: daysFromNow(5) });
    const edge = b.key(owner, { expiry: daysFromNow(14) });
    const findings = runRule(rule, b.build());
    expect(findings.map((f) => f.subject.id)).toEqual([soon.id, edge.id]);
    expect(findings[0]).toMatchObject({
      severity: 'low',
      subject: { type: 'apiKey', id: soon.id, name: 'reload trigger' },
      evidence: { daysLeft: 5, windowDays: 14, key: { id: soon.id, expiry: soon.expiry }, owner: { id: owner.id } },
    });
    expect(findings[0]?.message).toContain('owned by “Jane Doe” <jane.doe@example.com>');
    expect(findings[0]?.message).toContain('in 5 days');
    expect(findings[0]?.remediation).toContain(`DELETE /api/v1/api-keys/${soon.id}`);
    expect(findings[0]?.remediation).toContain(
      'POST /api/v1/api-keys {"description":"reload trigger","expiry":"P90D"}',
    );
  });

  it('uses the policy window', () => {
    const b = new SnapshotBuilder();
    b.key(b.user('Jane Doe'), { expiry: daysFromNow(20) });
    const snapshot = b.build();
    expect(runRule(rule, snapshot)).toEqual([]);
    const wide = policyWith({ rules: { 'api-key-expiring': { windowDays: 30 } } });
    expect(runRule(rule, snapshot, { policy: wide })).toHaveLength(1);
  });

  it('reports a SCIM key with the identity-provider rotation steps', () => {
    const b = new SnapshotBuilder();
    const scim = b.scimKey({ expiry: daysFromNow(3) });
    const [finding] = runRule(rule, b.build());
    expect(finding?.subject.id).toBe(scim.id);
    expect(finding?.message).toContain('SCIM provisioning key');
    expect(finding?.remediation).toContain('"subType":"externalClient"');
  });

  it('ignores expired and revoked keys, and keys past their expiry', () => {
    const b = new SnapshotBuilder();
    const owner = b.user('Jane Doe');
    b.key(owner, { status: 'expired', expiry: daysFromNow(2) });
    b.key(owner, { status: 'revoked', expiry: daysFromNow(2) });
    b.key(owner, { expiry: daysFromNow(-1) });
    expect(runRule(rule, b.build())).toEqual([]);
  });

  it('measures from the clock passed in', () => {
    const b = new SnapshotBuilder();
    b.key(b.user('Jane Doe'), { expiry: daysFromNow(40) });
    const later = new Date(NOW.getTime() + 30 * 86_400_000);
    expect(runRule(rule, b.build(), { now: later })).toHaveLength(1);
  });
});
