import { describe, expect, it } from 'vitest';
import { EVERYONE_GROUP_ID } from '../../../../lambda/collect/snapshot';
import { deprecatedDeveloperRoleAssigned as rule } from '../../../../lambda/policy/rules/deprecated-developer-role-assigned';
import { runRule, SnapshotBuilder } from '../builders';

describe('deprecated-developer-role-assigned', () => {
  it('passes on a tenant where nobody holds Developer', () => {
    const b = new SnapshotBuilder();
    b.developerRole();
    const audit = b.role('AuditAdmin', [], { type: 'default' });
    b.user('Jane Doe', { roles: [audit], groups: [b.group('Finance', [audit])] });
    expect(runRule(rule, b.build())).toEqual([]);
  });

  it('does not report a custom role that happens to be named Developer', () => {
    const b = new SnapshotBuilder();
    const custom = b.role('Developer', ['api-keys'], { type: 'custom' });
    b.user('Jane Doe', { roles: [custom], groups: [b.group('Devs', [custom])] });
    expect(runRule(rule, b.build())).toEqual([]);
  });

  it('reports a direct assignment, with the fix that keeps the other roles', () => {
    const b = new SnapshotBuilder();
    const developer = b.developerRole();
    const shared = b.role('SharedSpaceCreator', [], { type: 'default' });
    const user = b.user('Jane Doe', { roles: [shared, developer] });
    b.key(user, { description: 'reload' });
    const [finding, ...rest] = runRule(rule, b.build());
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      severity: 'high',
      subject: { type: 'user', id: user.id, name: 'Jane Doe' },
      evidence: {
        assignedVia: ['assignedRoles'],
        developerRole: { id: developer.id, name: 'Developer', type: 'default' },
      },
    });
    expect(finding?.message).toContain('fail with 401 Authorization Required');
    expect(finding?.remediation).toContain(
      `PATCH /api/v1/users/${user.id} [{"op":"replace","path":"/assignedRoles","value":[{"name":"SharedSpaceCreator"},{"name":"AllowManageAPIKeys"}]}]`,
    );
  });

  it('says removal breaks nothing when another path grants api-keys', () => {
    const b = new SnapshotBuilder();
    const developer = b.developerRole();
    const allow = b.role('AllowManageAPIKeys', ['api-keys']);
    const user = b.user('Jane Doe', { roles: [developer, allow] });
    b.key(user);
    const [finding] = runRule(rule, b.build());
    expect(finding?.message).toContain('direct role “AllowManageAPIKeys”, so removing it breaks nothing');
    expect(finding?.remediation).toContain('"value":[{"name":"AllowManageAPIKeys"}]');
    expect(finding?.evidence.manageApiKeys).toMatchObject({ held: true });
  });

  it('recognises the Developer role by id when the reference is sparse', () => {
    const b = new SnapshotBuilder();
    const developer = b.developerRole();
    // A reference whose type was lost on the wire still resolves through the role list.
    const user = b.user('Jane Doe', { roles: [{ id: developer.id, name: 'Developer', type: 'custom' }] });
    expect(runRule(rule, b.build()).map((f) => f.subject.id)).toEqual([user.id]);
  });

  it('reports the legacy User.roles field', () => {
    const b = new SnapshotBuilder();
    const user = b.user('Legacy User', { legacyRoles: ['Developer', 'SharedSpaceCreator'] });
    const [finding] = runRule(rule, b.build());
    expect(finding?.subject).toEqual({ type: 'user', id: user.id, name: 'Legacy User' });
    expect(finding?.evidence.assignedVia).toEqual(['legacy User.roles']);
    expect(finding?.remediation).toContain('rewrites the legacy roles field');
  });

  it('reports a group assignment once, and not its members as users', () => {
    const b = new SnapshotBuilder();
    const developer = b.developerRole();
    const group = b.group('BI Developers', [developer]);
    b.user('Member One', { groups: [group] });
    b.user('Member Two', { groups: [group] });
    const findings = runRule(rule, b.build());
    expect(findings.map((f) => f.subject)).toEqual([{ type: 'group', id: group.id, name: 'BI Developers' }]);
    expect(findings[0]?.evidence.membersSeen).toBe(2);
    expect(findings[0]?.remediation).toContain(`PATCH /api/v1/groups/${group.id}`);
  });

  it("reports a group known only from its members' records", () => {
    const b = new SnapshotBuilder();
    const developer = b.developerRole({ listed: false });
    const group = b.group('Old IdP Group', [developer], { listed: false });
    b.user('Member', { groups: [group] });
    const [finding] = runRule(rule, b.build());
    expect(finding?.subject).toEqual({ type: 'group', id: group.id, name: 'Old IdP Group' });
    expect(finding?.evidence.group).toMatchObject({ rolesFrom: 'user-record' });
  });

  it('reports the Everyone group without advising api-keys for everyone', () => {
    const b = new SnapshotBuilder();
    const developer = b.developerRole();
    const other = b.role('Viewer', []);
    b.everyone(developer, other);
    const [finding] = runRule(rule, b.build());
    expect(finding?.subject).toEqual({ type: 'group', id: EVERYONE_GROUP_ID, name: 'com.qlik.Everyone' });
    expect(finding?.remediation).toContain(`"value":[{"id":"${other.id}"}]`);
    expect(finding?.remediation).toContain('least privilege');
  });

  it('skips deleted users', () => {
    const b = new SnapshotBuilder();
    b.user('Deleted', { roles: [b.developerRole()], status: 'deleted' });
    expect(runRule(rule, b.build())).toEqual([]);
  });
});
