/**
 * What a tenant says about its own changes (qlik-cloud-api.md §10 and §14): every change to the tenant — through the
 * API, the test console or `tenant.mutate` — becomes audit events (`GET /api/v1/audits`) and, for the event types a
 * webhook subscribes to and the tenant offers, a signed delivery to the webhook's URL.
 *
 * Changes are found by comparing fingerprints of users, groups, roles, keys and the key config before and after each
 * mutation, so no route has to remember to emit anything. Deliveries run in the background; {@link SimEvents.settle}
 * waits for them. The delivery body is the hybrid of Qlik's legacy event fields and CloudEvents 1.0.2.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { Scenario } from './scenario';
import { EVERYONE_ID } from './scenario';
import type { SimSettings } from './settings';
import type { TenantState } from './tenant-state';
import { randomId } from './tokens';

export interface SimAuditEvent {
  readonly id: string;
  /** The CloudEvents id: the same in the audit record and in every delivery of the event. */
  readonly eventId: string;
  readonly eventType: string;
  readonly eventTypeVersion: string;
  readonly eventTime: string;
  readonly source: string;
  readonly tenantId: string;
  readonly userId: string;
  readonly data: Record<string, unknown>;
  readonly contentType: 'application/json';
  readonly extensions: { readonly actor: { readonly sub: string; readonly subType: 'user' }; readonly ownerId: string };
}

export interface SimWebhook {
  readonly id: string;
  name: string;
  description: string;
  url: string;
  eventTypes: string[];
  level: 'tenant' | 'user';
  enabled: boolean;
  secret: string;
  enableCloudEventDelivery: boolean;
  headers: Record<string, string>;
  disabledReason?: string;
  disabledReasonCode?: string;
  readonly origin: 'api' | 'automations' | 'management-console';
  readonly createdAt: string;
  readonly createdByUserId: string;
  updatedAt: string;
  updatedByUserId: string;
  ownerId: string;
}

export interface SimDelivery {
  readonly id: string;
  readonly webhookId: string;
  readonly eventType: string;
  readonly eventId: string;
  readonly triggeredAt: string;
  readonly url: string;
  /** The raw body as sent, for resend (which sends the same bytes and signature again). */
  readonly body: string;
  status: 'success' | 'fail';
  statusMessage: string;
  statusCode?: number;
}

/** At most this many deliveries are kept per webhook (newest first when listed). */
const DELIVERY_HISTORY = 500;
/** A receiver that does not answer within this long counts as a failed delivery. */
const DELIVERY_TIMEOUT_MS = 10_000;

type Fingerprints = Map<string, string>;

const eventsByState = new WeakMap<TenantState, SimEvents>();

/** The events of the tenant whose state a route handler holds. */
export function eventsOf(state: TenantState): SimEvents {
  const events = eventsByState.get(state);
  if (!events) throw new Error('the simulated tenant has no event log attached');
  return events;
}

export class SimEvents {
  readonly audit: SimAuditEvent[] = [];
  readonly webhooks: SimWebhook[] = [];
  readonly deliveries: SimDelivery[] = [];
  /** Every delivery fails with this status (e.g. 503) without being sent, as when the receiver is down. */
  failDeliveriesWith: number | undefined;
  private fingerprints: Fingerprints;
  private pending = new Set<Promise<void>>();

  constructor(
    private readonly state: TenantState,
    private readonly settings: SimSettings,
    private readonly now: () => Date,
  ) {
    this.fingerprints = fingerprint(state.scenario);
    eventsByState.set(state, this);
    state.onChange(() => this.changed());
  }

  /** Records `eventType` as if the tenant had emitted it (tests of event types no change here produces). */
  emit(eventType: string, data: Record<string, unknown>): SimAuditEvent {
    const at = this.now().toISOString();
    const actor = this.state.scenario.caller.userId;
    const event: SimAuditEvent = {
      id: randomId(24, 'hex'),
      eventId: randomUUID(),
      eventType,
      eventTypeVersion: '1.0.0',
      eventTime: at,
      source: sourceOf(eventType),
      tenantId: this.state.tenantId,
      userId: actor,
      data,
      contentType: 'application/json',
      extensions: { actor: { sub: actor, subType: 'user' }, ownerId: actor },
    };
    this.audit.push(event);
    for (const webhook of this.webhooks) {
      if (!webhook.enabled || !webhook.eventTypes.includes(eventType)) continue;
      if (!this.settings.webhookEventTypes.includes(eventType)) continue;
      this.deliver(webhook, event);
    }
    return event;
  }

  /** Sends a recorded delivery again: the same body, event id and signature (Qlik's resend action). */
  resend(delivery: SimDelivery): SimDelivery {
    const webhook = this.webhooks.find((w) => w.id === delivery.webhookId);
    if (!webhook) throw new Error(`no webhook ${delivery.webhookId}`);
    return this.send(webhook, delivery.eventType, delivery.eventId, delivery.body);
  }

  /** Waits until every delivery started so far has been answered (or has failed). */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** The hex HMAC-SHA256 of `body` keyed with `secret`, as Qlik signs deliveries. */
  static sign(secret: string, body: string): string {
    return createHmac('sha256', secret).update(body, 'utf8').digest('hex');
  }

  private deliver(webhook: SimWebhook, event: SimAuditEvent): void {
    const body = JSON.stringify(hybridBody(event));
    this.send(webhook, event.eventType, event.eventId, body);
  }

  private send(webhook: SimWebhook, eventType: string, eventId: string, body: string): SimDelivery {
    const delivery: SimDelivery = {
      id: randomUUID(),
      webhookId: webhook.id,
      eventType,
      eventId,
      triggeredAt: this.now().toISOString(),
      url: webhook.url,
      body,
      status: 'fail',
      statusMessage: 'pending',
    };
    this.deliveries.push(delivery);
    const own = this.deliveries.filter((d) => d.webhookId === webhook.id);
    if (own.length > DELIVERY_HISTORY) this.deliveries.splice(this.deliveries.indexOf(own[0]!), 1);
    const failWith = this.failDeliveriesWith;
    if (failWith !== undefined) {
      Object.assign(delivery, { status: 'fail', statusCode: failWith, statusMessage: `receiver answered ${failWith}` });
      return delivery;
    }
    const headers: Record<string, string> = {
      ...webhook.headers,
      'content-type': 'application/json',
      'user-agent': 'Qlik Webhook',
    };
    if (webhook.secret !== '') headers['qlik-signature'] = SimEvents.sign(webhook.secret, body);
    const sending = fetch(webhook.url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    })
      .then(async (response) => {
        await response.arrayBuffer().catch(() => undefined);
        const ok = response.status >= 200 && response.status <= 299;
        Object.assign(delivery, {
          status: ok ? 'success' : 'fail',
          statusCode: response.status,
          statusMessage: ok ? 'delivered' : `receiver answered ${response.status}`,
        });
      })
      .catch((error: unknown) => {
        Object.assign(delivery, { status: 'fail', statusMessage: `not delivered: ${(error as Error).message}` });
      })
      .finally(() => this.pending.delete(sending));
    this.pending.add(sending);
    return delivery;
  }

  private changed(): void {
    const before = this.fingerprints;
    const after = fingerprint(this.state.scenario);
    this.fingerprints = after;
    for (const [key, value] of after) {
      const old = before.get(key);
      if (old === value) continue;
      const [kind, id] = splitKey(key);
      this.emit(eventTypeOf(kind, old === undefined ? 'created' : 'updated'), changeData(kind, id, old, value));
    }
    for (const [key, old] of before) {
      if (after.has(key)) continue;
      const [kind, id] = splitKey(key);
      this.emit(eventTypeOf(kind, 'deleted'), changeData(kind, id, old, undefined));
    }
  }
}

type Kind = 'user' | 'group' | 'role' | 'api-key' | 'api-keys-config';

/** One string per entity holding what the checker depends on; a changed string is a changed entity. */
function fingerprint(s: Scenario): Fingerprints {
  const prints: Fingerprints = new Map();
  for (const u of s.users)
    prints.set(
      `user\u0000${u.id}`,
      `${u.status ?? 'active'}|${u.assignedRoles.join(',')}|${u.assignedGroups.join(',')}`,
    );
  for (const g of s.groups) prints.set(`group\u0000${g.id}`, `${g.status}|${g.assignedRoles.join(',')}`);
  prints.set(`group\u0000${EVERYONE_ID}`, `active|${s.everyone.assignedRoles.join(',')}`);
  for (const r of s.roles) prints.set(`role\u0000${r.id}`, `${r.name}|${r.assignedScopes.join(',')}`);
  for (const k of s.apiKeys) prints.set(`api-key\u0000${k.id}`, `${k.status}|${k.sub}|${k.expiry}`);
  prints.set(`api-keys-config\u0000${s.tenant.id}`, JSON.stringify(s.apiKeysConfig));
  return prints;
}

function splitKey(key: string): [Kind, string] {
  const at = key.indexOf('\u0000');
  return [key.slice(0, at) as Kind, key.slice(at + 1)];
}

function eventTypeOf(kind: Kind, action: 'created' | 'updated' | 'deleted'): string {
  switch (kind) {
    case 'user':
      return `com.qlik.core.user.${action}`;
    case 'group':
      return `com.qlik.v1.group.${action}`;
    case 'role':
      return `com.qlik.core.role.${action}`;
    case 'api-key':
      return `com.qlik.core.api-key.${action}`;
    case 'api-keys-config':
      return 'com.qlik.core.api-keys-config.updated';
  }
}

/** `user.updated` carries `_updates` (qlik-cloud-api.md §14); the path says which part of the user changed. */
function changeData(kind: Kind, id: string, old: string | undefined, now: string | undefined): Record<string, unknown> {
  if (kind !== 'user' || old === undefined || now === undefined) return { id };
  const [oldStatus, oldRoles, oldGroups] = old.split('|');
  const [newStatus, newRoles, newGroups] = now.split('|');
  const updates: { path: string; oldValue: unknown; newValue: unknown }[] = [];
  const list = (text: string | undefined) => (text ? text.split(',') : []);
  if (oldStatus !== newStatus) updates.push({ path: '/status', oldValue: oldStatus, newValue: newStatus });
  if (oldRoles !== newRoles)
    updates.push({ path: '/assignedRoles', oldValue: list(oldRoles), newValue: list(newRoles) });
  if (oldGroups !== newGroups)
    updates.push({ path: '/assignedGroups', oldValue: list(oldGroups), newValue: list(newGroups) });
  return { id, _updates: updates };
}

function sourceOf(eventType: string): string {
  if (eventType.includes('api-key')) return 'com.qlik/api-keys';
  return 'com.qlik/identities';
}

/** Legacy fields and CloudEvents 1.0.2 fields side by side, as Qlik sends them since 2025-11-03. */
export function hybridBody(event: SimAuditEvent): Record<string, unknown> {
  return {
    specversion: '1.0.2',
    type: event.eventType,
    source: event.source,
    id: event.eventId,
    time: event.eventTime,
    datacontenttype: 'application/json',
    tenantid: event.tenantId,
    userid: event.userId,
    data: event.data,
    eventType: event.eventType,
    eventTypeVersion: event.eventTypeVersion,
    eventTime: event.eventTime,
    contentType: 'application/json',
    cloudEventsVersion: '0.1',
    extensions: { ...event.extensions, tenantId: event.tenantId, userId: event.userId },
  };
}
