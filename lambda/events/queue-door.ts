/**
 * What the checker makes of one SQS batch from the event queue (docs/events.md, "In AWS"), without I/O.
 *
 * Debounce and coalescing. SQS FIFO has no batching window for Lambda, so the queue delays every message by
 * `events.debounceSeconds` (its delivery delay): a burst for one tenant is on the queue before its first message can
 * be received. The checker then checks each tenant of a batch once, and acknowledges without a check every message
 * received before the start of the tenant's last completed check, which read the tenant after that event. The start
 * of the last completed check is read from the tenant's drift state (`lastRunId`, saved only with an archived run:
 * the scheduled time of a scheduled run, `event-<start>` of an event check, `manual-<start>` of a manual one; each no
 * later than the check's collection began). So a burst of 500 events in 10 s gives one check, or two when the burst
 * straddles the start of a check.
 */
import type { CheckTrigger } from '../report/model';
import { isRecord } from '../util/text';
import { parseQueuedEvent, type QueuedEvent } from './queue-message';

/**
 * Seconds a busy tenant's messages (another check holds its lease) stay invisible before SQS delivers them again. The
 * check that holds the lease takes seconds (an event check) to minutes (a scheduled run): a minute is a few retries
 * at most, where the queue's visibility timeout (6 × the checker timeout) would delay the events up to an hour. Each
 * retry still counts toward the queue's maxReceiveCount (docs/events.md, "In AWS").
 */
export const BUSY_RETRY_SECONDS = 60;

/** One tenant's messages in a batch, in queue order. */
export interface TenantBatch {
  readonly tenant: string;
  readonly events: readonly QueuedEvent[];
  /** SQS message ids, to report as batch item failures when the tenant could not be checked. */
  readonly messageIds: readonly string[];
}

export interface GroupedBatch {
  readonly tenants: readonly TenantBatch[];
  /** Messages that are not event messages: acknowledged (a retry cannot make them readable) and logged. */
  readonly unreadable: readonly string[];
}

export function groupByTenant(records: readonly { readonly messageId: string; readonly body: string }[]): GroupedBatch {
  const tenants = new Map<string, { events: QueuedEvent[]; messageIds: string[] }>();
  const unreadable: string[] = [];
  for (const record of records) {
    const event = parseQueuedEvent(record.body);
    if (!event) {
      unreadable.push(record.messageId);
      continue;
    }
    const batch = tenants.get(event.tenant) ?? { events: [], messageIds: [] };
    batch.events.push(event);
    batch.messageIds.push(record.messageId);
    tenants.set(event.tenant, batch);
  }
  return { tenants: [...tenants].map(([tenant, batch]) => ({ tenant, ...batch })), unreadable };
}

/**
 * When the tenant's last completed check started, from its drift state as stored (any shape: an unreadable state
 * gives undefined, so the events are checked and the check itself reports the state).
 */
export function lastCheckStart(state: unknown): Date | undefined {
  if (!isRecord(state) || typeof state.lastRunId !== 'string') return undefined;
  const time = state.lastRunId.replace(/^(?:event|manual)-/, '');
  return /^\d{4}-\d{2}-\d{2}T/.test(time) && !Number.isNaN(Date.parse(time)) ? new Date(time) : undefined;
}

/** The events a check must still cover: those received at or after the last completed check's start. */
export function eventsToCheck(events: readonly QueuedEvent[], lastStart: Date | undefined): QueuedEvent[] {
  if (!lastStart) return [...events];
  return events.filter((event) => Date.parse(event.receivedAt) >= lastStart.getTime());
}

/** The trigger an event check records and its alerts name: the earliest event it covers. */
export function triggerOf(events: readonly QueuedEvent[]): Extract<CheckTrigger, { kind: 'event' }> {
  const first = [...events].sort((a, b) => Date.parse(a.receivedAt) - Date.parse(b.receivedAt))[0];
  if (!first) throw new TypeError('an event check needs at least one event');
  return {
    kind: 'event',
    eventType: first.eventType,
    eventId: first.eventId,
    receivedAt: first.receivedAt,
    source: first.source,
  };
}

/** The run id of an event check: names its archive entry, and its start time is what later coalescing compares. */
export function eventRunId(startedAt: Date): string {
  return `event-${startedAt.toISOString()}`;
}
