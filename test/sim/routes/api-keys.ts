/**
 * API keys and their tenant config (docs/qlik-cloud-api.md §6). Keys page by key id (`startingAfter` / `endingBefore`);
 * a caller without TenantAdmin sees only its own keys and gets 403 asking for anyone else's.
 */

import type { Reply } from '../http';
import { badRequest, forbidden, notFound } from '../http';
import { keysetPage, parseLimit } from '../paging';
import type { SimApiKey } from '../scenario';
import { durationMs, resolveTime } from '../time';
import type { WireApiKey, WireApiKeyPage, WireApiKeysConfig } from '../wire';
import { renderApiKey, renderApiKeysConfig } from '../wire';
import type { HandlerContext, Route } from './route';
import { isAdmin, isReply, parsePatch, parseSort, requireIdentity, route, sortBy } from './route';

const KEY_SORT_FIELDS = ['createdByUser', 'sub', 'status', 'description', 'created'] as const;
const KEY_STATUSES = new Set(['active', 'expired', 'revoked']);

function listKeys(ctx: HandlerContext): Reply {
  const { url, settings, state, now } = ctx;
  const { userId } = requireIdentity(ctx);
  const params = url.searchParams;
  const admin = isAdmin(ctx);
  const sub = params.get('sub');
  if (!admin && sub !== null && sub !== userId)
    return forbidden('api-keys', settings, "Listing other users' API keys requires the TenantAdmin role");
  const status = params.get('status');
  if (status !== null && !KEY_STATUSES.has(status))
    return badRequest('api-keys', settings, 'status must be active, expired or revoked', 'status');
  const sort = parseSort(params.get('sort'), KEY_SORT_FIELDS, '-created');
  if ('error' in sort) return badRequest('api-keys', settings, sort.error, 'sort');
  const limit = parseLimit(params, settings);
  const createdByUser = params.get('createdByUser');
  const owner = admin ? sub : userId;
  // Listed status depends on the clock (expiry) and the owner's scope, so the memo lives for one sim-clock second.
  const queryKey = `keys\u0000${owner}\u0000${status}\u0000${createdByUser}\u0000${sort.field}\u0000${sort.descending}\u0000${Math.floor(now.getTime() / 1000)}`;
  const { all, positions } = state.memoize(queryKey, () => {
    const selected = state.scenario.apiKeys.filter((k) => {
      if (owner !== null && k.sub !== owner) return false;
      if (createdByUser !== null && k.createdByUser !== createdByUser) return false;
      return status === null || listedStatus(ctx, k) === status;
    });
    const key = (k: SimApiKey): string | number | undefined =>
      sort.field === 'created'
        ? k.created
          ? resolveTime(k.created, now).getTime()
          : 0
        : sort.field === 'status'
          ? listedStatus(ctx, k)
          : k[sort.field as 'sub' | 'description' | 'createdByUser'];
    const sorted = sortBy(selected, key, sort.descending);
    return { all: sorted, positions: new Map(sorted.map((k, i) => [k.id, i])) };
  });
  const { page, links } = keysetPage(all, positions, url, ctx.origin, limit);
  const body: WireApiKeyPage = { data: page.map((k) => renderApiKey(k, ctx.render)), links };
  return { status: 200, json: body };
}

function listedStatus(ctx: HandlerContext, k: SimApiKey): SimApiKey['status'] {
  return ctx.state.listedKeyStatus(k, ctx.now);
}

function getKey(ctx: HandlerContext): Reply {
  const { userId } = requireIdentity(ctx);
  const key = ctx.state.apiKey(ctx.params.id!);
  if (!key) return notFound('api-keys', ctx.settings);
  if (key.sub !== userId && !isAdmin(ctx))
    return forbidden('api-keys', ctx.settings, "Reading other users' API keys requires the TenantAdmin role");
  const wire: WireApiKey = renderApiKey(key, ctx.render);
  return { status: 200, json: wire };
}

function deleteKey(ctx: HandlerContext): Reply {
  const { userId } = requireIdentity(ctx);
  const { state, settings } = ctx;
  const key = state.apiKey(ctx.params.id!);
  if (!key) return notFound('api-keys', settings);
  if (isAdmin(ctx)) {
    // A TenantAdmin's delete disables the key and marks it revoked (irreversible).
    state.mutate(() => {
      key.status = 'revoked';
      key.lastUpdated = ctx.now.toISOString();
    });
  } else if (key.sub === userId) {
    state.mutate((s) => (s.apiKeys = s.apiKeys.filter((k) => k !== key)));
  } else {
    return forbidden('api-keys', settings, "Deleting other users' API keys requires the TenantAdmin role");
  }
  return { status: 204 };
}

function configAllowed(ctx: HandlerContext): boolean {
  const { userId } = requireIdentity(ctx);
  return ctx.state.hasRoleNamed(userId, ctx.settings.apiKeysConfigAllowedRoles);
}

function getConfig(ctx: HandlerContext): Reply {
  if (!configAllowed(ctx))
    return forbidden(
      'api-keys',
      ctx.settings,
      `Requires one of the roles ${ctx.settings.apiKeysConfigAllowedRoles.join(', ')}`,
    );
  if (ctx.params.tenantId !== ctx.state.tenantId)
    return notFound('api-keys', ctx.settings, 'no API-key configuration for that tenant id');
  const wire: WireApiKeysConfig = renderApiKeysConfig(ctx.render);
  return { status: 200, json: wire };
}

function patchConfig(ctx: HandlerContext): Reply {
  const { settings, state } = ctx;
  if (!configAllowed(ctx))
    return forbidden(
      'api-keys',
      settings,
      `Requires one of the roles ${settings.apiKeysConfigAllowedRoles.join(', ')}`,
    );
  if (ctx.params.tenantId !== state.tenantId)
    return notFound('api-keys', settings, 'no API-key configuration for that tenant id');
  const ops = parsePatch(ctx, 'api-keys');
  if (isReply(ops)) return ops;
  const changes: (() => void)[] = [];
  const config = state.scenario.apiKeysConfig;
  for (const { op, path, value } of ops) {
    if (op !== 'replace') return badRequest('api-keys', settings, `op must be "replace", got ${JSON.stringify(op)}`);
    if (path === '/max_keys_per_user') {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 1000)
        return badRequest('api-keys', settings, 'max_keys_per_user must be an integer from 0 to 1000');
      changes.push(() => (config.max_keys_per_user = value));
    } else if (path === '/max_api_key_expiry' || path === '/scim_externalClient_expiry') {
      if (typeof value !== 'string' || durationMs(value) === undefined || value.startsWith('-'))
        return badRequest('api-keys', settings, `${path} must be an ISO-8601 duration such as P30D`);
      changes.push(() =>
        path === '/max_api_key_expiry'
          ? (config.max_api_key_expiry = value)
          : (config.scim_externalClient_expiry = value),
      );
    } else if (path === '/api_keys_enabled' && state.scenario.mode === 'legacy') {
      if (typeof value !== 'boolean') return badRequest('api-keys', settings, 'api_keys_enabled must be a boolean');
      changes.push(() => (config.api_keys_enabled = value));
    } else {
      return badRequest('api-keys', settings, `unsupported path ${JSON.stringify(path)}`);
    }
  }
  state.mutate(() => changes.forEach((c) => c()));
  return { status: 204 };
}

export const apiKeyRoutes: readonly Route[] = [
  route('GET', '/api/v1/api-keys', 'tier1', 'api-keys', listKeys),
  route('GET', '/api/v1/api-keys/configs/{tenantId}', 'tier1', 'api-keys', getConfig),
  route('PATCH', '/api/v1/api-keys/configs/{tenantId}', 'tier2', 'api-keys', patchConfig),
  route('GET', '/api/v1/api-keys/{id}', 'tier1', 'api-keys', getKey),
  route('DELETE', '/api/v1/api-keys/{id}', 'tier2', 'api-keys', deleteKey),
];
