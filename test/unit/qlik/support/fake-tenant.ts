/**
 * A Qlik tenant behind undici's MockAgent, for unit tests of the client and the collector: the endpoints the
 * checker reads, with absolute `links.next.href` paging in both styles, 301/302 on the `me` endpoints, SCIM filters
 * and, by default, an unfiltered user listing that returns active users only (the case the collector must survive).
 * `override` injects faults ahead of the normal routes.
 */
import { MockAgent } from 'undici';
import { GROUP_FIELDS, scimMatcher, USER_FIELDS } from './scim';

export const ORIGIN = 'https://acme.eu.qlikcloud.com';
export const TENANT_ID = 'BL4tTJ4S7xrHTcq0zQxQrJ5qB1_Q6cSo';
export const EVERYONE_ID = '000000000000000000000001';

export interface RecordedRequest {
  readonly origin: string;
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export interface FakeResponse {
  readonly status: number;
  readonly json?: unknown;
  readonly text?: string;
  readonly headers?: Record<string, string>;
}

type Responder = (request: RecordedRequest) => FakeResponse | undefined | Promise<FakeResponse | undefined>;

export type Wire = Record<string, unknown> & { id: string };

export interface TenantData {
  users: Wire[];
  groups: Wire[];
  roles: Wire[];
  apiKeys: Wire[];
  everyoneRoles: Wire[];
  config?: Record<string, unknown>;
  meId: string;
  tenantName?: string;
}

export interface FakeTenantOptions {
  /** Origins served (all share the data); requests to others fail as unmatched. */
  readonly origins?: readonly string[];
  /** Page size when the request names none. */
  readonly defaultLimit?: number;
  /** What a `GET /users` whose filter names no status returns. @default 'active' */
  readonly unfilteredUsers?: 'active' | 'all';
}

export class FakeTenant {
  readonly agent: MockAgent;
  readonly requests: RecordedRequest[] = [];
  readonly #overrides: { method: string; path: string | RegExp; respond: Responder; remaining: number }[] = [];

  constructor(
    readonly data: TenantData,
    readonly options: FakeTenantOptions = {},
  ) {
    this.agent = new MockAgent();
    this.agent.disableNetConnect();
    for (const origin of options.origins ?? [ORIGIN]) {
      this.agent
        .get(origin)
        .intercept({ path: () => true, method: () => true })
        .reply(async (opts) => {
          const request: RecordedRequest = {
            origin,
            method: opts.method,
            url: new URL(opts.path, origin),
            headers: normalizeHeaders(opts.headers),
            ...(typeof opts.body === 'string' ? { body: opts.body } : {}),
          };
          this.requests.push(request);
          const response = (await this.#override(request)) ?? this.#route(request);
          return {
            statusCode: response.status,
            data: response.json !== undefined ? JSON.stringify(response.json) : (response.text ?? ''),
            responseOptions: {
              headers: {
                ...(response.json !== undefined ? { 'content-type': 'application/json' } : {}),
                ...response.headers,
              },
            },
          };
        })
        .persist();
    }
  }

  /**
   * Answers `method path` (exact pathname, or a pattern) with `respond` for the next `times` requests (default:
   * forever) before the normal routes; a responder returning `undefined` falls through to them.
   */
  override(method: string, path: string | RegExp, respond: Responder, times = Number.POSITIVE_INFINITY): this {
    this.#overrides.push({ method, path, respond, remaining: times });
    return this;
  }

  /** Requests to `pathname` (any query), optionally of one method. */
  calls(pathname: string | RegExp, method = 'GET'): RecordedRequest[] {
    return this.requests.filter(
      (r) =>
        r.method === method &&
        (typeof pathname === 'string' ? r.url.pathname === pathname : pathname.test(r.url.pathname)),
    );
  }

  #closed = false;

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.agent.close();
  }

  async #override(request: RecordedRequest): Promise<FakeResponse | undefined> {
    for (const entry of this.#overrides) {
      if (entry.remaining <= 0 || entry.method !== request.method) continue;
      const matches =
        typeof entry.path === 'string' ? entry.path === request.url.pathname : entry.path.test(request.url.pathname);
      if (!matches) continue;
      const response = await entry.respond(request);
      if (response) {
        entry.remaining -= 1;
        return response;
      }
    }
    return undefined;
  }

  #route(request: RecordedRequest): FakeResponse {
    const { pathname } = request.url;
    const d = this.data;
    if (request.method === 'POST' && pathname === '/oauth/token') {
      return { status: 200, json: { access_token: 'fake-oauth-token', token_type: 'bearer', expires_in: 21600 } };
    }
    if (request.method !== 'GET') return notFound();
    if (pathname === '/api/v1/users/me') return redirect(301, `/api/v1/users/${d.meId}`);
    if (pathname === '/api/v1/tenants/me') return redirect(302, `/api/v1/tenants/${TENANT_ID}`);
    if (pathname === `/api/v1/tenants/${TENANT_ID}`) {
      return {
        status: 200,
        json: { id: TENANT_ID, name: d.tenantName ?? 'acme', hostnames: ['acme.eu.qlikcloud.com'] },
      };
    }
    if (pathname === '/api/v1/users') {
      const filter = request.url.searchParams.get('filter');
      // Like the deprecated `status` parameter, a query that names no status may mean active users only.
      const namesStatus = filter !== null && /\bstatus\s+eq\b/i.test(filter);
      const inScope =
        namesStatus || this.options.unfilteredUsers === 'all'
          ? d.users
          : d.users.filter((u) => (u['status'] ?? 'active') === 'active');
      const users = filter ? inScope.filter(scimMatcher(filter, USER_FIELDS)) : inScope;
      return this.#cursorPage(request, users);
    }
    const user = /^\/api\/v1\/users\/([^/]+)$/.exec(pathname);
    if (user) return entity(d.users.find((u) => u.id === user[1]));
    if (pathname === '/api/v1/groups') {
      const filter = request.url.searchParams.get('filter');
      return this.#cursorPage(request, filter ? d.groups.filter(scimMatcher(filter, GROUP_FIELDS)) : d.groups);
    }
    if (pathname === '/api/v1/groups/settings') {
      return {
        status: 200,
        json: {
          autoCreateGroups: true,
          tenantId: TENANT_ID,
          systemGroups: {
            [EVERYONE_ID]: { id: EVERYONE_ID, name: 'com.qlik.Everyone', assignedRoles: d.everyoneRoles },
          },
        },
      };
    }
    if (pathname === `/api/v1/groups/${EVERYONE_ID}`) {
      return {
        status: 200,
        json: { id: EVERYONE_ID, name: 'com.qlik.Everyone', tenantId: TENANT_ID, assignedRoles: d.everyoneRoles },
      };
    }
    const group = /^\/api\/v1\/groups\/([^/]+)$/.exec(pathname);
    if (group) return entity(d.groups.find((g) => g.id === group[1]));
    if (pathname === '/api/v1/roles') return this.#cursorPage(request, d.roles);
    if (pathname === '/api/v1/api-keys') return this.#keysPage(request);
    if (pathname === `/api/v1/api-keys/configs/${TENANT_ID}`)
      return d.config ? { status: 200, json: d.config } : notFound();
    return notFound();
  }

  #limit(request: RecordedRequest): number {
    const asked = Number(request.url.searchParams.get('limit') ?? this.options.defaultLimit ?? 20);
    return Math.min(100, Math.max(1, asked));
  }

  /** Opaque `next` cursors over the (filtered) list, with absolute links as Qlik sends them. */
  #cursorPage(request: RecordedRequest, items: readonly Wire[]): FakeResponse {
    const limit = this.#limit(request);
    const cursor = request.url.searchParams.get('next');
    const offset = cursor ? Number(Buffer.from(cursor, 'base64url').toString()) : 0;
    const data = items.slice(offset, offset + limit);
    const links: Record<string, { href: string }> = { self: { href: request.url.href } };
    if (offset + limit < items.length) {
      const next = new URL(request.url);
      next.searchParams.set('next', Buffer.from(String(offset + limit)).toString('base64url'));
      links['next'] = { href: next.href };
    }
    const total = request.url.searchParams.get('totalResults') === 'true' ? { totalResults: items.length } : {};
    return { status: 200, json: { data, links, ...total } };
  }

  /** `startingAfter=<last id>` paging, as the api-keys listing does. */
  #keysPage(request: RecordedRequest): FakeResponse {
    const limit = this.#limit(request);
    const after = request.url.searchParams.get('startingAfter');
    const keys = this.data.apiKeys;
    const start = after ? keys.findIndex((k) => k.id === after) + 1 : 0;
    const data = keys.slice(start, start + limit);
    const links: Record<string, { href: string }> = { self: { href: request.url.href } };
    if (start + limit < keys.length) {
      const next = new URL(request.url);
      next.searchParams.set('startingAfter', (data[data.length - 1] as Wire).id);
      links['next'] = { href: next.href };
    }
    return { status: 200, json: { data, links } };
  }
}

export function redirect(status: number, location: string): FakeResponse {
  return { status, text: '', headers: { location } };
}

export function notFound(): FakeResponse {
  return {
    status: 404,
    json: { errors: [{ code: 'HTTP-404', title: 'Not found', status: 404 }], traceId: 'trace-404' },
  };
}

function entity(item: Wire | undefined): FakeResponse {
  return item ? { status: 200, json: item } : notFound();
}

function normalizeHeaders(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) out[String(headers[i]).toLowerCase()] = String(headers[i + 1]);
  } else if (headers instanceof Headers) {
    headers.forEach((value, key) => {
      out[key.toLowerCase()] = value;
    });
  } else {
    for (const [key, value] of Object.entries(headers as Record<string, unknown>))
      out[key.toLowerCase()] = String(value);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Wire builders (shapes of docs/qlik-cloud-api.md §13)

let counter = 0;
/** A 24-hex id, unique within the test run. */
export function objectId(): string {
  counter += 1;
  return counter.toString(16).padStart(24, '0').replace(/^0/, 'a');
}

export function roleRef(role: Wire): Wire {
  return { id: role.id, name: role['name'], type: role['type'], level: role['level'] ?? 'user' };
}

export function wireRole(name: string, fields: Partial<Wire> = {}): Wire {
  return {
    id: objectId(),
    tenantId: TENANT_ID,
    name,
    description: '',
    type: 'custom',
    level: 'user',
    assignedScopes: [],
    permissions: [],
    createdAt: '2024-01-01T00:00:00.000Z',
    lastUpdatedAt: '2024-01-01T00:00:00.000Z',
    links: { self: { href: `${ORIGIN}/api/v1/roles/x` } },
    ...fields,
  };
}

export function wireGroup(name: string, roles: readonly Wire[] = [], fields: Partial<Wire> = {}): Wire {
  return {
    id: objectId(),
    tenantId: TENANT_ID,
    name,
    status: 'active',
    providerType: 'custom',
    assignedRoles: roles.map(roleRef),
    createdAt: '2024-01-01T00:00:00.000Z',
    lastUpdatedAt: '2024-01-01T00:00:00.000Z',
    links: { self: { href: `${ORIGIN}/api/v1/groups/x` } },
    ...fields,
  };
}

export function wireUser(
  name: string,
  options: { roles?: readonly Wire[]; groups?: readonly Wire[]; status?: string; fields?: Partial<Wire> } = {},
): Wire {
  const id = objectId();
  return {
    id,
    tenantId: TENANT_ID,
    subject: `auth0|${id}`,
    name,
    email: `${name.toLowerCase().replace(/\s+/g, '.')}@example.com`,
    status: options.status ?? 'active',
    assignedRoles: (options.roles ?? []).map(roleRef),
    assignedGroups: (options.groups ?? []).map((g) => ({
      id: g.id,
      name: g['name'],
      providerType: g['providerType'],
      assignedRoles: g['assignedRoles'],
    })),
    createdAt: '2024-01-01T00:00:00.000Z',
    lastUpdatedAt: '2024-01-01T00:00:00.000Z',
    links: { self: { href: `${ORIGIN}/api/v1/users/${id}` } },
    ...options.fields,
  };
}

export function wireKey(owner: Wire | string, fields: Partial<Wire> = {}): Wire {
  const id = `key${objectId()}`;
  return {
    id,
    tenantId: TENANT_ID,
    description: `key of ${typeof owner === 'string' ? owner : owner['name']}`,
    sub: typeof owner === 'string' ? owner : owner.id,
    subType: 'user',
    status: 'active',
    expiry: '2030-01-01T00:00:00Z',
    created: '2025-01-01T00:00:00Z',
    createdByUser: typeof owner === 'string' ? owner : owner.id,
    ...fields,
  };
}

/** An unsigned JWT-shaped API key whose payload says `exp`. */
export function jwtWithExp(exp: number, extra: Record<string, unknown> = {}): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'ES384', typ: 'JWT' })}.${part({ sub: 'someone', exp, ...extra })}.c2lnbmF0dXJl`;
}
