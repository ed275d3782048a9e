/**
 * Users (docs/qlik-cloud-api.md §3): list with SCIM filter, fields, sort and cursors; the filter action; one user; the 301
 * of `/users/me`; and the `replace` of `/assignedRoles` that remediation uses.
 */

import type { Reply } from '../http';
import { badRequest, forbidden, notFound, traceId } from '../http';
import { cursorPage, parseLimit } from '../paging';
import type { SimUser } from '../scenario';
import type { FilterNode, FilterSchema } from '../scim-filter';
import { bindFilter, indexCandidates, matches, parseFilter, splitStatusCondition } from '../scim-filter';
import type { TenantState } from '../tenant-state';
import type { WireErrors, WireUser, WireUsers } from '../wire';
import { renderUser } from '../wire';
import type { HandlerContext, Route } from './route';
import {
  isAdmin,
  isReply,
  parsePatch,
  parseSort,
  requireIdentity,
  resolveRoleRefsLeniently,
  route,
  sortBy,
} from './route';

const USER_SORT_FIELDS = [
  'name',
  '_id',
  'id',
  'tenantId',
  'clientId',
  'status',
  'subject',
  'email',
  'inviteExpiry',
  'createdAt',
] as const;

const schemas = new WeakMap<TenantState, FilterSchema<SimUser>>();

function userFilterSchema(state: TenantState): FilterSchema<SimUser> {
  let schema = schemas.get(state);
  if (schema) return schema;
  const one = (v: string | undefined): readonly string[] => (v === undefined ? [] : [v]);
  schema = {
    resource: 'users',
    attributes: {
      id: { ops: ['eq'], values: (u) => [u.id] },
      subject: { ops: ['eq', 'co'], values: (u) => [u.subject] },
      name: { ops: ['eq', 'co'], values: (u) => [u.name] },
      email: { ops: ['eq', 'co'], values: (u) => one(u.email) },
      status: { ops: ['eq'], values: (u) => [u.status ?? 'active'] },
      clientId: { ops: ['eq'], values: (u) => one(u.clientId) },
      'assignedRoles.id': { ops: ['eq'], values: (u) => u.assignedRoles },
      'assignedRoles.name': { ops: ['eq'], values: (u) => state.directRoles(u).map((r) => r.name) },
      'assignedGroups.id': { ops: ['eq'], values: (u) => u.assignedGroups },
      'assignedGroupsAssignedRoles.name': { ops: ['eq'], values: (u) => state.groupRoles(u).map((r) => r.name) },
      assignedScopes: {
        ops: ['eq'],
        values: (u) => {
          const mode = state.settings.userAssignedScopes;
          return mode === 'absent' ? [] : mode === 'effective' ? [...state.effectiveScopes(u)] : state.directScopes(u);
        },
      },
    },
  };
  schemas.set(state, schema);
  return schema;
}

interface UserQuery {
  readonly filter: FilterNode | undefined;
  readonly statuses: ReadonlySet<string> | undefined;
}

/** Parses and checks a users filter; throws FilterSyntaxError / FilterSemanticError for a 400. */
function userQuery(state: TenantState, filterText: string | undefined): UserQuery {
  let filter: FilterNode | undefined;
  let statuses: ReadonlySet<string> | undefined;
  if (filterText !== undefined && filterText.trim() !== '') {
    const bound = bindFilter(parseFilter(filterText), userFilterSchema(state));
    ({ rest: filter, statuses } = splitStatusCondition(bound));
  }
  if (!statuses && state.settings.usersWithoutStatusFilter === 'active') statuses = new Set(['active']);
  return { filter, statuses };
}

function selectUsers(state: TenantState, query: UserQuery): SimUser[] {
  const schema = userFilterSchema(state);
  const { filter, statuses } = query;
  const candidates = filter
    ? (indexCandidates(filter, (attr, value) => state.usersWhere(attr, value)) ?? state.scenario.users)
    : state.scenario.users;
  return candidates.filter(
    (u) => (!statuses || statuses.has(u.status ?? 'active')) && (!filter || matches(filter, u, schema)),
  );
}

function sortKey(field: string): (u: SimUser) => string | undefined {
  switch (field) {
    case '_id':
    case 'id':
      return (u) => u.id;
    case 'tenantId':
      return () => '';
    case 'status':
      return (u) => u.status ?? 'active';
    case 'inviteExpiry':
      return (u) => u.inviteExpiry;
    case 'createdAt':
      return (u) => u.createdAt;
    default:
      return (u) => (u as unknown as Record<string, string | undefined>)[field];
  }
}

function listUsers(ctx: HandlerContext, filterText: string | undefined, allowedSorts: readonly string[]): Reply {
  const { url, state, settings } = ctx;
  const limit = parseLimit(url.searchParams, settings);
  const sort = parseSort(url.searchParams.get('sort'), allowedSorts, '+name');
  if ('error' in sort) return badRequest('users', settings, sort.error, 'sort');
  const fieldsParam = url.searchParams.get('fields');
  const fields = fieldsParam
    ? new Set(
        fieldsParam
          .split(',')
          .map((f) => f.trim())
          .filter(Boolean),
      )
    : undefined;
  const query = userQuery(state, filterText);
  const queryKey = `users\u0000${filterText ?? ''}\u0000${sort.field}\u0000${sort.descending}\u0000${settings.usersWithoutStatusFilter}`;
  const all = state.memoize(queryKey, () => sortBy(selectUsers(state, query), sortKey(sort.field), sort.descending));
  const { page, links } = cursorPage(all, url, ctx.origin, limit, queryKey);
  const body: WireUsers = { data: page.map((u) => renderUser(u, ctx.render, fields)), links };
  if (url.searchParams.get('totalResults') === 'true') body.totalResults = all.length;
  return { status: 200, json: body };
}

function getUsers(ctx: HandlerContext): Reply {
  return listUsers(ctx, ctx.url.searchParams.get('filter') ?? undefined, USER_SORT_FIELDS);
}

function filterUsersAction(ctx: HandlerContext): Reply {
  let body: unknown = {};
  if (ctx.body.trim() !== '') {
    try {
      body = JSON.parse(ctx.body);
    } catch {
      return badRequest('users', ctx.settings, 'body must be JSON: { "filter": "..." }');
    }
  }
  const filter = (body as { filter?: unknown }).filter;
  if (filter !== undefined && typeof filter !== 'string')
    return badRequest('users', ctx.settings, 'filter must be a string');
  return listUsers(ctx, filter, ['name']);
}

function countUsers(ctx: HandlerContext): Reply {
  return { status: 200, json: { total: ctx.state.scenario.users.length } };
}

function me(ctx: HandlerContext): Reply {
  const { userId } = requireIdentity(ctx);
  return { status: 301, headers: { location: `/api/v1/users/${userId}${ctx.url.search}` } };
}

function getUser(ctx: HandlerContext): Reply {
  const user = ctx.state.user(ctx.params.id!);
  if (!user) return notFound('users', ctx.settings);
  const fieldsParam = ctx.url.searchParams.get('fields');
  const fields = fieldsParam
    ? new Set(
        fieldsParam
          .split(',')
          .map((f) => f.trim())
          .filter(Boolean),
      )
    : undefined;
  const wire: WireUser = renderUser(user, ctx.render, fields);
  return { status: 200, json: wire };
}

const USER_PATCH_PATHS = new Set([
  '/name',
  '/roles',
  '/assignedRoles',
  '/inviteExpiry',
  '/preferredZoneinfo',
  '/preferredLocale',
  '/status',
  '/assignedGroups',
]);

function patchUser(ctx: HandlerContext): Reply {
  const { settings, state } = ctx;
  if (!isAdmin(ctx)) return forbidden('users', settings, 'Requires the TenantAdmin role');
  const user = state.user(ctx.params.id!);
  if (!user) return notFound('users', settings);
  const ops = parsePatch(ctx, 'users');
  if (isReply(ops)) return ops;
  const changes: ((u: SimUser) => void)[] = [];
  const partialFailures: string[] = [];
  for (const { op, path, value } of ops) {
    const p = path.startsWith('/') ? path : `/${path}`;
    if (!USER_PATCH_PATHS.has(p)) return badRequest('users', settings, `unsupported path ${JSON.stringify(path)}`);
    if (p === '/assignedRoles') {
      const supported =
        op === 'replace' || (settings.allowAddRemoveOnAssignedRoles && (op === 'add' || op === 'remove-value'));
      if (!supported)
        return badRequest(
          'users',
          settings,
          `op ${JSON.stringify(op)} is not supported on /assignedRoles: read assignedRoles and send the full list with replace`,
        );
      const resolved = resolveRoleRefsLeniently(state, Array.isArray(value) ? value : [value]);
      if (typeof resolved === 'string') return badRequest('users', settings, resolved);
      if (resolved.unknown.length > 0) {
        if (settings.unknownRoleInUserPatch === 'reject')
          return badRequest('users', settings, `unknown role ${resolved.unknown[0]}`);
        partialFailures.push(...resolved.unknown.map((ref) => `unknown role ${ref} was not assigned`));
      }
      const ids = resolved.roles.map((r) => r.id);
      if (op === 'replace') changes.push((u) => (u.assignedRoles = ids));
      else if (op === 'add') changes.push((u) => (u.assignedRoles = [...new Set([...u.assignedRoles, ...ids])]));
      else changes.push((u) => (u.assignedRoles = u.assignedRoles.filter((id) => !ids.includes(id))));
    } else if (p === '/status') {
      if (op !== 'replace' || (value !== 'active' && value !== 'disabled'))
        return badRequest('users', settings, '/status takes replace with "active" or "disabled"');
      changes.push((u) => (u.status = value));
    } else if (p === '/name') {
      if (op !== 'replace' || typeof value !== 'string' || value === '')
        return badRequest('users', settings, '/name takes replace with a non-empty string');
      changes.push((u) => (u.name = value));
    } else {
      return badRequest('users', settings, `the simulator does not change ${p}`);
    }
  }
  const lastUpdatedAt = ctx.now.toISOString();
  state.mutate(() => {
    for (const change of changes) change(user);
    user.lastUpdatedAt = lastUpdatedAt;
  });
  if (partialFailures.length === 0) return { status: 204 };
  // 207: what could be applied was; each non-critical failure is one Errors item.
  const body: WireErrors = {
    errors: partialFailures.map((detail) => ({ code: 'USERS-207', title: 'Partial success', detail, status: 207 })),
    traceId: traceId(),
  };
  return { status: 207, json: body };
}

export const userRoutes: readonly Route[] = [
  route('GET', '/api/v1/users', 'tier1', 'users', getUsers),
  route('POST', '/api/v1/users/actions/filter', 'filter', 'users', filterUsersAction),
  route('GET', '/api/v1/users/actions/count', 'tier1', 'users', countUsers),
  route('GET', '/api/v1/users/me', 'tier1', 'users', me),
  route('GET', '/api/v1/users/{id}', 'tier1', 'users', getUser),
  route('PATCH', '/api/v1/users/{id}', 'tier2', 'users', patchUser),
];
