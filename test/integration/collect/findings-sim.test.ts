/**
 * The collector's promise to the policy: a targeted snapshot gives exactly the findings of the full inventory.
 * Every scenario of the simulated tenant, the default policy, the scenario's OAuth client, over real HTTP.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type CollectMode, collectTenant } from '../../../lambda/collect/collect';
import { developerHolders, evaluatePolicy, policyNeeds } from '../../../lambda/policy/evaluate';
import { defaultPolicy } from '../../../lambda/policy/load';
import { listScenarios, loadScenario, type SimulatedTenant, startSimulatedTenant } from '../../sim/server';

let sim: SimulatedTenant | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('targeted collection gives the findings of the full inventory', () => {
  const policy = defaultPolicy().policy;

  it.each(listScenarios())('%s', async (name) => {
    const scenario = loadScenario(name);
    sim = await startSimulatedTenant({ scenario });
    const tenant = sim;
    const now = new Date();

    const check = async (mode: CollectMode) => {
      const { snapshot } = await collectTenant({
        tenantUrl: tenant.url,
        credentials: {
          kind: 'oauth-client',
          clientId: tenant.credentials.clientId,
          clientSecret: tenant.credentials.clientSecret,
        },
        needs: policyNeeds(policy),
        now,
        allowHttpLoopback: true,
        mode,
      });
      // A second pass with what this run learned, as the next scheduled run would collect.
      const knownFormerDevelopers = developerHolders(snapshot);
      return { snapshot, findings: evaluatePolicy(snapshot, policy, now, { knownFormerDevelopers }) };
    };

    let targeted: Awaited<ReturnType<typeof check>>;
    try {
      targeted = await check('targeted');
    } catch (error) {
      // A tenant the checker cannot read must fail the same way in both modes.
      await expect(check('full')).rejects.toMatchObject({ code: (error as { code: string }).code });
      if (scenario.expect?.errorCode) expect((error as { code: string }).code).toBe(scenario.expect.errorCode);
      return;
    }
    const full = await check('full');

    expect(withoutLookupNotes(targeted.findings)).toEqual(withoutLookupNotes(full.findings));
    expect(targeted.findings.length).toBe(full.findings.length);
    expect(targeted.snapshot.usersScope).toBe('targeted');
    expect(full.snapshot.usersScope).toBe('all');
  });
});

/** Evidence may say how an owner was looked up ("full user inventory" vs "looked up by id"): that alone may differ. */
function withoutLookupNotes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutLookupNotes);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== 'lookedUp')
      .map(([key, inner]) => [key, withoutLookupNotes(inner)]),
  );
}
