import { describe, expect, it } from 'vitest';
import type { ApiKeysConfig } from '../../../../lambda/collect/snapshot';
import { apiKeyConfigOutOfPolicy as rule } from '../../../../lambda/policy/rules/api-key-config-out-of-policy';
import { policyWith, runRule, SnapshotBuilder, TENANT_ID } from '../builders';

function withConfig(config: ApiKeysConfig | undefined) {
  const b = new SnapshotBuilder();
  if (config) b.config(config);
  return b.build();
}

describe('api-key-config-out-of-policy', () => {
  it.each([
    ['the policy limits exactly', { maxApiKeyExpiry: 'P365D', maxKeysPerUser: 5 }],
    ['Qlik defaults', {}],
    ['hours within days', { maxApiKeyExpiry: 'PT8760H', maxKeysPerUser: 1 }],
    ['weeks', { maxApiKeyExpiry: 'P52W' }],
  ])('passes for %s', (_, config) => {
    expect(runRule(rule, withConfig(config))).toEqual([]);
  });

  it('passes when the configuration was not collected', () => {
    expect(runRule(rule, withConfig(undefined))).toEqual([]);
  });

  it('reports both limits in one tenant finding with the exact PATCH', () => {
    const [finding, ...rest] = runRule(rule, withConfig({ maxApiKeyExpiry: 'P2Y', maxKeysPerUser: 10 }));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      severity: 'low',
      subject: { type: 'tenant', id: TENANT_ID },
      evidence: {
        config: { max_api_key_expiry: 'P2Y', max_keys_per_user: 10 },
        policy: { maxKeyExpiry: 'P365D', maxKeysPerUser: 5 },
        violations: [
          expect.objectContaining({ setting: 'max_api_key_expiry', tenantValue: 'P2Y', policyLimit: 'P365D' }),
          expect.objectContaining({ setting: 'max_keys_per_user', tenantValue: 10, policyLimit: 5 }),
        ],
      },
    });
    expect(finding?.remediation).toContain(
      `PATCH /api/v1/api-keys/configs/${TENANT_ID} [{"op":"replace","path":"/max_api_key_expiry","value":"P365D"},{"op":"replace","path":"/max_keys_per_user","value":5}]`,
    );
  });

  it('compares durations by length, not as text', () => {
    // "PT8761H" sorts before "P365D" as text but is one hour longer.
    const [finding] = runRule(rule, withConfig({ maxApiKeyExpiry: 'PT8761H' }));
    expect(finding!.evidence.violations).toEqual([expect.objectContaining({ setting: 'max_api_key_expiry' })]);
    expect(
      runRule(rule, withConfig({ maxApiKeyExpiry: 'P12M' }), {
        policy: policyWith({ rules: { 'api-key-config-out-of-policy': { maxKeyExpiry: 'P1Y' } } }),
      }),
    ).toEqual([]);
    expect(
      runRule(rule, withConfig({ maxApiKeyExpiry: 'P13M' }), {
        policy: policyWith({ rules: { 'api-key-config-out-of-policy': { maxKeyExpiry: 'P1Y' } } }),
      }),
    ).toHaveLength(1);
  });

  it('applies the policy limits', () => {
    const snapshot = withConfig({ maxApiKeyExpiry: 'P90D', maxKeysPerUser: 5 });
    expect(runRule(rule, snapshot)).toEqual([]);
    const strict = policyWith({
      rules: { 'api-key-config-out-of-policy': { maxKeyExpiry: 'P30D', maxKeysPerUser: 2 } },
    });
    const [finding] = runRule(rule, snapshot, { policy: strict });
    expect((finding!.evidence.violations as unknown[]).length).toBe(2);
  });

  it('reports a value it cannot read rather than passing it', () => {
    const [finding] = runRule(rule, withConfig({ maxApiKeyExpiry: 'forever' }));
    expect(finding?.message).toContain('“forever” is not an ISO-8601 duration');
  });

  it('fills omitted fields with Qlik defaults and says so', () => {
    const [finding] = runRule(rule, withConfig({ maxApiKeyExpiry: 'P400D' }));
    expect(finding?.evidence.qlikDefaultsApplied).toEqual(['max_keys_per_user=5']);
  });
});
