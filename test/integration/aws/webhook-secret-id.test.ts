/**
 * `webhooks install --secret-id` on a real Secrets Manager API (moto) and the simulated tenant: the webhook secret is
 * kept as `{ "secret": … }` in a secret of its own (created when missing, a new version on reinstall), is the one the
 * tenant signs with, is what the receiver's reader returns, and is never stored beside a Qlik credential.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, main } from '../../../lambda/cli/main';
import { readWebhookSecret } from '../../../lambda/events/aws-webhook-secret';
import { storeWebhookSecretInAws } from '../../../lambda/events/webhook-secrets';
import { loadScenario, type SimulatedTenant, startSimulatedTenant } from '../../sim/server';
import { useMoto } from '../setup/moto-client';

const moto = useMoto();
let sim: SimulatedTenant;
let dir: string;

beforeAll(async () => {
  sim = await startSimulatedTenant({ scenario: loadScenario('migration') });
  dir = await mkdtemp(join(tmpdir(), 'qag-webhook-secret-'));
});
afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

async function cli(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: { QLIK_CLIENT_ID: sim.credentials.clientId, QLIK_CLIENT_SECRET: sim.credentials.clientSecret },
    cwd: dir,
    awsClients: () => moto.clients,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const secretJson = async (secretId: string) =>
  JSON.parse(
    (await moto.clients.secrets.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString!,
  ) as Record<string, unknown>;

describe('webhooks install --secret-id', () => {
  const secretId = 'qlik-access-guard/webhooks/acme';
  const install = () =>
    cli([
      'webhooks',
      'install',
      '--tenant',
      sim.url,
      '--allow-http-loopback',
      '--state',
      join(dir, 'state'),
      '--receiver',
      'https://abc.lambda-url.eu-west-1.on.aws',
      '--secret-id',
      secretId,
    ]);

  it('creates the secret as {"secret"}, the one the tenant signs with, and keeps nothing in the state folder', async () => {
    const first = await install();
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`secret kept in secret ${secretId} (created)`);
    const stored = await secretJson(secretId);
    expect(Object.keys(stored)).toEqual(['secret']);
    expect(sim.events.webhooks).toHaveLength(1);
    expect(sim.events.webhooks[0]!.secret).toBe(stored.secret);
    expect(await readWebhookSecret(moto.clients.secrets, secretId)).toBe(stored.secret);
    expect(await readdir(join(dir, 'state')).catch(() => [])).not.toContain('webhooks');
    // The secret is in no output.
    expect(first.stdout).not.toContain(stored.secret as string);
  });

  it('rotates on reinstall: a new version with a new secret, still one webhook, signing with the new one', async () => {
    const before = (await secretJson(secretId)).secret;
    const second = await install();
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`secret kept in secret ${secretId} (updated)`);
    const after = (await secretJson(secretId)).secret;
    expect(after).not.toBe(before);
    expect(sim.events.webhooks).toHaveLength(1);
    expect(sim.events.webhooks[0]!.secret).toBe(after);
    const versions = await moto.clients.secrets.send(new ListSecretVersionIdsCommand({ SecretId: secretId }));
    expect(versions.Versions?.length).toBe(2);
  });

  it('refuses to write into a Qlik credential secret, and leaves it as it was', async () => {
    const credential = { clientId: 'id-1', clientSecret: 'do-not-touch' };
    await moto.clients.secrets.send(
      new CreateSecretCommand({ Name: 'qlik-access-guard/tenants/acme', SecretString: JSON.stringify(credential) }),
    );
    await expect(
      storeWebhookSecretInAws(moto.clients.secrets, 'qlik-access-guard/tenants/acme', 'w'.repeat(43)),
    ).rejects.toThrow(
      'secret qlik-access-guard/tenants/acme holds a Qlik credential; keep the webhook secret in a secret of its own',
    );
    expect(await secretJson('qlik-access-guard/tenants/acme')).toEqual(credential);
  });

  it('names a missing secret given by ARN instead of creating a differently named one', async () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:qag/missing-AbC123';
    await expect(storeWebhookSecretInAws(moto.clients.secrets, arn, 'w'.repeat(43))).rejects.toThrow(
      `secret ${arn} does not exist; give a secret name to create it`,
    );
  });

  it('refuses a secret that is not a JSON object, without showing its value', async () => {
    await moto.clients.secrets.send(
      new CreateSecretCommand({ Name: 'qag/not-json', SecretString: 'plain-text-value' }),
    );
    const error = await storeWebhookSecretInAws(moto.clients.secrets, 'qag/not-json', 'w'.repeat(43)).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toBe('secret qag/not-json is not JSON; expected a webhook secret {"secret": "..."}');
    expect(error?.message).not.toContain('plain-text-value');
  });
});
