import { describe, expect, it } from 'vitest';
import { evaluatePolicy, ruleTitle } from '../../../../lambda/policy/evaluate';
import type { PolicyDocument } from '../../../../lambda/policy/schema';
import { NOW, policyWith, SnapshotBuilder } from '../builders';

type RequireEntry = NonNullable<PolicyDocument['require']>[number];

function requirePolicy(entry: Partial<RequireEntry> & Pick<RequireEntry, 'select'>) {
  return policyWith({
    require: [
      {
        id: 'bi-team-can-manage-api-keys',
        title: 'The BI team can manage API keys',
        severity: 'high',
        scopes: ['api-keys'],
        ...entry,
      },
    ],
  });
}

function customFindings(snapshot: ReturnType<SnapshotBuilder['build']>, policy: ReturnType<typeof requirePolicy>) {
  return evaluatePolicy(snapshot, policy, NOW).filter((f) => f.ruleId === 'bi-team-can-manage-api-keys');
}

describe('custom require rules', () => {
  it('passes when every selected group member holds the scopes', () => {
    const b = new SnapshotBuilder();
    const group = b.group('BI Integrations', [b.role('AllowManageAPIKeys', ['api-keys'])]);
    b.user('Ann', { groups: [group] });
    expect(customFindings(b.build(), requirePolicy({ select: { groups: ['BI Integrations'] } }))).toEqual([]);
  });

  it('reports each selected member lacking a scope, under the custom id and severity', () => {
    const b = new SnapshotBuilder();
    const group = b.group('BI Integrations', [b.role('Viewer', [])]);
    const carrying = b.role('AllowManageAPIKeys', ['api-keys']);
    const ann = b.user('Ann', { groups: [group] });
    b.user('Outsider');
    const findings = customFindings(b.build(), requirePolicy({ select: { groups: [group.id] } }));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      ruleId: 'bi-team-can-manage-api-keys',
      severity: 'high',
      subject: { type: 'user', id: ann.id, name: 'Ann' },
      evidence: { selectedBy: [`group “${group.id}”`], missingScopes: ['api-keys'], grantPaths: [] },
    });
    expect(findings[0]?.message).toContain('“The BI team can manage API keys”');
    expect(findings[0]?.remediation).toContain(`Assign “${carrying.name}”`);
  });

  it('selects users by email and by role (direct, via a group, via Everyone)', () => {
    const b = new SnapshotBuilder();
    const analyst = b.role('Analyst', []);
    const direct = b.user('Direct', { roles: [analyst] });
    const viaGroup = b.user('Via Group', { groups: [b.group('Analysts', [analyst])] });
    const byEmail = b.user('By Email', { email: 'by.email@example.com' });
    b.user('Not Selected');
    const policy = requirePolicy({ select: { users: ['BY.EMAIL@example.com'], roles: ['Analyst'] } });
    expect(
      customFindings(b.build(), policy)
        .map((f) => f.subject.id)
        .sort(),
    ).toEqual([direct.id, viaGroup.id, byEmail.id].sort());

    const everyoneTenant = new SnapshotBuilder();
    const everyoneRole = everyoneTenant.role('Analyst', []);
    everyoneTenant.everyone(everyoneRole);
    everyoneTenant.user('A');
    everyoneTenant.user('B');
    expect(customFindings(everyoneTenant.build(), requirePolicy({ select: { roles: ['Analyst'] } }))).toHaveLength(2);
  });

  it("skips inactive users and uses the rule's own remediation text when given", () => {
    const b = new SnapshotBuilder();
    b.user('Disabled', { status: 'disabled', email: 'disabled@example.com' });
    const active = b.user('Active', { email: 'active@example.com' });
    const policy = requirePolicy({
      select: { users: ['disabled@example.com', 'active@example.com'] },
      scopes: ['api-keys', 'automations:create'],
      remediation: 'Ask the IAM team (ticket queue IAM) to add the user to "BI Integrations".',
    });
    const findings = customFindings(b.build(), policy);
    expect(findings.map((f) => f.subject.id)).toEqual([active.id]);
    expect(findings[0]?.evidence.missingScopes).toEqual(['api-keys', 'automations:create']);
    expect(findings[0]?.remediation).toBe('Ask the IAM team (ticket queue IAM) to add the user to "BI Integrations".');
    expect(ruleTitle(policy, 'bi-team-can-manage-api-keys')).toBe('The BI team can manage API keys');
  });
});
