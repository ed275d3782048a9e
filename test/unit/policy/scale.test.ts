/**
 * The policy over a tenant at Qlik's limits (see scale-tenant.ts). Expected results are derived arithmetically from
 * how the tenant is built, independently of the resolver. Timing is measured by benchmarks, never asserted here.
 */
import { describe, expect, it } from 'vitest';
import { developerHolders, evaluatePolicy } from '../../../lambda/policy/evaluate';
import { NOW, policyWith } from './builders';
import {
  buildTenant,
  DEVELOPER_ROLE,
  GROUPS,
  groupGrants,
  groupsOfUser,
  hex,
  KEYS,
  keyIsLive,
  ownerOfKey,
  roleIndexOfGroup,
  USERS,
} from './scale-tenant';

describe('evaluation at tenant limits', () => {
  it('finds exactly the stranded owners and Developer holders among 100,000 users', () => {
    const snapshot = buildTenant();

    const liveKeysByOwner = new Map<number, number>();
    for (let k = 0; k < KEYS; k += 1) {
      if (keyIsLive(k)) liveKeysByOwner.set(ownerOfKey(k), (liveKeysByOwner.get(ownerOfKey(k)) ?? 0) + 1);
    }
    const stranded = [...liveKeysByOwner.keys()].filter((u) => !groupsOfUser(u).some(groupGrants));
    const developerUsers = Array.from({ length: USERS / 1000 }, (_, i) => i * 1000);
    const developerGroups = Array.from({ length: GROUPS }, (_, g) => g).filter(
      (g) => roleIndexOfGroup(g) === DEVELOPER_ROLE,
    );
    expect(stranded.length).toBeGreaterThan(100);

    const findings = evaluatePolicy(snapshot, policyWith(), NOW);
    const byRule = (ruleId: string) => findings.filter((f) => f.ruleId === ruleId);

    const lacking = byRule('api-key-owner-lacks-manage-permission');
    expect(lacking.map((f) => f.subject.id).sort()).toEqual(stranded.map((u) => hex('6c', u)).sort());
    for (const finding of lacking.slice(0, 20)) {
      const owner = Number.parseInt(finding.subject.id.slice(2), 16);
      expect((finding.evidence.keys as unknown[]).length).toBe(liveKeysByOwner.get(owner));
    }

    const deprecated = byRule('deprecated-developer-role-assigned');
    expect(
      deprecated
        .filter((f) => f.subject.type === 'user')
        .map((f) => f.subject.id)
        .sort(),
    ).toEqual(developerUsers.map((u) => hex('6c', u)).sort());
    expect(
      deprecated
        .filter((f) => f.subject.type === 'group')
        .map((f) => f.subject.id)
        .sort(),
    ).toEqual(developerGroups.map((g) => hex('6b', g)).sort());

    expect(byRule('replacement-role-missing')).toEqual([]);
    expect(byRule('api-key-owner-inactive')).toEqual([]);
    expect(findings).toHaveLength(lacking.length + deprecated.length);

    const holders = developerHolders(snapshot);
    expect(holders.users).toHaveLength(developerUsers.length);
    expect(holders.groups).toHaveLength(developerGroups.length);
    // A correctness test at tenant scale, not a timing one: the generous timeout keeps it from failing on a busy
    // machine (speed is measured in test/bench).
  }, 60_000);
});
