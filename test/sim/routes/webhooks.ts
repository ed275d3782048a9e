/**
 * Webhooks (qlik-cloud-api.md §14): create, list, get, patch, delete; the event types this tenant offers; a webhook's
 * deliveries (newest first) and resend. Tenant-level webhooks need TenantAdmin; responses never show the secret, only
 * `secretKeyAdded`. Also the test-only console (`/__console/…`, unauthenticated, never on a real tenant): change a
 * user's roles as an administrator would in the management console, disable a webhook as Qlik does after failures,
 * and make every delivery fail.
 */
import { randomUUID } from 'node:crypto';
import type { WebhookResponse } from '@qlik/api/webhooks';
import type { SimDelivery, SimWebhook } from '../events';
import { eventsOf } from '../events';
import type { Reply } from '../http';
import { badRequest, errorReply, forbidden, notFound, parseJson } from '../http';
import { cursorPage, parseLimit } from '../paging';
import type { HandlerContext, Route } from './route';
import { isAdmin, isReply, parsePatch, requireIdentity, resolveRoleRefs, route, sortBy } from './route';

const MAX_WEBHOOKS_PER_USER = 150;
const PATCHABLE = new Set([
  '/name',
  '/description',
  '/url',
  '/eventTypes',
  '/headers',
  '/enabled',
  '/secret',
  '/enableCloudEventDelivery',
]);

export type WireWebhook = WebhookResponse;

function renderWebhook(w: SimWebhook): WireWebhook {
  return {
    id: w.id,
    name: w.name,
    description: w.description,
    url: w.url,
    eventTypes: [...w.eventTypes],
    level: w.level,
    enabled: w.enabled,
    headers: { ...w.headers },
    enableCloudEventDelivery: w.enableCloudEventDelivery,
    checkCertificateRevocation: false,
    secretKeyAdded: w.secret !== '',
    origin: w.origin,
    createdAt: w.createdAt,
    createdByUserId: w.createdByUserId,
    updatedAt: w.updatedAt,
    updatedByUserId: w.updatedByUserId,
    ...(w.level === 'user' ? { ownerId: w.ownerId } : {}),
    ...(w.disabledReason !== undefined ? { disabledReason: w.disabledReason } : {}),
    ...(w.disabledReasonCode !== undefined ? { disabledReasonCode: w.disabledReasonCode } : {}),
  };
}

function renderDelivery(d: SimDelivery) {
  return {
    id: d.id,
    webhookId: d.webhookId,
    eventType: d.eventType,
    status: d.status,
    statusMessage: d.statusMessage,
    triggeredAt: d.triggeredAt,
    request: { url: d.url },
    ...(d.statusCode !== undefined ? { response: { statusCode: d.statusCode } } : {}),
  };
}

/** Webhooks the caller may see: a TenantAdmin sees all, anyone else their own user-level ones. */
function visible(ctx: HandlerContext, w: SimWebhook): boolean {
  return isAdmin(ctx) || (w.level === 'user' && w.ownerId === requireIdentity(ctx).userId);
}

function findWebhook(ctx: HandlerContext): SimWebhook | Reply {
  const w = eventsOf(ctx.state).webhooks.find((x) => x.id === ctx.params.id);
  if (!w || !visible(ctx, w)) return notFound('webhooks', ctx.settings);
  return w;
}

function mayChange(ctx: HandlerContext, w: SimWebhook): Reply | undefined {
  if (w.level === 'tenant' && !isAdmin(ctx))
    return forbidden('webhooks', ctx.settings, 'tenant-level webhooks require the TenantAdmin role');
  return undefined;
}

function listWebhooks(ctx: HandlerContext): Reply {
  const { url, settings } = ctx;
  const limit = parseLimit(url.searchParams, settings);
  const name = url.searchParams.get('name')?.toLowerCase();
  const all = sortBy(
    eventsOf(ctx.state).webhooks.filter((w) => visible(ctx, w) && (!name || w.name.toLowerCase().includes(name))),
    (w) => w.createdAt,
    false,
  );
  const { page, links } = cursorPage(all, url, ctx.origin, limit, `webhooks\u0000${name ?? ''}`);
  return { status: 200, json: { data: page.map(renderWebhook), links } };
}

function eventTypes(ctx: HandlerContext): Reply {
  const data = ctx.settings.webhookEventTypes.map((name) => ({
    name,
    title: name.split('.').slice(-2).join(' '),
    description: `Triggered on ${name}`,
    category: name.includes('api-key') ? 'api-keys' : name.includes('.app.') ? 'apps' : 'users',
    levels: ['tenant', 'user'],
  }));
  return { status: 200, json: { data } };
}

/** The checks shared by create and patch; returns an error text or undefined. */
function invalidField(ctx: HandlerContext, field: string, value: unknown): string | undefined {
  switch (field) {
    case 'name':
      return typeof value === 'string' && value.trim() !== '' ? undefined : 'name must be a non-empty string';
    case 'description':
      return typeof value === 'string' ? undefined : 'description must be a string';
    case 'url': {
      if (typeof value !== 'string') return 'url must be a string';
      try {
        const parsed = new URL(value);
        return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? undefined : 'url must be http(s)';
      } catch {
        return 'url must be an absolute URL';
      }
    }
    case 'eventTypes': {
      if (!Array.isArray(value) || value.some((t) => typeof t !== 'string')) return 'eventTypes must be strings';
      const unknown = value.filter((t: string) => !ctx.settings.webhookEventTypes.includes(t));
      return unknown.length > 0 ? `event types not offered: ${unknown.join(', ')}` : undefined;
    }
    case 'headers':
      return typeof value === 'object' && value !== null && !Array.isArray(value)
        ? undefined
        : 'headers must be an object';
    case 'enabled':
    case 'enableCloudEventDelivery':
      return typeof value === 'boolean' ? undefined : `${field} must be a boolean`;
    case 'secret':
      return typeof value === 'string' ? undefined : 'secret must be a string';
    default:
      return undefined;
  }
}

function createWebhook(ctx: HandlerContext): Reply {
  const { settings } = ctx;
  const { userId } = requireIdentity(ctx);
  const body = parseJson(ctx.body) as Record<string, unknown> | undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return badRequest('webhooks', settings, 'body must be a JSON object');
  const level = body.level ?? 'user';
  if (level !== 'tenant' && level !== 'user') return badRequest('webhooks', settings, 'level must be tenant or user');
  if (level === 'tenant' && !isAdmin(ctx))
    return forbidden('webhooks', settings, 'tenant-level webhooks require the TenantAdmin role');
  for (const field of ['name', 'url']) {
    if (body[field] === undefined) return badRequest('webhooks', settings, `${field} is required`);
  }
  for (const [field, value] of Object.entries(body)) {
    const problem = invalidField(ctx, field, value);
    if (problem) return badRequest('webhooks', settings, problem);
  }
  const events = eventsOf(ctx.state);
  if (events.webhooks.filter((w) => w.createdByUserId === userId).length >= MAX_WEBHOOKS_PER_USER)
    return badRequest('webhooks', settings, `at most ${MAX_WEBHOOKS_PER_USER} webhooks per user`);
  const at = ctx.now.toISOString();
  const webhook: SimWebhook = {
    id: randomUUID(),
    name: body.name as string,
    description: (body.description as string | undefined) ?? '',
    url: body.url as string,
    eventTypes: [...((body.eventTypes as string[] | undefined) ?? [])],
    level,
    enabled: (body.enabled as boolean | undefined) ?? true,
    secret: (body.secret as string | undefined) ?? '',
    enableCloudEventDelivery: (body.enableCloudEventDelivery as boolean | undefined) ?? false,
    headers: { ...((body.headers as Record<string, string> | undefined) ?? {}) },
    origin: 'api',
    createdAt: at,
    createdByUserId: userId,
    updatedAt: at,
    updatedByUserId: userId,
    ownerId: userId,
  };
  events.webhooks.push(webhook);
  return { status: 201, json: renderWebhook(webhook) };
}

function getWebhook(ctx: HandlerContext): Reply {
  const w = findWebhook(ctx);
  return isReply(w) ? w : { status: 200, json: renderWebhook(w) };
}

function patchWebhook(ctx: HandlerContext): Reply {
  const w = findWebhook(ctx);
  if (isReply(w)) return w;
  const refused = mayChange(ctx, w);
  if (refused) return refused;
  const ops = parsePatch(ctx, 'webhooks');
  if (isReply(ops)) return ops;
  const changes: (() => void)[] = [];
  for (const { op, path, value } of ops) {
    if (!PATCHABLE.has(path)) return badRequest('webhooks', ctx.settings, `unsupported path ${JSON.stringify(path)}`);
    if (op !== 'replace' && op !== 'add')
      return badRequest('webhooks', ctx.settings, `op ${JSON.stringify(op)} not supported`);
    const field = path.slice(1);
    const problem = invalidField(ctx, field, value);
    if (problem) return badRequest('webhooks', ctx.settings, problem);
    if (field === 'enableCloudEventDelivery' && value === false && w.enableCloudEventDelivery)
      return badRequest('webhooks', ctx.settings, 'enableCloudEventDelivery cannot be turned off again');
    changes.push(() => {
      (w as unknown as Record<string, unknown>)[field] = Array.isArray(value)
        ? [...value]
        : typeof value === 'object' && value !== null
          ? { ...value }
          : value;
      if (field === 'enabled' && value === true) {
        delete w.disabledReason;
        delete w.disabledReasonCode;
      }
    });
  }
  for (const change of changes) change();
  w.updatedAt = ctx.now.toISOString();
  w.updatedByUserId = requireIdentity(ctx).userId;
  return { status: 204 };
}

function deleteWebhook(ctx: HandlerContext): Reply {
  const w = findWebhook(ctx);
  if (isReply(w)) return w;
  const refused = mayChange(ctx, w);
  if (refused) return refused;
  const events = eventsOf(ctx.state);
  events.webhooks.splice(events.webhooks.indexOf(w), 1);
  return { status: 204 };
}

function listDeliveries(ctx: HandlerContext): Reply {
  const w = findWebhook(ctx);
  if (isReply(w)) return w;
  const limit = parseLimit(ctx.url.searchParams, ctx.settings);
  const all = eventsOf(ctx.state)
    .deliveries.filter((d) => d.webhookId === w.id)
    .reverse();
  const { page, links } = cursorPage(all, ctx.url, ctx.origin, limit, `deliveries\u0000${w.id}`);
  return { status: 200, json: { data: page.map(renderDelivery), links } };
}

function resendDelivery(ctx: HandlerContext): Reply {
  const w = findWebhook(ctx);
  if (isReply(w)) return w;
  const refused = mayChange(ctx, w);
  if (refused) return refused;
  const events = eventsOf(ctx.state);
  const delivery = events.deliveries.find((d) => d.webhookId === w.id && d.id === ctx.params.deliveryId);
  if (!delivery) return notFound('webhooks', ctx.settings);
  return { status: 201, json: renderDelivery(events.resend(delivery)) };
}

/** `{ "roles": ["<role name or id>", …] }`: the user's direct roles become exactly these. */
function consoleSetRoles(ctx: HandlerContext): Reply {
  const user = ctx.state.user(ctx.params.id!);
  if (!user) return notFound('users', ctx.settings);
  const body = parseJson(ctx.body) as { roles?: unknown } | undefined;
  if (!Array.isArray(body?.roles) || body.roles.some((r) => typeof r !== 'string'))
    return badRequest('users', ctx.settings, 'body must be { "roles": ["<role name or id>", …] }');
  const refs = (body.roles as string[]).map((r) => (ctx.state.role(r) ? { id: r } : { name: r }));
  const roles = resolveRoleRefs(ctx.state, refs);
  if (typeof roles === 'string') return badRequest('users', ctx.settings, roles);
  const at = ctx.now.toISOString();
  ctx.state.mutate(() => {
    user.assignedRoles = roles.map((r) => r.id);
    user.lastUpdatedAt = at;
  });
  return { status: 204 };
}

/** `{ "enabled": false, "disabledReason"?: "…" }`: Qlik disabling a webhook (or an admin enabling it again). */
function consoleWebhook(ctx: HandlerContext): Reply {
  const w = eventsOf(ctx.state).webhooks.find((x) => x.id === ctx.params.id);
  if (!w) return notFound('webhooks', ctx.settings);
  const body = parseJson(ctx.body) as { enabled?: unknown; disabledReason?: unknown } | undefined;
  if (typeof body?.enabled !== 'boolean') return badRequest('webhooks', ctx.settings, 'body must be { "enabled": … }');
  w.enabled = body.enabled;
  if (body.enabled) {
    delete w.disabledReason;
    delete w.disabledReasonCode;
  } else {
    w.disabledReason =
      typeof body.disabledReason === 'string' ? body.disabledReason : 'disabled after repeated delivery failures';
    w.disabledReasonCode = 'WEBHOOK-DISABLED';
  }
  return { status: 204 };
}

/** `{ "failWith": 503 }` makes every delivery fail with that status; `{ "failWith": null }` delivers again. */
function consoleDeliveries(ctx: HandlerContext): Reply {
  const body = parseJson(ctx.body) as { failWith?: unknown } | undefined;
  const failWith = body?.failWith;
  if (failWith !== null && (typeof failWith !== 'number' || !Number.isInteger(failWith)))
    return errorReply('webhooks', 400, 'Bad Request', ctx.settings, {
      detail: 'body must be { "failWith": <status> }',
    });
  eventsOf(ctx.state).failDeliveriesWith = failWith ?? undefined;
  return { status: 204 };
}

export const webhookRoutes: readonly Route[] = [
  route('GET', '/api/v1/webhooks/event-types', 'tier1', 'webhooks', eventTypes),
  route('GET', '/api/v1/webhooks', 'tier1', 'webhooks', listWebhooks),
  route('POST', '/api/v1/webhooks', 'tier2', 'webhooks', createWebhook),
  route('GET', '/api/v1/webhooks/{id}', 'tier1', 'webhooks', getWebhook),
  route('PATCH', '/api/v1/webhooks/{id}', 'tier2', 'webhooks', patchWebhook),
  route('DELETE', '/api/v1/webhooks/{id}', 'tier2', 'webhooks', deleteWebhook),
  route('GET', '/api/v1/webhooks/{id}/deliveries', 'tier1', 'webhooks', listDeliveries),
  route('POST', '/api/v1/webhooks/{id}/deliveries/{deliveryId}/actions/resend', 'tier2', 'webhooks', resendDelivery),
  route('POST', '/__console/users/{id}/roles', 'none', 'users', consoleSetRoles, false),
  route('POST', '/__console/webhooks/{id}', 'none', 'webhooks', consoleWebhook, false),
  route('POST', '/__console/deliveries', 'none', 'webhooks', consoleDeliveries, false),
];
