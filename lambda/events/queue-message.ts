/**
 * The event queue's message (docs/events.md, "In AWS"): what the receiver and the audit poller send and the checker
 * reads. One SQS FIFO queue; the message group is the tenant's configured name (one tenant's events in order, one
 * batch of them at a time), the deduplication id is the SHA-256 of the tenant name and the event id (a resend, or the
 * same event from webhook and audit poll, inside SQS's five-minute deduplication window is dropped by the queue).
 * Nothing else of a delivery's body travels on.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';

export const EVENT_SOURCES = ['webhook', 'audit'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

/** Bounds every field: the checker reads only messages of this shape, whatever else lands on the queue. */
const QueuedEventSchema = z
  .object({
    /** The tenant's configured name (`tenants[].name`). */
    tenant: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
    eventType: z.string().min(1).max(128),
    eventId: z.string().min(1).max(200),
    /** When the receiver verified the delivery, or when the audit event happened (audit poll). ISO date-time. */
    receivedAt: z.iso.datetime({ offset: true }),
    source: z.enum(EVENT_SOURCES),
  })
  .strict();

export type QueuedEvent = z.infer<typeof QueuedEventSchema>;

/** The parts of an SQS SendMessage (or SendMessageBatch entry) for one event. */
export interface QueueMessage {
  readonly MessageBody: string;
  readonly MessageGroupId: string;
  readonly MessageDeduplicationId: string;
}

export function queueMessageOf(event: QueuedEvent): QueueMessage {
  return {
    MessageBody: JSON.stringify(QueuedEventSchema.parse(event)),
    MessageGroupId: event.tenant,
    MessageDeduplicationId: deduplicationId(event.tenant, event.eventId),
  };
}

/** SHA-256 (hex, 64 characters; SQS allows 128) of the tenant name, a NUL and the event id. */
export function deduplicationId(tenant: string, eventId: string): string {
  return createHash('sha256').update(`${tenant}\u0000${eventId}`).digest('hex');
}

/** The event a message body holds, or undefined when it is not one of ours (never thrown: the queue is not trusted). */
export function parseQueuedEvent(body: string): QueuedEvent | undefined {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    return undefined;
  }
  const parsed = QueuedEventSchema.safeParse(document);
  return parsed.success ? parsed.data : undefined;
}
