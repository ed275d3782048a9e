/**
 * The simulated tenant's writes with Qlik's semantics (qlik-cloud-api.md §3, §4, §5, §9, §12): what `fix --apply`
 * relies on. The migration scenario's caller (Platform Admin) is a TenantAdmin; non-admin-caller's is not.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatedTenant } from '../../sim/server';
import { loadScenario, startSimulatedTenant } from '../../sim/server';
import { call, oauthToken } from './helpers';

const RAVI = '64b1000000000000000000a1';
const ALLOW_MANAGE_API_KEYS = '6724d8f5a4acfa155351afa7';
const FINANCE = '6611aa00bb22cc33dd44ee55';

let tenant: SimulatedTenant | undefined;
afterEach(async () => {
  await tenant?.close();
  tenant = undefined;
});

async function start(name: string, settings: Parameters<typeof startSimulatedTenant>[0]['settings'] = {}) {
  tenant = await startSimulatedTenant({ scenario: loadScenario(name), settings });
  return tenant;
}

const replaceRoles = (value: unknown) => [{ op: 'replace', path: '/assignedRoles', value }];

describe('POST /api/v1/roles', () => {
  it('answers 201 with the role, which the next GET /roles lists', async () => {
    const t = await start('no-replacement-role');
    // This tenant's admin key is itself disabled (its owner lacks api-keys): the OAuth client is the way in.
    const token = await oauthToken(t);
    const created = await call(t, '/api/v1/roles', {
      method: 'POST',
      token,
      body: { name: 'Manage API keys', description: 'Owners of API keys', assignedScopes: ['api-keys'] },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/api/v1/roles/${created.json().id}`);
    const listed = (await call(t, '/api/v1/roles?limit=100', { token }))
      .json()
      .data.map((r: { name: string }) => r.name);
    expect(listed).toContain('Manage API keys');
  });

  it('refuses a duplicate name, case-sensitively, across default and custom roles', async () => {
    const t = await start('migration');
    const post = (name: string) => call(t, '/api/v1/roles', { method: 'POST', body: { name } });
    expect((await post('AllowManageAPIKeys')).status).toBe(400);
    expect((await post('TenantAdmin')).status).toBe(400);
    expect((await post('allowmanageapikeys')).status).toBe(201);
  });

  it('refuses the 501st custom role', async () => {
    const t = await start('clean');
    const existing = t.scenario.roles.filter((r) => r.type === 'custom').length;
    t.mutate((s) => {
      for (let i = existing; i < 500; i++) {
        s.roles.push({
          ...s.roles.find((r) => r.type === 'default')!,
          id: `fill${String(i).padStart(20, '0')}`,
          name: `Filler ${i}`,
          type: 'custom',
          assignedScopes: [],
        });
      }
    });
    const refused = await call(t, '/api/v1/roles', { method: 'POST', body: { name: 'One too many' } });
    expect(refused.status).toBe(400);
    expect(refused.json().errors[0].detail).toMatch(/at most 500 custom roles/);
  });
});

describe('PATCH /api/v1/users/{id} and /api/v1/groups/{id}', () => {
  it('replaces the whole list: roles left out are removed (the reason the client sends current roles + new)', async () => {
    const t = await start('migration');
    const jane = '65a1f3c2e4b0a1b2c3d4e5f6';
    const res = await call(t, `/api/v1/users/${jane}`, {
      method: 'PATCH',
      body: replaceRoles([{ name: 'ReportAuthors' }]),
    });
    expect(res.status).toBe(204);
    expect(t.scenario.users.find((u) => u.id === jane)!.assignedRoles).toEqual(['6724d8f5a4acfa155351afa8']);
  });

  it('takes { id } and { name } references in one list', async () => {
    const t = await start('migration');
    const res = await call(t, `/api/v1/users/${RAVI}`, {
      method: 'PATCH',
      body: replaceRoles([{ name: 'SharedSpaceCreator' }, { id: ALLOW_MANAGE_API_KEYS }]),
    });
    expect(res.status).toBe(204);
    const names = (await call(t, `/api/v1/users/${RAVI}`)).json().assignedRoles.map((r: { name: string }) => r.name);
    expect(names).toEqual(['SharedSpaceCreator', 'AllowManageAPIKeys']);
  });

  it('refuses an unknown role with 400 and changes nothing, by default', async () => {
    const t = await start('migration');
    const before = [...t.scenario.users.find((u) => u.id === RAVI)!.assignedRoles];
    const res = await call(t, `/api/v1/users/${RAVI}`, {
      method: 'PATCH',
      body: replaceRoles([{ id: ALLOW_MANAGE_API_KEYS }, { name: 'No such role' }]),
    });
    expect(res.status).toBe(400);
    expect(t.scenario.users.find((u) => u.id === RAVI)!.assignedRoles).toEqual(before);
  });

  it('answers 207 with an Errors item per unknown role and assigns the rest, when set to partial success', async () => {
    const t = await start('migration', { unknownRoleInUserPatch: 'partial' });
    const res = await call(t, `/api/v1/users/${RAVI}`, {
      method: 'PATCH',
      body: replaceRoles([{ id: ALLOW_MANAGE_API_KEYS }, { name: 'No such role' }]),
    });
    expect(res.status).toBe(207);
    expect(res.json().errors).toEqual([expect.objectContaining({ detail: expect.stringContaining('No such role') })]);
    expect(t.scenario.users.find((u) => u.id === RAVI)!.assignedRoles).toEqual([ALLOW_MANAGE_API_KEYS]);
  });

  it('replaces a group list, and refuses the Everyone group', async () => {
    const t = await start('migration');
    const ok = await call(t, `/api/v1/groups/${FINANCE}`, {
      method: 'PATCH',
      body: replaceRoles([{ id: ALLOW_MANAGE_API_KEYS }]),
    });
    expect(ok.status).toBe(204);
    expect(t.scenario.groups.find((g) => g.id === FINANCE)!.assignedRoles).toEqual([ALLOW_MANAGE_API_KEYS]);
    const everyone = await call(t, '/api/v1/groups/000000000000000000000001', {
      method: 'PATCH',
      body: replaceRoles([{ id: ALLOW_MANAGE_API_KEYS }]),
    });
    expect(everyone.status).toBe(400);
  });
});

describe('writes need TenantAdmin', () => {
  it('answers 403 to a caller without TenantAdmin (API key or OAuth bot) and changes nothing', async () => {
    const t = await start('non-admin-caller');
    const john = '6790000000000000000000a3';
    const before = structuredClone(t.scenario);
    for (const token of [undefined, await oauthToken(t)]) {
      const role = await call(t, '/api/v1/roles', { method: 'POST', token, body: { name: 'Manage API keys' } });
      expect(role.status).toBe(403);
      const user = await call(t, `/api/v1/users/${john}`, {
        method: 'PATCH',
        token,
        body: replaceRoles([{ name: 'AllowManageAPIKeys' }]),
      });
      expect(user.status).toBe(403);
      expect(user.json().errors[0].detail).toMatch(/TenantAdmin/);
    }
    expect(t.scenario.roles).toEqual(before.roles);
    expect(t.scenario.users).toEqual(before.users);
  });
});

describe('Tier 2 rate limits on writes', () => {
  it('limits writes on their own budget with retry-after, while reads go on', async () => {
    const t = await start('migration', { enforceRateLimits: true, tier2PerMinute: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await call(t, `/api/v1/users/${RAVI}`, {
        method: 'PATCH',
        body: replaceRoles([{ name: 'SharedSpaceCreator' }]),
      });
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect(statuses).toEqual([204, 204, 204, 429]);
    expect((await call(t, '/api/v1/roles', { method: 'POST', body: { name: 'Blocked too' } })).status).toBe(429);
    expect((await call(t, `/api/v1/users/${RAVI}`)).status).toBe(200);
  });
});
