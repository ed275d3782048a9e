/**
 * The audit poll's memory per tenant (docs/events.md). Each poll reads relevant events in [since, now): `since` is the
 * last poll's end minus an overlap, because audit events can appear a little after their `eventTime`; ids seen in the
 * overlap are remembered so they count once. The first poll only sets the cursor: `watch` and the schedule check
 * every tenant anyway, so old events need no check.
 */
import { isRelevantEventType } from './event-types';

export interface AuditCursor {
  /** End of the last poll's window (ISO). */
  readonly until: string;
  /** Ids of events at or after `until` minus the overlap, already counted. */
  readonly seen: readonly string[];
}

export interface AuditEventLike {
  readonly id?: string | undefined;
  readonly eventId?: string | undefined;
  readonly eventType?: string | undefined;
  readonly eventTime?: string | undefined;
}

export interface FreshAuditEvent {
  readonly eventId: string;
  readonly eventType: string;
  readonly eventTime: string;
}

export const AUDIT_OVERLAP_MS = 5 * 60 * 1000;
const MAX_SEEN = 2_000;
/** A cursor older than this restarts from now: events that old are the schedule's business. */
const MAX_LOOKBACK_MS = 24 * 60 * 60 * 1000;

export function pollWindow(cursor: AuditCursor | undefined, now: Date): { since: Date; until: Date } {
  const until = now.getTime();
  const last = cursor ? Date.parse(cursor.until) : Number.NaN;
  const since = Number.isNaN(last)
    ? until - AUDIT_OVERLAP_MS
    : Math.max(last - AUDIT_OVERLAP_MS, until - MAX_LOOKBACK_MS);
  return { since: new Date(Math.min(since, until)), until: new Date(until) };
}

/** The relevant events not counted before, and the cursor to keep. */
export function takeFreshEvents(
  cursor: AuditCursor | undefined,
  events: readonly AuditEventLike[],
  until: Date,
): { fresh: FreshAuditEvent[]; cursor: AuditCursor } {
  const seen = new Set(cursor?.seen ?? []);
  const fresh: FreshAuditEvent[] = [];
  const keep: string[] = [];
  const overlapStart = until.getTime() - AUDIT_OVERLAP_MS;
  for (const event of events) {
    const eventId = event.eventId ?? event.id;
    if (!eventId || !event.eventType || !event.eventTime) continue;
    const at = Date.parse(event.eventTime);
    if (!Number.isNaN(at) && at >= overlapStart && keep.length < MAX_SEEN) keep.push(eventId);
    if (seen.has(eventId) || !isRelevantEventType(event.eventType)) continue;
    seen.add(eventId);
    fresh.push({ eventId, eventType: event.eventType, eventTime: event.eventTime });
  }
  return { fresh: cursor ? fresh : [], cursor: { until: until.toISOString(), seen: [...new Set(keep)] } };
}

/** A cursor read back from storage, or undefined when it is not one (then the next poll starts afresh). */
export function parseAuditCursor(value: unknown): AuditCursor | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { until, seen } = value as { until?: unknown; seen?: unknown };
  if (typeof until !== 'string' || Number.isNaN(Date.parse(until))) return undefined;
  if (!Array.isArray(seen) || seen.some((s) => typeof s !== 'string')) return undefined;
  return { until, seen: (seen as string[]).slice(0, MAX_SEEN) };
}
