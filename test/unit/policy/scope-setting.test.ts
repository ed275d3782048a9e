/**
 * The scope string of Manage API keys is one policy setting (`remediation.scope`): every rule checks the policy's
 * scope, through the resolver `evaluatePolicy` builds, never a constant of its own.
 */
import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../../lambda/policy/evaluate';
import { NOW, policyWith, SnapshotBuilder } from './builders';

const CUSTOM = 'apikeys:manage';
const customPolicy = policyWith({ remediation: { scope: CUSTOM } } as never);

/** Owner A holds a role carrying the custom scope; owner B one carrying `api-keys`; UserDefault grants the custom one. */
function tenant(options: { userDefaultGrantsCustom?: boolean } = {}) {
  const b = new SnapshotBuilder();
  const custom = b.role('KeyMakers', [CUSTOM]);
  const legacy = b.role('AllowManageAPIKeys', ['api-keys']);
  const ownerA = b.user('Owner A', { roles: [custom] });
  const ownerB = b.user('Owner B', { roles: [legacy] });
  b.key(ownerA);
  b.key(ownerB);
  if (options.userDefaultGrantsCustom !== false) b.userDefault([CUSTOM]);
  return { snapshot: b.build(), ownerA, ownerB };
}

const failing = (policy: ReturnType<typeof policyWith>, ruleId: string, snapshot = tenant().snapshot) =>
  evaluatePolicy(snapshot, policy, NOW).filter((f) => f.ruleId === ruleId);

describe('remediation.scope is the scope every rule checks', () => {
  it('with the default scope, only the api-keys holder counts as holding Manage API keys', () => {
    const { ownerA } = tenant();
    // UserDefault grants the custom scope to everyone, so with the default scope Owner A still lacks api-keys.
    expect(failing(policyWith(), 'api-key-owner-lacks-manage-permission').map((f) => f.subject.id)).toEqual([
      ownerA.id,
    ]);
    expect(failing(policyWith(), 'manage-api-keys-granted-to-everyone')).toEqual([]);
  });

  it('with a custom scope, the rules check that scope instead', () => {
    // UserDefault carries the custom scope: granted to everyone, which the default scope did not see.
    const broad = failing(customPolicy, 'manage-api-keys-granted-to-everyone');
    expect(broad).toHaveLength(1);
    expect(broad[0]!.remediation).toContain(`"value":"${CUSTOM}"`);
    // Without UserDefault: Owner A holds the custom scope through a role; Owner B only api-keys, which grants nothing now.
    const { snapshot, ownerB } = tenant({ userDefaultGrantsCustom: false });
    const lacking = failing(customPolicy, 'api-key-owner-lacks-manage-permission', snapshot);
    expect(lacking.map((f) => f.subject.id)).toEqual([ownerB.id]);
    expect(lacking[0]!.message).toContain(`scope ${CUSTOM}`);
    expect(lacking[0]!.remediation).toContain('“KeyMakers”');
  });

  it('a custom scope that no role carries makes replacement-role-missing fail and names it in the fix', () => {
    const policy = policyWith({ remediation: { scope: 'nobody:has-this' } } as never);
    const [missing] = failing(policy, 'replacement-role-missing');
    expect(missing).toBeDefined();
    expect(missing!.message).toContain('nobody:has-this');
    expect(missing!.remediation).toContain('"assignedScopes":["nobody:has-this"]');
    expect(failing(policyWith(), 'replacement-role-missing')).toEqual([]);
    const lacking = failing(policy, 'api-key-owner-lacks-manage-permission');
    expect(lacking).toHaveLength(2);
    expect(lacking[0]!.message).toContain('scope nobody:has-this');
  });
});
