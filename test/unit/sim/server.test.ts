import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedTenant } from '../../sim/server';
import { EVERYONE_ID, loadScenario, startSimulatedTenant } from '../../sim/server';
import { call, collect, getWithHost, oauthToken } from './helpers';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const clock = () => NOW;

let tenant: SimulatedTenant;
beforeAll(async () => {
  tenant = await startSimulatedTenant({ scenario: loadScenario('migration'), now: clock });
});
afterAll(() => tenant.close());

interface UserBody {
  id: string;
  name: string;
  status?: string;
  email?: string;
  clientId?: string;
  assignedRoles?: { id: string; name: string }[];
  assignedGroups?: { id: string; name: string; assignedRoles?: unknown[] }[];
  assignedScopes?: string[];
  links?: { self: { href: string } };
}

describe('users paging', () => {
  it('pages with opaque next/prev cursors and absolute links, visiting every listed user once', async () => {
    const { items, hrefs } = await collect<UserBody>(
      tenant,
      '/api/v1/users?limit=2&filter=' +
        encodeURIComponent(
          'status eq "active" or status eq "disabled" or status eq "deleted" or status eq "invited" or status eq "provisioned"',
        ),
    );
    expect(new Set(items.map((u) => u.id)).size).toBe(items.length);
    expect(items).toHaveLength(tenant.scenario.users.length);
    expect(hrefs.length).toBe(Math.ceil(items.length / 2));
    for (const href of hrefs.slice(1))
      expect(href).toMatch(new RegExp(`^${tenant.url}/api/v1/users\\?limit=2&filter=.+&next=[A-Za-z0-9_-]+$`));
    // default sort +name
    expect(items.map((u) => u.name)).toEqual([...items.map((u) => u.name)].sort());
  });

  it('links back with prev, and prev leads to the page before', async () => {
    const first = (await call(tenant, '/api/v1/users?limit=3')).json();
    const second = (await call(tenant, first.links.next.href)).json();
    expect(second.links.prev.href).toContain('prev=');
    const back = (await call(tenant, second.links.prev.href)).json();
    expect(back.data.map((u: UserBody) => u.id)).toEqual(first.data.map((u: UserBody) => u.id));
    expect(first.links.prev).toBeUndefined();
  });

  it('builds absolute links from the request Host', async () => {
    const res = await getWithHost(tenant, '/api/v1/users?limit=1', 'acme.eu.qlikcloud.example:8443');
    const body = JSON.parse(res.body);
    expect(body.links.self.href).toBe('http://acme.eu.qlikcloud.example:8443/api/v1/users?limit=1');
    expect(body.links.next.href).toMatch(/^http:\/\/acme\.eu\.qlikcloud\.example:8443\/api\/v1\/users\?limit=1&next=/);
    expect(body.data[0].links.self.href).toMatch(
      /^http:\/\/acme\.eu\.qlikcloud\.example:8443\/api\/v1\/users\/[0-9a-f]{24}$/,
    );
  });

  it('defaults limit to 20 and clamps it to 100; rejects limit 0 and text', async () => {
    const big = await startSimulatedTenant({
      scenario: loadScenario('migration'),
      settings: { defaultLimit: 3, maxLimit: 5 },
    });
    try {
      expect((await call(big, '/api/v1/users')).json().data).toHaveLength(3);
      expect((await call(big, '/api/v1/users?limit=1000')).json().data).toHaveLength(5);
    } finally {
      await big.close();
    }
    const all = (await call(tenant, '/api/v1/users?limit=1000')).json().data;
    expect(all.length).toBeGreaterThan(5);
    expect((await call(tenant, '/api/v1/users?limit=0')).status).toBe(400);
    expect((await call(tenant, '/api/v1/users?limit=ten')).status).toBe(400);
  });

  it('rejects a cursor reused with another filter', async () => {
    const first = (await call(tenant, '/api/v1/users?limit=2')).json();
    const cursor = new URL(first.links.next.href).searchParams.get('next')!;
    const res = await call(tenant, `/api/v1/users?limit=2&sort=-name&next=${cursor}`);
    expect(res.status).toBe(400);
  });

  it('returns totalResults only when asked', async () => {
    expect((await call(tenant, '/api/v1/users?limit=1')).json().totalResults).toBeUndefined();
    expect((await call(tenant, '/api/v1/users?limit=1&totalResults=true')).json().totalResults).toBeGreaterThan(1);
  });

  it('sorts by an allowed field, descending with "-", and rejects others', async () => {
    const { data } = (await call(tenant, '/api/v1/users?limit=100&sort=-email')).json();
    const emails = data.map((u: UserBody) => u.email ?? '');
    expect(emails).toEqual([...emails].sort().reverse());
    expect((await call(tenant, '/api/v1/users?sort=+name')).status).toBe(200);
    expect((await call(tenant, '/api/v1/users?sort=favouriteColour')).status).toBe(400);
  });

  it('lists only active users without a status condition (a setting), every status with the other setting', async () => {
    const activeOnly = (await call(tenant, '/api/v1/users?limit=100')).json().data as UserBody[];
    expect(activeOnly.every((u) => u.status === 'active')).toBe(true);
    const all = await startSimulatedTenant({
      scenario: loadScenario('migration'),
      settings: { usersWithoutStatusFilter: 'all' },
    });
    try {
      const everyone = (await call(all, '/api/v1/users?limit=100')).json().data as UserBody[];
      expect(new Set(everyone.map((u) => u.status))).toEqual(
        new Set(['active', 'disabled', 'deleted', 'invited', 'provisioned']),
      );
    } finally {
      await all.close();
    }
  });
});

describe('users bodies and fields', () => {
  it('omits assignedGroups[].assignedRoles where the scenario says so, and optional fields when unset', async () => {
    const svc = (await call(tenant, '/api/v1/users/637390ec6541614d3a88d6c1')).json<UserBody>();
    expect(svc.assignedGroups).toEqual([
      { id: '6425d62641d2b80a9a0f92c3', name: 'BI Integrations', providerType: 'idp' },
    ]);
    const olaf = (await call(tenant, '/api/v1/users/64b1000000000000000000a3')).json<UserBody>();
    expect(olaf.assignedGroups?.[0]?.assignedRoles).toHaveLength(2);
    const pat = (await call(tenant, '/api/v1/users/64b1000000000000000000a8')).json<UserBody>();
    expect('email' in pat).toBe(false);
    expect(pat.clientId).toBe('');
  });

  it('returns only the requested fields (and id); links only when listed', async () => {
    const u = (await call(tenant, '/api/v1/users/65a1f3c2e4b0a1b2c3d4e5f6?fields=assignedRoles,name')).json();
    expect(Object.keys(u).sort()).toEqual(['assignedRoles', 'id', 'name']);
    const withLinks = (await call(tenant, '/api/v1/users/65a1f3c2e4b0a1b2c3d4e5f6?fields=name,links,groups')).json();
    expect(Object.keys(withLinks).sort()).toEqual(['groups', 'id', 'links', 'name']);
    expect(withLinks.groups).toEqual(['Analysts']);
  });

  it('answers 404 with a USERS-7 error body for an unknown user', async () => {
    const res = await call(tenant, '/api/v1/users/5f00000000000000000000ff');
    expect(res.status).toBe(404);
    expect(res.json().errors[0]).toMatchObject({ code: 'USERS-7', status: 404, title: 'Not found' });
    expect(res.json().traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('can send error status as a string or leave it out', async () => {
    const stringy = await startSimulatedTenant({
      scenario: loadScenario('migration'),
      settings: { errorStatusFormat: 'string' },
    });
    try {
      expect((await call(stringy, '/api/v1/users/5f00000000000000000000ff')).json().errors[0].status).toBe('404');
    } finally {
      await stringy.close();
    }
  });

  it('reports assignedScopes direct-only by default, effective by setting', async () => {
    const svcDirect = (await call(tenant, '/api/v1/users/637390ec6541614d3a88d6c1')).json<UserBody>();
    expect(svcDirect.assignedScopes).toEqual([]);
    const effective = await startSimulatedTenant({
      scenario: loadScenario('migration'),
      settings: { userAssignedScopes: 'effective', userAssignedScopesReturned: 'on-request' },
    });
    try {
      expect((await call(effective, '/api/v1/users/637390ec6541614d3a88d6c1')).json().assignedScopes).toBeUndefined();
      const asked = (await call(effective, '/api/v1/users/637390ec6541614d3a88d6c1?fields=assignedScopes')).json();
      expect(asked.assignedScopes).toEqual(expect.arrayContaining(['api-keys', 'apps.data:export']));
    } finally {
      await effective.close();
    }
  });
});

describe('redirects', () => {
  it('answers /users/me with 301 to the caller, keeping the query', async () => {
    const res = await call(tenant, '/api/v1/users/me?fields=assignedGroups,assignedRoles');
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe(
      `/api/v1/users/${tenant.scenario.caller.userId}?fields=assignedGroups,assignedRoles`,
    );
    const followed = await fetch(`${tenant.url}/api/v1/users/me`, {
      headers: { authorization: `Bearer ${tenant.credentials.apiKey}` },
    });
    expect(((await followed.json()) as UserBody).id).toBe(tenant.scenario.caller.userId);
  });

  it('answers /tenants/me with 302 to the tenant', async () => {
    const res = await call(tenant, '/api/v1/tenants/me');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`/api/v1/tenants/${tenant.tenantId}`);
    const t = (await call(tenant, res.headers.get('location')!)).json();
    expect(t).toMatchObject({
      id: 'BL4tTJ4S7xrHTcq0zQxQrJ5qB1_Q6cSo',
      name: 'acme',
      hostnames: ['acme.eu.qlikcloud.com'],
      status: 'active',
    });
    const other = await call(tenant, '/api/v1/tenants/someoneElse');
    expect(other.status).toBe(404);
    expect(other.json().errors[0]).toMatchObject({ code: 'TENANTS-8', status: '404' });
  });
});

describe('user filters over HTTP', () => {
  const ids = async (filter: string, via: 'query' | 'action' = 'query') => {
    const res =
      via === 'query'
        ? await call(tenant, `/api/v1/users?limit=100&filter=${encodeURIComponent(filter)}`)
        : await call(tenant, '/api/v1/users/actions/filter?limit=100', { method: 'POST', body: { filter } });
    expect(res.status, res.text).toBe(200);
    return (res.json().data as UserBody[]).map((u) => u.id).sort();
  };

  it('accepts both quote styles', async () => {
    expect(await ids("subject eq 'AUTH0|64b1000000000000000000a1'")).toEqual(['64b1000000000000000000a1']);
    expect(await ids('email eq "RAVI.PATEL@acme.example"')).toEqual(['64b1000000000000000000a1']);
    expect(await ids('name co "ravi"', 'action')).toEqual(['64b1000000000000000000a1']);
  });

  it('finds role holders directly or through a group', async () => {
    expect(
      await ids(
        'assignedRoles.name eq "AllowManageAPIKeys" or assignedGroupsAssignedRoles.name eq "AllowManageAPIKeys"',
      ),
    ).toEqual(
      [
        '637390ec6541614d3a88d6c1',
        '64a0c0ffee00000000000001',
        '64b1000000000000000000a3',
        '65a1f3c2e4b0a1b2c3d4e5f6',
      ].sort(),
    );
    expect(await ids('assignedGroups.id eq "6611aa00bb22cc33dd44ee55"')).toEqual([
      '64b1000000000000000000a2',
      '64b1000000000000000000a9',
    ]);
    expect(await ids('assignedRoles.id eq "6724d8f5a4acfa155351afa8"')).toEqual(['64b1000000000000000000a2']);
  });

  it('answers a batched filter of 100 ids, with grouped statuses', async () => {
    const wanted = ['64b1000000000000000000a4', '64b1000000000000000000a5', '64b1000000000000000000a1'];
    const padding = Array.from({ length: 97 }, (_, i) => `5f${String(i).padStart(22, '0')}`);
    const filter = `(${[...wanted, ...padding].map((id, i) => (i % 2 ? `id eq '${id}'` : `id eq "${id}"`)).join(' or ')}) and (status eq "active" or status eq "disabled" or status eq "deleted")`;
    expect(await ids(filter, 'action')).toEqual([...wanted].sort());
    // Without the status group only active users come back (the default setting).
    expect(await ids([...wanted, ...padding].map((id) => `id eq "${id}"`).join(' or '))).toEqual([
      '64b1000000000000000000a1',
    ]);
  });

  it('answers a malformed or ungrouped filter with 400 and an Errors body', async () => {
    for (const filter of ['name eq', 'name eq "x" or status eq "active"', 'nickname eq "x"', 'id co "64"']) {
      const res = await call(tenant, `/api/v1/users?filter=${encodeURIComponent(filter)}`);
      expect(res.status, filter).toBe(400);
      expect(res.json().errors[0]).toMatchObject({
        code: 'USERS-1',
        title: 'Bad Request',
        status: 400,
        source: { parameter: 'filter' },
      });
    }
    const bad = await call(tenant, '/api/v1/users/actions/filter', { method: 'POST', body: '{"filter":' });
    expect(bad.status).toBe(400);
  });
});

describe('groups and Everyone', () => {
  it('lists regular groups with cursors, never Everyone', async () => {
    const { items, hrefs } = await collect<{ id: string; name: string; idpId?: string }>(
      tenant,
      '/api/v1/groups?limit=2',
    );
    expect(items.map((g) => g.name).sort()).toEqual(['Analysts', 'BI Integrations', 'Finance']);
    expect(hrefs[1]).toMatch(/\/api\/v1\/groups\?limit=2&next=/);
    expect(items.find((g) => g.name === 'BI Integrations')?.idpId).toBe('6425d61fbb406d75678f1204');
  });

  it('shows Everyone and its roles through systemGroups, by id and in settings', async () => {
    const everyoneRoles = [
      { id: '6310a8a1f1f5ab5c0c1e9a06', name: 'PrivateAnalyticsContentCreator', type: 'default', level: 'user' },
    ];
    const system = (await call(tenant, '/api/v1/groups?systemGroups=true')).json();
    expect(system.data).toHaveLength(1);
    expect(system.data[0]).toMatchObject({ id: EVERYONE_ID, name: 'com.qlik.Everyone', assignedRoles: everyoneRoles });
    const byId = (await call(tenant, `/api/v1/groups/${EVERYONE_ID}`)).json();
    expect(byId).toMatchObject({ id: EVERYONE_ID, name: 'com.qlik.Everyone', assignedRoles: everyoneRoles });
    const settings = (await call(tenant, '/api/v1/groups/settings')).json();
    expect(settings.systemGroups[EVERYONE_ID].assignedRoles).toEqual(everyoneRoles);
  });

  it('rejects systemGroups combined with other parameters', async () => {
    expect((await call(tenant, '/api/v1/groups?systemGroups=true&limit=5')).status).toBe(400);
  });

  it('filters groups by name and id, through the query and the filter action', async () => {
    const byName = (
      await call(tenant, `/api/v1/groups?filter=${encodeURIComponent("name eq 'bi integrations'")}`)
    ).json();
    expect(byName.data.map((g: { id: string }) => g.id)).toEqual(['6425d62641d2b80a9a0f92c3']);
    const action = await call(tenant, '/api/v1/groups/actions/filter', {
      method: 'POST',
      body: { filter: 'id eq "6611aa00bb22cc33dd44ee55"' },
    });
    expect(action.json().data[0].name).toBe('Finance');
    expect((await call(tenant, '/api/v1/groups/0123456789abcdef01234567')).json().errors[0].code).toBe('GROUPS-7');
  });
});

describe('roles and API keys', () => {
  it('lists roles for a TenantAdmin, with UserDefault and without Developer on a current tenant', async () => {
    const { items } = await collect<{ name: string; type: string; id: string; assignedScopes: string[] }>(
      tenant,
      '/api/v1/roles?limit=7',
    );
    expect(items.find((r) => r.name === 'UserDefault')).toMatchObject({
      id: '6510c0ffee0000000000abcd',
      type: 'default',
      assignedScopes: ['apps.data:export'],
    });
    expect(items.find((r) => r.name === 'AllowManageAPIKeys')).toMatchObject({
      type: 'custom',
      assignedScopes: ['api-keys'],
    });
    expect(items.some((r) => r.name === 'Developer')).toBe(false);
    const filtered = (
      await call(tenant, `/api/v1/roles?filter=${encodeURIComponent('name eq "AllowManageAPIKeys"')}`)
    ).json();
    expect(filtered.data).toHaveLength(1);
  });

  it('pages keys by key id with startingAfter / endingBefore, sorted -created by default', async () => {
    const { items, hrefs } = await collect<{ id: string; created?: string }>(tenant, '/api/v1/api-keys?limit=5');
    expect(items).toHaveLength(tenant.scenario.apiKeys.length);
    const created = items.map((k) => k.created ?? '');
    expect(created).toEqual([...created].sort().reverse());
    expect(hrefs[1]).toBe(`${tenant.url}/api/v1/api-keys?limit=5&startingAfter=${items[4]!.id}`);
    const second = (await call(tenant, hrefs[1]!)).json();
    expect(second.links.prev.href).toBe(`${tenant.url}/api/v1/api-keys?limit=5&endingBefore=${items[5]!.id}`);
    expect(
      (await call(tenant, `/api/v1/api-keys?startingAfter=${items[0]!.id}&endingBefore=${items[3]!.id}`)).status,
    ).toBe(400);
  });

  it('filters keys by sub, status and createdByUser; lists expired keys as expired', async () => {
    const mia = (await call(tenant, '/api/v1/api-keys?sub=64b1000000000000000000a2')).json();
    expect(mia.data).toHaveLength(2);
    const expired = (await call(tenant, '/api/v1/api-keys?status=expired')).json();
    expect(expired.data.map((k: { id: string }) => k.id)).toEqual(['Sa1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sX']);
    const byCreator = (await call(tenant, '/api/v1/api-keys?createdByUser=64a0c0ffee00000000000001')).json();
    expect(byCreator.data.map((k: { id: string }) => k.id)).toEqual(['Un1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sX']);
    expect((await call(tenant, '/api/v1/api-keys?status=disabled')).status).toBe(400);
    const scim = (await call(tenant, '/api/v1/api-keys/Xk2pLm9QwE7rTy4Uv1Bn6Zc3As8Df5Gh')).json();
    expect(scim).toMatchObject({
      sub: 'SCIM\\215g5595380d646163cadbb9',
      subType: 'externalClient',
      expiry: '2026-09-17T12:00:00Z',
    });
    expect('traceId' in (await call(tenant, '/api/v1/api-keys/nope0000')).json()).toBe(false);
  });

  it('serves the current config shape, and the legacy one with api_keys_enabled', async () => {
    expect((await call(tenant, `/api/v1/api-keys/configs/${tenant.tenantId}`)).json()).toEqual({
      max_keys_per_user: 5,
      max_api_key_expiry: 'PT24H',
      scim_externalClient_expiry: 'P365D',
    });
    const legacy = await startSimulatedTenant({ scenario: loadScenario('legacy') });
    try {
      expect((await call(legacy, `/api/v1/api-keys/configs/${legacy.tenantId}`)).json()).toMatchObject({
        api_keys_enabled: true,
      });
      const alice = (await call(legacy, '/api/v1/users/64c0000000000000000000c1')).json();
      expect(alice.roles).toEqual(['Developer', 'SharedSpaceCreator']);
      expect(alice.created).toMatch(/^\d{4}-/);
      expect(alice.createdAt).toBeUndefined();
      const roles = (await call(legacy, `/api/v1/roles?filter=${encodeURIComponent('name eq "Developer"')}`)).json();
      expect(roles.data[0]).toMatchObject({
        id: '60804cf8a77b649c66733f65',
        name: 'Developer',
        type: 'default',
        level: 'user',
      });
    } finally {
      await legacy.close();
    }
  });
});

describe('permissions (403) and authentication (401)', () => {
  let nonAdmin: SimulatedTenant;
  beforeAll(async () => {
    nonAdmin = await startSimulatedTenant({ scenario: loadScenario('non-admin-caller') });
  });
  afterAll(() => nonAdmin.close());

  it('refuses roles to a non-admin, and other users keys, but lists its own keys', async () => {
    const roles = await call(nonAdmin, '/api/v1/roles');
    expect(roles.status).toBe(403);
    expect(roles.json().errors[0].status).toBeUndefined();
    expect((await call(nonAdmin, '/api/v1/roles/6790aa00bb11cc22dd33ee01')).status).toBe(403);
    const own = (await call(nonAdmin, '/api/v1/api-keys')).json();
    expect(own.data.map((k: { id: string }) => k.id)).toEqual(['Na1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sA']);
    expect((await call(nonAdmin, '/api/v1/api-keys?sub=6790000000000000000000a3')).status).toBe(403);
    expect((await call(nonAdmin, '/api/v1/api-keys/Na2aB2cD3eF4gH5iJ6kL7mN8oP9qR0sB')).status).toBe(403);
    expect((await call(nonAdmin, `/api/v1/api-keys/configs/${nonAdmin.tenantId}`)).status).toBe(403);
    const other = (await call(nonAdmin, '/api/v1/users/6790000000000000000000a0')).json();
    expect(other.assignedRoles).toBeUndefined();
  });

  it('makes the OAuth bot a non-admin when the scenario says so', async () => {
    const token = await oauthToken(nonAdmin);
    expect((await call(nonAdmin, '/api/v1/roles', { token })).status).toBe(403);
  });

  it.each([
    [
      'json',
      'application/json',
      (t: string) => expect(JSON.parse(t).errors[0]).toMatchObject({ status: '401', code: 'LOGIN-8' }),
    ],
    ['text', 'text/plain', (t: string) => expect(t).toBe('Authorization Required')],
    ['html', 'text/html', (t: string) => expect(t).toMatch(/^<html>/)],
  ] as const)('answers a missing or unknown token with 401 (%s body)', async (variant, contentType, check) => {
    const t = await startSimulatedTenant({ scenario: loadScenario('clean'), settings: { unauthorizedBody: variant } });
    try {
      for (const token of [null, 'not-a-token', `${t.credentials.apiKey.slice(0, -2)}xx`, tenant.credentials.apiKey]) {
        const res = await call(t, '/api/v1/users', { token });
        expect(res.status).toBe(401);
        expect(res.headers.get('content-type')).toContain(contentType);
        check(res.text);
      }
    } finally {
      await t.close();
    }
  });

  it('rejects keys of owners without api-keys, disabled owners, and expired keys', async () => {
    expect(
      (await call(tenant, '/api/v1/users/me', { token: tenant.apiKeyFor('Rv1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sT') })).status,
    ).toBe(401);
    expect(
      (await call(tenant, '/api/v1/users/me', { token: tenant.apiKeyFor('Da1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sX') })).status,
    ).toBe(401);
    expect(
      (await call(tenant, '/api/v1/users/me', { token: tenant.apiKeyFor('Sa1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sX') })).status,
    ).toBe(401);
    expect(
      (await call(tenant, '/api/v1/users/me', { token: tenant.apiKeyFor('TiQ8GPVr8qI714Lp5ChAAFFaU24MJy69') })).status,
    ).toBe(301);
    const noReplacement = await startSimulatedTenant({ scenario: loadScenario('no-replacement-role') });
    try {
      expect((await call(noReplacement, '/api/v1/users/me')).status).toBe(401);
    } finally {
      await noReplacement.close();
    }
  });

  it('puts the key id and expiry in a readable JWT payload', () => {
    const payload = JSON.parse(Buffer.from(tenant.credentials.apiKey.split('.')[1]!, 'base64url').toString());
    expect(payload).toMatchObject({ sub: tenant.scenario.caller.userId, jti: tenant.scenario.caller.apiKeyId });
    expect(payload.exp * 1000).toBe(NOW.getTime() + 90 * 86_400_000);
  });
});

describe('OAuth client credentials', () => {
  it('issues a bearer token for JSON and form bodies, acting as a TenantAdmin bot', async () => {
    const json = await call(tenant, '/oauth/token', {
      method: 'POST',
      token: null,
      body: {
        client_id: tenant.credentials.clientId,
        client_secret: tenant.credentials.clientSecret,
        grant_type: 'client_credentials',
        scope: 'admin_classic',
      },
    });
    expect(json.json()).toMatchObject({
      token_type: 'bearer',
      expires_in: 21600,
      expires_at: '2026-03-01T18:00:00.000Z',
      scope: 'admin_classic',
    });
    const form = await call(tenant, '/oauth/token', {
      method: 'POST',
      token: null,
      contentType: 'application/x-www-form-urlencoded',
      body: new URLSearchParams({
        client_id: tenant.credentials.clientId,
        client_secret: tenant.credentials.clientSecret,
        grant_type: 'client_credentials',
      }).toString(),
    });
    const token = form.json().access_token;
    const me = await fetch(`${tenant.url}/api/v1/users/me`, { headers: { authorization: `Bearer ${token}` } });
    const bot = (await me.json()) as UserBody;
    expect(bot.clientId).toBe(tenant.credentials.clientId);
    expect(bot.assignedRoles?.map((r) => r.name)).toEqual(['TenantAdmin']);
    expect((await call(tenant, '/api/v1/roles', { token })).status).toBe(200);
  });

  it('answers a wrong secret with 401, an unknown grant or scope with 400', async () => {
    const post = (body: object) => call(tenant, '/oauth/token', { method: 'POST', token: null, body });
    const base = {
      client_id: tenant.credentials.clientId,
      client_secret: tenant.credentials.clientSecret,
      grant_type: 'client_credentials',
    };
    expect((await post({ ...base, client_secret: 'wrong' })).status).toBe(401);
    expect((await post({ ...base, grant_type: 'password' })).status).toBe(400);
    expect((await post({ ...base, scope: 'admin_classic root' })).status).toBe(400);
  });

  it('expires tokens on the sim clock', async () => {
    let now = NOW;
    const t = await startSimulatedTenant({
      scenario: loadScenario('clean'),
      now: () => now,
      settings: { oauthExpiresInSeconds: 60 },
    });
    try {
      const token = await oauthToken(t);
      expect((await call(t, '/api/v1/users/me', { token })).status).toBe(301);
      now = new Date(NOW.getTime() + 61_000);
      expect((await call(t, '/api/v1/users/me', { token })).status).toBe(401);
    } finally {
      await t.close();
    }
  });
});

describe('remediation writes', () => {
  it('replaces a user assignedRoles (with or without a leading slash on groups) and sees the change', async () => {
    const t = await startSimulatedTenant({ scenario: loadScenario('migration') });
    try {
      const patch = await call(t, '/api/v1/users/64b1000000000000000000a1', {
        method: 'PATCH',
        body: [
          {
            op: 'replace',
            path: '/assignedRoles',
            value: [{ name: 'SharedSpaceCreator' }, { id: '6724d8f5a4acfa155351afa7' }],
          },
        ],
      });
      expect(patch.status).toBe(204);
      expect(patch.text).toBe('');
      const ravi = (await call(t, '/api/v1/users/64b1000000000000000000a1')).json<UserBody>();
      expect(ravi.assignedRoles?.map((r) => r.name)).toEqual(['SharedSpaceCreator', 'AllowManageAPIKeys']);
      // Ravi's key works now.
      expect(
        (await call(t, '/api/v1/users/me', { token: t.apiKeyFor('Rv1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sT') })).status,
      ).toBe(301);

      for (const path of ['assignedRoles', '/assignedRoles']) {
        const g = await call(t, '/api/v1/groups/6611aa00bb22cc33dd44ee55', {
          method: 'PATCH',
          body: [{ op: 'replace', path, value: [{ name: 'AllowManageAPIKeys' }] }],
        });
        expect(g.status).toBe(204);
      }
      const filter = encodeURIComponent('assignedGroupsAssignedRoles.name eq "AllowManageAPIKeys"');
      const viaGroups = (await call(t, `/api/v1/users?limit=100&filter=${filter}`))
        .json()
        .data.map((u: UserBody) => u.name);
      expect(viaGroups).toContain('Mia Chen');
    } finally {
      await t.close();
    }
  });

  it('rejects add / remove-value on /assignedRoles unless the setting allows it', async () => {
    const body = [{ op: 'add', path: '/assignedRoles', value: [{ name: 'AllowManageAPIKeys' }] }];
    expect((await call(tenant, '/api/v1/users/64b1000000000000000000a2', { method: 'PATCH', body })).status).toBe(400);
    const lenient = await startSimulatedTenant({
      scenario: loadScenario('migration'),
      settings: { allowAddRemoveOnAssignedRoles: true },
    });
    try {
      expect((await call(lenient, '/api/v1/users/64b1000000000000000000a2', { method: 'PATCH', body })).status).toBe(
        204,
      );
      const mia = (await call(lenient, '/api/v1/users/64b1000000000000000000a2')).json<UserBody>();
      expect(mia.assignedRoles?.map((r) => r.name)).toEqual(['ReportAuthors', 'AllowManageAPIKeys']);
    } finally {
      await lenient.close();
    }
  });

  it('creates a role (201), refuses a duplicate name, patches scopes and deletes only unassigned roles', async () => {
    const t = await startSimulatedTenant({ scenario: loadScenario('no-replacement-role') });
    try {
      const token = await oauthToken(t);
      const created = await call(t, '/api/v1/roles', {
        method: 'POST',
        token,
        body: { name: 'AllowManageAPIKeys', description: 'Replacement', assignedScopes: ['api-keys'] },
      });
      expect(created.status).toBe(201);
      const role = created.json();
      expect(role).toMatchObject({
        type: 'custom',
        canEdit: true,
        canDelete: true,
        fullUser: false,
        userEntitlementType: '',
        level: 'user',
        assignedScopes: ['api-keys'],
        permissions: [],
      });
      expect(
        (await call(t, '/api/v1/roles', { method: 'POST', token, body: { name: 'AllowManageAPIKeys' } })).status,
      ).toBe(400);
      expect((await call(t, '/api/v1/roles', { method: 'POST', token, body: { name: 'TenantAdmin' } })).status).toBe(
        400,
      );
      const patched = await call(t, `/api/v1/roles/${role.id}`, {
        method: 'PATCH',
        token,
        body: [{ op: 'add', path: '/assignedScopes/-', value: 'reports:create' }],
      });
      expect(patched.status).toBe(204);
      expect((await call(t, `/api/v1/roles/${role.id}`, { token })).json().assignedScopes).toEqual([
        'api-keys',
        'reports:create',
      ]);
      await call(t, '/api/v1/users/6750000000000000000000a1', {
        method: 'PATCH',
        token,
        body: [{ op: 'replace', path: '/assignedRoles', value: [{ id: role.id }] }],
      });
      expect((await call(t, `/api/v1/roles/${role.id}`, { method: 'DELETE', token })).status).toBe(403);
      await call(t, '/api/v1/users/6750000000000000000000a1', {
        method: 'PATCH',
        token,
        body: [{ op: 'replace', path: '/assignedRoles', value: [] }],
      });
      expect((await call(t, `/api/v1/roles/${role.id}`, { method: 'DELETE', token })).status).toBe(204);
    } finally {
      await t.close();
    }
  });

  it('changes the tenant between runs through mutate()', async () => {
    const t = await startSimulatedTenant({ scenario: loadScenario('migration') });
    try {
      t.mutate((s) => {
        s.users.find((u) => u.name === 'Mia Chen')!.assignedRoles.push('6724d8f5a4acfa155351afa7');
      });
      const filter = encodeURIComponent('assignedRoles.name eq "AllowManageAPIKeys"');
      const names = (await call(t, `/api/v1/users?filter=${filter}`)).json().data.map((u: UserBody) => u.name);
      expect(names).toContain('Mia Chen');
      expect(tenant.scenario.users.find((u) => u.name === 'Mia Chen')!.assignedRoles).not.toContain(
        '6724d8f5a4acfa155351afa7',
      );
    } finally {
      await t.close();
    }
  });
});

describe('rate limits', () => {
  it('answers 429 with retry-after past the tier budget, blocking only that tier', async () => {
    const t = await startSimulatedTenant({
      scenario: loadScenario('clean'),
      settings: { enforceRateLimits: true, tier1PerMinute: 3, tier2PerMinute: 2, rateLimitHeaders: true },
    });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await call(t, '/api/v1/users')).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await call(t, '/api/v1/groups');
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(limited.json()).toEqual({
        errors: [
          {
            code: 'HTTP-429',
            title: 'API rate limit reached.',
            detail: expect.stringMatching(/^You need to wait \d+ seconds/),
          },
        ],
      });
      // Tier 2 (writes) still has budget.
      const write = await call(t, '/api/v1/users/6760000000000000000000a3', {
        method: 'PATCH',
        body: [{ op: 'replace', path: '/assignedRoles', value: [] }],
      });
      expect(write.status).toBe(204);
      expect(write.headers.get('x-ratelimit-limit')).toBe('2');
      expect(t.stats().rateLimited).toBe(2);
    } finally {
      await t.close();
    }
  });

  it('does not limit by default', async () => {
    const results = await Promise.all(Array.from({ length: 30 }, () => call(tenant, '/api/v1/groups')));
    expect(results.every((r) => r.status === 200)).toBe(true);
  });
});

describe('log and stats', () => {
  it('records method, path, query, status and tier, and never the Authorization value', async () => {
    const t = await startSimulatedTenant({ scenario: loadScenario('clean') });
    try {
      await call(t, '/api/v1/users?limit=2');
      await call(t, '/oauth/token', {
        method: 'POST',
        token: null,
        body: {
          client_id: t.credentials.clientId,
          client_secret: t.credentials.clientSecret,
          grant_type: 'client_credentials',
        },
      });
      expect(t.log[0]).toMatchObject({
        method: 'GET',
        path: '/api/v1/users',
        query: 'limit=2',
        status: 200,
        tier: 'tier1',
        route: 'GET /api/v1/users',
      });
      expect(t.log[1]).toMatchObject({ method: 'POST', path: '/oauth/token', tier: 'tier2', status: 200 });
      const logged = JSON.stringify(t.log);
      expect(logged).not.toContain(t.credentials.apiKey);
      expect(logged).not.toContain(t.credentials.clientSecret);
      expect(t.stats().byPath).toEqual({ 'GET /api/v1/users': 1, 'POST /oauth/token': 1 });
    } finally {
      await t.close();
    }
  });
});
