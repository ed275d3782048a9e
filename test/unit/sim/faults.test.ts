import { Agent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultInjector } from '../../sim/faults';
import type { SimulatedTenant } from '../../sim/server';
import { loadScenario, startSimulatedTenant } from '../../sim/server';
import { call } from './helpers';

let tenant: SimulatedTenant;
beforeAll(async () => {
  tenant = await startSimulatedTenant({ scenario: loadScenario('migration') });
});
afterAll(() => tenant.close());

async function statuses(path: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await call(tenant, path)).status);
  return out;
}

describe('fault counting', () => {
  it('fires on the first k matching requests, on every nth, and after a skip', () => {
    const req = { method: 'GET', pathname: '/api/v1/users', search: '', hasCursor: false };
    const firstTwo = new FaultInjector([{ kind: 'server-error', times: 2 }]);
    expect(Array.from({ length: 4 }, () => firstTwo.decide(req).terminal?.kind ?? null)).toEqual([
      'server-error',
      'server-error',
      null,
      null,
    ]);
    const everyThird = new FaultInjector([{ kind: 'server-error', everyNth: 3 }]);
    expect(Array.from({ length: 6 }, () => everyThird.decide(req).terminal !== undefined)).toEqual([
      false,
      false,
      true,
      false,
      false,
      true,
    ]);
    const afterOne = new FaultInjector([{ kind: 'rate-limit', after: 1, times: 1 }]);
    expect(Array.from({ length: 3 }, () => afterOne.decide(req).terminal !== undefined)).toEqual([false, true, false]);
  });

  it('matches paths by prefix or RegExp and methods exactly', () => {
    const f = new FaultInjector([{ kind: 'forbidden', path: '/api/v1/roles', method: 'GET' }]);
    expect(
      f.decide({ method: 'GET', pathname: '/api/v1/roles/abc', search: '', hasCursor: false }).terminal?.kind,
    ).toBe('forbidden');
    expect(
      f.decide({ method: 'POST', pathname: '/api/v1/roles', search: '', hasCursor: false }).terminal,
    ).toBeUndefined();
    expect(
      f.decide({ method: 'GET', pathname: '/api/v1/users', search: '', hasCursor: false }).terminal,
    ).toBeUndefined();
    const r = new FaultInjector([{ kind: 'html', path: /limit=5/ }]);
    expect(
      r.decide({ method: 'GET', pathname: '/api/v1/users', search: '?limit=5', hasCursor: false }).terminal?.kind,
    ).toBe('html');
  });

  it('rejects nonsense bounds', () => {
    expect(() => new FaultInjector([{ kind: 'server-error', times: 0 }])).toThrow(/times/);
    expect(() => new FaultInjector([{ kind: 'server-error', everyNth: 1.5 }])).toThrow(/everyNth/);
  });
});

describe('faults over HTTP', () => {
  it('answers 429 with Retry-After for the first k requests', async () => {
    tenant.setFaults([{ kind: 'rate-limit', retryAfterSeconds: 7, times: 2, path: '/api/v1/users' }]);
    const first = await call(tenant, '/api/v1/users');
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('7');
    expect(first.json().errors[0]).toMatchObject({
      code: 'HTTP-429',
      detail: 'You need to wait 7 seconds until limit is lifted.',
    });
    expect(await statuses('/api/v1/users', 2)).toEqual([429, 200]);
    expect(tenant.stats().faultsFired['rate-limit']).toBe(2);
  });

  it('answers 5xx k times', async () => {
    tenant.setFaults([{ kind: 'server-error', status: 503, times: 2 }]);
    expect(await statuses('/api/v1/groups', 3)).toEqual([503, 503, 200]);
  });

  it('delays responses with extra latency, and with the latency option', async () => {
    tenant.setFaults([{ kind: 'latency', ms: 120, times: 1 }]);
    const t0 = performance.now();
    await call(tenant, '/api/v1/groups');
    const slow = performance.now() - t0;
    const t1 = performance.now();
    await call(tenant, '/api/v1/groups');
    const fast = performance.now() - t1;
    expect(slow).toBeGreaterThanOrEqual(115);
    expect(fast).toBeLessThan(slow);
    const laggy = await startSimulatedTenant({ scenario: loadScenario('clean'), latencyMs: 80 });
    try {
      const t2 = performance.now();
      await call(laggy, '/api/v1/groups');
      expect(performance.now() - t2).toBeGreaterThanOrEqual(75);
    } finally {
      await laggy.close();
    }
  });

  it('dribbles a slow body in chunks', async () => {
    tenant.setFaults([{ kind: 'slow-body', durationMs: 150, chunks: 4, times: 1 }]);
    const { port } = new URL(tenant.url);
    const arrivals: number[] = [];
    const started = performance.now();
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/api/v1/users?limit=5',
          headers: { authorization: `Bearer ${tenant.credentials.apiKey}` },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            arrivals.push(performance.now() - started);
            text += c.toString();
          });
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(JSON.parse(body).data).toHaveLength(5);
    expect(arrivals.length).toBeGreaterThanOrEqual(2);
    expect(arrivals[arrivals.length - 1]! - arrivals[0]!).toBeGreaterThanOrEqual(100);
  });

  it.each([200, 502] as const)('sends an HTML body with status %i', async (status) => {
    tenant.setFaults([{ kind: 'html', status, times: 1 }]);
    const res = await call(tenant, '/api/v1/users');
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.text).toMatch(/^<html>/);
  });

  it('answers 401 on everything while the plan says so', async () => {
    tenant.setFaults([{ kind: 'unauthorized' }]);
    expect(await statuses('/api/v1/users', 2)).toEqual([401, 401]);
    expect((await call(tenant, '/api/v1/api-keys')).status).toBe(401);
    tenant.setFaults([]);
    expect((await call(tenant, '/api/v1/users')).status).toBe(200);
  });

  it('answers 403 on /roles and on /api-keys only', async () => {
    tenant.setFaults([
      { kind: 'forbidden', path: '/api/v1/roles' },
      { kind: 'forbidden', path: '/api/v1/api-keys' },
    ]);
    expect((await call(tenant, '/api/v1/roles')).status).toBe(403);
    expect((await call(tenant, '/api/v1/api-keys')).status).toBe(403);
    expect((await call(tenant, '/api/v1/users')).status).toBe(200);
  });

  it('loops a cursor: the page fetched with a cursor points at itself', async () => {
    tenant.setFaults([{ kind: 'cursor-loop' }]);
    const first = (await call(tenant, '/api/v1/users?limit=2')).json();
    const second = (await call(tenant, first.links.next.href)).json();
    expect(second.links.next.href).toBe(first.links.next.href);
    const keys = (await call(tenant, '/api/v1/api-keys?limit=2')).json();
    const keys2 = (await call(tenant, keys.links.next.href)).json();
    expect(keys2.links.next.href).toBe(keys.links.next.href);
  });

  it('points the next link at another host', async () => {
    tenant.setFaults([{ kind: 'foreign-next-link', times: 1 }]);
    const page = (await call(tenant, '/api/v1/users?limit=2')).json();
    expect(page.links.next.href).toMatch(/^https:\/\/collector\.attacker\.example\/api\/v1\/users\?limit=2&next=/);
    expect(page.links.self.href.startsWith(tenant.url)).toBe(true);
  });

  it('sends malformed JSON with status 200', async () => {
    tenant.setFaults([{ kind: 'malformed-json', times: 1 }]);
    const res = await call(tenant, '/api/v1/users');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(() => res.json()).toThrow(SyntaxError);
  });

  it('drops a required field from every entity', async () => {
    tenant.setFaults([{ kind: 'missing-field', field: 'id', path: '/api/v1/users' }]);
    const page = (await call(tenant, '/api/v1/users?limit=3')).json();
    expect(page.data).toHaveLength(3);
    expect(page.data.every((u: object) => !('id' in u) && 'name' in u)).toBe(true);
    const one = (await call(tenant, '/api/v1/users/65a1f3c2e4b0a1b2c3d4e5f6')).json();
    expect('id' in one).toBe(false);
  });

  it('resets the connection without a response', async () => {
    tenant.setFaults([{ kind: 'connection-reset', times: 1 }]);
    await expect(
      fetch(`${tenant.url}/api/v1/users`, { headers: { authorization: `Bearer ${tenant.credentials.apiKey}` } }),
    ).rejects.toThrow();
    tenant.setFaults([]);
    expect((await call(tenant, '/api/v1/users')).status).toBe(200);
  });
});

describe('connections and concurrency', () => {
  it('counts connections (keep-alive reuse) and the most requests in flight', async () => {
    const t = await startSimulatedTenant({ scenario: loadScenario('clean'), latencyMs: 40 });
    try {
      const { port } = new URL(t.url);
      const agent = new Agent({ keepAlive: true, maxSockets: 3 });
      const get = () =>
        new Promise<number>((resolve, reject) => {
          const req = httpRequest(
            {
              host: '127.0.0.1',
              port,
              path: '/api/v1/groups',
              agent,
              headers: { authorization: `Bearer ${t.credentials.apiKey}` },
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          );
          req.on('error', reject);
          req.end();
        });
      const results = await Promise.all(Array.from({ length: 12 }, get));
      agent.destroy();
      expect(results.every((s) => s === 200)).toBe(true);
      const stats = t.stats();
      expect(stats.requests).toBe(12);
      expect(stats.connections).toBe(3);
      expect(stats.maxConcurrent).toBe(3);
    } finally {
      await t.close();
    }
  });
});
