/**
 * Where a tenant's webhook secret lives: locally one file per tenant in the state folder, `webhooks/<tenant>.json`,
 * readable by its owner only (mode 0600); in AWS a `webhookSecret` field of the tenant's Secrets Manager secret,
 * beside its Qlik credential. The secret never reaches a log, report or error message.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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
