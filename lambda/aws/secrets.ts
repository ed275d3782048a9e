/**
 * Tenant credentials from Secrets Manager. Errors name the secret and what was expected, never its value: not even
 * a prefix, and no `cause` that could carry it (a JSON.parse error quotes the text it failed on).
 */
import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CheckError } from '../errors';
import type { QlikCredentials } from '../qlik/credentials';

const EXPECTED =
  'a JSON object with "apiKey" (a string), or with "clientId" and "clientSecret" (strings) and an optional "scope"';

/** Reads `{ "apiKey" }` or `{ "clientId", "clientSecret", "scope"? }` from the secret. */
export async function readTenantCredentials(client: SecretsManagerClient, secretId: string): Promise<QlikCredentials> {
  const text = await fetchSecretText(client, secretId);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw invalid(secretId, 'is not JSON');
  }
  return credentialsFrom(document, secretId);
}

export async function fetchSecretText(client: SecretsManagerClient, secretId: string): Promise<string> {
  let output: GetSecretValueCommandOutput;
  try {
    output = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  } catch (error) {
    const name = error instanceof Error ? error.name : 'unknown error';
    if (name === 'ResourceNotFoundException') {
      throw new CheckError('bad-input', `secret ${secretId} was not found: create it with ${EXPECTED}`);
    }
    if (name === 'AccessDeniedException') {
      throw new CheckError(
        'bad-input',
        `secret ${secretId} could not be read (AccessDeniedException): grant the checker secretsmanager:GetSecretValue on it and kms:Decrypt on its key`,
      );
    }
    if (name === 'DecryptionFailure') {
      throw new CheckError(
        'bad-input',
        `secret ${secretId} could not be decrypted (DecryptionFailure): grant the checker kms:Decrypt on its key`,
      );
    }
    // Service or network trouble: the SDK error carries no secret value, keep it for the logs.
    throw new CheckError('unreachable', `secret ${secretId} could not be read (${name})`, { cause: error });
  }
  if (output.SecretString !== undefined) return output.SecretString;
  if (output.SecretBinary !== undefined) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(output.SecretBinary);
    } catch {
      throw invalid(secretId, 'is binary and not UTF-8 text');
    }
  }
  throw invalid(secretId, 'has no value');
}

function credentialsFrom(document: unknown, secretId: string): QlikCredentials {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw invalid(secretId, 'is JSON but not an object');
  }
  const fields = document as Record<string, unknown>;
  const hasApiKey = 'apiKey' in fields;
  const hasClient = 'clientId' in fields || 'clientSecret' in fields;
  if (hasApiKey && hasClient) throw invalid(secretId, 'has both "apiKey" and "clientId"/"clientSecret"; keep one');
  if (hasApiKey) return { kind: 'api-key', apiKey: requiredString(fields, 'apiKey', secretId) };
  if (hasClient) {
    const clientId = requiredString(fields, 'clientId', secretId);
    const clientSecret = requiredString(fields, 'clientSecret', secretId);
    if (fields.scope === undefined) return { kind: 'oauth-client', clientId, clientSecret };
    return { kind: 'oauth-client', clientId, clientSecret, scope: requiredString(fields, 'scope', secretId) };
  }
  throw invalid(secretId, 'has neither "apiKey" nor "clientId" and "clientSecret"');
}

function requiredString(fields: Record<string, unknown>, name: string, secretId: string): string {
  const value = fields[name];
  if (typeof value !== 'string')
    throw invalid(secretId, value === undefined ? `lacks "${name}"` : `has a non-string "${name}"`);
  const trimmed = value.trim();
  if (trimmed === '') throw invalid(secretId, `has an empty "${name}"`);
  return trimmed;
}

function invalid(secretId: string, problem: string): CheckError {
  return new CheckError('bad-input', `secret ${secretId} ${problem}: expected ${EXPECTED}`);
}
