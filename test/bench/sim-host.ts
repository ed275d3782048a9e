/**
 * Benchmark child: serves simulated tenants (test/sim) on loopback ports, in a process of its own, so the checker's
 * process holds only the checker. Argument: a JSON {@link SimHostSpec}. Sends `ready` with each tenant's URL, API key
 * and sizes; answers `stats` (summed over its tenants) and `close`.
 */
import {
  type GenerateTenantSpec,
  generateTenant,
  type SimStats,
  type SimulatedTenant,
  startSimulatedTenant,
} from '../sim/server';

export interface SimHostSpec {
  readonly tenants: readonly GenerateTenantSpec[];
  readonly latencyMs: number;
}

export interface HostedTenant {
  readonly url: string;
  readonly apiKey: string;
  readonly tenantId: string;
  readonly sizes: TenantSizes;
  /** What the default policy must report, from the generator's construction. */
  readonly expected: readonly { ruleId: string; subjectType: string; subjectId: string }[];
}

/** What the request plan depends on. */
export interface TenantSizes {
  /** Users of every status. */
  readonly users: number;
  readonly groups: number;
  readonly roles: number;
  readonly apiKeys: number;
  /** Distinct owners of user keys: the targeted check looks each up by id. */
  readonly keyOwners: number;
  /** Users holding Developer directly or through a group: the targeted check lists them. */
  readonly developerHolders: number;
}

export type HostStats = Pick<SimStats, 'requests' | 'byPath' | 'rateLimited' | 'connections' | 'maxConcurrent'>;

const spec = JSON.parse(process.argv[2] ?? '') as SimHostSpec;
const tenants: SimulatedTenant[] = [];
const hosted: HostedTenant[] = [];
for (const tenantSpec of spec.tenants) {
  const scenario = generateTenant(tenantSpec);
  const developer = new Set(scenario.roles.filter((role) => role.name === 'Developer').map((role) => role.id));
  const developerGroups = new Set(
    scenario.groups.filter((g) => g.assignedRoles.some((id) => developer.has(id))).map((g) => g.id),
  );
  const sizes: TenantSizes = {
    users: scenario.users.length,
    groups: scenario.groups.length,
    roles: scenario.roles.length,
    apiKeys: scenario.apiKeys.length,
    keyOwners: new Set(scenario.apiKeys.filter((key) => key.subType === 'user').map((key) => key.sub)).size,
    developerHolders: scenario.users.filter(
      (u) => u.assignedRoles.some((id) => developer.has(id)) || u.assignedGroups.some((id) => developerGroups.has(id)),
    ).length,
  };
  const tenant = await startSimulatedTenant({ scenario, latencyMs: spec.latencyMs });
  tenants.push(tenant);
  hosted.push({
    url: tenant.url,
    apiKey: tenant.credentials.apiKey,
    tenantId: tenant.tenantId,
    sizes,
    expected: (scenario.expect?.findings ?? []).map((f) => ({
      ruleId: f.ruleId,
      subjectType: f.subjectType,
      subjectId: f.subjectId,
    })),
  });
}

function stats(): HostStats {
  const byPath: Record<string, number> = {};
  let requests = 0;
  let rateLimited = 0;
  let connections = 0;
  let maxConcurrent = 0;
  for (const tenant of tenants) {
    const s = tenant.stats();
    requests += s.requests;
    rateLimited += s.rateLimited;
    connections += s.connections;
    maxConcurrent = Math.max(maxConcurrent, s.maxConcurrent);
    for (const [path, n] of Object.entries(s.byPath)) byPath[path] = (byPath[path] ?? 0) + n;
  }
  return { requests, byPath, rateLimited, connections, maxConcurrent };
}

process.on('message', (message: { type: string; id?: number }) => {
  if (message.type === 'stats') process.send?.({ type: 'reply', id: message.id, value: stats() });
  if (message.type === 'close') {
    void Promise.all(tenants.map((tenant) => tenant.close())).then(() => process.exit(0));
  }
});
// The parent going away (Ctrl-C, a crash) must not leave servers behind.
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready', value: hosted });
