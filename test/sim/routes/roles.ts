/**
 * Roles (docs/qlik-cloud-api.md §5, §12): TenantAdmin only since 2024-04-09; everyone else gets 403. Custom roles can be
 * created, patched (`assignedScopes` replace / add / remove-value) and deleted once unassigned everywhere.
 */

import type { Reply } from '../http';
import { badRequest, forbidden, notFound } from '../http';
import { cursorPage, parseLimit } from '../paging';
import type { SimRole } from '../scenario';
import { USER_DEFAULT_NAME } from '../scenario';
import type { FilterSchema } from '../scim-filter';
import { bindFilter, matches, parseFilter } from '../scim-filter';
import { randomId } from '../tokens';
import type { WireRole, WireRoles } from '../wire';
import { renderRole } from '../wire';
import type { HandlerContext, Route } from './route';
import { isAdmin, isReply, parsePatch, parseSort, route, sortBy } from './route';

const ROLE_FILTER: FilterSchema<SimRole> = {
  resource: 'roles',
  attributes: {
    id: { ops: ['eq'], values: (r) => [r.id] },
    name: { ops: ['eq', 'co', 'sw'], values: (r) => [r.name] },
    type: { ops: ['eq'], values: (r) => [r.type] },
    level: { ops: ['eq'], values: (r) => [r.level] },
    assignedScopes: { ops: ['eq'], values: (r) => r.assignedScopes },
  },
};

const MAX_CUSTOM_ROLES = 500;
const ADMIN_ONLY = 'Requires the TenantAdmin role';

function getRoles(ctx: HandlerContext): Reply {
  const { url, settings, state } = ctx;
  if (!isAdmin(ctx)) return forbidden('roles', settings, ADMIN_ONLY);
  const params = url.searchParams;
  const limit = parseLimit(params, settings);
  const sort = parseSort(params.get('sort'), undefined, '+_natural');
  if ('error' in sort) return badRequest('roles', settings, sort.error, 'sort');
  const filterText = params.get('filter') ?? '';
  const filter = filterText.trim() !== '' ? bindFilter(parseFilter(filterText), ROLE_FILTER) : undefined;
  const queryKey = `roles\u0000${filterText}\u0000${sort.field}\u0000${sort.descending}`;
  const all = state.memoize(queryKey, () => {
    const selected = filter
      ? state.scenario.roles.filter((r) => matches(filter, r, ROLE_FILTER))
      : [...state.scenario.roles];
    if (sort.field === '_natural') return sort.descending ? selected.reverse() : selected;
    return sortBy(selected, (r) => (r as unknown as Record<string, string | undefined>)[sort.field], sort.descending);
  });
  const { page, links } = cursorPage(all, url, ctx.origin, limit, queryKey);
  const body: WireRoles = { data: page.map((r) => renderRole(r, ctx.render)), links };
  if (params.get('totalResults') === 'true') body.totalResults = all.length;
  return { status: 200, json: body };
}

function getRole(ctx: HandlerContext): Reply {
  if (!isAdmin(ctx)) return forbidden('roles', ctx.settings, ADMIN_ONLY);
  const role = ctx.state.role(ctx.params.id!);
  if (!role) return notFound('roles', ctx.settings);
  const wire: WireRole = renderRole(role, ctx.render);
  return { status: 200, json: wire };
}

function createRole(ctx: HandlerContext): Reply {
  const { settings, state } = ctx;
  if (!isAdmin(ctx)) return forbidden('roles', settings, ADMIN_ONLY);
  let body: unknown;
  try {
    body = JSON.parse(ctx.body);
  } catch {
    return badRequest('roles', settings, 'body must be JSON: { name, description?, assignedScopes? }');
  }
  const { name, description, assignedScopes } = (body ?? {}) as {
    name?: unknown;
    description?: unknown;
    assignedScopes?: unknown;
  };
  if (typeof name !== 'string' || name.trim() === '') return badRequest('roles', settings, 'name is required');
  if (description !== undefined && typeof description !== 'string')
    return badRequest('roles', settings, 'description must be a string');
  if (
    assignedScopes !== undefined &&
    !(Array.isArray(assignedScopes) && assignedScopes.every((s) => typeof s === 'string'))
  ) {
    return badRequest('roles', settings, 'assignedScopes must be an array of strings');
  }
  // Names are unique per tenant and case-sensitive across default and custom roles.
  if (state.roleByName(name)) return badRequest('roles', settings, `a role named ${JSON.stringify(name)} exists`);
  if (state.scenario.roles.filter((r) => r.type === 'custom').length >= MAX_CUSTOM_ROLES)
    return badRequest('roles', settings, `at most ${MAX_CUSTOM_ROLES} custom roles per tenant`);
  const at = ctx.now.toISOString();
  const role: SimRole = {
    id: randomId(12, 'hex'),
    name,
    description: description ?? '',
    type: 'custom',
    level: 'user',
    assignedScopes: [...new Set(assignedScopes ?? [])],
    permissions: [],
    canEdit: true,
    canDelete: true,
    fullUser: false,
    userEntitlementType: '',
    createdAt: at,
    lastUpdatedAt: at,
    createdBy: ctx.identity?.userId,
    updatedBy: ctx.identity?.userId,
  };
  state.mutate((s) => s.roles.push(role));
  const wire: WireRole = renderRole(role, ctx.render);
  return { status: 201, json: wire, headers: { location: `/api/v1/roles/${role.id}` } };
}

function patchRole(ctx: HandlerContext): Reply {
  const { settings, state } = ctx;
  if (!isAdmin(ctx)) return forbidden('roles', settings, ADMIN_ONLY);
  const role = state.role(ctx.params.id!);
  if (!role) return notFound('roles', settings);
  // Custom roles, and UserDefault (which the tutorials patch the same way).
  if (role.type !== 'custom' && role.name !== USER_DEFAULT_NAME)
    return forbidden('roles', settings, 'default roles cannot be changed');
  const ops = parsePatch(ctx, 'roles');
  if (isReply(ops)) return ops;
  const changes: ((r: SimRole) => void)[] = [];
  for (const { op, path, value } of ops) {
    if (op !== 'replace' && op !== 'add' && op !== 'remove-value')
      return badRequest('roles', settings, `op must be replace, add or remove-value, got ${JSON.stringify(op)}`);
    if (path === '/assignedScopes' || path === '/assignedScopes/-') {
      const values =
        typeof value === 'string'
          ? [value]
          : Array.isArray(value) && value.every((v) => typeof v === 'string')
            ? (value as string[])
            : undefined;
      if (!values) return badRequest('roles', settings, `${path} takes a string or an array of strings`);
      if (op === 'replace') changes.push((r) => (r.assignedScopes = [...new Set(values)]));
      else if (op === 'add') changes.push((r) => (r.assignedScopes = [...new Set([...r.assignedScopes, ...values])]));
      else changes.push((r) => (r.assignedScopes = r.assignedScopes.filter((s) => !values.includes(s))));
    } else if (path === '/name' || path === '/description') {
      if (op !== 'replace' || typeof value !== 'string')
        return badRequest('roles', settings, `${path} takes replace with a string`);
      if (role.type !== 'custom') return forbidden('roles', settings, `${path} of a default role cannot be changed`);
      if (path === '/name' && value !== role.name && state.roleByName(value))
        return badRequest('roles', settings, `a role named ${JSON.stringify(value)} exists`);
      changes.push((r) => (path === '/name' ? (r.name = value) : (r.description = value)));
    } else {
      return badRequest('roles', settings, `unsupported path ${JSON.stringify(path)}`);
    }
  }
  const at = ctx.now.toISOString();
  state.mutate(() => {
    for (const change of changes) change(role);
    role.lastUpdatedAt = at;
    role.updatedBy = ctx.identity?.userId;
  });
  return { status: 204 };
}

function deleteRole(ctx: HandlerContext): Reply {
  const { settings, state } = ctx;
  if (!isAdmin(ctx)) return forbidden('roles', settings, ADMIN_ONLY);
  const role = state.role(ctx.params.id!);
  if (!role) return notFound('roles', settings);
  if (role.type !== 'custom') return badRequest('roles', settings, 'only custom roles can be deleted');
  const s = state.scenario;
  const assigned =
    s.users.some((u) => u.assignedRoles.includes(role.id)) ||
    s.groups.some((g) => g.assignedRoles.includes(role.id)) ||
    s.everyone.assignedRoles.includes(role.id);
  if (assigned)
    return forbidden('roles', settings, 'the role is still assigned; unassign it from every user and group first');
  state.mutate((sc) => (sc.roles = sc.roles.filter((r) => r !== role)));
  return { status: 204 };
}

export const roleRoutes: readonly Route[] = [
  route('GET', '/api/v1/roles', 'tier1', 'roles', getRoles),
  route('POST', '/api/v1/roles', 'tier2', 'roles', createRole),
  route('GET', '/api/v1/roles/{id}', 'tier1', 'roles', getRole),
  route('PATCH', '/api/v1/roles/{id}', 'tier2', 'roles', patchRole),
  route('DELETE', '/api/v1/roles/{id}', 'tier2', 'roles', deleteRole),
];
