import 'aws-sdk-client-mock-vitest/extend';
import {
  GetSecretValueCommand,
  InternalServiceError,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { readTenantCredentials } from '../../../lambda/aws/secrets';
import { CheckError } from '../../../lambda/errors';

const SECRET_ID = 'qag/tenants/acme';
const VALUE_MARKER = 'qagSECRETvalue9d2f';

async function failure(promise: Promise<unknown>): Promise<CheckError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CheckError);
  return error as CheckError;
}

/** Nothing about the error, however deep, may carry the secret's value or any part of it. */
function expectNoValue(error: unknown): void {
  const seen: string[] = [];
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    seen.push(String((e as Error).message), String((e as Error).stack), JSON.stringify(e));
  }
  for (const text of seen) {
    expect(text).not.toContain(VALUE_MARKER);
    expect(text).not.toContain(VALUE_MARKER.slice(0, 6));
  }
}

describe('readTenantCredentials', () => {
  const secrets = mockClient(SecretsManagerClient);
  const client = new SecretsManagerClient({});
  beforeEach(() => secrets.reset());
  const secretString = (value: string) =>
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ID }).resolves({ SecretString: value });

  it('reads an API key', async () => {
    secretString(JSON.stringify({ apiKey: `  ${VALUE_MARKER} ` }));
    expect(await readTenantCredentials(client, SECRET_ID)).toEqual({ kind: 'api-key', apiKey: VALUE_MARKER });
    expect(secrets).toHaveReceivedCommandExactlyOnceWith(GetSecretValueCommand, { SecretId: SECRET_ID });
  });

  it('reads an OAuth client, with and without a scope', async () => {
    secretString(JSON.stringify({ clientId: 'cid', clientSecret: VALUE_MARKER }));
    expect(await readTenantCredentials(client, SECRET_ID)).toEqual({
      kind: 'oauth-client',
      clientId: 'cid',
      clientSecret: VALUE_MARKER,
    });
    secretString(JSON.stringify({ clientId: 'cid', clientSecret: VALUE_MARKER, scope: 'user_default admin_classic' }));
    expect(await readTenantCredentials(client, SECRET_ID)).toEqual({
      kind: 'oauth-client',
      clientId: 'cid',
      clientSecret: VALUE_MARKER,
      scope: 'user_default admin_classic',
    });
  });

  it('reads a binary secret holding JSON text', async () => {
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretBinary: new TextEncoder().encode(JSON.stringify({ apiKey: VALUE_MARKER })) });
    expect(await readTenantCredentials(client, SECRET_ID)).toEqual({ kind: 'api-key', apiKey: VALUE_MARKER });
  });

  it('ignores other fields a team keeps in the secret', async () => {
    secretString(JSON.stringify({ apiKey: VALUE_MARKER, owner: 'platform-team' }));
    expect(await readTenantCredentials(client, SECRET_ID)).toEqual({ kind: 'api-key', apiKey: VALUE_MARKER });
  });

  it('names a missing secret', async () => {
    secrets.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }));
    const error = await failure(readTenantCredentials(client, SECRET_ID));
    expect(error.code).toBe('bad-input');
    expect(error.message).toContain(`secret ${SECRET_ID} was not found`);
    expect(error.message).toContain('"apiKey"');
  });

  it('explains access denied', async () => {
    secrets.on(GetSecretValueCommand).rejects(
      new SecretsManagerServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        message: 'no',
        $metadata: {},
      }),
    );
    const error = await failure(readTenantCredentials(client, SECRET_ID));
    expect(error).toMatchObject({ code: 'bad-input' });
    expect(error.message).toContain('secretsmanager:GetSecretValue');
  });

  it('treats service trouble as unreachable', async () => {
    secrets.on(GetSecretValueCommand).rejects(new InternalServiceError({ message: 'boom', $metadata: {} }));
    const error = await failure(readTenantCredentials(client, SECRET_ID));
    expect(error).toMatchObject({ code: 'unreachable' });
    expect(error.message).toBe(`secret ${SECRET_ID} could not be read (InternalServiceError)`);
  });

  it.each([
    ['not JSON', `apiKey=${VALUE_MARKER}`, 'is not JSON'],
    ['truncated JSON', `{"apiKey":"${VALUE_MARKER}`, 'is not JSON'],
    ['a JSON string', JSON.stringify(VALUE_MARKER), 'is JSON but not an object'],
    ['an array', JSON.stringify([VALUE_MARKER]), 'is JSON but not an object'],
    [
      'no known field',
      JSON.stringify({ token: VALUE_MARKER }),
      'has neither "apiKey" nor "clientId" and "clientSecret"',
    ],
    ['a numeric key', JSON.stringify({ apiKey: 12345 }), 'has a non-string "apiKey"'],
    ['an empty key', JSON.stringify({ apiKey: '   ' }), 'has an empty "apiKey"'],
    ['a client id without secret', JSON.stringify({ clientId: VALUE_MARKER }), 'lacks "clientSecret"'],
    ['a secret without client id', JSON.stringify({ clientSecret: VALUE_MARKER }), 'lacks "clientId"'],
    ['both kinds', JSON.stringify({ apiKey: VALUE_MARKER, clientId: 'c', clientSecret: VALUE_MARKER }), 'has both'],
    [
      'a non-string scope',
      JSON.stringify({ clientId: 'c', clientSecret: VALUE_MARKER, scope: [VALUE_MARKER] }),
      'has a non-string "scope"',
    ],
  ])('rejects %s naming the secret and the expected shape, never the value', async (_, value, problem) => {
    secretString(value);
    const error = await failure(readTenantCredentials(client, SECRET_ID));
    expect(error.code).toBe('bad-input');
    expect(error.message).toContain(`secret ${SECRET_ID} ${problem}`);
    expect(error.message).toContain('expected a JSON object with "apiKey"');
    expect(error.cause).toBeUndefined();
    expectNoValue(error);
  });

  it('rejects a secret with no value and binary that is not text', async () => {
    secrets.on(GetSecretValueCommand).resolves({});
    expect((await failure(readTenantCredentials(client, SECRET_ID))).message).toContain('has no value');
    secrets.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([0xff, 0xfe, 0x00]) });
    expect((await failure(readTenantCredentials(client, SECRET_ID))).message).toContain('not UTF-8 text');
  });
});
