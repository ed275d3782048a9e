/**
 * Where a tenant's webhook secret lives: locally one file per tenant in the state folder, `webhooks/<tenant>.json`,
 * readable by its owner only (mode 0600); in AWS a Secrets Manager secret of its own, `{ "secret": "…" }`, named in
 * the deploy config as the tenant's `webhookSecretId`: the receiver may read it, and never the Qlik credential, so it
 * is never a field of the credential's secret. The secret never reaches a log, report or error message.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CheckError, messageOf } from '../errors';
import { keySegment } from '../store/layout';
import { isRecord } from '../util/text';

export interface WebhookRecord {
  readonly tenant: string;
  readonly webhookId: string;
  readonly url: string;
  readonly eventTypes: readonly string[];
  readonly secret: string;
  readonly installedAt: string;
}

/** 256 random bits, URL-safe. */
export function newWebhookSecret(): string {
  return randomBytes(32).toString('base64url');
}

export class LocalWebhookSecrets {
  constructor(private readonly stateDir: string) {}

  private folder(): string {
    return join(this.stateDir, 'webhooks');
  }

  private file(tenant: string): string {
    return join(this.folder(), `${keySegment(tenant)}.json`);
  }

  async save(record: WebhookRecord): Promise<void> {
    await mkdir(this.folder(), { recursive: true, mode: 0o700 });
    const path = this.file(record.tenant);
    // Written with 0600 from the start, and chmod for a file that existed with looser bits.
    await writeFile(path, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    await chmod(path, 0o600);
  }

  async load(tenant: string): Promise<WebhookRecord | undefined> {
    const path = this.file(tenant);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CheckError('bad-input', `${path} could not be read (${messageOf(error)})`);
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      throw new CheckError('bad-input', `${path}: not JSON; run "webhooks install" again for ${tenant}`);
    }
    const record = asRecord(document);
    if (!record) throw new CheckError('bad-input', `${path}: not a webhook record; run "webhooks install" again`);
    return record;
  }

  async remove(tenant: string): Promise<void> {
    await rm(this.file(tenant), { force: true });
  }

  async tenants(): Promise<string[]> {
    try {
      return (await readdir(this.folder())).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
    } catch {
      return [];
    }
  }
}

function asRecord(value: unknown): WebhookRecord | undefined {
  if (!isRecord(value)) return undefined;
  const { tenant, webhookId, url, eventTypes, secret, installedAt } = value;
  if (
    typeof tenant !== 'string' ||
    typeof webhookId !== 'string' ||
    typeof url !== 'string' ||
    typeof secret !== 'string' ||
    secret === '' ||
    typeof installedAt !== 'string' ||
    !Array.isArray(eventTypes) ||
    eventTypes.some((t) => typeof t !== 'string')
  )
    return undefined;
  return { tenant, webhookId, url, eventTypes: eventTypes as string[], secret, installedAt };
}

/** Fields of a Qlik credential secret (lambda/aws/secrets.ts): a webhook secret is never stored beside them. */
const CREDENTIAL_FIELDS = ['apiKey', 'clientId', 'clientSecret'] as const;

export type StoredIn = 'created' | 'updated';

/**
 * Keeps the webhook secret in AWS as `{ "secret": "…" }` in `secretId`: creates the secret when there is none (a name,
 * not an ARN: an ARN names a secret that exists), else puts a new version (the receiver reads the current one on its
 * next cold start or cache expiry). Refuses a secret that holds a Qlik credential: the receiver would need to read
 * it. Errors name the secret and what was expected, never a value.
 */
export async function storeWebhookSecretInAws(
  client: SecretsManagerClient,
  secretId: string,
  webhookSecret: string,
): Promise<StoredIn> {
  const { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand } = await import(
    '@aws-sdk/client-secrets-manager'
  );
  const value = JSON.stringify({ secret: webhookSecret });
  let current: string | undefined;
  try {
    current = (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString ?? '';
  } catch (error) {
    if (awsErrorName(error) !== 'ResourceNotFoundException') {
      throw new CheckError('bad-input', `secret ${secretId} could not be read (${awsErrorName(error)})`);
    }
  }
  if (current === undefined) {
    if (secretId.startsWith('arn:')) {
      throw new CheckError('bad-input', `secret ${secretId} does not exist; give a secret name to create it`);
    }
    await client.send(
      new CreateSecretCommand({
        Name: secretId,
        SecretString: value,
        Description: 'qlik-access-guard webhook secret: {"secret": "..."}, read by the webhook receiver',
      }),
    );
    return 'created';
  }
  let document: unknown;
  try {
    document = current === '' ? {} : JSON.parse(current);
  } catch {
    throw new CheckError('bad-input', `secret ${secretId} is not JSON; expected a webhook secret {"secret": "..."}`);
  }
  if (!isRecord(document)) {
    throw new CheckError('bad-input', `secret ${secretId} is not a JSON object; expected {"secret": "..."}`);
  }
  if (CREDENTIAL_FIELDS.some((field) => field in document)) {
    throw new CheckError(
      'bad-input',
      `secret ${secretId} holds a Qlik credential; keep the webhook secret in a secret of its own ` +
        '(e.g. qlik-access-guard/webhooks/<tenant>), which the webhook receiver may read without reading the credential',
    );
  }
  await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value }));
  return 'updated';
}

/** The SDK error's name only: it never carries the secret's value. */
function awsErrorName(error: unknown): string {
  return error instanceof Error ? error.name : 'error';
}
