/**
 * What the receiver answers a webhook delivery, decided without I/O so the local `watch` server and the receiver
 * Lambda answer alike (docs/events.md):
 * 405 anything but POST · 404 a path that names no known tenant · 413 a body over 256 KB · 401 a missing or wrong
 * signature · 204 accepted.
 *
 * Only the signature, the tenant in the URL, the event type and the event id are trusted; the body's finer shape is
 * Qlik's to change (the legacy fields go in 2026), so nothing else is read. The body is parsed only after the signature
 * matched, and never echoed: a rejection's reason names the check that failed, not what was sent.
 */
import { createHash } from 'node:crypto';
import { isRelevantEventType } from './event-types';
import { signatureMatches } from './signature';

export const MAX_DELIVERY_BYTES = 256 * 1024;
/** `/qlik/<tenant name>`, the URL `webhooks install` registers; tenant names as the tenants file allows them. */
const RECEIVER_PATH = /^\/qlik\/([A-Za-z0-9._-]{1,64})\/?$/;
const EVENT_TYPE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const EVENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export interface DeliveryRequest {
  readonly method: string;
  /** The request path without the query. */
  readonly path: string;
  readonly signature: string | undefined;
  readonly body: Uint8Array;
  /** The body was cut off at {@link MAX_DELIVERY_BYTES}. */
  readonly bodyTooLarge: boolean;
}

/** What is enqueued for a verified delivery: nothing else from the body travels further. */
export interface AcceptedEvent {
  readonly tenant: string;
  readonly eventType: string;
  readonly eventId: string;
  readonly receivedAt: string;
}

export type DeliveryVerdict =
  | { readonly status: 204; readonly event: AcceptedEvent; readonly relevant: boolean }
  | {
      readonly status: 401 | 404 | 405 | 413;
      readonly reason: 'method' | 'unknown-tenant' | 'too-large' | 'missing-signature' | 'bad-signature';
      /** The tenant named by the path, when it is a known one. */
      readonly tenant?: string;
    };

/** The tenant a receiver path names, if it has that form. */
export function tenantOfPath(path: string): string | undefined {
  return RECEIVER_PATH.exec(path)?.[1];
}

export function judgeDelivery(
  request: DeliveryRequest,
  secretOf: (tenant: string) => string | undefined,
  receivedAt: Date,
): DeliveryVerdict {
  if (request.method.toUpperCase() !== 'POST') return { status: 405, reason: 'method' };
  const tenant = tenantOfPath(request.path);
  const secret = tenant === undefined ? undefined : secretOf(tenant);
  if (tenant === undefined || secret === undefined) return { status: 404, reason: 'unknown-tenant' };
  if (request.bodyTooLarge || request.body.byteLength > MAX_DELIVERY_BYTES)
    return { status: 413, reason: 'too-large', tenant };
  if (request.signature === undefined || request.signature.trim() === '')
    return { status: 401, reason: 'missing-signature', tenant };
  if (!signatureMatches(secret, request.body, request.signature))
    return { status: 401, reason: 'bad-signature', tenant };
  const { eventType, eventId } = eventIdentity(request.body);
  return {
    status: 204,
    // An event whose type cannot be read is still a signed change on a tenant we subscribed for: it counts.
    relevant: eventType === 'unknown' || isRelevantEventType(eventType),
    event: { tenant, eventType, eventId, receivedAt: receivedAt.toISOString() },
  };
}

/**
 * The event type (`type`, else legacy `eventType`) and id (`id`, else legacy `eventId`) of a verified body. A body
 * that is not JSON or lacks them gets type `unknown` and an id derived from its bytes, so a resend still counts once.
 */
export function eventIdentity(body: Uint8Array): { eventType: string; eventId: string } {
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    document = undefined;
  }
  const fields = typeof document === 'object' && document !== null ? (document as Record<string, unknown>) : {};
  const pick = (names: readonly string[], pattern: RegExp): string | undefined => {
    for (const name of names) {
      const value = fields[name];
      if (typeof value === 'string' && pattern.test(value)) return value;
    }
    return undefined;
  };
  return {
    eventType: pick(['type', 'eventType'], EVENT_TYPE) ?? 'unknown',
    eventId: pick(['id', 'eventId'], EVENT_ID) ?? `sha256-${createHash('sha256').update(body).digest('hex')}`,
  };
}
