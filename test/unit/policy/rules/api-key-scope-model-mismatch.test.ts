import { describe, expect, it } from 'vitest';
import { apiKeyScopeModelMismatch as rule } from '../../../../lambda/policy/rules/api-key-scope-model-mismatch';
import { policyWith, runRule, SnapshotBuilder, TENANT_ID } from '../builders';

describe('api-key-scope-model-mismatch', () => {
  it('passes when a role carries the policy scope', () => {
    const b = new SnapshotBuilder();
    b.role('AllowManageAPIKeys', ['api-keys']);
    b.role('Automation', ['apikeys:manage']);
    b.key(b.user('Jane Doe'));
    expect(runRule(rule, b.build())).toEqual([]);
  });

  it('passes when no role carries anything API-key-like (replacement-role-missing covers that tenant)', () => {
    const b = new SnapshotBuilder();
    b.role('ReportAuthors', ['reports:create']);
    b.key(b.user('Jane Doe'));
    expect(runRule(rule, b.build())).toEqual([]);
  });

  it('passes without live user keys', () => {
    const b = new SnapshotBuilder();
    b.role('Automation', ['apikeys:manage']);
    b.key(b.user('Jane Doe'), { status: 'revoked' });
    expect(runRule(rule, b.build())).toEqual([]);
  });

  it('fails naming the API-key-like scopes seen and the roles carrying them', () => {
    const b = new SnapshotBuilder();
    b.role('Key Managers', ['apikeys:manage', 'reports:create']);
    b.role('Key Auditors', ['api_key.read']);
    b.key(b.user('Jane Doe'));
    const [finding, ...rest] = runRule(rule, b.build());
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      severity: 'high',
      subject: { type: 'tenant', id: TENANT_ID },
      evidence: {
        policyScope: 'api-keys',
        scopesSeen: [
          { scope: 'api_key.read', roles: ['Key Auditors'], roleCount: 1 },
          { scope: 'apikeys:manage', roles: ['Key Managers'], roleCount: 1 },
        ],
      },
    });
    expect(finding?.message).toContain('"apikeys:manage"');
    expect(finding?.remediation).toContain('--create-role-scope api-keys');
  });

  it('reads the scope from the policy: a policy naming the tenant scope passes', () => {
    const b = new SnapshotBuilder();
    b.role('Key Managers', ['apikeys:manage']);
    b.key(b.user('Jane Doe'));
    const snapshot = b.build();
    expect(runRule(rule, snapshot)).toHaveLength(1);
    const policy = policyWith({ remediation: { scope: 'apikeys:manage' } });
    expect(runRule(rule, snapshot, { policy })).toEqual([]);
  });
});
