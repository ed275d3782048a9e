import { describe, expect, it } from 'vitest';
import { generateTenant, startSimulatedTenant } from '../../sim/server';
import { call, collect, oauthToken } from './helpers';

describe('generateTenant', () => {
  const spec = { users: 500, groups: 20, keys: 120, keyOwners: 60, ownersLackingPermission: 7, seed: 42 };

  it('builds the requested sizes with one critical expectation per owner lacking the permission', () => {
    const s = generateTenant(spec);
    expect(s.users).toHaveLength(500);
    expect(s.groups).toHaveLength(20);
    expect(s.apiKeys).toHaveLength(120);
    expect(new Set(s.apiKeys.map((k) => k.sub)).size).toBe(60);
    expect(new Set(s.users.map((u) => u.id)).size).toBe(500);
    expect(new Set(s.apiKeys.map((k) => k.id)).size).toBe(120);
    expect(s.expect?.findings).toHaveLength(7);
    expect(
      s.expect?.findings.every(
        (f) => f.ruleId === 'api-key-owner-lacks-manage-permission' && f.severity === 'critical',
      ),
    ).toBe(true);
    expect(s.expect?.exitCode).toBe(1);
    expect(generateTenant({ ...spec, ownersLackingPermission: 0 }).expect?.exitCode).toBe(0);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    expect(generateTenant(spec)).toEqual(generateTenant(spec));
    const other = generateTenant({ ...spec, seed: 43 });
    expect(other.tenant.id).not.toBe(generateTenant(spec).tenant.id);
    expect(other.apiKeys.map((k) => k.id)).not.toEqual(generateTenant(spec).apiKeys.map((k) => k.id));
  });

  it.each([
    [{ ...spec, ownersLackingPermission: 61 }, /cannot exceed keyOwners/],
    [{ ...spec, keys: 10 }, /at least one key/],
    [{ ...spec, users: 61 }, /room for/],
    [{ ...spec, groups: 10_001 }, /10,000 groups/],
    [{ ...spec, users: -1 }, /non-negative integer/],
  ])('rejects impossible specs (%#)', (bad, message) => {
    expect(() => generateTenant(bad)).toThrow(message);
  });

  it('serves a generated tenant whose owners lack (or hold) the permission as constructed', async () => {
    const s = generateTenant(spec);
    const tenant = await startSimulatedTenant({ scenario: s, settings: { usersWithoutStatusFilter: 'all' } });
    try {
      const token = await oauthToken(tenant);
      const lacking = new Set(s.expect!.findings.map((f) => f.subjectId));
      const owners = [...new Set(s.apiKeys.map((k) => k.sub))];
      const filter = owners.map((id) => `id eq "${id}"`).join(' or ');
      const res = await call(tenant, '/api/v1/users/actions/filter?limit=100', {
        method: 'POST',
        token,
        body: { filter },
      });
      const users = res.json().data as {
        id: string;
        assignedRoles: { name: string }[];
        assignedGroups: { assignedRoles?: { name: string }[] }[];
      }[];
      expect(users).toHaveLength(60);
      for (const u of users) {
        const names = [...u.assignedRoles, ...u.assignedGroups.flatMap((g) => g.assignedRoles ?? [])].map(
          (r) => r.name,
        );
        expect(names.includes('AllowManageAPIKeys'), u.id).toBe(!lacking.has(u.id));
      }
    } finally {
      await tenant.close();
    }
  });

  it('handles 50,000 users: builds, pages every user once, answers a batched id filter', {
    timeout: 30_000,
  }, async () => {
    const s = generateTenant({
      users: 50_000,
      groups: 300,
      keys: 2_000,
      keyOwners: 1_500,
      ownersLackingPermission: 150,
      seed: 7,
    });
    expect(s.users).toHaveLength(50_000);
    const tenant = await startSimulatedTenant({ scenario: s, settings: { usersWithoutStatusFilter: 'all' } });
    try {
      // Small bodies (fields=name) keep this about paging and sorting 50,000 users, not about JSON volume.
      const { items, hrefs } = await collect<{ id: string; name: string }>(
        tenant,
        '/api/v1/users?limit=100&fields=name',
      );
      expect(items).toHaveLength(50_000);
      expect(items.map((u) => u.name)).toEqual(items.map((u) => u.name).sort());
      expect(new Set(items.map((u) => u.id)).size).toBe(50_000);
      expect(hrefs).toHaveLength(500);
      const ids = s.apiKeys.slice(0, 100).map((k) => k.sub);
      const filter = ids.map((id) => `id eq "${id}"`).join(' or ');
      const res = await call(tenant, `/api/v1/users?limit=100&filter=${encodeURIComponent(filter)}`);
      expect(
        res
          .json()
          .data.map((u: { id: string }) => u.id)
          .sort(),
      ).toEqual([...new Set(ids)].sort());
    } finally {
      await tenant.close();
    }
  });
});
