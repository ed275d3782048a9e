/**
 * Remediation in the scheduled checker, through the real Lambda handler on moto with the simulated tenant over real
 * HTTP: per tenant `remediation.mode` off / plan / apply. Plan stores the plan beside the report and alerts it with the
 * command to apply it, changing nothing; apply writes exactly the planned role assignments (the simulator's state
 * before and after), records the apply in the archive chain (`verify --bucket` passes) and the next drift alert says
 * "resolved by plan"; above maxChanges nothing is written; a 403 is an alert naming TenantAdmin, not a crash.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../lambda/cli/main';
import { type CheckEvent, type CheckSummary, createHandler } from '../../../lambda/handler';
import type { RemediationPlan } from '../../../lambda/remediation/plan-file';
import type { RemediationRecord } from '../../../lambda/remediation/record';
import type { RunReport } from '../../../lambda/report/model';
import { loadScenario, type Scenario, type SimulatedTenant, startSimulatedTenant } from '../../sim/server';
import { lambdaContext } from '../../support/lambda';
import { useMoto } from '../setup/moto-client';
import { createLockedBucket, drain, queueSubscribedTo } from '../setup/moto-resources';

const moto = useMoto();
const { s3, sns, secrets, sqs } = moto.clients;
const MANAGE_ROLE_ID = '6724d8f5a4acfa155351afa7';

let dir: string;
let topic: string;
let queue: string;
const sims: SimulatedTenant[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qag-remediation-aws-'));
  topic = (await sns.send(new CreateTopicCommand({ Name: 'qag-remediation-email' }))).TopicArn!;
  queue = await queueSubscribedTo(moto.clients, topic, 'remediation-email', { RawMessageDelivery: 'true' });
});
afterEach(async () => {
  await drain(sqs, queue);
});
afterAll(async () => {
  await Promise.all(sims.map((sim) => sim.close()));
  await rm(dir, { recursive: true, force: true });
});

interface Setup {
  readonly sim: SimulatedTenant;
  readonly bucket: string;
  invoke(scheduledTime: string): Promise<CheckSummary>;
}

let setups = 0;
/** A fresh simulated tenant, its secret and bucket, and a handler whose tenant has the given remediation setting. */
async function setup(remediation: Record<string, unknown> | undefined): Promise<Setup> {
  const n = ++setups;
  const sim = await startSimulatedTenant({ scenario: loadScenario('migration') });
  sims.push(sim);
  const secretId = `qag/remediation-${n}`;
  await secrets.send(
    new CreateSecretCommand({
      Name: secretId,
      SecretString: JSON.stringify({ clientId: sim.credentials.clientId, clientSecret: sim.credentials.clientSecret }),
    }),
  );
  const bucket = `qag-remediation-${n}`;
  await createLockedBucket(s3, bucket);
  const handler = createHandler({
    config: {
      tenants: [{ name: 'sim', url: sim.url, secretId, ...(remediation ? { remediation } : {}) }],
      reportBucket: bucket,
      emailTopicArn: topic,
      tenantDeadlineSeconds: 60,
    },
    clients: { s3, sns, secrets },
    allowHttpLoopback: true,
    env: { POWERTOOLS_METRICS_NAMESPACE: 'QagIntegration' },
  });
  return {
    sim,
    bucket,
    async invoke(scheduledTime: string) {
      // Powertools writes logs and metrics to stdout; keep the test output readable.
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      try {
        return await handler({ scheduledTime } satisfies CheckEvent, lambdaContext());
      } finally {
        spy.mockRestore();
      }
    },
  };
}

async function keys(bucket: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((o) => o.Key!);
}

async function text(bucket: string, key: string): Promise<string> {
  return (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
}

async function runReportOf(s: Setup, day: string): Promise<RunReport> {
  const key = (await keys(s.bucket)).find((k) => k.includes(`/run=${day}`) && k.endsWith('/report.json'))!;
  return JSON.parse(await text(s.bucket, key)) as RunReport;
}

async function emails(): Promise<string[]> {
  return (await drain(sqs, queue)).map((m) => m.Body ?? '');
}

/** The tenant as the simulator holds it, without the timestamps a write updates. */
function state(sim: SimulatedTenant): Scenario {
  const copy = structuredClone(sim.scenario) as Scenario;
  for (const list of [copy.users, copy.roles, copy.groups] as { lastUpdatedAt?: string; updatedBy?: string }[][])
    for (const item of list) {
      delete item.lastUpdatedAt;
      delete item.updatedBy;
    }
  return copy;
}

const apiWrites = (sim: SimulatedTenant) =>
  sim.log.filter((r) => r.method !== 'GET' && r.path.startsWith('/api/v1/')).length;

async function verifyBucket(bucket: string) {
  let stdout = '';
  const code = await main(['verify', '--bucket', bucket], {
    stdout: (t) => (stdout += t),
    stderr: () => {},
    env: {},
    cwd: dir,
    awsClients: () => moto.clients,
  });
  return { code, stdout };
}

describe('remediation mode plan', () => {
  it('stores the plan beside the report, alerts it with the apply command, and changes nothing', async () => {
    const s = await setup({ mode: 'plan' });
    const before = state(s.sim);
    const summary = await s.invoke('2026-03-02T06:00:00Z');
    expect(summary).toMatchObject({ tenants: 1, tenantErrors: 0 });

    const report = await runReportOf(s, '2026-03-02');
    const remediation = report.tenants[0]!.remediation!;
    expect(remediation).toMatchObject({ mode: 'plan', changes: 2, maxChanges: 25 });
    const actions = remediation.plan.tenants[0]!.actions;
    expect(actions.map((a) => [a.kind, a.target.name, a.role.name])).toEqual([
      ['assign-role-to-user', 'Mia Chen', 'AllowManageAPIKeys'],
      ['assign-role-to-user', 'Ravi Patel', 'AllowManageAPIKeys'],
    ]);
    // plan.json beside report.json, byte for byte the plan the report holds.
    const planKey = (await keys(s.bucket)).find((k) => k.includes('/run=2026-03-02') && k.endsWith('/plan.json'))!;
    expect(remediation.planFile).toBe(`s3://${s.bucket}/${planKey}`);
    expect(JSON.parse(await text(s.bucket, planKey)) as RemediationPlan).toEqual(remediation.plan);
    expect(remediation.applyCommand).toBe(
      `aws s3 cp s3://${s.bucket}/${planKey} plan.json && qlik-access-guard fix --apply plan.json --bucket ${s.bucket}`,
    );

    const [drift] = await emails();
    expect(drift).toContain(`Plan ${remediation.planId}: 2 changes, nothing was changed.`);
    expect(drift).toContain('+ role "AllowManageAPIKeys" → user Mia Chen');
    expect(drift).toContain(`Review it, then apply: ${remediation.applyCommand}`);

    expect(state(s.sim)).toEqual(before);
    expect(apiWrites(s.sim)).toBe(0);
    expect((await verifyBucket(s.bucket)).code).toBe(0);
  });
});

describe('remediation mode apply', () => {
  it('writes exactly the planned assignments, records them in the chain, and names the plan when they resolve', async () => {
    const s = await setup({ mode: 'apply', maxChanges: 5 });
    const before = state(s.sim);
    await s.invoke('2026-03-02T06:00:00Z');

    const report = await runReportOf(s, '2026-03-02');
    const remediation = report.tenants[0]!.remediation!;
    expect(remediation.mode).toBe('apply');
    const actions = remediation.plan.tenants[0]!.actions;
    expect(actions).toHaveLength(2);
    expect(remediation.apply!.outcomes.map((o) => [o.id, o.outcome, o.httpStatus])).toEqual(
      actions.map((a) => [a.id, 'applied', 204]),
    );

    // The simulator differs from before by exactly the plan's `after` states.
    const expected = structuredClone(before);
    for (const action of actions) {
      const user = expected.users.find((u) => u.id === action.target.id)!;
      user.assignedRoles = ('assignedRoles' in action.after ? action.after.assignedRoles : []).map((r) => r.id!);
      expect(user.assignedRoles).toContain(MANAGE_ROLE_ID);
    }
    expect(state(s.sim)).toEqual(expected);
    // Each write was preceded by a read of the user (its precondition).
    const userCalls = s.sim.log.filter((r) => /^\/api\/v1\/users\/[0-9a-f]{24}$/.test(r.path));
    for (const action of actions) {
      const calls = userCalls.filter((r) => r.path.endsWith(action.target.id)).map((r) => r.method);
      expect(calls.slice(-2)).toEqual(['GET', 'PATCH']);
    }

    // Recorded as a remediation entry of the tenant's chain, exactly like a CLI apply.
    const recordKey = (await keys(s.bucket)).find((k) => k.includes('/run=apply-') && k.endsWith('/remediation.json'))!;
    expect(remediation.apply!.recordLocation).toBe(`s3://${s.bucket}/${recordKey.replace(/remediation\.json$/, '')}`);
    const record = JSON.parse(await text(s.bucket, recordKey)) as RemediationRecord;
    expect(record).toMatchObject({
      kind: 'remediation',
      planId: remediation.planId,
      tenantId: s.sim.tenantId,
      credentialKind: 'oauth-client',
    });
    expect(record.actions.map((a) => a.outcome)).toEqual(['applied', 'applied']);
    const verified = await verifyBucket(s.bucket);
    expect(verified.code).toBe(0);

    const [alert] = await emails();
    expect(alert).toContain(`Applied plan ${remediation.planId} (remediation mode apply, maxChanges 5): 2 applied`);

    // The next check sees the targeted findings resolved, and its drift alert names the plan.
    await s.invoke('2026-03-03T06:00:00Z');
    const next = (await runReportOf(s, '2026-03-03')).tenants[0]!;
    const targeted = actions.flatMap((a) => a.resolves).sort();
    expect(next.resolved.map((f) => f.id).sort()).toEqual(expect.arrayContaining(targeted));
    expect(next.remediation!.resolvedByPlan).toEqual({ planId: remediation.planId, findings: expect.any(Array) });
    expect([...next.remediation!.resolvedByPlan!.findings].sort()).toEqual(targeted);
    expect(next.remediation!.changes).toBe(0);
    const [resolvedAlert] = await emails();
    expect(resolvedAlert).toContain(`Resolved by plan ${remediation.planId}: ${targeted.length} findings`);
    expect((await verifyBucket(s.bucket)).code).toBe(0);
  });

  it('refuses a plan above maxChanges with an alert and writes nothing to the tenant', async () => {
    const s = await setup({ mode: 'apply', maxChanges: 1 });
    const before = state(s.sim);
    const summary = await s.invoke('2026-03-02T06:00:00Z');
    expect(summary.tenantErrors).toBe(0);
    const remediation = (await runReportOf(s, '2026-03-02')).tenants[0]!.remediation!;
    expect(remediation.apply!.outcomes.map((o) => o.outcome)).toEqual(['refused', 'refused']);
    expect(remediation.apply!.outcomes[0]!.reason).toContain('above remediation.maxChanges 1');
    expect(state(s.sim)).toEqual(before);
    expect(apiWrites(s.sim)).toBe(0);
    const [alert] = await emails();
    expect(alert).toContain('0 applied, 0 already in place, 2 refused');
    expect(alert).toContain('above remediation.maxChanges 1');
  });

  it('turns a 403 on the writes into an alert naming TenantAdmin; the check itself completes', async () => {
    const s = await setup({ mode: 'apply' });
    s.sim.setFaults([{ kind: 'forbidden', method: 'PATCH', path: '/api/v1/users', times: 10 }]);
    const before = state(s.sim);
    const summary = await s.invoke('2026-03-02T06:00:00Z');
    expect(summary).toMatchObject({ tenants: 1, tenantErrors: 0 });
    expect(state(s.sim)).toEqual(before);
    const remediation = (await runReportOf(s, '2026-03-02')).tenants[0]!.remediation!;
    expect(remediation.apply!.outcomes.map((o) => [o.outcome, o.httpStatus ?? null])).toEqual([
      ['failed', 403],
      ['refused', null],
    ]);
    const all = await emails();
    const health = all.find((body) => body.includes('remediation not applied'));
    expect(health).toBeDefined();
    expect(health).toContain('TenantAdmin');
  });
});

describe('remediation mode off (the default)', () => {
  it('plans nothing, stores no plan and writes nothing', async () => {
    const s = await setup(undefined);
    const before = state(s.sim);
    await s.invoke('2026-03-02T06:00:00Z');
    expect((await runReportOf(s, '2026-03-02')).tenants[0]!.remediation).toBeUndefined();
    expect((await keys(s.bucket)).filter((k) => k.endsWith('/plan.json') || k.includes('/run=apply-'))).toEqual([]);
    const [drift] = await emails();
    expect(drift).not.toContain('Remediation:');
    expect(state(s.sim)).toEqual(before);
    expect(apiWrites(s.sim)).toBe(0);
  });
});
