/**
 * collectTenant over real HTTP against the simulated tenant: every scenario in targeted and full mode, OAuth and
 * API keys, rate limits with Retry-After, and the faults a live tenant or its edge can produce.
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { type CollectOptions, type CollectResult, collectTenant } from '../../../lambda/collect/collect';
import type { PolicyNeeds } from '../../../lambda/collect/plan';
import type { TenantSnapshot } from '../../../lambda/collect/snapshot';
import type { QlikCredentials } from '../../../lambda/qlik/credentials';
import {
  type FaultPlan,
  listScenarios,
  loadScenario,
  type SimSettings,
  type SimulatedTenant,
  startSimulatedTenant,
} from '../../sim/server';
import { expectSameFacts } from '../../unit/collect/support/same-facts';

const NOW = new Date();

/** What the default policy's rules read: key owners, the Developer role's holders, and the key config. */
const NEEDS: PolicyNeeds = {
  allUsers: false,
  allGroups: false,
  userIds: [],
  userEmails: [],
  memberGroups: [],
  roleHolders: ['Developer'],
  apiKeysConfig: true,
};

let sim: SimulatedTenant | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(
  scenario = 'migration',
  options: { settings?: Partial<SimSettings>; faults?: FaultPlan } = {},
): Promise<SimulatedTenant> {
  sim = await startSimulatedTenant({ scenario: loadScenario(scenario), ...options });
  return sim;
}

function collect(
  tenant: SimulatedTenant,
  options: Partial<CollectOptions> & { delays?: number[] } = {},
): Promise<CollectResult> {
  const { delays, ...rest } = options;
  return collectTenant({
    tenantUrl: tenant.url,
    credentials: { kind: 'api-key', apiKey: tenant.credentials.apiKey },
    needs: NEEDS,
    now: NOW,
    allowHttpLoopback: true,
    deadlineMs: 30_000,
    ...(delays
      ? {
          tuning: {
            scheduleRetry: (callback: () => void, ms: number) => {
              delays.push(ms);
              return setTimeout(callback, 0);
            },
          },
        }
      : {}),
    ...rest,
  });
}

async function outcome(
  promise: Promise<CollectResult>,
): Promise<{ snapshot?: TenantSnapshot; code?: string; message?: string }> {
  try {
    return { snapshot: (await promise).snapshot };
  } catch (error) {
    return { code: (error as { code?: string }).code ?? 'thrown', message: (error as Error).message };
  }
}

describe('collectTenant against the simulated tenant', () => {
  it.each(listScenarios())('gives the same facts in targeted and full mode: %s', async (name) => {
    const tenant = await start(name);
    const targeted = await outcome(collect(tenant));
    const full = await outcome(collect(tenant, { mode: 'full' }));

    if (targeted.snapshot && full.snapshot) {
      expect(targeted.snapshot.tenantId).toBe(tenant.tenantId);
      expect(targeted.snapshot.apiKeys.length).toBeGreaterThan(0);
      expectSameFacts(targeted.snapshot, full.snapshot);
    } else {
      // A tenant that cannot be checked fails the same way in both modes, never with a partial snapshot.
      expect(targeted.code).toBeDefined();
      expect(full.code).toBe(targeted.code);
    }
  });

  it('cannot check a tenant whose caller lacks TenantAdmin', async () => {
    const tenant = await start('non-admin-caller');
    const result = await outcome(collect(tenant));
    expect(result.code).toBe('forbidden');
    expect(result.message).toMatch(/TenantAdmin/);
  });

  it('finds owners of every status even when a listing without status returns active users only', async () => {
    const activeOnly = await start('migration', { settings: { usersWithoutStatusFilter: 'active' } });
    const a = (await collect(activeOnly)).snapshot;
    await activeOnly.close();
    const everyStatus = await start('migration', { settings: { usersWithoutStatusFilter: 'all' } });
    const b = (await collect(everyStatus)).snapshot;

    expect(a.users.map((u) => [u.id, u.status])).toEqual(b.users.map((u) => [u.id, u.status]));
    expect(a.users.some((u) => u.status === 'disabled')).toBe(true);
  });

  it('reads a fraction of a large tenant in targeted mode, over a few keep-alive connections', async () => {
    const tenant = await start('migration');
    tenant.mutate((s) => {
      for (let i = 0; i < 1500; i += 1) {
        s.users.push({
          ...structuredClone(s.users[1]!),
          id: (0xf00000 + i).toString(16).padStart(24, '0'),
          name: `Filler ${i}`,
          email: `filler${i}@acme.example`,
        });
      }
    });
    const targeted = await collect(tenant);
    const targetedRequests = tenant.stats().requests;
    const full = await collect(tenant, { mode: 'full' });

    expect(targeted.stats.requests).toBe(targetedRequests);
    expect(full.stats.requests).toBeGreaterThan(targeted.stats.requests * 2);
    expect(full.snapshot.users.length).toBeGreaterThan(1500);
    expect(targeted.snapshot.users.length).toBeLessThan(20);
    // Each collection keeps its own pool of at most eight keep-alive connections, whatever the number of requests.
    expect(tenant.stats().connections).toBeLessThanOrEqual(2 * 8);
    expect(tenant.stats().requests).toBeGreaterThan(2 * tenant.stats().connections);
    expect(tenant.stats().maxConcurrent).toBeLessThanOrEqual(8);
  });

  it('collects with OAuth client credentials, fetching one token', async () => {
    const tenant = await start('migration');
    const credentials: QlikCredentials = {
      kind: 'oauth-client',
      clientId: tenant.credentials.clientId,
      clientSecret: tenant.credentials.clientSecret,
      scope: 'admin_classic',
    };
    const viaOAuth = await collect(tenant, { credentials });
    const viaKey = await collect(tenant);

    expect(tenant.stats().byPath['POST /oauth/token']).toBe(1);
    expect(viaOAuth.snapshot.apiKeys).toEqual(viaKey.snapshot.apiKeys);
    expect(viaOAuth.snapshot.caller?.credentialExpiresAt).toBeUndefined();
    expect(viaKey.snapshot.caller?.credentialExpiresAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('says the OAuth client was rejected without echoing its secret', async () => {
    const tenant = await start('migration');
    const secret = 'definitely-wrong-secret-7e1c';
    const result = await outcome(
      collect(tenant, {
        credentials: { kind: 'oauth-client', clientId: tenant.credentials.clientId, clientSecret: secret },
      }),
    );
    expect(result.code).toBe('unauthorized');
    expect(result.message).toMatch(/client id\/secret were rejected/);
    expect(result.message).not.toContain(secret);
  });
});

describe('collectTenant under faults', () => {
  it('waits out 429s as Retry-After says and still collects', async () => {
    const tenant = await start('migration', {
      faults: [{ kind: 'rate-limit', retryAfterSeconds: 3, path: '/api/v1/roles', times: 2 }],
    });
    const delays: number[] = [];

    const result = await collect(tenant, { delays });

    expect(delays).toEqual([3000, 3000]);
    expect(result.stats).toMatchObject({ rateLimited: 2, retries: 2 });
    expect(tenant.stats().rateLimited).toBe(2);
  });

  it('slows down for the tenant rate limiter and finishes (real Retry-After wait)', async () => {
    const tenant = await start('migration', {
      settings: { enforceRateLimits: true, tier1PerMinute: 600, rateLimitWindowSeconds: 1 },
    });
    const result = await collect(tenant, { mode: 'full', tuning: { pageSize: 2 } });
    expect(result.snapshot.users.length).toBeGreaterThan(0);
    expect(result.stats.rateLimited).toBe(tenant.stats().rateLimited);
    expect(result.stats.retries).toBeGreaterThanOrEqual(result.stats.rateLimited);
  });

  it('retries 5xx and a reset connection', async () => {
    const tenant = await start('migration', {
      faults: [
        { kind: 'server-error', status: 503, path: '/api/v1/api-keys', times: 1 },
        { kind: 'server-error', status: 502, path: '/api/v1/users', times: 2 },
        { kind: 'connection-reset', path: '/api/v1/groups', times: 1 },
      ],
    });
    const delays: number[] = [];
    const result = await collect(tenant, { delays });
    expect(result.stats.retries).toBe(4);
    expect(delays).toHaveLength(4);
  });

  it.each([
    [
      'an HTML page instead of JSON',
      { kind: 'html', path: '/api/v1/roles' },
      'bad-response',
      /expected a JSON body, got text\/html/,
    ],
    ['truncated JSON', { kind: 'malformed-json', path: '/api/v1/api-keys' }, 'bad-response', /expected a JSON body/],
    [
      'keys without ids',
      { kind: 'missing-field', field: 'id', path: '/api/v1/api-keys' },
      'bad-response',
      /GET \/api\/v1\/api-keys: data\[0\]\.id: expected string/,
    ],
    ['a cursor loop', { kind: 'cursor-loop', path: '/api/v1/roles' }, 'bad-response', /cursor loop/],
    [
      'a next link to another host',
      { kind: 'foreign-next-link', path: '/api/v1/api-keys' },
      'bad-response',
      /links\.next\.href points to https:\/\/collector\.attacker\.example/,
    ],
    [
      'a rejected credential',
      { kind: 'unauthorized', path: '/api/v1/users/me' },
      'unauthorized',
      /API key was rejected/,
    ],
    ['a 5xx that never ends', { kind: 'server-error', status: 500, path: '/api/v1/roles' }, 'bad-response', /500/],
  ] as const)('fails on %s with %s', async (_, fault, code, message) => {
    const tenant = await start('migration', { faults: [fault] });
    const result = await outcome(
      collect(tenant, { tuning: { pageSize: 2, scheduleRetry: (cb: () => void) => setTimeout(cb, 0) } }),
    );
    expect(result.code).toBe(code);
    expect(result.message).toMatch(message);
    expect(result.message).not.toContain(tenant.credentials.apiKey);
  });

  it('stops at the deadline as timeout', async () => {
    const tenant = await start('migration', { faults: [{ kind: 'latency', ms: 5_000, path: '/api/v1/api-keys' }] });
    const result = await outcome(collect(tenant, { deadlineMs: 300 }));
    expect(result.code).toBe('timeout');
  });

  it('keeps every credential out of every error', async () => {
    const tenant = await start('migration', {
      settings: { unauthorizedBody: 'html' },
      faults: [{ kind: 'unauthorized', path: '/api/v1/roles' }],
    });
    const errors: unknown[] = [];
    for (const credentials of [
      { kind: 'api-key', apiKey: tenant.credentials.apiKey },
      { kind: 'oauth-client', clientId: tenant.credentials.clientId, clientSecret: tenant.credentials.clientSecret },
    ] as const) {
      await collect(tenant, { credentials }).catch((error: unknown) => errors.push(error));
    }
    expect(errors).toHaveLength(2);
    const text = errors.map((e) => `${inspect(e, { depth: 10, showHidden: true })}\n${JSON.stringify(e)}`).join('\n');
    expect(text).not.toContain(tenant.credentials.apiKey);
    expect(text).not.toContain(tenant.credentials.clientSecret);
    expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
  });
});
