/**
 * The simulated Qlik Cloud tenant: a real HTTP server on 127.0.0.1 serving the REST endpoints the checker reads, in
 * Qlik's shapes (wire.ts), from a scenario (scenarios/*.yaml or generateTenant). Faults, latency and rate limits are
 * injected per request so the client can be tested over real sockets; `log` and `stats()` show what it did.
 * The Authorization header is read only to authenticate and is never logged.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SimEvents } from './events';
import type { FaultDecision, FaultKind, FaultPlan, TerminalFault } from './faults';
import { FaultInjector } from './faults';
import type { Reply, Service } from './http';
import {
  BodyTooLargeError,
  badRequest,
  errorReply,
  forbidden,
  htmlPage,
  rateLimitedReply,
  readBody,
  unauthorizedReply,
} from './http';
import { PagingError } from './paging';
import type { Tier } from './rate-limit';
import { RateLimiter } from './rate-limit';
import { apiKeyRoutes } from './routes/api-keys';
import { auditRoutes } from './routes/audits';
import { groupRoutes } from './routes/groups';
import { roleRoutes } from './routes/roles';
import type { HandlerContext, Identity, Route, SimServices } from './routes/route';
import { tenantRoutes } from './routes/tenant';
import { userRoutes } from './routes/users';
import { webhookRoutes } from './routes/webhooks';
import type { Scenario } from './scenario';
import { cloneScenario, DEVELOPER_NAME, USER_DEFAULT_NAME } from './scenario';
import { FilterSemanticError, FilterSyntaxError } from './scim-filter';
import type { SimSettings } from './settings';
import { resolveSettings } from './settings';
import { TenantState } from './tenant-state';
import { resolveTime } from './time';
import { randomId, TokenIssuer } from './tokens';
import type { RenderContext } from './wire';

export type { Fault, FaultKind, FaultPlan, FaultScope } from './faults';
export type { GenerateTenantSpec } from './generate';
export { generateTenant } from './generate';
export type { ExpectedFinding, Scenario, ScenarioExpectation, SimApiKey, SimGroup, SimRole, SimUser } from './scenario';
export { EVERYONE_ID, EVERYONE_NAME } from './scenario';
export { listScenarios, loadScenario, scenarioFromDocument } from './scenario-file';
export type { SimSettings } from './settings';
export { DEFAULT_SIM_SETTINGS } from './settings';

export interface SimulatedTenantOptions {
  /** From {@link loadScenario} or {@link generateTenant}. The server works on its own copy. */
  readonly scenario: Scenario;
  /** Every *Unverified* switch of docs/qlik-cloud-api.md; over the scenario's own settings, over the defaults. */
  readonly settings?: Partial<SimSettings>;
  readonly faults?: FaultPlan;
  /** Delay before every response starts. */
  readonly latencyMs?: number;
  /** The sim clock: relative scenario dates, key expiry, OAuth token expiry. Default: the wall clock. */
  readonly now?: () => Date;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
  /**
   * Another tenant's id, which this tenant then answers with everywhere (`/tenants/me`, `/users/me`, every
   * `tenantId` field): a tenant impersonating another. Default: the scenario's own id.
   */
  readonly claimTenantId?: string;
}

export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  /** The query string without `?` (cursors, filters); never a credential. */
  readonly query: string;
  readonly status: number;
  readonly ms: number;
  readonly tier: Tier;
  /** Route template, e.g. `GET /api/v1/users/{id}`; absent for unknown paths. */
  readonly route?: string;
  readonly faults?: readonly FaultKind[];
}

export interface SimStats {
  readonly requests: number;
  /** Requests per route template (`GET /api/v1/users/{id}`), or per raw path for unknown paths. */
  readonly byPath: Record<string, number>;
  /** 429 responses, from the rate limiter or from injected faults. */
  readonly rateLimited: number;
  /** TCP connections accepted: far fewer than requests means keep-alive works. */
  readonly connections: number;
  /** Most requests in flight at once. */
  readonly maxConcurrent: number;
  readonly faultsFired: Record<string, number>;
}

export interface SimulatedTenant {
  readonly url: string;
  readonly tenantId: string;
  readonly credentials: { readonly apiKey: string; readonly clientId: string; readonly clientSecret: string };
  readonly log: readonly RequestRecord[];
  readonly settings: SimSettings;
  /** The server's live copy of the scenario; change it only through {@link mutate}. */
  readonly scenario: Readonly<Scenario>;
  stats(): SimStats;
  setFaults(plan: FaultPlan): void;
  setLatency(ms: number): void;
  /** Change the tenant between runs (e.g. give a user a role); indexes are rebuilt, relative dates anchored. */
  mutate(fn: (s: Scenario) => void): void;
  /** A bearer token for one of the scenario's user keys (or the caller's), e.g. to see a disabled owner's key fail. */
  apiKeyFor(keyId: string): string;
  /** Audit log, webhooks and their deliveries (events.ts); `events.settle()` waits for deliveries in flight. */
  readonly events: SimEvents;
  close(): Promise<void>;
}

const ROUTES: readonly Route[] = [
  ...userRoutes,
  ...groupRoutes,
  ...roleRoutes,
  ...apiKeyRoutes,
  ...tenantRoutes,
  ...webhookRoutes,
  ...auditRoutes,
];
const CURSOR_PARAMS = ['next', 'prev', 'startingAfter', 'endingBefore'];

function serviceOf(pathname: string): Service {
  const segment = /^\/api\/v1\/([^/]+)/.exec(pathname)?.[1];
  switch (segment) {
    case 'users':
    case 'groups':
    case 'roles':
    case 'api-keys':
    case 'tenants':
    case 'webhooks':
    case 'audits':
      return segment;
    default:
      return pathname.startsWith('/oauth') ? 'oauth' : 'users';
  }
}

function tierOf(method: string, pathname: string): Tier {
  if (pathname.endsWith('/actions/filter')) return 'filter';
  if (pathname === '/oauth/token') return 'tier2';
  return method === 'GET' || method === 'HEAD' ? 'tier1' : 'tier2';
}

/** Settings may give UserDefault or Developer another id than the scenario was built with: rename every reference. */
function applyRoleIdSettings(s: Scenario, settings: SimSettings): void {
  const rename = (name: string, id: string) => {
    const role = s.roles.find((r) => r.name === name && r.type === 'default');
    if (!role || role.id === id) return;
    const old = role.id;
    role.id = id;
    const swap = (ids: string[]) => ids.map((x) => (x === old ? id : x));
    for (const u of s.users) u.assignedRoles = swap(u.assignedRoles);
    for (const g of s.groups) g.assignedRoles = swap(g.assignedRoles);
    s.everyone.assignedRoles = swap(s.everyone.assignedRoles);
  };
  rename(USER_DEFAULT_NAME, settings.userDefaultRoleId);
  rename(DEVELOPER_NAME, settings.developerRoleId);
}

export async function startSimulatedTenant(options: SimulatedTenantOptions): Promise<SimulatedTenant> {
  const scenario = cloneScenario(options.scenario);
  if (options.claimTenantId !== undefined) scenario.tenant.id = options.claimTenantId;
  const settings = resolveSettings(scenario.settings, options.settings);
  applyRoleIdSettings(scenario, settings);
  const now = options.now ?? (() => new Date());
  const state = new TenantState(scenario, settings, now);
  const events = new SimEvents(state, settings, now);
  const tokens = new TokenIssuer();
  const faults = new FaultInjector(options.faults ?? []);
  const limiter = new RateLimiter(() => settings);
  let latencyMs = options.latencyMs ?? 0;

  const log: RequestRecord[] = [];
  const byPath: Record<string, number> = {};
  let requests = 0;
  let rateLimited = 0;
  let connections = 0;
  let inFlight = 0;
  let maxConcurrent = 0;

  const services: SimServices = {
    tokens,
    issueAccessToken(userId, clientId, scope) {
      const expiresAt = new Date(now().getTime() + settings.oauthExpiresInSeconds * 1000);
      const token = tokens.sign({
        kind: 'oauth',
        sub: userId,
        subType: 'user',
        tenantId: state.tenantId,
        client_id: clientId,
        jti: randomId(16, 'url-safe'),
        ...(scope !== undefined ? { scope } : {}),
        aud: 'qlik.api',
        iss: 'qlik.api.internal',
        exp: Math.floor(expiresAt.getTime() / 1000),
      });
      return { token, expiresAt };
    },
  };

  function apiKeyFor(keyId: string): string {
    const key = state.apiKey(keyId);
    const caller = scenario.caller;
    if (key && key.subType !== 'user')
      throw new Error(`key ${keyId} is a SCIM key; only user keys authenticate API calls`);
    if (!key && keyId !== caller.apiKeyId) throw new Error(`no key ${keyId} in scenario ${scenario.name}`);
    const sub = key ? key.sub : caller.userId;
    const expiry = resolveTime(key ? key.expiry : caller.apiKeyExpiry, now());
    return tokens.sign({
      kind: 'api-key',
      sub,
      subType: 'user',
      tenantId: state.tenantId,
      jti: keyId,
      aud: 'qlik.api',
      iss: 'qlik.api.internal',
      exp: Math.floor(expiry.getTime() / 1000),
    });
  }

  /** The caller behind a bearer token, or the 401 it gets. Mirrors what a real tenant checks. */
  function authenticate(header: string | undefined): Identity | Reply {
    const reject = (title: string) => unauthorizedReply(settings, title);
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) return reject('Unauthorized, JWT is invalid or not provided');
    const claims = tokens.verify(match[1]!);
    if (!claims || claims.tenantId !== state.tenantId) return reject('Unauthorized, JWT is invalid or not provided');
    const at = now();
    if (claims.exp * 1000 <= at.getTime()) return reject('Unauthorized, JWT has expired');
    const user = state.user(claims.sub);
    if (!user || (user.status !== undefined && user.status !== 'active')) return reject('Authorization Required');
    if (claims.kind === 'oauth') return { userId: user.id, via: 'oauth' };
    const key = state.apiKey(claims.jti);
    if (key) {
      if (key.sub !== user.id || key.status !== 'active' || state.keyExpired(key, at))
        return reject('Authorization Required');
    } else if (claims.jti !== scenario.caller.apiKeyId) {
      return reject('Authorization Required'); // a deleted key
    }
    // The failure this project exists for: a key whose owner lost "Manage API keys" is rejected.
    if (scenario.mode === 'current' && settings.rejectKeysOfOwnersWithoutScope && !state.mayUseApiKeys(user))
      return reject('Authorization Required');
    return { userId: user.id, via: 'api-key' };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const host = req.headers.host ?? `127.0.0.1:${port}`;
    const origin = `http://${host}`;
    const url = new URL(req.url ?? '/', origin);
    const pathname = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    let matched: { route: Route; params: Record<string, string> } | undefined;
    for (const r of ROUTES) {
      if (r.method !== method) continue;
      const m = r.pattern.exec(pathname);
      if (!m) continue;
      matched = {
        route: r,
        params: Object.fromEntries(r.paramNames.map((name, i) => [name, decodeURIComponent(m[i + 1]!)])),
      };
      break;
    }
    const tier = matched?.route.tier ?? tierOf(method, pathname);
    const service = matched?.route.service ?? serviceOf(pathname);
    const statKey = matched ? `${method} ${matched.route.template}` : `${method} ${pathname}`;
    requests++;
    byPath[statKey] = (byPath[statKey] ?? 0) + 1;

    const decision = faults.decide({
      method,
      pathname,
      search: url.search,
      hasCursor: CURSOR_PARAMS.some((p) => url.searchParams.has(p)),
    });
    const record = (status: number) => {
      if (status === 429) rateLimited++;
      const entry: RequestRecord = {
        method,
        path: pathname,
        query: url.search.replace(/^\?/, ''),
        status,
        ms: Math.round((performance.now() - started) * 10) / 10,
        tier,
        ...(matched ? { route: statKey } : {}),
        ...(decision.fired.length > 0 ? { faults: decision.fired } : {}),
      };
      log.push(entry);
    };

    const delay = latencyMs + decision.delayMs;
    if (delay > 0) await sleep(delay);

    const terminal = decision.terminal;
    if (terminal?.kind === 'connection-reset') {
      record(0);
      req.socket.destroy();
      return;
    }
    let reply: Reply | undefined = terminal ? faultReply(terminal, service) : undefined;
    let body = '';
    if (!reply && method !== 'GET' && method !== 'HEAD') {
      try {
        body = await readBody(req);
      } catch (error) {
        if (!(error instanceof BodyTooLargeError)) throw error;
        reply = errorReply(service, 413, 'Payload Too Large', settings);
      }
    }
    let identity: Identity | undefined;
    if (!reply && matched?.route.authenticated !== false) {
      const auth = authenticate(req.headers.authorization);
      if ('userId' in auth) identity = auth;
      else reply = auth;
    }
    let rateHeaders: Record<string, string> = {};
    if (!reply && (settings.enforceRateLimits || settings.rateLimitHeaders) && tier !== 'none') {
      const caller = identity?.userId ?? `anonymous:${pathname}`;
      const verdict = limiter.take(caller, tier);
      if (settings.rateLimitHeaders) {
        rateHeaders = {
          'x-ratelimit-limit': String(verdict.limit),
          'x-ratelimit-remaining': String(verdict.allowed ? verdict.remaining : 0),
          'x-ratelimit-reset': String(verdict.allowed ? verdict.resetSeconds : verdict.retryAfterSeconds),
        };
      }
      if (!verdict.allowed && settings.enforceRateLimits) reply = rateLimitedReply(verdict.retryAfterSeconds);
    }
    if (!reply && !matched)
      reply = errorReply(service, 404, 'Not found', settings, { detail: `no route ${method} ${pathname}` });
    if (!reply && matched) {
      const render: RenderContext = {
        origin,
        now: now(),
        settings,
        state,
        callerId: identity?.userId ?? '',
        callerIsAdmin: identity !== undefined && state.isTenantAdmin(identity.userId),
      };
      const ctx: HandlerContext = {
        method,
        url,
        origin,
        host,
        params: matched.params,
        body,
        contentType: String(req.headers['content-type'] ?? ''),
        identity,
        render,
        state,
        settings,
        now: render.now,
        services,
      };
      try {
        reply = await matched.route.handler(ctx);
      } catch (error) {
        if (error instanceof FilterSyntaxError || error instanceof FilterSemanticError) {
          reply = badRequest(service, settings, `invalid filter: ${error.message}`, 'filter');
        } else if (error instanceof PagingError) {
          reply = badRequest(service, settings, error.message, error.parameter);
        } else {
          reply = errorReply(service, 500, 'Internal Server Error', settings, {
            detail: `simulator error: ${(error as Error).message}`,
          });
        }
      }
      reply = applyMutators(reply, decision.mutators, url, origin);
    }
    return send(reply ?? errorReply(service, 500, 'Internal Server Error', settings), res, {
      method,
      pathname,
      slow: decision.slowBody,
      rateHeaders,
      record,
    });
  }

  async function send(
    reply: Reply,
    res: ServerResponse,
    {
      method,
      pathname,
      slow,
      rateHeaders,
      record,
    }: {
      method: string;
      pathname: string;
      slow: FaultDecision['slowBody'];
      rateHeaders: Record<string, string>;
      record: (status: number) => void;
    },
  ): Promise<void> {
    const headers: Record<string, string> = { ...rateHeaders, ...(reply.headers ?? {}) };
    if (settings.deprecationHeaders && pathname.startsWith('/api/')) {
      headers.deprecation = '@1688169599';
      headers.sunset = 'Sat, 31 Oct 2026 23:59:59 GMT';
      headers.link = '<https://qlik.dev/changelog>; rel="deprecation"; type="text/html"';
    }
    let payload: string | undefined;
    if (reply.json !== undefined) {
      payload = JSON.stringify(reply.json);
      headers['content-type'] = 'application/json; charset=utf-8';
    } else if (reply.text !== undefined) {
      payload = reply.text;
      headers['content-type'] = reply.contentType ?? 'text/plain; charset=utf-8';
    }

    if (payload === undefined || method === 'HEAD') {
      headers['content-length'] = '0';
      res.writeHead(reply.status, headers);
      res.end();
    } else if (!slow) {
      headers['content-length'] = String(Buffer.byteLength(payload));
      res.writeHead(reply.status, headers);
      res.end(payload);
    } else {
      const bytes = Buffer.from(payload);
      const chunks = Math.max(1, Math.min(slow.chunks ?? 5, bytes.length));
      const size = Math.ceil(bytes.length / chunks);
      headers['content-length'] = String(bytes.length);
      res.writeHead(reply.status, headers);
      for (let i = 0; i < chunks; i++) {
        if (res.destroyed) break;
        res.write(bytes.subarray(i * size, (i + 1) * size));
        if (i < chunks - 1) await sleep(slow.durationMs / chunks);
      }
      res.end();
    }
    record(reply.status);
  }

  function faultReply(fault: Exclude<TerminalFault, { kind: 'connection-reset' }>, service: Service): Reply {
    switch (fault.kind) {
      case 'rate-limit':
        return rateLimitedReply(fault.retryAfterSeconds ?? 1);
      case 'server-error': {
        const status = fault.status ?? 500;
        return errorReply(
          service,
          status,
          status === 500
            ? 'Internal Server Error'
            : status === 502
              ? 'Bad Gateway'
              : status === 503
                ? 'Service Unavailable'
                : 'Gateway Timeout',
          settings,
          { code: `HTTP-${status}` },
        );
      }
      case 'html': {
        const status = fault.status ?? 200;
        return {
          status,
          text:
            status === 200
              ? '<html><head><title>Qlik Sense</title></head><body><div id="login">Sign in</div></body></html>'
              : htmlPage(status, 'Bad Gateway'),
          contentType: 'text/html; charset=utf-8',
        };
      }
      case 'unauthorized':
        return unauthorizedReply(settings, 'Authorization Required');
      case 'forbidden':
        return forbidden(service, settings, 'Forbidden (injected fault)');
      case 'huge-error':
        return { status: fault.status ?? 502, text: '<'.repeat(fault.bytes), contentType: 'text/html; charset=utf-8' };
      case 'error-json':
        return {
          status: fault.status,
          json: {
            errors: [
              {
                code: 'HOSTILE-1',
                title: fault.title,
                ...(fault.detail !== undefined ? { detail: fault.detail } : {}),
                status: String(fault.status),
              },
            ],
          },
        };
      case 'deep-json':
        return {
          status: 200,
          text: `{"data":${'['.repeat(fault.depth)}${']'.repeat(fault.depth)}}`,
          contentType: 'application/json; charset=utf-8',
        };
      case 'malformed-json':
        return {
          status: 200,
          text: '{"data":[{"id":"637390ec6541614d3a88d6c1","tenantId":"BL4tTJ4S7xrHTcq0zQxQrJ5qB1_Q6cSo","name":"Integr',
          contentType: 'application/json; charset=utf-8',
        };
    }
  }

  const server = createServer((req, res) => {
    inFlight++;
    maxConcurrent = Math.max(maxConcurrent, inFlight);
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        inFlight--;
      }
    };
    res.on('close', finish);
    handle(req, res).catch((error: unknown) => {
      // A bug in the simulator must surface as a 500 the test can see, not a hung socket.
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`simulator error: ${(error as Error).message}`);
      } else {
        res.destroy();
      }
      finish();
    });
  });
  server.keepAliveTimeout = 5000;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    tenantId: state.tenantId,
    credentials: Object.freeze({
      apiKey: apiKeyFor(scenario.caller.apiKeyId),
      clientId: scenario.oauthClient.clientId,
      clientSecret: scenario.oauthClient.clientSecret,
    }),
    log,
    settings,
    scenario,
    stats: () => ({
      requests,
      byPath: { ...byPath },
      rateLimited,
      connections,
      maxConcurrent,
      faultsFired: faults.firedCounts(),
    }),
    setFaults: (plan) => faults.set(plan),
    setLatency: (ms) => {
      latencyMs = ms;
    },
    mutate: (fn) => state.mutate(fn),
    apiKeyFor,
    events,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Body faults applied to an otherwise correct response. */
function applyMutators(reply: Reply, mutators: FaultPlan, url: URL, origin: string): Reply {
  if (mutators.length === 0 || typeof reply.json !== 'object' || reply.json === null) return reply;
  const json = reply.json as { data?: unknown; links?: { self?: { href: string }; next?: { href: string } } };
  for (const fault of mutators) {
    if (fault.kind === 'cursor-loop' && json.links?.next) {
      // The page fetched with a cursor points at itself: a client that does not detect repeats never finishes.
      json.links.next = { href: `${origin}${url.pathname}${url.search}` };
    } else if (fault.kind === 'foreign-next-link' && json.links?.next) {
      const next = new URL(json.links.next.href);
      json.links.next = { href: `https://${fault.host ?? 'collector.attacker.example'}${next.pathname}${next.search}` };
    } else if (fault.kind === 'huge-body') {
      (json as Record<string, unknown>)['padding'] = ' '.repeat(fault.bytes);
    } else if (fault.kind === 'missing-field') {
      const targets = Array.isArray(json.data)
        ? (json.data as Record<string, unknown>[])
        : [json as Record<string, unknown>];
      for (const t of targets) if (t && typeof t === 'object') delete t[fault.field];
    }
  }
  return reply;
}
