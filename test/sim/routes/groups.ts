/**
 * Groups and the Everyone system group (docs/qlik-cloud-api.md §4). Everyone is reachable three ways: `systemGroups=true`,
 * `GET /groups/000000000000000000000001` and `GET /groups/settings`; the regular listing never contains it.
 */

import type { Reply } from '../http';
import { badRequest, forbidden, notFound } from '../http';
import { cursorPage, parseLimit, selfHref } from '../paging';
import type { SimGroup } from '../scenario';
import { EVERYONE_ID } from '../scenario';
import type { FilterSchema } from '../scim-filter';
import { bindFilter, matches, parseFilter } from '../scim-filter';
import type { WireGroup, WireGroups } from '../wire';
import { renderEveryone, renderGroup, renderGroupSettings } from '../wire';
import type { HandlerContext, Route } from './route';
import { isAdmin, isReply, parsePatch, parseSort, resolveRoleRefs, route, sortBy } from './route';

const GROUP_FILTER: FilterSchema<SimGroup> = {
  resource: 'groups',
  attributes: {
    id: { ops: ['eq'], values: (g) => [g.id] },
    name: { ops: ['eq', 'co', 'sw'], values: (g) => [g.name] },
    status: { ops: ['eq'], values: (g) => [g.status] },
    providerType: { ops: ['eq'], values: (g) => (g.providerType ? [g.providerType] : []) },
    idpId: { ops: ['eq'], values: (g) => (g.idpId ? [g.idpId] : []) },
  },
};

const MAX_ROLES_PER_GROUP = 100;

function listGroups(ctx: HandlerContext, filterText: string | undefined): Reply {
  const { url, settings, state } = ctx;
  const params = url.searchParams;
  if (params.has('systemGroups') && params.get('systemGroups') !== 'false') {
    if (params.get('systemGroups') !== 'true')
      return badRequest('groups', settings, 'systemGroups must be true or false', 'systemGroups');
    const others = [...params.keys()].filter((k) => k !== 'systemGroups');
    if (others.length > 0 || filterText !== undefined) {
      return badRequest(
        'groups',
        settings,
        `systemGroups cannot be combined with other query parameters (got ${others.join(', ') || 'filter'})`,
        'systemGroups',
      );
    }
    const body: WireGroups = {
      data: [hideRoles(renderEveryone(ctx.render), ctx)],
      links: { self: { href: selfHref(ctx.origin, url) } },
    };
    return { status: 200, json: body };
  }
  const limit = parseLimit(params, settings);
  const sort = parseSort(params.get('sort'), undefined, '+_natural');
  if ('error' in sort) return badRequest('groups', settings, sort.error, 'sort');
  const filter = filterText && filterText.trim() !== '' ? bindFilter(parseFilter(filterText), GROUP_FILTER) : undefined;
  const queryKey = `groups\u0000${filterText ?? ''}\u0000${sort.field}\u0000${sort.descending}`;
  const all = state.memoize(queryKey, () => {
    const selected = filter
      ? state.scenario.groups.filter((g) => matches(filter, g, GROUP_FILTER))
      : [...state.scenario.groups];
    if (sort.field === '_natural') return sort.descending ? selected.reverse() : selected;
    return sortBy(selected, (g) => (g as unknown as Record<string, string | undefined>)[sort.field], sort.descending);
  });
  const { page, links } = cursorPage(all, url, ctx.origin, limit, queryKey);
  const body: WireGroups = { data: page.map((g) => renderGroup(g, ctx.render)), links };
  if (params.get('totalResults') === 'true') body.totalResults = all.length;
  return { status: 200, json: body };
}

function hideRoles(group: WireGroup, ctx: HandlerContext): WireGroup {
  if (isAdmin(ctx)) return group;
  const { assignedRoles: _hidden, ...rest } = group;
  return rest;
}

function getGroups(ctx: HandlerContext): Reply {
  return listGroups(ctx, ctx.url.searchParams.get('filter') ?? undefined);
}

function filterGroupsAction(ctx: HandlerContext): Reply {
  let body: unknown = {};
  if (ctx.body.trim() !== '') {
    try {
      body = JSON.parse(ctx.body);
    } catch {
      return badRequest('groups', ctx.settings, 'body must be JSON: { "filter": "..." }');
    }
  }
  const filter = (body as { filter?: unknown }).filter;
  if (filter !== undefined && typeof filter !== 'string')
    return badRequest('groups', ctx.settings, 'filter must be a string');
  return listGroups(ctx, filter);
}

function getGroup(ctx: HandlerContext): Reply {
  const id = ctx.params.id!;
  if (id === EVERYONE_ID) return { status: 200, json: hideRoles(renderEveryone(ctx.render), ctx) };
  const group = ctx.state.group(id);
  if (!group) return notFound('groups', ctx.settings);
  return { status: 200, json: renderGroup(group, ctx.render) };
}

function getSettings(ctx: HandlerContext): Reply {
  return { status: 200, json: renderGroupSettings(ctx.render) };
}

function patchGroup(ctx: HandlerContext): Reply {
  const { settings, state } = ctx;
  if (!isAdmin(ctx)) return forbidden('groups', settings, 'Requires the TenantAdmin role');
  const id = ctx.params.id!;
  if (id === EVERYONE_ID)
    return badRequest('groups', settings, 'the Everyone group is changed through PATCH /api/v1/groups/settings');
  const group = state.group(id);
  if (!group) return notFound('groups', settings);
  const ops = parsePatch(ctx, 'groups');
  if (isReply(ops)) return ops;
  const changes: ((g: SimGroup) => void)[] = [];
  for (const { op, path, value } of ops) {
    if (op !== 'replace') return badRequest('groups', settings, `op must be "replace", got ${JSON.stringify(op)}`);
    // The typed enum has no leading slash while Qlik's examples use one; both are accepted.
    const p = path === '' ? 'assignedRoles' : path.replace(/^\//, '');
    if (p === 'assignedRoles') {
      const roles = resolveRoleRefs(state, value);
      if (typeof roles === 'string') return badRequest('groups', settings, roles);
      if (roles.length > MAX_ROLES_PER_GROUP)
        return badRequest('groups', settings, `a group holds at most ${MAX_ROLES_PER_GROUP} roles`);
      changes.push((g) => (g.assignedRoles = roles.map((r) => r.id)));
    } else if (p === 'name' || p === 'description') {
      if (group.providerType !== 'custom')
        return badRequest('groups', settings, `${p} can be changed on custom groups only`);
      if (typeof value !== 'string') return badRequest('groups', settings, `${p} takes a string`);
      if (p === 'name' && state.scenario.groups.some((g) => g !== group && g.name === value))
        return badRequest('groups', settings, `a group named ${JSON.stringify(value)} exists`);
      changes.push((g) => (p === 'name' ? (g.name = value) : (g.description = value)));
    } else {
      return badRequest('groups', settings, `unsupported path ${JSON.stringify(path)}`);
    }
  }
  const at = ctx.now.toISOString();
  state.mutate(() => {
    for (const change of changes) change(group);
    group.lastUpdatedAt = at;
    group.updatedBy = ctx.identity?.userId;
  });
  return { status: 204 };
}

function patchSettings(ctx: HandlerContext): Reply {
  const { settings, state } = ctx;
  if (!isAdmin(ctx)) return forbidden('groups', settings, 'Requires the TenantAdmin role');
  const ops = parsePatch(ctx, 'groups');
  if (isReply(ops)) return ops;
  const changes: (() => void)[] = [];
  for (const { op, path, value } of ops) {
    if (op !== 'replace') return badRequest('groups', settings, `op must be "replace", got ${JSON.stringify(op)}`);
    if (path === '/autoCreateGroups' || path === '/syncIdpGroups') {
      if (typeof value !== 'boolean') return badRequest('groups', settings, `${path} takes a boolean`);
      continue;
    }
    if (path === `/systemGroups/${EVERYONE_ID}/assignedRoles` || path === '') {
      const roles = resolveRoleRefs(state, value);
      if (typeof roles === 'string') return badRequest('groups', settings, roles);
      changes.push(() => (state.scenario.everyone.assignedRoles = roles.map((r) => r.id)));
      continue;
    }
    return badRequest('groups', settings, `unsupported path ${JSON.stringify(path)}`);
  }
  const at = ctx.now.toISOString();
  state.mutate((s) => {
    for (const change of changes) change();
    if (changes.length > 0) s.everyone.lastUpdatedAt = at;
  });
  return { status: 204 };
}

export const groupRoutes: readonly Route[] = [
  route('GET', '/api/v1/groups', 'tier1', 'groups', getGroups),
  route('POST', '/api/v1/groups/actions/filter', 'filter', 'groups', filterGroupsAction),
  route('GET', '/api/v1/groups/settings', 'tier1', 'groups', getSettings),
  route('PATCH', '/api/v1/groups/settings', 'tier2', 'groups', patchSettings),
  route('GET', '/api/v1/groups/{id}', 'tier1', 'groups', getGroup),
  route('PATCH', '/api/v1/groups/{id}', 'tier2', 'groups', patchGroup),
];
