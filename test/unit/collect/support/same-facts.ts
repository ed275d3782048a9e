import { expect } from 'vitest';
import type { TenantSnapshot } from '../../../../lambda/collect/snapshot';

/** Every user, group, role, key and setting the targeted snapshot holds is identical in the full one. */
export function expectSameFacts(targeted: TenantSnapshot, full: TenantSnapshot): void {
  for (const user of targeted.users) expect(full.users.find((u) => u.id === user.id)).toEqual(user);
  for (const group of targeted.groups) expect(full.groups.find((g) => g.id === group.id)).toEqual(group);
  for (const id of targeted.usersLookedUp ?? []) {
    expect(full.users.some((u) => u.id === id)).toBe(targeted.users.some((u) => u.id === id));
  }
  expect(full.roles).toEqual(targeted.roles);
  expect(full.apiKeys).toEqual(targeted.apiKeys);
  expect(full.everyoneRoles).toEqual(targeted.everyoneRoles);
  expect(full.apiKeysConfig).toEqual(targeted.apiKeysConfig);
  expect(full.caller).toEqual(targeted.caller);
  expect([full.tenantId, full.tenantName]).toEqual([targeted.tenantId, targeted.tenantName]);
}
