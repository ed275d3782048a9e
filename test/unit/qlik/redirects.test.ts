import { afterEach, describe, expect, it } from 'vitest';
import { API_KEY, clientFor, failure } from './support/client';
import { FakeTenant, ORIGIN, redirect, TENANT_ID, type TenantData, wireUser } from './support/fake-tenant';

const me = wireUser('Checker Bot');

function data(): TenantData {
  return { users: [me], groups: [], roles: [], apiKeys: [], everyoneRoles: [], meId: me.id, tenantName: 'Acme EU' };
}

let tenant: FakeTenant;
afterEach(async () => {
  await tenant.close();
});

describe('redirects', () => {
  it('follows the 301 of /users/me with the credential on the same-origin hop', async () => {
    tenant = new FakeTenant(data());
    const { client } = clientFor(tenant);

    const user = await client.me();

    expect(user).toMatchObject({ id: me.id, tenantId: TENANT_ID });
    expect(tenant.requests.map((r) => [r.url.pathname, r.headers['authorization']])).toEqual([
      ['/api/v1/users/me', `Bearer ${API_KEY}`],
      [`/api/v1/users/${me.id}`, `Bearer ${API_KEY}`],
    ]);
  });

  it('follows the 302 of /tenants/me', async () => {
    tenant = new FakeTenant(data());
    const { client } = clientFor(tenant);
    expect(await client.myTenant()).toMatchObject({ id: TENANT_ID, name: 'Acme EU' });
    expect(tenant.requests.map((r) => r.url.pathname)).toEqual(['/api/v1/tenants/me', `/api/v1/tenants/${TENANT_ID}`]);
  });

  it('refuses a redirect to another allowed host: its unauthenticated answer is not the tenant', async () => {
    const alias = 'https://acme-alias.eu.qlikcloud.com';
    tenant = new FakeTenant(data(), { origins: [ORIGIN, alias] });
    tenant.override('GET', '/api/v1/tenants/me', (r) =>
      r.origin === ORIGIN ? redirect(302, `${alias}/api/v1/tenants/${TENANT_ID}`) : undefined,
    );
    const { client } = clientFor(tenant);

    const error = await failure(client.myTenant());

    expect(error).toMatchObject({ code: 'bad-response', endpoint: 'GET /api/v1/tenants/me' });
    expect(error.message).toContain(`redirect not followed: ${alias} is not the tenant ${ORIGIN}`);
    expect(tenant.requests.map((r) => r.origin)).toEqual([ORIGIN]);
  });

  it.each([
    ['a host outside the policy', 'https://login.example.org/api/v1/users/x'],
    ['plain http', 'http://acme.eu.qlikcloud.com/api/v1/users/x'],
    ['a URL with embedded credentials', 'https://user:pw@acme.eu.qlikcloud.com/api/v1/users/x'],
  ])('refuses a redirect to %s as a bad response and sends nothing there', async (_, location) => {
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/users/me', () => redirect(301, location));
    const { client } = clientFor(tenant);

    const error = await failure(client.me());

    expect(error).toMatchObject({ code: 'bad-response', endpoint: 'GET /api/v1/users/me' });
    expect(error.message).toMatch(/redirect not followed/);
    expect(error.message).not.toContain('pw@');
    expect(tenant.requests).toHaveLength(1);
  });

  it('refuses a redirect without a Location and an endless redirect chain', async () => {
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/users/me', () => ({ status: 301, text: '' }));
    tenant.override('GET', '/api/v1/tenants/me', () => redirect(302, '/api/v1/tenants/me'));
    const { client } = clientFor(tenant);

    expect((await failure(client.me())).message).toMatch(/without a Location header/);
    const loop = await failure(client.myTenant());
    expect(loop.message).toMatch(/more than 5 redirects/);
    expect(tenant.calls('/api/v1/tenants/me')).toHaveLength(6);
  });

  it('allows plain http only to loopback, and only when asked', async () => {
    const local = 'http://127.0.0.1:8787';
    tenant = new FakeTenant(data(), { origins: [local] });
    expect(() => clientFor(tenant, { tenantUrl: local })).toThrow(/needs allowHttpLoopback/);

    const { client } = clientFor(tenant, { tenantUrl: local, allowHttpLoopback: true });
    expect(await client.me()).toMatchObject({ id: me.id });
    expect(tenant.requests[0]?.headers['authorization']).toBe(`Bearer ${API_KEY}`);
  });
});
