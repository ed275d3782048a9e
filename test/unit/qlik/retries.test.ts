import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { retryAfterMs } from '../../../lambda/qlik/retry';
import { clientFor, failure } from './support/client';
import { type FakeResponse, FakeTenant, ORIGIN, type TenantData, wireRole } from './support/fake-tenant';

function data(): TenantData {
  return { users: [], groups: [], roles: [wireRole('AllowManageAPIKeys')], apiKeys: [], everyoneRoles: [], meId: 'x' };
}

const rateLimited = (retryAfter: string): FakeResponse => ({
  status: 429,
  json: { errors: [{ code: 'HTTP-429', title: 'API rate limit reached.', detail: `wait ${retryAfter} seconds` }] },
  headers: { 'retry-after': retryAfter },
});

let tenant: FakeTenant;
afterEach(async () => {
  await tenant.close();
});

describe('retries', () => {
  it('waits as long as Retry-After says before retrying a 429', async () => {
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/roles', () => rateLimited('13'), 1);
    const { client, delays } = clientFor(tenant);

    const roles = await client.listRoles();

    expect(roles.items).toHaveLength(1);
    expect(delays).toEqual([13_000]);
    expect(client.stats()).toMatchObject({ requests: 2, retries: 1, rateLimited: 1 });
  });

  it('reads Retry-After as an HTTP date against the injected clock', async () => {
    const now = Date.parse('2026-03-01T10:00:00Z');
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/roles', () => rateLimited('Sun, 01 Mar 2026 10:00:07 GMT'), 1);
    const { client, delays } = clientFor(tenant, { now: () => now });
    await client.listRoles();
    expect(delays).toEqual([7_000]);
  });

  it('retries 503 and 502 with growing backoff, then succeeds', async () => {
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/roles', () => ({ status: 503, text: 'Service Unavailable' }), 1);
    tenant.override('GET', '/api/v1/roles', () => ({ status: 502, text: '<html>Bad gateway</html>' }), 1);
    tenant.override('GET', '/api/v1/roles', () => ({ status: 500, json: { errors: [] } }), 1);
    const { client, delays } = clientFor(tenant);

    await client.listRoles();

    expect(delays).toEqual([500, 1000, 2000]);
    expect(client.stats()).toMatchObject({ requests: 4, retries: 3, rateLimited: 0 });
  });

  it('gives up on a 5xx after the retries as a bad response', async () => {
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/roles', () => ({
      status: 504,
      json: { errors: [{ code: 'GATEWAY', title: 'Gateway Timeout', status: '504' }], traceId: 'abc123' },
    }));
    const { client, delays } = clientFor(tenant, { retry: { maxRetries: 3 } });

    const error = await failure(client.listRoles());

    expect(error).toMatchObject({ code: 'bad-response', httpStatus: 504, qlikCode: 'GATEWAY', traceId: 'abc123' });
    expect(error.message).toBe(
      'GET /api/v1/roles: 504 (GATEWAY "Gateway Timeout" traceId abc123): server error, still failing after retries',
    );
    expect(delays).toHaveLength(3);
    expect(tenant.calls('/api/v1/roles')).toHaveLength(4);
  });

  it('reports a 429 that outlasts the retries as rate-limited, with the wait asked for', async () => {
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/roles', () => rateLimited('2'));
    const { client } = clientFor(tenant, { retry: { maxRetries: 2 } });

    const error = await failure(client.listRoles());

    expect(error).toMatchObject({ code: 'rate-limited', httpStatus: 429, qlikCode: 'HTTP-429', retryAfterSeconds: 2 });
    expect(client.stats()).toMatchObject({ requests: 3, retries: 2, rateLimited: 3 });
  });

  it('does not wait for a Retry-After longer than the longest wait allowed', async () => {
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/roles', () => rateLimited('600'));
    const { client, delays } = clientFor(tenant, { retry: { maxDelayMs: 60_000 } });

    const error = await failure(client.listRoles());

    expect(error).toMatchObject({ code: 'rate-limited', retryAfterSeconds: 600 });
    expect(delays).toEqual([]);
  });

  it('honours a Retry-After of a minute by default', async () => {
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/roles', () => rateLimited('60'), 1);
    const { client, delays } = clientFor(tenant);
    await client.listRoles();
    expect(delays).toEqual([60_000]);
  });

  it('does not start a wait that would outlast the deadline', async () => {
    const now = 1_000_000;
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/roles', () => rateLimited('30'));
    const { client, delays } = clientFor(tenant, { now: () => now, deadlineAt: now + 10_000 });

    const error = await failure(client.listRoles());

    expect(error).toMatchObject({ code: 'rate-limited' });
    expect(delays).toEqual([]);
  });

  it('does not retry a 4xx other than 429', async () => {
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/roles', () => ({
      status: 400,
      json: { errors: [{ code: 'BAD', title: 'Bad filter' }] },
    }));
    const { client, delays } = clientFor(tenant);
    const error = await failure(client.listRoles());
    expect(error).toMatchObject({ code: 'bad-response', httpStatus: 400 });
    expect(delays).toEqual([]);
  });

  it('retries a refused connection and then reports the tenant unreachable', async () => {
    tenant = new FakeTenant(data());
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent
      .get(ORIGIN)
      .intercept({ path: () => true })
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }))
      .persist();
    const { client, delays } = clientFor(tenant, { dispatcher: agent, retry: { maxRetries: 2 } });

    const error = await failure(client.listRoles());

    expect(error).toMatchObject({ code: 'unreachable', endpoint: 'GET /api/v1/roles' });
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(delays).toEqual([500, 1000]);
    expect(client.stats()).toMatchObject({ requests: 3, retries: 2 });
    await agent.close();
  });
});

describe('retryAfterMs', () => {
  it.each([
    ['13', 13_000],
    ['0', 0],
    [' 1.5 ', 1_500],
    ['Thu, 01 Jan 1970 00:00:10 GMT', 10_000],
    ['Thu, 01 Jan 1970 00:00:00 GMT', 0],
  ])('reads %j as %i ms', (value, expected) => {
    expect(retryAfterMs(value, 0)).toBe(expected);
  });

  it.each([undefined, '', 'soon', '-5'])('ignores %j', (value) => {
    expect(retryAfterMs(value, 0)).toBeUndefined();
  });
});
