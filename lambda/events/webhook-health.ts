/**
 * The scheduled run's look at each tenant's webhook (docs/events.md, "In AWS"): Qlik disables a webhook whose
 * deliveries keep failing, and nobody else would notice that changes then reach the checker only through the audit
 * poll. Read with the webhook API (./install.ts); the alert is a health alert like the checker's own troubles.
 */
import type { AlertContext, HealthAlert, HealthIssue } from '../notify/content';
import type { OutboundMessage } from '../notify/message';
import { toMessages } from '../notify/plan';
import { oneLine } from '../notify/text';
import { WEBHOOK_NAME, type WebhookApi, webhookProblem, webhookStatus } from './install';

/** Why the tenant's webhook needs attention, or undefined when it is installed and healthy. */
export async function webhookHealthProblem(api: WebhookApi): Promise<string | undefined> {
  const statuses = await webhookStatus(api);
  if (statuses.length === 0) {
    return `no webhook named ${WEBHOOK_NAME} is installed; changes reach the checker only through the audit poll`;
  }
  for (const status of statuses) {
    const problem = webhookProblem(status);
    if (problem) return problem;
  }
  return undefined;
}

export function webhookIssue(problem: string): HealthIssue {
  return {
    kind: 'webhook-problem',
    severity: 'medium',
    headline: 'webhook needs attention',
    meaning:
      "Qlik does not deliver this tenant's changes to the checker's receiver, so a key that breaks is found by the " +
      'audit poll (within minutes) or the next scheduled run instead of within a minute. Qlik disables a webhook ' +
      'whose deliveries keep failing.',
    actions: [
      'Run qlik-access-guard webhooks list for the tenant to see the webhook, whether it is enabled and its last ' +
        'delivery status.',
      'Check that the receiver URL is reachable from the internet and that the function answers 204 (its logs name ' +
        'the reason of every rejected delivery).',
      'Run qlik-access-guard webhooks install --secret-id <the tenant webhook secret> to re-create it and rotate its ' +
        'secret; it is enabled again.',
    ],
    detail: problem,
  };
}

export interface WebhookHealthInput {
  readonly tenantName: string;
  readonly tenantId: string;
  readonly tenantUrl: string;
  readonly runId: string;
  readonly problem: string;
}

/** The health alert (email and chat) for a tenant whose webhook needs attention. */
export function webhookHealthMessages(input: WebhookHealthInput): OutboundMessage[] {
  const context: AlertContext = {
    tenantName: oneLine(input.tenantName) || input.tenantId,
    tenantId: input.tenantId,
    tenantUrl: input.tenantUrl,
    runId: input.runId,
    maxItemsPerSection: 10,
  };
  const issue = webhookIssue(oneLine(input.problem).slice(0, 500));
  const alert: HealthAlert = { kind: 'health', context, severity: issue.severity, issues: [issue] };
  return toMessages(alert, input.tenantId);
}
