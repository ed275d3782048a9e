/**
 * `webhooks install|list|remove` per tenant, over the Qlik client: one tenant-level webhook named
 * `qlik-access-guard` per tenant, subscribed to the relevant event types the tenant offers. Installing again updates
 * it in place (new URL, types and secret) and deletes any duplicates, so it is safe to repeat.
 */
import type { QlikDelivery, QlikWebhook, WebhookSpec } from '../qlik/event-schemas';
import { webhookSubscription } from './event-types';

export const WEBHOOK_NAME = 'qlik-access-guard';

/** The client calls this needs (QlikClient has them). */
export interface WebhookApi {
  webhookEventTypes(): Promise<string[]>;
  listWebhooks(): Promise<{ items: QlikWebhook[] }>;
  createWebhook(spec: WebhookSpec): Promise<QlikWebhook>;
  updateWebhook(id: string, spec: WebhookSpec): Promise<void>;
  deleteWebhook(id: string): Promise<void>;
  recentDeliveries(id: string, limit?: number): Promise<QlikDelivery[]>;
}

export interface Installed {
  readonly action: 'created' | 'updated';
  readonly webhookId: string;
  readonly url: string;
  readonly eventTypes: readonly string[];
  /** Duplicates (same name) removed. */
  readonly removed: number;
}

/** `<base>/qlik/<tenant>`: the path the receiver reads the tenant from. */
export function receiverUrl(base: string, tenant: string): string {
  return `${base.replace(/\/+$/, '')}/qlik/${encodeURIComponent(tenant)}`;
}

/** Null when the tenant offers none of the relevant event types as webhooks (the audit poll covers it then). */
export async function installWebhook(
  api: WebhookApi,
  tenant: string,
  receiverBase: string,
  secret: string,
): Promise<Installed | null> {
  const eventTypes = webhookSubscription(await api.webhookEventTypes());
  if (eventTypes.length === 0) return null;
  const url = receiverUrl(receiverBase, tenant);
  const spec: WebhookSpec = {
    name: WEBHOOK_NAME,
    url,
    eventTypes,
    secret,
    description: 'Checks the tenant when users, roles, groups or API keys change',
  };
  const [existing, ...duplicates] = await ours(api);
  for (const extra of duplicates) await api.deleteWebhook(extra.id);
  if (existing) {
    await api.updateWebhook(existing.id, spec);
    return { action: 'updated', webhookId: existing.id, url, eventTypes, removed: duplicates.length };
  }
  const created = await api.createWebhook(spec);
  return { action: 'created', webhookId: created.id, url, eventTypes, removed: 0 };
}

export interface WebhookStatus {
  readonly webhook: QlikWebhook;
  readonly lastDelivery?: QlikDelivery;
  /** Failed among the recent deliveries looked at. */
  readonly recentFailures: number;
  readonly recentDeliveries: number;
}

/** Our webhooks on the tenant (normally one) with their recent deliveries. */
export async function webhookStatus(api: WebhookApi, recent = 10): Promise<WebhookStatus[]> {
  const statuses: WebhookStatus[] = [];
  for (const webhook of await ours(api)) {
    const deliveries = await api.recentDeliveries(webhook.id, recent);
    statuses.push({
      webhook,
      ...(deliveries[0] ? { lastDelivery: deliveries[0] } : {}),
      recentFailures: deliveries.filter((d) => d.status === 'fail').length,
      recentDeliveries: deliveries.length,
    });
  }
  return statuses;
}

/** Deletes our webhooks on the tenant; returns how many. */
export async function removeWebhooks(api: WebhookApi): Promise<number> {
  const found = await ours(api);
  for (const webhook of found) await api.deleteWebhook(webhook.id);
  return found.length;
}

async function ours(api: WebhookApi): Promise<QlikWebhook[]> {
  return (await api.listWebhooks()).items.filter((w) => w.name === WEBHOOK_NAME);
}

/**
 * Why a webhook needs attention, or undefined when it is healthy: disabled (by Qlik, usually after failures, or by
 * someone), or most of its recent deliveries failed.
 */
export function webhookProblem(status: WebhookStatus): string | undefined {
  const w = status.webhook;
  if (w.enabled === false)
    return `webhook ${WEBHOOK_NAME} is disabled${w.disabledReason ? ` (${w.disabledReason})` : ''}; changes reach the checker only through the audit poll`;
  if (status.recentDeliveries > 0 && status.recentFailures * 2 >= status.recentDeliveries)
    return `${status.recentFailures} of the last ${status.recentDeliveries} webhook deliveries failed; check that the receiver URL is reachable`;
  return undefined;
}
