/**
 * Webhooks and audit events as the client reads them (qlik-cloud-api.md §10 and §14). Loose objects: only the fields
 * the watch path relies on are required. An audit event's `data` is never read — its shape is changing — only its
 * type, time and id.
 */
import type { GetByIDResult } from '@qlik/api/audits';
import type { Delivery, EventTypes, WebhookResponse } from '@qlik/api/webhooks';
import * as z from 'zod';
import { type Agrees, type Assert, pageSchema } from './schemas';

export const webhookSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  eventTypes: z.array(z.string()).optional(),
  level: z.enum(['tenant', 'user']).optional(),
  enabled: z.boolean().optional(),
  disabledReason: z.string().optional(),
  disabledReasonCode: z.string().optional(),
  secretKeyAdded: z.boolean().optional(),
  updatedAt: z.string().optional(),
});

export const webhookEventTypesSchema = z.looseObject({
  data: z.array(z.looseObject({ name: z.string().optional() })).optional(),
});

export const deliverySchema = z.looseObject({
  id: z.string(),
  eventType: z.string(),
  status: z.enum(['success', 'fail']),
  statusMessage: z.string().optional(),
  triggeredAt: z.string(),
});

/** Every field optional, as published: an event without a type or time is skipped by the poll, not a failed poll. */
export const auditEventSchema = z.looseObject({
  id: z.string().optional(),
  eventId: z.string().optional(),
  eventType: z.string().optional(),
  eventTime: z.string().optional(),
});

export const webhooksPageSchema = pageSchema(webhookSchema, { optionalData: true });
export const deliveriesPageSchema = pageSchema(deliverySchema, { optionalData: true });
export const auditsPageSchema = pageSchema(auditEventSchema, { optionalData: true });

export type QlikWebhook = z.infer<typeof webhookSchema>;
export type QlikDelivery = z.infer<typeof deliverySchema>;
export type QlikAuditEvent = z.infer<typeof auditEventSchema>;

/** What a webhook create or update sends; the secret goes only in this body, never into a log or error. */
export interface WebhookSpec {
  readonly name: string;
  readonly url: string;
  readonly eventTypes: readonly string[];
  readonly secret: string;
  readonly description?: string;
}

export type EventSchemaContract = [
  // Typed optional (read-only, set by the server), but a stored webhook always has an id: we require it.
  Assert<Agrees<Omit<QlikWebhook, 'id'>, WebhookResponse>>,
  Assert<Agrees<QlikDelivery, Delivery>>,
  Assert<Agrees<QlikAuditEvent, GetByIDResult>>,
  Assert<Agrees<z.infer<typeof webhookEventTypesSchema>, EventTypes>>,
];
