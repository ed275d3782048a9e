import { describe, expect, it } from 'vitest';
import { EVERYONE_GROUP_ID } from '../../../../lambda/collect/snapshot';
import { formerDeveloperNotMigrated as rule } from '../../../../lambda/policy/rules/former-developer-not-migrated';
import { policyWith, runRule, SnapshotBuilder } from '../builders';

describe('former-developer-not-migrated', () => {
  it('passes when former Developers hold api-keys', () => {
    const b = new SnapshotBuilder();
    const allow = b.role('AllowManageAPIKeys', ['api-keys']);
    const user = b.user('Jane Doe', { roles: [allow] });
    const group = b.group('BI Developers', [allow]);
    const known = { users: [{ id: user.id, name: user.name }], groups: [{ id: group.id, name: group.name }] };
    expect(runRule(rule, b.build(), { known })).toEqual([]);
  });

  it('reports a user remembered from earlier runs who lacks api-keys', () => {
    const b = new SnapshotBuilder();
    const user = b.user('Jane Doe');
    const key = b.key(user);
    const [finding, ...rest] = runRule(rule, b.build(), {
      known: { users: [{ id: user.id, name: 'Jane' }], groups: [] },
    });
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      severity: 'high',
      subject: { type: 'user', id: user.id, name: 'Jane Doe' },
      evidence: { knownFrom: ['earlier runs'], keys: [{ id: key.id }], grantPaths: [] },
    });
    expect(finding?.message).toContain('401 Authorization Required');
    expect(finding?.remediation).toContain(`PATCH /api/v1/users/${user.id}`);
  });

  it('finds users listed in the policy by email (any case) or id, merging sources', () => {
    const b = new SnapshotBuilder();
    const byEmail = b.user('Jane Doe', { email: 'Jane.Doe@Example.com' });
    const byId = b.user('Bob');
    const policy = policyWith({ formerDevelopers: { users: ['jane.doe@example.com', byId.id] } });
    const findings = runRule(rule, b.build(), { policy, known: { users: [{ id: byId.id, name: 'Bob' }], groups: [] } });
    expect(findings.map((f) => [f.subject.id, f.evidence.knownFrom])).toEqual([
      [byEmail.id, ['policy formerDevelopers']],
      [byId.id, ['policy formerDevelopers', 'earlier runs']],
    ]);
  });

  it('skips inactive and missing users', () => {
    const b = new SnapshotBuilder();
    const disabled = b.user('Gone', { status: 'disabled' });
    const known = {
      users: [
        { id: disabled.id, name: 'Gone' },
        { id: '65cccccccccccccccccccccc', name: 'Deleted' },
      ],
      groups: [],
    };
    expect(runRule(rule, b.build(), { known })).toEqual([]);
  });

  it('reports a group none of whose roles grants api-keys, even if members have it elsewhere', () => {
    const b = new SnapshotBuilder();
    const viewer = b.role('Viewer', []);
    const group = b.group('BI Developers', [viewer]);
    const covered = b.user('Covered', { groups: [group], roles: [b.role('AllowManageAPIKeys', ['api-keys'])] });
    const stranded = b.user('Stranded', { groups: [group] });
    b.key(covered);
    b.key(stranded);
    const policy = policyWith({ formerDevelopers: { groups: ['BI Developers'] } });
    const [finding] = runRule(rule, b.build(), { policy });
    expect(finding).toMatchObject({
      subject: { type: 'group', id: group.id, name: 'BI Developers' },
      evidence: {
        membersSeen: 2,
        keyOwnersWithoutPermission: [{ id: stranded.id, name: 'Stranded' }],
        grantPaths: [],
      },
    });
    expect(finding?.message).toContain('1 member owns active keys');
    // The fix keeps the group's current roles and adds the existing granting role by id.
    expect(finding?.remediation).toMatch(
      new RegExp(`"value":\\[\\{"id":"${viewer.id}"\\},\\{"id":"[0-9a-f]{24}"\\}\\]`),
    );
  });

  it('leaves principals still holding Developer to deprecated-developer-role-assigned', () => {
    const b = new SnapshotBuilder();
    const developer = b.developerRole();
    const direct = b.user('Direct', { roles: [developer] });
    const legacy = b.user('Legacy', { legacyRoles: ['Developer'] });
    const group = b.group('BI Developers', [developer]);
    const migrated = b.user('Migrated');
    const known = {
      users: [direct, legacy, migrated].map(({ id, name }) => ({ id, name })),
      groups: [{ id: group.id, name: group.name }],
    };
    expect(runRule(rule, b.build(), { known }).map((f) => f.subject.id)).toEqual([migrated.id]);
  });

  it('skips disabled groups and the Everyone group', () => {
    const b = new SnapshotBuilder();
    const disabled = b.group('Old Devs', [], { status: 'disabled' });
    b.group('com.qlik.Everyone', [], { id: EVERYONE_GROUP_ID });
    const known = {
      users: [],
      groups: [
        { id: disabled.id, name: 'Old Devs' },
        { id: EVERYONE_GROUP_ID, name: 'Everyone' },
      ],
    };
    expect(runRule(rule, b.build(), { known })).toEqual([]);
  });
});
