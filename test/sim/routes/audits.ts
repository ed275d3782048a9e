/**
 * Audits (qlik-cloud-api.md §10): `GET /api/v1/audits` newest first (or `sort=+eventTime`), filtered by `eventType`
 * (one type, or a comma list — the comma list is *Unverified* on a real tenant), `eventTime=<start>/<end>` (start
 * inclusive, end exclusive), `userId`, `source` and `id`, paged with `next`/`prev` cursors; and one event by id.
 * TenantAdmin only.
 */
import type { SimAuditEvent } from '../events';
import { eventsOf } from '../events';
import type { Reply } from '../http';
import { badRequest, forbidden, notFound } from '../http';
import { cursorPage, parseLimit } from '../paging';
import type { HandlerContext, Route } from './route';
import { isAdmin, parseSort, route } from './route';

const AUDIT_SORT_FIELDS = ['eventTime', 'eventType', 'source'] as const;

function renderAudit(e: SimAuditEvent, origin: string) {
  return { ...e, links: { self: { href: `${origin}/api/v1/audits/${e.id}` } } };
}

function timeWindow(raw: string | null): { from: number; to: number } | { error: string } | undefined {
  if (raw === null || raw === '') return undefined;
  const [start, end, extra] = raw.split('/');
  const from = start ? Date.parse(start) : Number.NEGATIVE_INFINITY;
  const to = end ? Date.parse(end) : Number.POSITIVE_INFINITY;
  if (extra !== undefined || Number.isNaN(from) || Number.isNaN(to))
    return { error: `eventTime must be <ISO start>/<ISO end>, got ${JSON.stringify(raw)}` };
  return { from, to };
}

function listAudits(ctx: HandlerContext): Reply {
  const { url, settings } = ctx;
  if (!isAdmin(ctx)) return forbidden('audits', settings, 'Requires the TenantAdmin role');
  const params = url.searchParams;
  const limit = parseLimit(params, settings);
  const sort = parseSort(params.get('sort'), AUDIT_SORT_FIELDS, '-eventTime');
  if ('error' in sort) return badRequest('audits', settings, sort.error, 'sort');
  const window = timeWindow(params.get('eventTime'));
  if (window && 'error' in window) return badRequest('audits', settings, window.error, 'eventTime');
  const list = (name: string) =>
    params
      .get(name)
      ?.split(',')
      .map((v) => v.trim())
      .filter(Boolean);
  const types = list('eventType');
  const ids = list('id');
  const userId = params.get('userId');
  const source = params.get('source');
  const matching = eventsOf(ctx.state).audit.filter((e) => {
    const at = Date.parse(e.eventTime);
    return (
      (!types || types.includes(e.eventType)) &&
      (!ids || ids.includes(e.id)) &&
      (!userId || e.userId === userId) &&
      (!source || e.source === source) &&
      (!window || (at >= window.from && at < window.to))
    );
  });
  // A stable ascending sort, reversed for descending: events recorded in the same millisecond stay newest first.
  const key = (e: SimAuditEvent) => (sort.field === 'eventTime' ? Date.parse(e.eventTime) : e[sort.field as 'source']);
  const ordered = [...matching].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  if (sort.descending) ordered.reverse();
  const queryKey = `audits\u0000${params.get('eventType')}\u0000${params.get('eventTime')}\u0000${sort.field}${sort.descending}`;
  const { page, links } = cursorPage(ordered, url, ctx.origin, limit, queryKey);
  return { status: 200, json: { data: page.map((e) => renderAudit(e, ctx.origin)), links } };
}

function getAudit(ctx: HandlerContext): Reply {
  if (!isAdmin(ctx)) return forbidden('audits', ctx.settings, 'Requires the TenantAdmin role');
  const event = eventsOf(ctx.state).audit.find((e) => e.id === ctx.params.id);
  return event ? { status: 200, json: renderAudit(event, ctx.origin) } : notFound('audits', ctx.settings);
}

export const auditRoutes: readonly Route[] = [
  route('GET', '/api/v1/audits', 'tier1', 'audits', listAudits),
  route('GET', '/api/v1/audits/{id}', 'tier1', 'audits', getAudit),
];
