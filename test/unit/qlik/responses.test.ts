import { afterEach, describe, expect, it } from 'vitest';
import { CheckError } from '../../../lambda/errors';
import { QlikApiError } from '../../../lambda/qlik/errors';
import { API_KEY, clientFor, everythingAbout, failure } from './support/client';
import { FakeTenant, type TenantData, wireKey, wireRole, wireUser } from './support/fake-tenant';

const owner = wireUser('Integration Svc');

function data(): TenantData {
  return {
    users: [owner, wireUser('Jane'), wireUser('Joe'), wireUser('Ann')],
    groups: [],
    roles: [wireRole('AllowManageAPIKeys', { assignedScopes: ['api-keys'] })],
    apiKeys: [wireKey(owner)],
    everyoneRoles: [],
    meId: owner.id,
  };
}

let tenant: FakeTenant;
afterEach(async () => {
  await tenant.close();
});

describe('error mapping', () => {
  it('maps 401 to unauthorized, keeping Qlik code, title and trace id but no headers', async () => {
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/users/me', () => ({
      status: 401,
      json: { errors: [{ code: 'LOGIN-10', title: 'Authorization Required', status: '401' }], traceId: 'd06a07' },
    }));
    const { client } = clientFor(tenant);

    const error = await failure(client.me());

    expect(error).toBeInstanceOf(QlikApiError);
    expect(error).toBeInstanceOf(CheckError);
    expect(error).toMatchObject({
      code: 'unauthorized',
      httpStatus: 401,
      qlikCode: 'LOGIN-10',
      title: 'Authorization Required',
      traceId: 'd06a07',
      endpoint: 'GET /api/v1/users/me',
    });
    expect(error.message).toMatch(/the API key was rejected/);
    expect(Object.keys(error)).not.toContain('headers');
  });

  it('maps 403 on roles to forbidden and says the checker needs TenantAdmin', async () => {
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/roles', () => ({
      status: 403,
      json: { errors: [{ code: 'IDENTITIES-11', title: 'Forbidden' }] },
    }));
    const { client } = clientFor(tenant);
    const error = await failure(client.listRoles());
    expect(error).toMatchObject({ code: 'forbidden', httpStatus: 403, qlikCode: 'IDENTITIES-11' });
    expect(error.message).toMatch(/TenantAdmin/);
  });

  it('keeps a short, tag-free excerpt of an HTML error page', async () => {
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/users/me', () => ({
      status: 401,
      text: `<html><head><style>body{color:red}</style></head><body><h1>401 Authorization Required</h1>${'x'.repeat(500)}</body></html>`,
      headers: { 'content-type': 'text/html' },
    }));
    const { client } = clientFor(tenant);

    const error = await failure(client.me());

    expect(error.message).toMatch(/body: "401 Authorization Required x+…"/);
    expect(error.message).not.toMatch(/<h1>|color:red/);
    expect(error.message.length).toBeLessThan(400);
  });

  it('accepts a numeric, a string or no status in an error body, and a missing trace id', async () => {
    tenant = new FakeTenant(data());
    const bodies = [
      { errors: [{ code: 'USERS-7', title: 'Not found', status: 404 }], traceId: 't1' },
      { errors: [{ code: 'USERS-7', title: 'Not found', status: '404' }] },
      { errors: [{ code: 'IDENTITIES-10402', title: 'Not Found' }] },
    ];
    let served = 0;
    tenant.override('GET', /^\/api\/v1\/users\/.+/, () => ({ status: 404, json: bodies[served++] }));
    const { client } = clientFor(tenant);

    const errors = [await failure(client.user('a')), await failure(client.user('b')), await failure(client.user('c'))];

    expect(errors.map((e) => [e['code'], e['httpStatus'], e['qlikCode'], e['traceId']])).toEqual([
      ['bad-response', 404, 'USERS-7', 't1'],
      ['bad-response', 404, 'USERS-7', undefined],
      ['bad-response', 404, 'IDENTITIES-10402', undefined],
    ]);
  });

  it('rejects a 200 with an HTML body as a bad response', async () => {
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/roles', () => ({
      status: 200,
      text: '<!doctype html><html><body>Please sign in</body></html>',
      headers: { 'content-type': 'text/html; charset=utf-8' },
    }));
    const { client } = clientFor(tenant);
    const error = await failure(client.listRoles());
    expect(error).toMatchObject({ code: 'bad-response', httpStatus: 200 });
    expect(error.message).toBe('GET /api/v1/roles: expected a JSON body, got text/html: "Please sign in"');
  });

  it('rejects truncated JSON as a bad response', async () => {
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/api-keys', () => ({
      status: 200,
      text: '{"data":[{"id":"k1"',
      headers: { 'content-type': 'application/json' },
    }));
    const { client } = clientFor(tenant);
    const error = await failure(client.listApiKeys());
    expect(error).toMatchObject({ code: 'bad-response' });
    expect(error.message).toMatch(/^GET \/api\/v1\/api-keys: expected a JSON body, got application\/json/);
  });
});

describe('response validation', () => {
  it('names the endpoint and the JSON path of a missing required field', async () => {
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/users', (request) => ({
      status: 200,
      json: {
        data: [wireUser('A'), wireUser('B'), wireUser('C'), { ...wireUser('D'), id: undefined }],
        links: { self: { href: request.url.href } },
      },
    }));
    const { client } = clientFor(tenant);

    const error = await failure(client.listUsers());

    expect(error).toMatchObject({ code: 'bad-response', endpoint: 'GET /api/v1/users' });
    expect(error.message).toBe('GET /api/v1/users: data[3].id: expected string, received undefined');
  });

  it('names a wrong enum value with its path', async () => {
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/api-keys', (request) => ({
      status: 200,
      json: {
        data: [wireKey(owner), wireKey(owner, { status: 'disabled' })],
        links: { self: { href: request.url.href } },
      },
    }));
    const { client } = clientFor(tenant);
    const error = await failure(client.listApiKeys());
    expect(error.message).toBe('GET /api/v1/api-keys: data[1].status: expected one of "active"|"expired"|"revoked"');
  });

  it('tolerates unknown and legacy fields and the optional ones', async () => {
    tenant = new FakeTenant(data());
    const legacy = {
      id: '637390ec6541614d3a88d6c1',
      tenantId: 'T',
      subject: 's',
      name: 'Legacy User',
      roles: ['TenantAdmin', 'Developer'],
      created: '2021-01-01T00:00:00Z',
      lastUpdated: '2021-01-01T00:00:00Z',
      assignedGroups: [{ id: 'g1', name: 'No roles shown' }],
      somethingNew: { nested: true },
    };
    tenant.override('GET', '/api/v1/users', (request) => ({
      status: 200,
      json: { data: [legacy], links: { self: { href: request.url.href } }, extra: 1 },
    }));
    tenant.override('GET', /^\/api\/v1\/api-keys\/configs\//, () => ({
      status: 200,
      json: { api_keys_enabled: true, max_api_key_expiry: 'P365D', max_keys_per_user: 5 },
    }));
    const { client } = clientFor(tenant);

    const [user] = (await client.listUsers()).items;
    const config = await client.apiKeysConfig('T');

    expect(user).toMatchObject({ roles: ['TenantAdmin', 'Developer'], created: '2021-01-01T00:00:00Z' });
    expect(user?.email).toBeUndefined();
    expect(user?.assignedGroups?.[0]?.assignedRoles).toBeUndefined();
    expect(config.api_keys_enabled).toBe(true);
  });
});

describe('deadline', () => {
  it('ends a request still waiting for its response as timeout when the signal aborts', async () => {
    tenant = new FakeTenant(data());
    const controller = new AbortController();
    tenant.override('GET', '/api/v1/roles', async () => {
      controller.abort(new Error('deadline'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { status: 200, json: { data: [], links: { self: { href: 'x' } } } };
    });
    const { client } = clientFor(tenant, { signal: controller.signal });

    const error = await failure(client.listRoles());

    expect(error).toMatchObject({ code: 'timeout', endpoint: 'GET /api/v1/roles' });
  });

  it('cancels a pending retry wait when the deadline passes', async () => {
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/roles', () => ({ status: 429, text: '', headers: { 'retry-after': '30' } }));
    const controller = new AbortController();
    const { client } = clientFor(tenant, {
      signal: controller.signal,
      // The retry never fires on its own: only the abort can end the request.
      scheduleRetry: () => {
        setTimeout(() => controller.abort(new Error('deadline')), 0);
        return undefined;
      },
    });

    const error = await failure(client.listRoles());

    expect(error).toMatchObject({ code: 'timeout' });
    expect(tenant.calls('/api/v1/roles')).toHaveLength(1);
  });

  it('sends nothing once the signal has aborted', async () => {
    tenant = new FakeTenant(data());
    const controller = new AbortController();
    controller.abort();
    const { client } = clientFor(tenant, { signal: controller.signal });
    expect(await failure(client.me())).toMatchObject({ code: 'timeout' });
    expect(tenant.requests).toHaveLength(0);
  });
});

describe('secrets', () => {
  const echo = (request: { headers: Record<string, string> }) => JSON.stringify(request.headers);

  it.each([
    ['a 401 echoing the request headers as JSON', 401, 'json'],
    ['a 403 echoing them as text', 403, 'text'],
    ['a 502 echoing them as HTML', 502, 'html'],
    ['a 200 that is not JSON', 200, 'text'],
  ])('never lets the API key into an error from %s', async (_, status, kind) => {
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/users/me', (request) => {
      const raw = echo(request);
      if (kind === 'json') {
        return {
          status,
          json: {
            errors: [{ code: 'X', title: raw, detail: `Authorization: ${request.headers['authorization']}` }],
            traceId: raw,
          },
        };
      }
      return { status, text: kind === 'html' ? `<pre>${raw}</pre>` : `got ${request.headers['authorization']} ${raw}` };
    });
    const { client } = clientFor(tenant, { retry: { maxRetries: 1 } });

    const error = await failure(client.me());

    expect(everythingAbout(error)).not.toContain(API_KEY);
    expect(everythingAbout(error)).not.toContain(API_KEY.slice(0, 16));
  });

  it('never lets the API key into a network error or a timeout', async () => {
    tenant = new FakeTenant(data());
    const controller = new AbortController();
    tenant.override('GET', '/api/v1/users/me', async () => {
      controller.abort(new Error(`aborted while sending Bearer ${API_KEY}`));
      return { status: 200, json: {} };
    });
    const { client } = clientFor(tenant, { signal: controller.signal });
    const error = await failure(client.me());
    expect(error).toMatchObject({ code: 'timeout' });
    expect(everythingAbout(error)).not.toContain(API_KEY);
  });
});

describe('deprecation headers', () => {
  it('records endpoints that announce a deprecation or sunset', async () => {
    tenant = new FakeTenant(data());
    tenant.override('GET', '/api/v1/roles', (request) => ({
      status: 200,
      json: { data: [], links: { self: { href: request.url.href } } },
      headers: { deprecation: '@1688169599', sunset: 'Wed, 01 Jul 2026 00:00:00 GMT' },
    }));
    const { client } = clientFor(tenant);
    await client.listRoles();
    expect(client.stats().deprecations).toEqual([
      { endpoint: 'GET /api/v1/roles', deprecation: '@1688169599', sunset: 'Wed, 01 Jul 2026 00:00:00 GMT' },
    ]);
  });
});
