import { afterEach, describe, expect, it } from 'vitest';
import { type CollectOptions, collectTenant } from '../../../lambda/collect/collect';
import { FULL_INVENTORY, type PolicyNeeds } from '../../../lambda/collect/plan';
import type { TenantSnapshot } from '../../../lambda/collect/snapshot';
import { InputError } from '../../../lambda/errors';
import { API_KEY, failure } from '../qlik/support/client';
import { EVERYONE_ID, FakeTenant, jwtWithExp, notFound, ORIGIN, roleRef, TENANT_ID } from '../qlik/support/fake-tenant';
import { type Migration, migrationTenant } from './support/migration';
import { expectSameFacts } from './support/same-facts';

const NOW = new Date('2026-03-01T08:00:00Z');

const NOTHING_EXTRA: PolicyNeeds = {
  allUsers: false,
  allGroups: false,
  userIds: [],
  userEmails: [],
  memberGroups: [],
  roleHolders: [],
  apiKeysConfig: false,
};

let tenant: FakeTenant;
afterEach(async () => {
  await tenant.close();
});

function collect(needs: Partial<PolicyNeeds>, options: Partial<CollectOptions> = {}) {
  return collectTenant({
    tenantUrl: ORIGIN,
    credentials: { kind: 'api-key', apiKey: API_KEY },
    needs: { ...NOTHING_EXTRA, ...needs },
    now: NOW,
    dispatcher: tenant.agent,
    tuning: { pageSize: 10, scheduleRetry: (callback) => setTimeout(callback, 0) },
    ...options,
  });
}

const ids = (items: readonly { id: string }[]) => items.map((item) => item.id).sort();
const userQueries = () => tenant.calls('/api/v1/users').map((r) => r.url.searchParams.get('filter'));

describe('collectTenant, targeted', () => {
  let story: Migration;

  it('collects every key and only the owners and named users, whatever their status', async () => {
    story = migrationTenant();
    tenant = new FakeTenant(story.data);
    const { users } = story;

    const { snapshot } = await collect({
      userIds: [users.formerDeveloper.id],
      userEmails: ['MAIL.PERSON@example.com'],
    });

    expect(snapshot.tenantId).toBe(TENANT_ID);
    expect(snapshot.tenantName).toBe('Acme EU');
    expect(snapshot.tenantUrl).toBe(ORIGIN);
    expect(snapshot.collectedAt).toBe(NOW.toISOString());
    expect(ids(snapshot.apiKeys)).toEqual(ids(story.data.apiKeys));
    expect(ids(snapshot.users)).toEqual(
      ids([
        users.migrated,
        users.unmigrated,
        users.disabledOwner,
        users.deletedOwner,
        users.formerDeveloper,
        users.byEmail,
      ]),
    );
    expect(snapshot.users.find((u) => u.id === users.disabledOwner.id)?.status).toBe('disabled');
    expect(snapshot.usersScope).toBe('targeted');
    expect(snapshot.usersLookedUp).toEqual(
      [
        users.migrated.id,
        users.unmigrated.id,
        users.disabledOwner.id,
        users.deletedOwner.id,
        story.missingOwnerId,
        users.formerDeveloper.id,
      ].sort(),
    );
    // No unfiltered listing, and every user query spans all statuses.
    expect(
      userQueries().every((filter) => filter !== null && /\(status eq "active" or .*status eq "deleted"/.test(filter)),
    ).toBe(true);
  });

  it('maps users, roles, groups and keys to the snapshot model', async () => {
    story = migrationTenant();
    tenant = new FakeTenant(story.data);
    const { users, roles, groups } = story;

    const { snapshot } = await collect({});

    const unmigrated = snapshot.users.find((u) => u.id === users.unmigrated.id);
    expect(unmigrated).toEqual({
      id: users.unmigrated.id,
      name: 'Integration Svc',
      email: 'integration.svc@example.com',
      subject: users.unmigrated['subject'],
      status: 'active',
      assignedRoles: [{ id: roles.developer.id, name: 'Developer', type: 'default', level: 'user' }],
      assignedGroups: [],
      legacyRoles: ['Developer'],
    });
    const migrated = snapshot.users.find((u) => u.id === users.migrated.id);
    expect(migrated?.assignedGroups).toEqual([
      { id: groups.biDevelopers.id, name: 'BI Developers', assignedRoles: [roleRef(roles.allowKeys)] },
      { id: groups.finance.id, name: 'Finance', assignedRoles: [] },
    ]);
    expect(snapshot.roles.find((r) => r.id === roles.allowKeys.id)).toEqual({
      id: roles.allowKeys.id,
      name: 'AllowManageAPIKeys',
      type: 'custom',
      level: 'user',
      description: '',
      assignedScopes: ['api-keys'],
      permissions: [],
    });
    expect(snapshot.groups.find((g) => g.id === groups.biDevelopers.id)).toEqual({
      id: groups.biDevelopers.id,
      name: 'BI Developers',
      status: 'active',
      providerType: 'idp',
      assignedRoles: [roleRef(roles.allowKeys)],
    });
    const scim = snapshot.apiKeys.find((k) => k.subType === 'externalClient');
    expect(scim).toMatchObject({ sub: 'SCIM\\215g5595380d646163cadbb9', status: 'active' });
    expect(snapshot.caller).toEqual({ userId: users.me.id, name: 'Checker Bot' });
    expect(snapshot.apiKeysConfig).toBeUndefined();
  });

  it('reads only the groups of the users it collected, and every role', async () => {
    story = migrationTenant({ fillerGroups: 30 });
    tenant = new FakeTenant(story.data);
    const { groups } = story;

    const { snapshot } = await collect({});

    // Owners belong to BI Developers, Finance and one team (the disabled owner's).
    expect(ids(snapshot.groups)).toEqual(ids([groups.biDevelopers, groups.finance, story.data.groups[3]!]));
    expect(snapshot.groupsScope).toBe('targeted');
    expect(ids(snapshot.roles)).toEqual(ids(story.data.roles));
  });

  it('costs requests in proportion to what is checked, not to the tenant size', async () => {
    story = migrationTenant({ fillerUsers: 400, fillerGroups: 50 });
    tenant = new FakeTenant(story.data);
    const small = await collect({});
    const smallRequests = tenant.requests.length;
    await tenant.close();

    story = migrationTenant({ fillerUsers: 2000, fillerGroups: 400 });
    tenant = new FakeTenant(story.data);
    const large = await collect({});

    expect(large.stats.requests).toBe(small.stats.requests);
    expect(small.stats.requests).toBe(smallRequests);
    expect(large.snapshot.requests).toBe(large.stats.requests);
  });

  it('reads Everyone from the group, or from the group settings when the group cannot be read', async () => {
    story = migrationTenant();
    story.data.everyoneRoles = [roleRef(story.roles.allowKeys)];
    tenant = new FakeTenant(story.data);
    expect((await collect({})).snapshot.everyoneRoles).toEqual([roleRef(story.roles.allowKeys)]);
    expect(tenant.calls('/api/v1/groups/settings')).toHaveLength(0);
    await tenant.close();

    tenant = new FakeTenant(story.data);
    tenant.override('GET', `/api/v1/groups/${EVERYONE_ID}`, () => notFound());
    expect((await collect({})).snapshot.everyoneRoles).toEqual([roleRef(story.roles.allowKeys)]);
    expect(tenant.calls('/api/v1/groups/settings')).toHaveLength(1);
  });

  it('fails rather than guess when neither endpoint names Everyone', async () => {
    story = migrationTenant();
    tenant = new FakeTenant(story.data);
    tenant.override('GET', `/api/v1/groups/${EVERYONE_ID}`, () => notFound());
    tenant.override('GET', '/api/v1/groups/settings', () => ({
      status: 200,
      json: { autoCreateGroups: true, systemGroups: {} },
    }));
    const error = await failure(collect({}));
    expect(error).toMatchObject({ code: 'bad-response' });
    expect(error.message).toMatch(/Everyone/);
  });

  it('reads the API-key configuration only when the policy needs it', async () => {
    story = migrationTenant();
    tenant = new FakeTenant(story.data);
    const { snapshot } = await collect({ apiKeysConfig: true });
    expect(snapshot.apiKeysConfig).toEqual({
      maxApiKeyExpiry: 'P365D',
      maxKeysPerUser: 5,
      scimExternalClientExpiry: 'P365D',
      apiKeysEnabled: true,
    });
    expect(tenant.calls(`/api/v1/api-keys/configs/${TENANT_ID}`)).toHaveLength(1);
  });

  it('collects holders of a role directly or through a group', async () => {
    story = migrationTenant();
    tenant = new FakeTenant(story.data);
    const { snapshot } = await collect({ roleHolders: ['Developer'] });
    const names = snapshot.users.map((u) => u.name);
    expect(names).toContain('Legacy Member');
    expect(names).toContain('Integration Svc');
    expect(userQueries().some((f) => f?.includes('assignedGroupsAssignedRoles.name eq "Developer"'))).toBe(true);
    expect(snapshot.groups.map((g) => g.name)).toContain('Legacy Devs');
  });

  it('reads every user when a role to check is held by Everyone', async () => {
    story = migrationTenant();
    story.data.everyoneRoles = [roleRef(story.roles.developer)];
    tenant = new FakeTenant(story.data);
    const { snapshot } = await collect({ roleHolders: ['Developer'] });
    expect(snapshot.usersScope).toBe('all');
    expect(snapshot.usersLookedUp).toBeUndefined();
    expect(snapshot.users).toHaveLength(story.data.users.length);
  });

  it('collects members of groups named by id or by name', async () => {
    story = migrationTenant();
    tenant = new FakeTenant(story.data);
    const { snapshot } = await collect({ memberGroups: ['Legacy Devs', story.groups.finance.id] });
    const names = snapshot.users.map((u) => u.name);
    expect(names).toEqual(expect.arrayContaining(['Legacy Member', 'Former Dev', 'Jane Doe']));
    expect(snapshot.groups.map((g) => g.name)).toEqual(expect.arrayContaining(['Legacy Devs', 'Finance']));
  });

  it('lists every group when the policy needs them all', async () => {
    story = migrationTenant({ fillerGroups: 25 });
    tenant = new FakeTenant(story.data);
    const { snapshot } = await collect({ allGroups: true });
    expect(snapshot.groupsScope).toBe('all');
    expect(ids(snapshot.groups)).toEqual(ids(story.data.groups));
  });

  it('reads a few groups by id, and finishes the group list when that takes fewer requests', async () => {
    story = migrationTenant({ fillerGroups: 2 });
    tenant = new FakeTenant(story.data);
    // Members of three groups over a five-group tenant: one listing page beats three lookups.
    const { snapshot } = await collect({ userIds: [story.users.legacyMember.id] });
    expect(snapshot.groupsScope).toBe('all');
    expect(
      tenant.calls(/^\/api\/v1\/groups\/[0-9a-f]{24}$/).filter((r) => !r.url.pathname.endsWith(EVERYONE_ID)),
    ).toHaveLength(0);
  });

  it('reads the groups it needs by id when the group list is long', async () => {
    story = migrationTenant({ fillerGroups: 300 });
    tenant = new FakeTenant(story.data);
    const { snapshot } = await collect({});
    expect(snapshot.groupsScope).toBe('targeted');
    expect(snapshot.groups).toHaveLength(3);
    // One probe page (with the total), then lookups for the groups not on it.
    const listings = tenant.calls('/api/v1/groups');
    expect(listings).toHaveLength(1);
    expect(listings[0]?.url.searchParams.get('totalResults')).toBe('true');
  });

  it('reports the caller and when its API key expires', async () => {
    story = migrationTenant();
    tenant = new FakeTenant(story.data);
    const key = jwtWithExp(Date.parse('2026-04-01T00:00:00Z') / 1000);
    const { snapshot } = await collect({}, { credentials: { kind: 'api-key', apiKey: key } });
    expect(snapshot.caller).toEqual({
      userId: story.users.me.id,
      name: 'Checker Bot',
      credentialExpiresAt: '2026-04-01T00:00:00.000Z',
    });
  });

  it('reports progress by phase', async () => {
    story = migrationTenant();
    tenant = new FakeTenant(story.data);
    const phases = new Set<string>();
    await collect({ apiKeysConfig: true }, { onProgress: (p) => phases.add(p.phase) });
    expect([...phases].sort()).toEqual([
      'api-keys',
      'api-keys-config',
      'everyone',
      'groups',
      'identity',
      'roles',
      'tenant',
      'users',
    ]);
  });

  it('keeps at most eight requests in flight', async () => {
    story = migrationTenant({ fillerUsers: 10 });
    story.data.apiKeys = story.data.users
      .slice(1)
      .map((u) => ({ ...story.data.apiKeys[0]!, id: `k-${u.id}`, sub: u.id }));
    tenant = new FakeTenant(story.data);
    let inFlight = 0;
    let peak = 0;
    tenant.override('GET', /^\/api\//, async () => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      return undefined;
    });
    await collect({}, { tuning: { pageSize: 10, maxInFlight: 8 } });
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(8);
  });
});

describe('collectTenant, failures', () => {
  it.each([
    ['/api/v1/roles', /TenantAdmin/],
    ['/api/v1/api-keys', /TenantAdmin/],
  ])('fails as forbidden on a 403 from %s, never with a partial snapshot', async (path, hint) => {
    tenant = new FakeTenant(migrationTenant().data);
    tenant.override('GET', path, () => ({
      status: 403,
      json: { errors: [{ code: 'FORBIDDEN', title: 'Forbidden' }] },
    }));

    const error = await failure(collect({}));

    expect(error).toMatchObject({ code: 'forbidden', httpStatus: 403 });
    expect(error.message).toMatch(hint);
  });

  it('reports the first failure, not the requests it cancelled', async () => {
    tenant = new FakeTenant(migrationTenant({ fillerGroups: 40 }).data);
    tenant.override('GET', '/api/v1/roles', async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { status: 403, json: { errors: [{ code: 'FORBIDDEN', title: 'Forbidden' }] } };
    });
    tenant.override('GET', '/api/v1/users', async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return undefined;
    });
    const error = await failure(collect({ allUsers: true, allGroups: true }));
    expect(error).toMatchObject({ code: 'forbidden', endpoint: 'GET /api/v1/roles' });
  });

  it('fails as unauthorized when the credential is rejected', async () => {
    tenant = new FakeTenant(migrationTenant().data);
    tenant.override('GET', '/api/v1/users/me', () => ({ status: 401, text: '401 Authorization Required' }));
    const error = await failure(collect({}));
    expect(error).toMatchObject({ code: 'unauthorized' });
    // Independent chains start together, so a few first requests are in flight; none follows the failure.
    const paths = tenant.requests.map((r) => new URL(r.url).pathname);
    expect(paths).toContain('/api/v1/users/me');
    expect(paths.length).toBeLessThanOrEqual(8);
    expect(paths.filter((p) => p === '/api/v1/users')).toEqual([]);
  });

  it('does without the tenant name when /tenants/me is forbidden', async () => {
    tenant = new FakeTenant(migrationTenant().data);
    tenant.override('GET', '/api/v1/tenants/me', () => ({
      status: 403,
      json: { errors: [{ code: 'T', title: 'no' }] },
    }));
    const { snapshot } = await collect({});
    expect(snapshot.tenantName).toBeUndefined();
    expect(snapshot.tenantId).toBe(TENANT_ID);
  });

  it('takes the tenant id from /tenants/me when the credential has no user of its own', async () => {
    const story = migrationTenant();
    tenant = new FakeTenant(story.data);
    tenant.override('GET', '/api/v1/users/me', () => notFound());
    const { snapshot } = await collect({});
    expect(snapshot.tenantId).toBe(TENANT_ID);
    expect(snapshot.tenantName).toBe('Acme EU');
    expect(snapshot.caller).toBeUndefined();
    // The tenant name and the tenant id come from the same read.
    expect(tenant.calls('/api/v1/tenants/me')).toHaveLength(1);
  });

  it('rejects a tenant URL outside the host policy before sending anything', async () => {
    tenant = new FakeTenant(migrationTenant().data);
    const error = await failure(collect({}, { tenantUrl: 'https://acme.example.net' }));
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ code: 'bad-input' });
    expect(tenant.requests).toHaveLength(0);
  });

  it('fails as timeout at the deadline', async () => {
    tenant = new FakeTenant(migrationTenant().data);
    tenant.override('GET', '/api/v1/api-keys', async () => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      return undefined;
    });
    const error = await failure(collect({}, { deadlineMs: 50 }));
    expect(error).toMatchObject({ code: 'timeout' });
  });
});

describe('collectTenant, full inventory', () => {
  it('reads every user of every status and every group, and agrees with the targeted snapshot', async () => {
    const story = migrationTenant({ fillerUsers: 60, fillerGroups: 12 });
    tenant = new FakeTenant(story.data);
    const needs: Partial<PolicyNeeds> = { userIds: [story.users.formerDeveloper.id], apiKeysConfig: true };
    const targeted = await collect(needs);
    const targetedRequests = tenant.requests.length;
    await tenant.close();

    tenant = new FakeTenant(story.data);
    const full = await collect(needs, { mode: 'full' });

    expect(full.snapshot.usersScope).toBe('all');
    expect(full.snapshot.groupsScope).toBe('all');
    expect(ids(full.snapshot.users)).toEqual(ids(story.data.users));
    expect(ids(full.snapshot.groups)).toEqual(ids(story.data.groups));
    expect(full.stats.requests).toBeGreaterThan(targetedRequests);
    expectSameFacts(targeted.snapshot, full.snapshot);
  });

  it('is what FULL_INVENTORY needs collect in targeted mode', async () => {
    const story = migrationTenant();
    tenant = new FakeTenant(story.data);
    const viaNeeds = await collect(FULL_INVENTORY);
    await tenant.close();
    tenant = new FakeTenant(story.data);
    const viaMode = await collect({}, { mode: 'full' });
    expect(withoutCounts(viaMode.snapshot)).toEqual(withoutCounts(viaNeeds.snapshot));
  });
});

function withoutCounts(snapshot: TenantSnapshot): Omit<TenantSnapshot, 'requests'> {
  const { requests: _requests, ...rest } = snapshot;
  return rest;
}
