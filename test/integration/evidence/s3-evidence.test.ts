/**
 * `evidence --bucket` on moto over an archive the Lambda handler wrote: four scheduled runs over five simulated days
 * (the third day missed), a key revoked and a key owner fixed between runs. Then a stored report is overwritten with
 * a new object version, as someone holding the function's write access could, and the chain verdict flips.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvidenceDocumentSchema, type TenantEvidence } from '../../../lambda/evidence/model';
import { createHandler } from '../../../lambda/handler';
import { findingId } from '../../../lambda/report/model';
import { DAY_MS, HOUR_MS } from '../../../lambda/util/time';
import { loadScenario, type SimulatedTenant, startSimulatedTenant } from '../../sim/server';
import { lambdaContext, withOutputCaptured } from '../../support/lambda';
import { Clock, cli } from '../cli/support';
import { useMoto } from '../setup/moto-client';
import { createLockedBucket } from '../setup/moto-resources';

const moto = useMoto();
const { s3, sns, secrets } = moto.clients;
const BUCKET = 'qag-evidence';
const RAVI = '64b1000000000000000000a1';
const DANA_KEY = 'Da1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sX';
const ALLOW_MANAGE_API_KEYS = '6724d8f5a4acfa155351afa7';

let sim: SimulatedTenant;
const clock = new Clock(new Date('2035-03-02T06:00:00.000Z'));

async function scheduledRun(emailTopicArn: string): Promise<void> {
  const handler = createHandler({
    config: {
      tenants: [{ name: 'sim', url: sim.url, secretId: 'qag/sim-api-key' }],
      reportBucket: BUCKET,
      emailTopicArn,
      tenantDeadlineSeconds: 60,
    },
    clients: { s3, sns, secrets },
    allowHttpLoopback: true,
    now: clock.now,
    env: { POWERTOOLS_METRICS_NAMESPACE: 'QagIntegration' },
  });
  // Powertools writes its logs and metrics to stdout; keep the test output readable.
  await withOutputCaptured(() => handler({ scheduledTime: clock.now().toISOString() }, lambdaContext()));
}

async function evidence(...argv: string[]) {
  const { code, stdout, stderr } = await cli(['evidence', '--bucket', BUCKET, '--json', ...argv], {
    cwd: process.cwd(),
    now: clock.now,
    awsClients: () => moto.clients,
  });
  const document = stdout ? EvidenceDocumentSchema.parse(JSON.parse(stdout)) : undefined;
  // One tenant: its drift state (keyed by the configured name) is in the bucket too, but holds no run.
  expect(document?.tenants.length ?? 1).toBe(1);
  return { code, stderr, tenant: document?.tenants[0] as TenantEvidence | undefined };
}

beforeAll(async () => {
  sim = await startSimulatedTenant({ scenario: loadScenario('migration'), now: clock.now });
  await secrets.send(
    new CreateSecretCommand({
      Name: 'qag/sim-api-key',
      SecretString: JSON.stringify({ apiKey: sim.credentials.apiKey }),
    }),
  );
  const topic = (await sns.send(new CreateTopicCommand({ Name: 'qag-evidence-email' }))).TopicArn!;
  await createLockedBucket(s3, BUCKET);

  await scheduledRun(topic); // 03-02: everything new
  clock.advance(DAY_MS);
  sim.mutate((s) => {
    s.apiKeys.find((k) => k.id === DANA_KEY)!.status = 'revoked';
  });
  await scheduledRun(topic); // 03-03: Dana's inactive-owner finding resolved after 1 day
  clock.advance(2 * DAY_MS); // 03-04: the scheduler did not run
  sim.mutate((s) => {
    const ravi = s.users.find((u) => u.id === RAVI)!;
    ravi.assignedRoles = [...ravi.assignedRoles, ALLOW_MANAGE_API_KEYS];
  });
  await scheduledRun(topic); // 03-05: Ravi's critical finding resolved after 3 days
  clock.advance(DAY_MS);
  await scheduledRun(topic); // 03-06
  clock.advance(HOUR_MS);
}, 120_000);

afterAll(async () => {
  await sim?.close();
});

describe('evidence --bucket on moto', () => {
  it('reads the S3 archive: runs, the missed day, resolutions and the chain', async () => {
    const { code, stderr, tenant } = await evidence('--from', '2035-03-02', '--to', '2035-03-31');
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(tenant?.name).toBe('sim');
    expect([tenant?.runs, tenant?.expectedRuns, tenant?.runsFailed]).toEqual([4, 5, 0]);
    expect(tenant?.gaps).toEqual([{ from: '2035-03-04T06:00:00.000Z', to: '2035-03-04T06:00:00.000Z', missed: 1 }]);
    expect(tenant?.chain).toEqual({ ok: true, problems: [] });
    const ravi = tenant?.findings.find(
      (f) => f.id === findingId(sim.tenantId, 'api-key-owner-lacks-manage-permission', { type: 'user', id: RAVI }),
    );
    expect([ravi?.firstSeen, ravi?.resolvedAt, ravi?.openDays, ravi?.status]).toEqual([
      '2035-03-02T06:00:00.000Z',
      '2035-03-05T06:00:00.000Z',
      3,
      'resolved',
    ]);
    expect(tenant?.timeToResolve.critical).toEqual({ resolved: 1, medianDays: 3, maxDays: 3 });
    expect(tenant?.timeToResolve.medium).toEqual({ resolved: 1, medianDays: 1, maxDays: 1 });
    // Mia's critical finding is still open an hour after the last run: 4 days and 1 hour.
    expect(tenant?.findings.filter((f) => f.status === 'open').map((f) => [f.severity, f.openDays])).toContainEqual([
      'critical',
      4.04,
    ]);
  });

  it('exits 0 for a complete period, then 1 naming the key once a stored report gets a new version', async () => {
    const before = await evidence('--from', '2035-03-05', '--to', '2035-03-06');
    expect([before.code, before.tenant?.runs, before.tenant?.expectedRuns, before.tenant?.chain.ok]).toEqual([
      0,
      2,
      2,
      true,
    ]);

    const key = `reports/tenant=${sim.tenantId}/date=2035-03-05/run=2035-03-05T06-00-00.000Z/report.json`;
    const stored = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const original = await stored.Body!.transformToString();
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: original.replace(/"failing": \d+,/, '"failing": 0,') }),
    );

    const after = await evidence('--from', '2035-03-05', '--to', '2035-03-06');
    expect(after.code).toBe(1);
    expect(after.tenant?.chain.ok).toBe(false);
    expect(after.tenant?.chain.problems.map((p) => [p.kind, p.key])).toContainEqual(['altered-file', key]);
  });

  it('exits 2 when the bucket cannot be read', async () => {
    const { code, stderr } = await evidence('--from', '2035-03-02', '--to', '2035-03-06', '--bucket', 'no-such-bucket');
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: /);
  });
});
