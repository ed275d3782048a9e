/**
 * What `webhooks install|list|remove` do per tenant (the command's options are in ./commands/webhooks.ts). Each
 * tenant is handled on its own: one tenant's failure is printed and makes exit 2, the others still go ahead.
 */
import { messageOf } from '../errors';
import { installWebhook, removeWebhooks, WEBHOOK_NAME, webhookProblem, webhookStatus } from '../events/install';
import { LocalWebhookSecrets, newWebhookSecret, storeWebhookSecretInAws } from '../events/webhook-secrets';
import { field } from '../notify/text';
import { QlikClient } from '../qlik/client';
import type { TenantTarget } from '../run/run';
import { escapeUnsafe } from '../util/tenant-text';
import { awsClients } from './aws';
import { type CliIo, EXIT_ERROR, EXIT_OK } from './command';

export type WebhooksAction = 'install' | 'list' | 'remove';

export interface WebhooksSettings {
  readonly action: WebhooksAction;
  readonly targets: readonly TenantTarget[];
  readonly stateDir: string;
  readonly allowHttpLoopback: boolean;
  /** install: the public base URL of the receiver. */
  readonly receiver?: string;
  /**
   * install: keep the secret in this Secrets Manager secret of its own (`{ "secret": "…" }`, one tenant; created when
   * missing) instead of the state folder.
   */
  readonly secretId?: string;
}

export async function runWebhooks(settings: WebhooksSettings, io: CliIo): Promise<number> {
  const local = new LocalWebhookSecrets(settings.stateDir);
  let failed = false;
  for (const target of settings.targets) {
    const client = new QlikClient({
      tenantUrl: target.url,
      credentials: await target.credentials(),
      allowedHosts: target.allowedHosts,
      allowHttpLoopback: settings.allowHttpLoopback,
    });
    try {
      if (settings.action === 'install') {
        const secret = newWebhookSecret();
        const installed = await installWebhook(client, target.name, settings.receiver!, secret);
        if (!installed) {
          io.stdout(`${target.name}: offers none of the relevant event types as webhooks; the audit poll covers it\n`);
          continue;
        }
        const record = {
          tenant: target.name,
          webhookId: installed.webhookId,
          url: installed.url,
          eventTypes: installed.eventTypes,
          secret,
          installedAt: (io.now?.() ?? new Date()).toISOString(),
        };
        const kept = settings.secretId
          ? `secret ${settings.secretId} (${await storeWebhookSecretInAws((await awsClients(io)).secrets, settings.secretId, secret)})`
          : 'the state folder';
        if (!settings.secretId) await local.save(record);
        io.stdout(
          `${target.name}: webhook ${WEBHOOK_NAME} ${installed.action} → ${installed.url} ` +
            `(${installed.eventTypes.length} event types${installed.removed > 0 ? `, ${installed.removed} duplicates removed` : ''}); ` +
            `secret kept in ${kept}\n`,
        );
      } else if (settings.action === 'list') {
        const statuses = await webhookStatus(client);
        if (statuses.length === 0) io.stdout(`${target.name}: no ${WEBHOOK_NAME} webhook\n`);
        for (const status of statuses) {
          const w = status.webhook;
          const last = status.lastDelivery;
          io.stdout(
            `${[
              `${target.name}: ${WEBHOOK_NAME} → ${field(w.url, 300)}`,
              `  enabled: ${w.enabled === false ? `no${w.disabledReason ? ` (${field(w.disabledReason, 200)})` : ''}` : 'yes'}`,
              `  event types: ${(w.eventTypes ?? []).map((t) => field(t, 100)).join(', ') || 'none'}`,
              `  last delivery: ${last ? `${last.status} at ${field(last.triggeredAt, 40)} (${field(last.eventType, 100)})` : 'none yet'}` +
                `; ${status.recentFailures} of the last ${status.recentDeliveries} failed`,
              ...(webhookProblem(status) ? [`  attention: ${field(webhookProblem(status)!, 300)}`] : []),
            ].join('\n')}\n`,
          );
        }
      } else {
        const removed = await removeWebhooks(client);
        await local.remove(target.name);
        io.stdout(`${target.name}: ${removed} ${WEBHOOK_NAME} webhook${removed === 1 ? '' : 's'} removed\n`);
      }
    } catch (error) {
      failed = true;
      // The message may quote the tenant's error text: one inert line (docs/tenant-text.md).
      io.stderr(`error: ${target.name}: ${escapeUnsafe(messageOf(error))}\n`);
    } finally {
      await client.close();
    }
  }
  return failed ? EXIT_ERROR : EXIT_OK;
}
