import { afterEach, describe, expect, it } from 'vitest';
import type { QlikCredentials } from '../../../lambda/qlik/credentials';
import { clientFor, everythingAbout, failure } from './support/client';
import { FakeTenant, type RecordedRequest, type TenantData, wireRole, wireUser } from './support/fake-tenant';

const me = wireUser('M2M client', { fields: { clientId: 'k3r48pbga2va492emvhrbnpmpnuar4ok' } });
const SECRET = 'qag-client-secret-8c1d4f7a2b';
const credentials: QlikCredentials = {
  kind: 'oauth-client',
  clientId: 'k3r48pbga2va492emvhrbnpmpnuar4ok',
  clientSecret: SECRET,
};

function data(): TenantData {
  return { users: [me], groups: [], roles: [wireRole('R')], apiKeys: [], everyoneRoles: [], meId: me.id };
}

/** A token endpoint issuing `token-1`, `token-2`, … with the given lifetime. */
function issueTokens(tenant: FakeTenant, body: (n: number) => Record<string, unknown>): RecordedRequest[] {
  const calls: RecordedRequest[] = [];
  tenant.override('POST', '/oauth/token', (request) => {
    calls.push(request);
    return {
      status: 200,
      json: { access_token: `token-${calls.length}`, token_type: 'bearer', ...body(calls.length) },
    };
  });
  return calls;
}

let tenant: FakeTenant;
afterEach(async () => {
  await tenant.close();
});

describe('OAuth client credentials', () => {
  it('posts JSON client credentials to the tenant and uses the token as a Bearer', async () => {
    tenant = new FakeTenant(data());
    const tokenCalls = issueTokens(tenant, () => ({ expires_in: 21600 }));
    const { client } = clientFor(tenant, { credentials: { ...credentials, scope: 'admin_classic' } });

    await client.me();

    expect(tokenCalls).toHaveLength(1);
    expect(tokenCalls[0]?.headers['content-type']).toBe('application/json');
    expect(tokenCalls[0]?.headers['authorization']).toBeUndefined();
    expect(JSON.parse(tokenCalls[0]?.body ?? '{}')).toEqual({
      client_id: 'k3r48pbga2va492emvhrbnpmpnuar4ok',
      client_secret: SECRET,
      grant_type: 'client_credentials',
      scope: 'admin_classic',
    });
    expect(tenant.calls(/^\/api\/v1\/users\//).map((r) => r.headers['authorization'])).toEqual([
      'Bearer token-1',
      'Bearer token-1',
    ]);
  });

  it('shares one token between concurrent requests and caches it until shortly before it expires', async () => {
    let now = Date.parse('2026-02-05T09:00:00Z');
    tenant = new FakeTenant(data());
    const tokenCalls = issueTokens(tenant, () => ({ expires_in: 3600 }));
    const { client } = clientFor(tenant, { credentials, now: () => now });

    await Promise.all([client.listRoles(), client.listRoles(), client.listRoles()]);
    now += 3600_000 - 61_000;
    await client.listRoles();
    expect(tokenCalls).toHaveLength(1);

    now += 2_000; // inside the renewal margin
    await client.listRoles();
    expect(tokenCalls).toHaveLength(2);
    expect(tenant.calls('/api/v1/roles').at(-1)?.headers['authorization']).toBe('Bearer token-2');
  });

  it('renews by expires_at when it comes before expires_in', async () => {
    let now = Date.parse('2026-02-05T09:00:00Z');
    tenant = new FakeTenant(data());
    const tokenCalls = issueTokens(tenant, () => ({ expires_in: 21600, expires_at: '2026-02-05T09:10:00.000Z' }));
    const { client } = clientFor(tenant, { credentials, now: () => now });

    await client.listRoles();
    now += 9 * 60_000 + 30_000;
    await client.listRoles();

    expect(tokenCalls).toHaveLength(2);
  });

  it('says the client id/secret were rejected on a 401 from the token endpoint, without their values', async () => {
    tenant = new FakeTenant(data());
    tenant.override('POST', '/oauth/token', (request) => ({
      status: 401,
      json: { errors: [{ code: 'OAUTH-1', title: `invalid_client ${request.body ?? ''}` }], traceId: 'tr' },
    }));
    const { client } = clientFor(tenant, { credentials });

    const error = await failure(client.me());

    expect(error).toMatchObject({ code: 'unauthorized', endpoint: 'POST /oauth/token', httpStatus: 401 });
    expect(error.message).toMatch(/OAuth client id\/secret were rejected/);
    expect(everythingAbout(error)).not.toContain(SECRET);
    expect(tenant.calls(/^\/api\//)).toHaveLength(0);
  });

  it('maps a 403 from the token endpoint to forbidden', async () => {
    tenant = new FakeTenant(data());
    tenant.override('POST', '/oauth/token', () => ({
      status: 403,
      json: { errors: [{ code: 'X', title: 'token maximum' }] },
    }));
    const { client } = clientFor(tenant, { credentials });
    const error = await failure(client.me());
    expect(error).toMatchObject({ code: 'forbidden' });
    expect(error.message).toMatch(/may not get a token/);
  });

  it('fetches a fresh token once when a cached one is rejected, then reports a second 401', async () => {
    tenant = new FakeTenant(data());
    const tokenCalls = issueTokens(tenant, () => ({ expires_in: 21600 }));
    tenant.override('GET', '/api/v1/roles', (request) =>
      request.headers['authorization'] === 'Bearer token-1' ? { status: 401, text: 'Unauthorized' } : undefined,
    );
    const { client } = clientFor(tenant, { credentials });

    expect((await client.listRoles()).items).toHaveLength(1);
    expect(tokenCalls).toHaveLength(2);

    tenant.override('GET', '/api/v1/groups', () => ({ status: 401, text: 'Unauthorized' }));
    const error = await failure(client.listGroups());
    expect(error).toMatchObject({ code: 'unauthorized' });
    expect(error.message).toMatch(/OAuth access token was rejected/);
    expect(tokenCalls).toHaveLength(3);
    expect(everythingAbout(error)).not.toMatch(/token-\d/);
  });

  it('retries the token request after a 429', async () => {
    tenant = new FakeTenant(data());
    tenant.override('POST', '/oauth/token', () => ({ status: 429, text: '', headers: { 'retry-after': '2' } }), 1);
    const { client, delays } = clientFor(tenant, { credentials });
    await client.me();
    expect(delays).toEqual([2000]);
    expect(tenant.calls('/oauth/token', 'POST')).toHaveLength(2);
  });

  it('does not retry a token request that failed with a 5xx (a token may have been issued)', async () => {
    tenant = new FakeTenant(data());
    tenant.override('POST', '/oauth/token', () => ({ status: 503, text: 'unavailable' }));
    const { client, delays } = clientFor(tenant, { credentials });
    expect(await failure(client.me())).toMatchObject({ code: 'bad-response', httpStatus: 503 });
    expect(delays).toEqual([]);
  });

  it('rejects a token response without an access token', async () => {
    tenant = new FakeTenant(data());
    tenant.override('POST', '/oauth/token', () => ({ status: 200, json: { token_type: 'bearer', expires_in: 10 } }));
    const { client } = clientFor(tenant, { credentials });
    const error = await failure(client.me());
    expect(error.message).toBe('POST /oauth/token: access_token: expected string, received undefined');
  });
});
