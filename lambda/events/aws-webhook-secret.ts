/**
 * The webhook secret in AWS (docs/events.md, "In AWS"): the `secret` field of the tenant's `webhookSecretId` secret,
 * as `webhooks install --secret-id` writes it, or a `webhookSecret` field (how a secret written by hand beside other
 * fields may name it). Apart from lambda/events/webhook-secrets.ts, so the CLI loads the AWS SDK only when it needs it. Errors
 * name the secret and what was expected, never a value.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { fetchSecretText } from '../aws/secrets';
import { CheckError } from '../errors';
import { isRecord } from '../util/text';

const EXPECTED =
  'a JSON object with "secret" (or "webhookSecret") as a non-empty string; run "webhooks install --secret-id"';

export async function readWebhookSecret(client: SecretsManagerClient, secretId: string): Promise<string> {
  const text = await fetchSecretText(client, secretId);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new CheckError('bad-input', `secret ${secretId} is not JSON; expected ${EXPECTED}`);
  }
  const value = isRecord(document) ? (document.secret ?? document.webhookSecret) : undefined;
  if (typeof value !== 'string' || value === '') {
    throw new CheckError('bad-input', `secret ${secretId} holds no webhook secret; expected ${EXPECTED}`);
  }
  return value;
}
