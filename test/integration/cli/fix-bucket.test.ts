/**
 * `fix --apply <plan> --bucket <name>` on moto: a plan the deployed checker stored (remediation mode plan, the real
 * Lambda handler against the simulated tenant over real HTTP) is applied by a person from the CLI, and the apply is
 * recorded in the tenant's chain in the same bucket, so `verify --bucket` and `evidence --bucket` see it. A record
 * that cannot be stored (no such bucket) is exit 2, after the writes, naming what was applied.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EvidenceDocument } from '../../../lambda/evidence/model';
import { type CheckEvent, createHandler } from '../../../lambda/handler';
import type { RemediationRecord } from '../../../lambda/remediation/record';
import type { RunReport } from '../../../lambda/report/model';
import { loadScenario, type SimulatedTenant, startSimulatedTenant } from '../../sim/server';
import { lambdaContext } from '../../support/lambda-context';
import { useMoto } from '../setup/moto-client';
import { createLockedBucket } from '../setup/moto-resources';
import { cli, oauthEnv } from './support';

const moto = useMoto();
const { s3, sns, secrets } = moto.clients;
const SCHEDULED = '2026-03-02T06:00:00Z';

let dir: string;
let topic: string;
const sims: SimulatedTenant[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qag-fix-bucket-'));
  topic = (await sns.send(new CreateTopicCommand({ Name: 'qag-fix-bucket-email' }))).TopicArn!;
});
afterAll(async () => {
  await Promise.all(sims.map((sim) => sim.close()));
  await rm(dir, { recursive: true, force: true });
});

async function keys(bucket: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((o) => o.Key!);
}

async function text(bucket: string, key: string): Promise<string> {
  return (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
}

let setups = 0;
/** The deployed checker in remediation mode plan ran once: the bucket holds the run and its plan.json. */
async function storedPlan() {
  const n = ++setups;
  const sim = await startSimulatedTenant({ scenario: loadScenario('migration') });
  sims.push(sim);
  const secretId = `qag/fix-bucket-${n}`;
  await secrets.send(
    new CreateSecretCommand({
      Name: secretId,
      SecretString: JSON.stringify({ clientId: sim.credentials.clientId, clientSecret: sim.credentials.clientSecret }),
    }),
  );
  const bucket = `qag-fix-bucket-${n}`;
  await createLockedBucket(s3, bucket);
  const handler = createHandler({
    config: {
      tenants: [{ name: 'sim', url: sim.url, secretId, remediation: { mode: 'plan' } }],
      reportBucket: bucket,
      emailTopicArn: topic,
      tenantDeadlineSeconds: 60,
    },
    clients: { s3, sns, secrets },
    allowHttpLoopback: true,
    env: { POWERTOOLS_METRICS_NAMESPACE: 'QagIntegration' },
  });
  // Powertools writes logs and metrics to stdout; keep the test output readable.
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    await handler({ scheduledTime: SCHEDULED } satisfies CheckEvent, lambdaContext());
  } finally {
    spy.mockRestore();
  }
  const reportKey = (await keys(bucket)).find((k) => k.endsWith('/report.json'))!;
  const remediation = (JSON.parse(await text(bucket, reportKey)) as RunReport).tenants[0]!.remediation!;
  const planKey = (await keys(bucket)).find((k) => k.endsWith('/plan.json'))!;
  // As the runbook says: `aws s3 cp s3://<bucket>/<key> plan.json`.
  const planPath = join(dir, `plan-${n}.json`);
  await writeFile(planPath, await text(bucket, planKey));
  // An hour after the handler made the plan (its clock), well before the plan expires.
  const appliedAt = new Date(Date.parse(remediation.plan.createdAt) + 3_600_000);
  const run = (argv: string[]) =>
    cli(argv, { env: oauthEnv(sim), cwd: dir, now: () => appliedAt, awsClients: () => moto.clients });
  const apply = (into = bucket) =>
    run(['fix', '--apply', planPath, '--bucket', into, '--allow-http-loopback', '--out', join(dir, `out-${n}`), '-q']);
  return {
    sim,
    bucket,
    appliedAt,
    planId: remediation.planId,
    actions: remediation.plan.tenants[0]!.actions,
    run,
    apply,
  };
}

describe('fix --apply --bucket', () => {
  it("records the apply in the tenant's chain in the bucket: verify --bucket passes, evidence --bucket lists it", async () => {
    const s = await storedPlan();
    expect(s.actions).toHaveLength(2);

    const applied = await s.apply();
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);

    const recordKeys = (await keys(s.bucket)).filter(
      (k) => k.includes('/run=apply-') && k.endsWith('/remediation.json'),
    );
    expect(recordKeys).toHaveLength(1);
    const record = JSON.parse(await text(s.bucket, recordKeys[0]!)) as RemediationRecord;
    expect(record).toMatchObject({ kind: 'remediation', planId: s.planId, tenantId: s.sim.tenantId });
    expect(record.actions.map((a) => [a.id, a.outcome])).toEqual(s.actions.map((a) => [a.id, 'applied']));

    const verified = await s.run(['verify', '--bucket', s.bucket, '--json']);
    expect(verified.code).toBe(0);
    const [chain] = JSON.parse(verified.stdout) as { tenantId: string; runs: number; problems: unknown[] }[];
    // The scheduled run and the apply, one chain.
    expect(chain).toMatchObject({ tenantId: s.sim.tenantId, runs: 2, problems: [] });

    const day = s.appliedAt.toISOString().slice(0, 10);
    const evidence = await s.run(['evidence', '--bucket', s.bucket, '--from', day, '--to', day, '--json']);
    const document = JSON.parse(evidence.stdout) as EvidenceDocument;
    const remediations = document.tenants.find((t) => t.tenantId === s.sim.tenantId)!.remediations;
    expect(remediations.map((r) => [r.planId, r.actions.map((a) => a.outcome)])).toEqual([
      [s.planId, ['applied', 'applied']],
    ]);
  });

  it('a bucket the record cannot go to: exit 2 after the writes, saying what was applied', async () => {
    const s = await storedPlan();
    const missing = `${s.bucket}-missing`;
    const applied = await s.apply(missing);
    expect(applied.code).toBe(2);
    expect(applied.stderr).toContain(`plan ${s.planId} was applied (2 applied)`);
    expect(applied.stderr).toContain(`could not be recorded in s3://${missing}`);
    // The writes were made: each owner now holds the planned role.
    for (const action of s.actions) {
      const user = s.sim.scenario.users.find((u) => u.id === action.target.id)!;
      expect(user.assignedRoles).toContain(action.role.id);
    }
  });
});
