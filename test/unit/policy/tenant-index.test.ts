import { describe, expect, it } from 'vitest';
import { isLiveKey, isLiveUserKey, TenantIndex } from '../../../lambda/policy/tenant-index';
import { daysFromNow, NOW, SnapshotBuilder } from './builders';

describe('TenantIndex', () => {
  it('finds users by id or by email in any case', () => {
    const b = new SnapshotBuilder();
    const jane = b.user('Jane Doe', { email: 'Jane.Doe@Example.com' });
    const index = new TenantIndex(b.build(), NOW);
    expect(index.user(jane.id)).toBe(jane);
    expect(index.user('jane.doe@example.COM')).toBe(jane);
    expect(index.user('nobody@example.com')).toBeUndefined();
  });

  it('finds members of several groups in one go, and of unlisted groups by name', () => {
    const b = new SnapshotBuilder();
    const a = b.group('A');
    const c = b.group('C');
    const unlisted = b.group('Unlisted', [], { listed: false });
    const ann = b.user('Ann', { groups: [a, unlisted] });
    const bob = b.user('Bob', { groups: [a, c] });
    const index = new TenantIndex(b.build(), NOW);
    const members = index.membersOfGroups([a.id, c.id, 'no-such-group']);
    expect(members.get(a.id)).toEqual([ann, bob]);
    expect(members.get(c.id)).toEqual([bob]);
    expect(members.get('no-such-group')).toEqual([]);
    expect(index.membersOfGroup('A')).toEqual([ann, bob]);
    expect(index.membersOfGroup('Unlisted')).toEqual([ann]);
    expect(index.membersOfGroup(unlisted.id)).toEqual([ann]);
    expect([...index.unlistedGroups().keys()]).toEqual([unlisted.id]);
  });

  it('knows a user is missing only from a full inventory or a lookup that found nothing', () => {
    const full = new TenantIndex(new SnapshotBuilder().build(), NOW);
    expect(full.isKnownMissingUser('65aaaaaaaaaaaaaaaaaaaaaa')).toBe(true);
    const targeted = new TenantIndex(new SnapshotBuilder().targeted(['65aaaaaaaaaaaaaaaaaaaaaa']).build(), NOW);
    expect(targeted.isKnownMissingUser('65aaaaaaaaaaaaaaaaaaaaaa')).toBe(true);
    expect(targeted.isKnownMissingUser('65bbbbbbbbbbbbbbbbbbbbbb')).toBe(false);
  });

  it('tells who still holds the removed Developer role, by reference or legacy roles, not a custom namesake', () => {
    const b = new SnapshotBuilder();
    const developer = b.developerRole();
    const namesake = b.role('Developer');
    const direct = b.user('Direct', { roles: [developer] });
    const legacy = b.user('Legacy', { legacyRoles: ['Developer'] });
    const custom = b.user('Custom', { roles: [namesake] });
    const index = new TenantIndex(b.build(), NOW);
    expect(index.holdsDeveloperRole(direct)).toBe(true);
    expect(index.holdsDeveloperRole(legacy)).toBe(true);
    expect(index.holdsDeveloperRole(custom)).toBe(false);
    expect(index.holdsDeveloperRole({ assignedRoles: [developer] })).toBe(true);
  });

  it('groups live user keys by owner, sorted by key id', () => {
    const b = new SnapshotBuilder();
    const owner = b.user('Jane Doe');
    const second = b.key(owner, { id: 'k2' });
    const first = b.key(owner, { id: 'k1' });
    b.key(owner, { id: 'k0', status: 'revoked' });
    b.scimKey();
    const index = new TenantIndex(b.build(), NOW);
    expect(index.liveUserKeysByOwner.get(owner.id)).toEqual([first, second]);
    expect(index.liveUserKeysByOwner.size).toBe(1);
  });
});

describe('key liveness', () => {
  const base = { id: 'k', description: '', sub: 'u', subType: 'user' as const, status: 'active' as const };

  it('counts active, unexpired keys and keys whose expiry cannot be read', () => {
    expect(isLiveKey({ ...base, expiry: daysFromNow(1) }, NOW)).toBe(true);
    expect(isLiveKey({ ...base }, NOW)).toBe(true);
    expect(isLiveKey({ ...base, expiry: 'soon' }, NOW)).toBe(true);
  });

  it('does not count expired, revoked or past-expiry keys, nor SCIM keys as user keys', () => {
    expect(isLiveKey({ ...base, expiry: NOW.toISOString() }, NOW)).toBe(false);
    expect(isLiveKey({ ...base, status: 'expired' }, NOW)).toBe(false);
    expect(isLiveKey({ ...base, status: 'revoked' }, NOW)).toBe(false);
    expect(isLiveUserKey({ ...base, subType: 'externalClient' }, NOW)).toBe(false);
  });
});
