import { afterEach, describe, expect, it } from 'vitest';
import { clientFor, failure } from './support/client';
import { FakeTenant, ORIGIN, type TenantData, wireKey, wireRole, wireUser } from './support/fake-tenant';

function data(overrides: Partial<TenantData> = {}): TenantData {
  return { users: [], groups: [], roles: [], apiKeys: [], everyoneRoles: [], meId: 'none', ...overrides };
}

let tenant: FakeTenant;
afterEach(async () => {
  await tenant.close();
});

describe('paging', () => {
  it('follows links.next.href verbatim for cursor-paged lists until it is absent', async () => {
    const users = Array.from({ length: 250 }, (_, i) => wireUser(`User ${i}`));
    tenant = new FakeTenant(data({ users }), { unfilteredUsers: 'all' });
    const { client } = clientFor(tenant);

    const result = await client.listUsers();

    expect(result.items.map((u) => u.id)).toEqual(users.map((u) => u.id));
    expect(result.pages).toBe(3);
    const calls = tenant.calls('/api/v1/users');
    expect(calls).toHaveLength(3);
    expect(calls[0]?.url.searchParams.get('limit')).toBe('100');
    // The fake's cursors encode the offset: the later requests are its next links.
    const offsets = calls.map((c) => {
      const cursor = c.url.searchParams.get('next');
      return cursor === null ? 0 : Number(Buffer.from(cursor, 'base64url').toString());
    });
    expect(offsets).toEqual([0, 100, 200]);
  });

  it('follows startingAfter links for api-keys', async () => {
    const owner = wireUser('Owner');
    const apiKeys = Array.from({ length: 7 }, () => wireKey(owner));
    tenant = new FakeTenant(data({ users: [owner], apiKeys }));
    const { client } = clientFor(tenant, { pageSize: 3 });

    const result = await client.listApiKeys();

    expect(result.items.map((k) => k.id)).toEqual(apiKeys.map((k) => k.id));
    const calls = tenant.calls('/api/v1/api-keys');
    expect(calls.map((c) => c.url.searchParams.get('startingAfter'))).toEqual([null, apiKeys[2]?.id, apiKeys[5]?.id]);
  });

  it('uses a next link exactly as given, even with parameters the client never sends', async () => {
    tenant = new FakeTenant(data());
    const role = wireRole('Only');
    const nextHref = `${ORIGIN}/api/v1/roles?limit=100&next=opaque%2Fcursor&x-extra=1`;
    tenant.override('GET', '/api/v1/roles', (request) =>
      request.url.searchParams.get('next')
        ? { status: 200, json: { data: [role], links: { self: { href: request.url.href } } } }
        : { status: 200, json: { data: [], links: { self: { href: request.url.href }, next: { href: nextHref } } } },
    );
    const { client } = clientFor(tenant);

    const result = await client.listRoles();

    expect(result.items.map((r) => r.name)).toEqual(['Only']);
    expect(tenant.calls('/api/v1/roles')[1]?.url.href).toBe(nextHref);
  });

  it.each([
    [500, '100'],
    [0, '1'],
    [42, '42'],
  ])('clamps page size %i to limit=%s', async (pageSize, limit) => {
    tenant = new FakeTenant(data());
    const { client } = clientFor(tenant, { pageSize });
    await client.listRoles();
    expect(tenant.calls('/api/v1/roles')[0]?.url.searchParams.get('limit')).toBe(limit);
  });

  it('stops at a cursor loop with a bad-response instead of crawling forever', async () => {
    tenant = new FakeTenant(data());
    let served = 0;
    tenant.override('GET', '/api/v1/groups', (request) => {
      served += 1;
      const next = new URL(request.url);
      next.searchParams.set('next', served % 2 === 0 ? 'A' : 'B');
      return {
        status: 200,
        json: { data: [], links: { self: { href: request.url.href }, next: { href: next.href } } },
      };
    });
    const { client } = clientFor(tenant);

    const error = await failure(client.listGroups());

    expect(error).toMatchObject({ code: 'bad-response', endpoint: 'GET /api/v1/groups' });
    expect(error.message).toMatch(/cursor loop/);
    expect(served).toBe(3);
  });

  it('treats a next link equal to the current page as a loop', async () => {
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/roles', (request) => ({
      status: 200,
      json: { data: [], links: { self: { href: request.url.href }, next: { href: request.url.href } } },
    }));
    const { client } = clientFor(tenant);
    const error = await failure(client.listRoles());
    expect(error.message).toMatch(/cursor loop/);
    expect(tenant.calls('/api/v1/roles')).toHaveLength(1);
  });

  it.each([
    ['another Qlik tenant', 'https://other.eu.qlikcloud.com/api/v1/users?next=x'],
    ['a foreign host', 'https://collector.example.net/api/v1/users?next=x'],
    ['plain http on the same host', 'http://acme.eu.qlikcloud.com/api/v1/users?next=x'],
  ])('refuses a next link to %s as a bad response, sending nothing there', async (_, href) => {
    tenant = new FakeTenant(data(), { origins: [ORIGIN, 'https://other.eu.qlikcloud.com'] });
    tenant.override('GET', '/api/v1/users', (request) => ({
      status: 200,
      json: { data: [], links: { self: { href: request.url.href }, next: { href } } },
    }));
    const { client } = clientFor(tenant);

    const error = await failure(client.listUsers());

    expect(error).toMatchObject({ code: 'bad-response' });
    expect(error.message).toMatch(/links\.next\.href points to/);
    expect(tenant.requests.every((r) => r.origin === ORIGIN)).toBe(true);
    expect(tenant.requests).toHaveLength(1);
  });

  it('accepts a users page without data (Qlik types it optional) but not an api-keys page', async () => {
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/users', () => ({ status: 200, json: { links: { self: { href: ORIGIN } } } }));
    tenant.override('GET', '/api/v1/api-keys', () => ({ status: 200, json: { links: { self: { href: ORIGIN } } } }));
    const { client } = clientFor(tenant);

    expect((await client.listUsers()).items).toEqual([]);
    const error = await failure(client.listApiKeys());
    expect(error.message).toBe('GET /api/v1/api-keys: data: expected array, received undefined');
  });
});
