/**
 * On moto, through the Lambda handler: a scheduled run whose tenant rejects the credential is archived in the bucket as
 * an `error` entry of the tenant's chain (the tenant has a history, so its id is known), and the deployed schedule of
 * the runtime config is recorded in every manifest. `evidence --bucket` then counts the expected runs from that
 * schedule and shows the failed day as "could not check"; `verify --bucket` verifies the error entry, and names it
 * once a new version of its report is written over it.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, main } from '../../../lambda/cli/main';
import { EvidenceDocumentSchema, type TenantEvidence } from '../../../lambda/evidence/model';
import { createHandler } from '../../../lambda/handler';
import { RunManifestSchema } from '../../../lambda/store/manifest';
import { DAY_MS, HOUR_MS } from '../../../lambda/util/time';
import { loadScenario, type SimulatedTenant, startSimulatedTenant } from '../../sim/server';
import { lambdaContext, withOutputCaptured } from '../../support/lambda';
import { Clock } from '../cli/support';
import { useMoto } from '../setup/moto-client';
import { createLockedBucket } from '../setup/moto-resources';

const moto = useMoto();
const { s3, sns, secrets } = moto.clients;
const BUCKET = 'qag-evidence-failed';
const SCHEDULE = { expression: 'rate(1 day)', timeZone: 'Europe/Berlin' };

let sim: SimulatedTenant;
let topic: string;
const clock = new Clock(new Date('2035-03-02T06:00:00.000Z'));

async function scheduledRun(): Promise<void> {
  const handler = createHandler({
    config: {
      tenants: [{ name: 'sim', url: sim.url, secretId: 'qag/sim-api-key' }],
      reportBucket: BUCKET,
      emailTopicArn: topic,
      tenantDeadlineSeconds: 60,
      schedule: SCHEDULE,
    },
    clients: { s3, sns, secrets },
    allowHttpLoopback: true,
    now: clock.now,
    env: { POWERTOOLS_METRICS_NAMESPACE: 'QagIntegration' },
  });
  await withOutputCaptured(() => handler({ scheduledTime: clock.now().toISOString() }, lambdaContext()));
}

async function command(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: {},
    cwd: process.cwd(),
    now: clock.now,
    awsClients: () => moto.clients,
  };
  const code = await main([...argv, '--bucket', BUCKET, '--json'], io);
  return { code, stdout, stderr };
}

async function evidence() {
  const result = await command('evidence', '--from', '2035-03-02', '--to', '2035-03-04');
  const document = result.stdout ? EvidenceDocumentSchema.parse(JSON.parse(result.stdout)) : undefined;
  return { ...result, tenant: document?.tenants[0] as TenantEvidence };
}

async function text(key: string): Promise<string> {
  return (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString();
}

const slotsOf = (tenant: TenantEvidence) => tenant.coverage.slots.map((s) => `${s.at.slice(5, 16)} ${s.state}`);

beforeAll(async () => {
  sim = await startSimulatedTenant({ scenario: loadScenario('migration'), now: clock.now });
  await secrets.send(
    new CreateSecretCommand({
      Name: 'qag/sim-api-key',
      SecretString: JSON.stringify({ apiKey: sim.credentials.apiKey }),
    }),
  );
  topic = (await sns.send(new CreateTopicCommand({ Name: 'qag-evidence-failed-email' }))).TopicArn!;
  await createLockedBucket(s3, BUCKET);

  await scheduledRun(); // 03-02
  clock.advance(DAY_MS);
  sim.setFaults([{ kind: 'unauthorized' }]);
  await scheduledRun(); // 03-03: the credential is rejected
  sim.setFaults([]);
  clock.advance(DAY_MS);
  await scheduledRun(); // 03-04
  clock.advance(HOUR_MS);
}, 120_000);

afterAll(async () => {
  await sim?.close();
});

describe('a failed scheduled run on moto', () => {
  const failedFolder = () => `reports/tenant=${sim.tenantId}/date=2035-03-03/run=failed-2035-03-03T06-00-00.000Z/`;

  it('is stored as an error entry with the error, and every manifest records the deployed schedule', async () => {
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `reports/tenant=${sim.tenantId}/` }),
    );
    const manifests = (listed.Contents ?? []).map((o) => o.Key!).filter((k) => k.endsWith('manifest.json'));
    expect(manifests).toHaveLength(3);
    const parsed = await Promise.all(manifests.map(async (k) => RunManifestSchema.parse(JSON.parse(await text(k)))));
    expect(parsed.map((m) => m.schedule)).toEqual([SCHEDULE, SCHEDULE, SCHEDULE]);
    const failed = RunManifestSchema.parse(JSON.parse(await text(`${failedFolder()}manifest.json`)));
    expect(failed).toMatchObject({
      kind: 'error',
      sequence: 2,
      failure: { runId: '2035-03-03T06:00:00.000Z', code: 'unauthorized' },
    });
    expect(failed.files.map((f) => f.name)).toEqual(['report.json']);
    const stored = await text(`${failedFolder()}report.json`);
    expect(stored).not.toContain(sim.credentials.apiKey);
  });

  it('evidence --bucket counts expected runs from the recorded schedule and shows the day as failed', async () => {
    const { code, stderr, tenant } = await evidence();
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(tenant.coverage).toMatchObject({ basis: 'schedule', schedule: 'rate(1 day)', intervalMinutes: 1440 });
    expect([tenant.runs, tenant.runsFailed, tenant.expectedRuns, tenant.gaps]).toEqual([3, 1, 3, []]);
    expect(slotsOf(tenant)).toEqual(['03-02T06:00 present', '03-03T06:00 failed', '03-04T06:00 present']);
    expect(tenant.chain).toEqual({ ok: true, problems: [] });
  });

  it('verify --bucket verifies the error entry, and names its report once a new version is written over it', async () => {
    expect((await command('verify')).code).toBe(0);
    const key = `${failedFolder()}report.json`;
    const original = await text(key);
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: original.replace('"status": "error"', '"status": "ok"') }),
    );
    const verified = await command('verify');
    expect(verified.code).toBe(1);
    expect(verified.stdout).toContain(key);
    const { tenant } = await evidence();
    expect(tenant.chain.ok).toBe(false);
    expect(tenant.chain.problems.map((p) => [p.kind, p.key])).toContainEqual(['rewritten', key]);
    expect(slotsOf(tenant)[1]).toBe('03-03T06:00 failed');
  });
});
