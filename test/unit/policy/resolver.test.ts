import { describe, expect, it } from 'vitest';
import { createResolver } from '../../../lambda/policy/resolver';
import { NOW, SnapshotBuilder } from './builders';

describe('PermissionResolver', () => {
  it('records every path that grants a scope, as data and as text', () => {
    const b = new SnapshotBuilder();
    const userDefault = b.userDefault(['api-keys']);
    const direct = b.role('AllowManageAPIKeys', ['api-keys', 'automations:create']);
    const groupRole = b.role('BI Keys', ['api-keys']);
    const everyoneRole = b.role('EveryoneKeys', ['api-keys']);
    b.everyone(everyoneRole);
    const group = b.group('BI Integrations', [groupRole]);
    const user = b.user('Jane Doe', { roles: [direct], groups: [group] });

    const access = createResolver(b.build(), NOW).forUser(user);
    expect(access.pathsFor('api-keys').map((path) => path.text)).toEqual([
      'UserDefault',
      'Everyone → role “EveryoneKeys”',
      'direct role “AllowManageAPIKeys”',
      'group “BI Integrations” → role “BI Keys”',
    ]);
    expect(access.pathsFor('api-keys')).toEqual([
      expect.objectContaining({
        via: 'UserDefault',
        role: { id: userDefault.id, name: 'UserDefault' },
        reason: 'assignedScopes',
      }),
      expect.objectContaining({ via: 'Everyone', role: { id: everyoneRole.id, name: 'EveryoneKeys' } }),
      expect.objectContaining({ via: 'direct', role: { id: direct.id, name: 'AllowManageAPIKeys' } }),
      expect.objectContaining({
        via: 'group',
        group: { id: group.id, name: 'BI Integrations' },
        role: { id: groupRole.id, name: 'BI Keys' },
      }),
    ]);
    expect([...access.scopes].sort()).toEqual(['api-keys', 'automations:create']);
    expect(access.has('automations:create')).toBe(true);
    expect(access.has('spaces:delete')).toBe(false);
  });

  it('has no path for a user with only unrelated roles', () => {
    const b = new SnapshotBuilder();
    const user = b.user('Jane Doe', { roles: [b.role('AuditAdmin', [], { type: 'default' })] });
    const access = createResolver(b.build(), NOW).forUser(user);
    expect(access.has('api-keys')).toBe(false);
    expect(access.pathsFor('api-keys')).toEqual([]);
    expect(access.directRoles).toEqual([expect.objectContaining({ name: 'AuditAdmin', resolved: true, scopes: [] })]);
  });

  it('never lets the removed Developer role grant anything, even with a stale scope', () => {
    const b = new SnapshotBuilder();
    const developer = b.role('Developer', ['api-keys'], { type: 'default' });
    const user = b.user('Jane Doe', { roles: [developer], groups: [b.group('Devs', [developer])] });
    b.everyone(developer);
    const access = createResolver(b.build(), NOW, { grantingRoles: ['Developer'] }).forUser(user);
    expect(access.has('api-keys')).toBe(false);
    expect(access.notes).toContain(
      'role “Developer” is the removed built-in Developer role; it no longer grants api-keys',
    );
  });

  it('counts grantingRoles as granting api-keys, and says why', () => {
    const b = new SnapshotBuilder();
    const admin = b.role('TenantAdmin', [], { type: 'default', level: 'admin' });
    const user = b.user('Admin', { roles: [admin] });
    const snapshot = b.build();
    expect(createResolver(snapshot, NOW).forUser(user).has('api-keys')).toBe(false);
    const [path] = createResolver(snapshot, NOW, { grantingRoles: ['TenantAdmin'] })
      .forUser(user)
      .pathsFor('api-keys');
    expect(path).toMatchObject({
      via: 'direct',
      reason: 'grantingRoles',
      text: "direct role “TenantAdmin” (counted by the policy's grantingRoles)",
    });
  });

  it('takes group roles from the groups list, not the user record, and ignores disabled groups', () => {
    const b = new SnapshotBuilder();
    const keys = b.role('Keys', ['api-keys']);
    const listedWithout = b.group('Listed', []);
    const disabled = b.group('Disabled', [keys], { status: 'disabled' });
    const user = b.user('Jane Doe', {
      groups: [listedWithout, disabled],
      embeddedGroupRoles: { [listedWithout.id]: [keys] },
    });
    const access = createResolver(b.build(), NOW).forUser(user);
    expect(access.has('api-keys')).toBe(false);
    expect(access.groups).toEqual([
      expect.objectContaining({ name: 'Listed', source: 'groups-list', counted: true, roles: [] }),
      expect.objectContaining({ name: 'Disabled', status: 'disabled', counted: false }),
    ]);
    expect(access.notes).toContain('group “Disabled” is disabled; its roles do not count');
  });

  it('falls back to the user record for a group missing from the list, and says so', () => {
    const b = new SnapshotBuilder();
    const keys = b.role('Keys', ['api-keys']);
    const unlisted = b.group('Unlisted', [keys], { listed: false });
    const user = b.user('Jane Doe', { groups: [unlisted] });
    const access = createResolver(b.build(), NOW).forUser(user);
    expect(access.pathsFor('api-keys').map((p) => p.text)).toEqual(['group “Unlisted” → role “Keys”']);
    expect(access.notes).toContain(
      'group “Unlisted” is not in the groups list; its roles were taken from the user record',
    );
  });

  it('resolves role references by id, then by name, and notes roles it cannot resolve', () => {
    const b = new SnapshotBuilder();
    const keys = b.role('Keys', ['api-keys']);
    const renamedRef = { ...keys, name: 'Old Name' };
    const byName = { ...keys, id: '65dddddddddddddddddddddd' };
    const unknown = b.unlistedRole('Ghost');
    const viaId = b.user('Via Id', { roles: [renamedRef] });
    const viaName = b.user('Via Name', { roles: [byName] });
    const ghost = b.user('Ghost Holder', { roles: [unknown] });
    const resolver = createResolver(b.build(), NOW);
    expect(resolver.forUser(viaId).pathsFor('api-keys')[0]?.text).toBe('direct role “Keys”');
    expect(resolver.forUser(viaName).has('api-keys')).toBe(true);
    const ghostAccess = resolver.forUser(ghost);
    expect(ghostAccess.has('api-keys')).toBe(false);
    expect(ghostAccess.directRoles).toEqual([expect.objectContaining({ name: 'Ghost', resolved: false })]);
    expect(ghostAccess.notes[0]).toMatch(/role “Ghost” \(.+\) is not in the tenant's role list/);
  });

  it('computes each user once per evaluation', () => {
    const b = new SnapshotBuilder();
    const user = b.user('Jane Doe');
    const resolver = createResolver(b.build(), NOW);
    expect(resolver.forUser(user)).toBe(resolver.forUser(user));
  });

  it('lists the tenant roles that grant a scope, excluding Developer', () => {
    const b = new SnapshotBuilder();
    b.role('Developer', ['api-keys'], { type: 'default' });
    b.role('AllowManageAPIKeys', ['api-keys']);
    b.userDefault(['api-keys']);
    b.role('Viewer', []);
    expect(
      createResolver(b.build(), NOW)
        .rolesGranting('api-keys')
        .map((r) => r.name),
    ).toEqual(['AllowManageAPIKeys', 'UserDefault']);
  });
});
