/**
 * What every endpoint handler gets, and the small helpers they share (sorting, JSON Patch bodies, role references).
 */
import type { Reply, Service } from '../http';
import { badRequest } from '../http';
import type { Tier } from '../rate-limit';
import type { SimRole } from '../scenario';
import type { SimSettings } from '../settings';
import type { TenantState } from '../tenant-state';
import type { TokenIssuer } from '../tokens';
import type { RenderContext } from '../wire';

export interface Identity {
  readonly userId: string;
  readonly via: 'api-key' | 'oauth';
}

export interface SimServices {
  readonly tokens: TokenIssuer;
  /** Mint a token for an OAuth client acting as `userId`. */
  readonly issueAccessToken: (
    userId: string,
    clientId: string,
    scope: string | undefined,
  ) => { token: string; expiresAt: Date };
}

export interface HandlerContext {
  readonly method: string;
  readonly url: URL;
  /** `http://<Host header>`: every absolute link is built from it. */
  readonly origin: string;
  readonly host: string;
  readonly params: Readonly<Record<string, string>>;
  readonly body: string;
  readonly contentType: string;
  /** Absent only on unauthenticated routes (token endpoint, discovery). */
  readonly identity: Identity | undefined;
  readonly render: RenderContext;
  readonly state: TenantState;
  readonly settings: SimSettings;
  readonly now: Date;
  readonly services: SimServices;
}

export type Handler = (ctx: HandlerContext) => Reply | Promise<Reply>;

export interface Route {
  readonly method: string;
  /** e.g. `/api/v1/users/{id}`; also the key of `stats().byPath`. */
  readonly template: string;
  readonly pattern: RegExp;
  readonly paramNames: readonly string[];
  readonly tier: Tier;
  readonly service: Service;
  readonly authenticated: boolean;
  readonly handler: Handler;
}

export function route(
  method: string,
  template: string,
  tier: Tier,
  service: Service,
  handler: Handler,
  authenticated = true,
): Route {
  const paramNames: string[] = [];
  const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, name: string) => {
    paramNames.push(name);
    return '([^/]+)';
  });
  return { method, template, pattern: new RegExp(`^${source}/?$`), paramNames, tier, service, authenticated, handler };
}

export function requireIdentity(ctx: HandlerContext): Identity {
  if (!ctx.identity) throw new Error(`route ${ctx.url.pathname} needs an authenticated caller`);
  return ctx.identity;
}

export function isAdmin(ctx: HandlerContext): boolean {
  return ctx.identity !== undefined && ctx.state.isTenantAdmin(ctx.identity.userId);
}

/** `sort` as `[+|-]field`; `allowed` undefined = any field name. */
export function parseSort(
  raw: string | null,
  allowed: readonly string[] | undefined,
  fallback: string,
): { field: string; descending: boolean } | { error: string } {
  const text = raw === null || raw === '' ? fallback : raw;
  // A literal "+" in a query string decodes to a space.
  const match = /^([+-]?)([A-Za-z_][\w.]*)$/.exec(text.replace(/^ /, '+').trim());
  if (!match) return { error: `invalid sort ${JSON.stringify(text)}` };
  const field = match[2]!;
  if (allowed && !allowed.includes(field))
    return {
      error: `sort must be one of ${allowed.join(', ')} (optionally prefixed with + or -), got ${JSON.stringify(text)}`,
    };
  return { field, descending: match[1] === '-' };
}

/** Stable sort by one extracted key (strings compared by code unit, numbers numerically), ties broken by id. */
export function sortBy<T extends { readonly id: string }>(
  items: readonly T[],
  key: (item: T) => string | number | undefined,
  descending: boolean,
): T[] {
  const keyed = items.map((item) => ({ item, k: key(item) ?? '' }));
  keyed.sort((a, b) => {
    let c = 0;
    if (a.k < b.k) c = -1;
    else if (a.k > b.k) c = 1;
    if (descending) c = -c;
    if (c === 0) c = a.item.id < b.item.id ? -1 : a.item.id > b.item.id ? 1 : 0;
    return c;
  });
  return keyed.map((k) => k.item);
}

export interface PatchOperation {
  readonly op: string;
  readonly path: string;
  readonly value?: unknown;
}

/** A JSON Patch body (an array of `{ op, path, value }`), or the 400 explaining what is wrong with it. */
export function parsePatch(ctx: HandlerContext, service: Service): PatchOperation[] | Reply {
  let parsed: unknown;
  try {
    parsed = JSON.parse(ctx.body);
  } catch {
    return badRequest(service, ctx.settings, 'body must be a JSON Patch array');
  }
  if (!Array.isArray(parsed) || parsed.length === 0)
    return badRequest(service, ctx.settings, 'body must be a non-empty JSON Patch array');
  const ops: PatchOperation[] = [];
  for (const [i, item] of parsed.entries()) {
    if (typeof item !== 'object' || item === null || typeof (item as PatchOperation).op !== 'string') {
      return badRequest(service, ctx.settings, `operation ${i}: expected { op, path, value }`);
    }
    const op = item as PatchOperation;
    // Group patches may omit the path (Qlik's own example does); it then means assignedRoles.
    ops.push({ op: op.op, path: typeof op.path === 'string' ? op.path : '', value: op.value });
  }
  return ops;
}

export function isReply(value: unknown): value is Reply {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as Reply).status === 'number'
  );
}

/** Resolves `[{ id }]` or `[{ name }]` role references; names match exactly (case-sensitive, as Qlik's names). */
export function resolveRoleRefs(state: TenantState, value: unknown): SimRole[] | string {
  const resolved = resolveRoleRefsLeniently(state, value);
  if (typeof resolved === 'string') return resolved;
  return resolved.unknown.length > 0 ? `unknown role ${resolved.unknown[0]}` : resolved.roles;
}

/** As {@link resolveRoleRefs}, but unknown references are listed (as JSON text) instead of failing the whole list. */
export function resolveRoleRefsLeniently(
  state: TenantState,
  value: unknown,
): { roles: SimRole[]; unknown: string[] } | string {
  if (!Array.isArray(value)) return 'value must be an array of { id } or { name } role references';
  const roles: SimRole[] = [];
  const unknown: string[] = [];
  for (const ref of value) {
    if (typeof ref !== 'object' || ref === null) return 'each role reference must be an object with id or name';
    const { id, name } = ref as { id?: unknown; name?: unknown };
    if (typeof id !== 'string' && typeof name !== 'string') return 'each role reference must have an id or a name';
    const role = typeof id === 'string' ? state.role(id) : state.roleByName(name as string);
    if (!role) unknown.push(JSON.stringify(ref));
    else if (!roles.includes(role)) roles.push(role);
  }
  return { roles, unknown };
}
