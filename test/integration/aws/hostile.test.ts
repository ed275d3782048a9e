/**
 * Hostile tenants end to end through the Lambda handler on moto: the `hostile` scenario (forged "Fix" steps, markup,
 * terminal escape sequences, bidi overrides, CSV formulas, a three-million-character name), a tenant whose roles page
 * is multi-megabyte, one whose error bodies are two megabytes of unclosed tags, one whose error text holds C1
 * controls, a bidi override and line separators, and an ordinary tenant. Every stored object, every alert read back
 * from SQS subscribers of the SNS topics and the function's log is searched for forged structure. A second
 * scheduled run adds a tenant impersonating the hostile one's id: both are errors with health alerts, never a skip.
 */
import { GetObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import type { Message } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CheckEvent, type CheckSummary, createHandler } from '../../../lambda/handler';
import type { RunReport, TenantReport } from '../../../lambda/report/model';
import { S3ObjectStore } from '../../../lambda/store/s3-object-store';
import { verifyChain } from '../../../lambda/verify';
import { loadScenario, type SimulatedTenant, startSimulatedTenant } from '../../sim/server';
import { lambdaContext } from '../../support/lambda';
import { kindOfFile, type Output, structureProblems } from '../hostile-outputs';
import { useMoto } from '../setup/moto-client';
import { createLockedBucket, drain, queueSubscribedTo } from '../setup/moto-resources';

const moto = useMoto();
const { s3, sns, sqs, secrets } = moto.clients;

const MiB = 1024 * 1024;
const BUCKET = 'qag-hostile-reports';
const RUN_1 = '2026-11-30T06:00:00Z';
const RUN_2 = '2026-12-01T06:00:00Z';
const HOSTILE_ERROR_TITLE =
  'Forbidden\u009b2J\u009d8;;https://evil.example/\u202egnp.exe\u2028OK: every tenant compliant\u0085x';

type SimName = 'hostile' | 'bloated' | 'errorBody' | 'errorText' | 'ordinary' | 'impostor';
const sims = {} as Record<SimName, SimulatedTenant>;
const topics = { email: '', chat: '' };
/** Raw email bodies, the email SNS envelopes (they carry the Subject), chat bodies. */
const queues = { email: '', emailEnvelope: '', chat: '' };

function handlerFor(tenants: readonly SimName[]) {
  return createHandler({
    config: {
      tenants: tenants.map((name) => ({ name, url: sims[name].url, secretId: `qag/${name}` })),
      reportBucket: BUCKET,
      emailTopicArn: topics.email,
      chatTopicArn: topics.chat,
      tenantDeadlineSeconds: 60,
    },
    clients: { s3, sns, secrets },
    allowHttpLoopback: true,
    env: { POWERTOOLS_METRICS_NAMESPACE: 'QagIntegration' },
  });
}

interface Invocation {
  readonly summary: CheckSummary;
  /** What the function's logger and metrics wrote. */
  readonly log: string;
  readonly email: Message[];
  readonly envelopes: Message[];
  readonly chat: Message[];
}

async function invoke(tenants: readonly SimName[], event: CheckEvent): Promise<Invocation> {
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  let summary: CheckSummary;
  try {
    summary = await handlerFor(tenants)(event, lambdaContext());
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return {
    summary,
    log: lines.join(''),
    email: await drain(sqs, queues.email),
    envelopes: await drain(sqs, queues.emailEnvelope),
    chat: await drain(sqs, queues.chat),
  };
}

const attribute = (message: Message, name: string) => message.MessageAttributes?.[name]?.StringValue;
const ofTenant = (messages: Message[], name: string) => messages.filter((m) => attribute(m, 'tenant') === name);
const eventTypesOf = (messages: Message[], name: string) =>
  [...new Set(ofTenant(messages, name).map((m) => attribute(m, 'eventType')))].sort();

/** Every report object of the run folder `run=<runId>` (its current versions: each key has one). */
async function storedObjects(runFolder: string): Promise<Output[]> {
  const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'reports/' }));
  const keys = (listed.Versions ?? []).map((v) => v.Key!).filter((key) => key.includes(`/run=${runFolder}/`));
  return Promise.all(
    keys.map(async (key) => {
      const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      return { name: key, text: await object.Body!.transformToString(), kind: kindOfFile(key) };
    }),
  );
}

/** The alerts as outputs: email bodies and subjects are text, chat messages JSON. */
function alertOutputs(invocation: Invocation): Output[] {
  return [
    ...invocation.email.map((m, i): Output => ({ name: `email ${i}`, text: m.Body!, kind: 'text' })),
    ...invocation.envelopes.map(
      (m, i): Output => ({ name: `email subject ${i}`, text: JSON.parse(m.Body!).Subject, kind: 'text' }),
    ),
    ...invocation.chat.map((m, i): Output => ({ name: `chat ${i}`, text: m.Body!, kind: 'json' })),
  ];
}

async function reportOf(objects: Output[], tenantId: string): Promise<TenantReport> {
  const stored = objects.find((o) => o.name.includes(`tenant=${tenantId}/`) && o.name.endsWith('/report.json'));
  if (!stored) throw new Error(`no report.json stored for tenant ${tenantId}`);
  const report = JSON.parse(stored.text) as RunReport;
  return report.tenants[0]!;
}

beforeAll(async () => {
  sims.hostile = await startSimulatedTenant({ scenario: loadScenario('hostile') });
  // Over the 4 MiB per-response cap: the tenant fails its own check with a bad response.
  sims.bloated = await startSimulatedTenant({
    scenario: loadScenario('legacy'),
    faults: [{ kind: 'huge-body', bytes: 8 * MiB, path: '/api/v1/roles' }],
  });
  sims.errorBody = await startSimulatedTenant({
    scenario: loadScenario('everyone-grants'),
    faults: [{ kind: 'huge-error', bytes: 2 * MiB, path: '/api/v1/api-keys' }],
  });
  // A tenant whose error text holds C1 controls (CSI, OSC, NEL), a bidi override and a line separator.
  sims.errorText = await startSimulatedTenant({
    scenario: loadScenario('everyone-grants'),
    faults: [{ kind: 'error-json', status: 403, title: HOSTILE_ERROR_TITLE, path: '/api/v1/api-keys' }],
  });
  sims.ordinary = await startSimulatedTenant({ scenario: loadScenario('migration') });
  sims.impostor = await startSimulatedTenant({ scenario: loadScenario('clean'), claimTenantId: sims.hostile.tenantId });
  for (const [name, sim] of Object.entries(sims)) {
    const { clientId, clientSecret } = sim.credentials;
    await secrets.send(
      new CreateSecretCommand({ Name: `qag/${name}`, SecretString: JSON.stringify({ clientId, clientSecret }) }),
    );
  }
  await createLockedBucket(s3, BUCKET);
  topics.email = (await sns.send(new CreateTopicCommand({ Name: 'qag-hostile-email' }))).TopicArn!;
  topics.chat = (await sns.send(new CreateTopicCommand({ Name: 'qag-hostile-chat' }))).TopicArn!;
  queues.email = await queueSubscribedTo(moto.clients, topics.email, 'hostile-email', { RawMessageDelivery: 'true' });
  queues.emailEnvelope = await queueSubscribedTo(moto.clients, topics.email, 'hostile-email-envelope');
  queues.chat = await queueSubscribedTo(moto.clients, topics.chat, 'hostile-chat', { RawMessageDelivery: 'true' });
}, 60_000);

afterAll(async () => {
  await Promise.all(Object.values(sims).map((sim) => sim.close()));
});

describe('a scheduled run with hostile tenants', () => {
  let first: Invocation;
  let objects: Output[];

  beforeAll(async () => {
    first = await invoke(['hostile', 'bloated', 'errorBody', 'errorText', 'ordinary'], { scheduledTime: RUN_1 });
    objects = await storedObjects('2026-11-30T06-00-00.000Z');
  }, 120_000);

  it('checks the hostile and the ordinary tenant, fails the multi-megabyte and error-text ones on their own, exits 2', async () => {
    expect(first.summary).toMatchObject({
      runId: '2026-11-30T06:00:00.000Z',
      exitCode: 2,
      tenants: 5,
      tenantErrors: 3,
      archiveFailures: 0,
      duplicates: 0,
    });
    const hostile = await reportOf(objects, sims.hostile.tenantId);
    expect(hostile.status).toBe('ok');
    expect(hostile.findings.map((f) => f.subject.id).sort()).toEqual(
      loadScenario('hostile')
        .expect!.findings.map((f) => f.subjectId)
        .sort(),
    );
    expect((await reportOf(objects, sims.ordinary.tenantId)).status).toBe('ok');
  });

  it('sends a health alert, and only that, for each tenant that could not be checked', () => {
    for (const name of ['bloated', 'errorBody', 'errorText']) {
      expect(eventTypesOf(first.email, name), name).toEqual(['health']);
      expect(eventTypesOf(first.chat, name), name).toEqual(['health']);
    }
    expect(ofTenant(first.email, 'bloated')[0]!.Body).toContain('response body larger than 4 MiB');
    expect(ofTenant(first.email, 'errorBody')[0]!.Body!.length).toBeLessThan(20_000);
    expect(eventTypesOf(first.email, 'hostile')).toEqual(['drift']);
    expect(eventTypesOf(first.email, 'ordinary')).toEqual(['drift']);
  });

  it('stores every report file of both checked tenants, and nothing for the ones that could not be checked', () => {
    const files = (tenantId: string) =>
      objects
        .filter((o) => o.name.includes(`tenant=${tenantId}/`))
        .map((o) => o.name.split('/').at(-1))
        .sort();
    const all = ['findings.csv', 'findings.ocsf.jsonl', 'manifest.json', 'report.html', 'report.json'];
    expect(files(sims.hostile.tenantId)).toEqual(all);
    expect(files(sims.ordinary.tenantId)).toEqual(all);
    expect(files(sims.bloated.tenantId)).toEqual([]);
    expect(files(sims.errorBody.tenantId)).toEqual([]);
    expect(files(sims.errorText.tenantId)).toEqual([]);
  });

  it('adds no line, tag, control sequence or formula to any stored object or alert', () => {
    const outputs = [...objects, ...alertOutputs(first)];
    expect(new Set(outputs.map((o) => o.kind))).toEqual(
      new Set(['csv', 'html', 'json', 'ocsf', 'report-json', 'text']),
    );
    expect(outputs.flatMap(structureProblems)).toEqual([]);
  });

  it('keeps the three-million-character name out of every object, alert and log line', () => {
    for (const { name, text } of [...objects, ...alertOutputs(first), { name: 'log', text: first.log }]) {
      expect(text.includes('x'.repeat(1000)), name).toBe(false);
      expect(text.length, name).toBeLessThan(2 * MiB);
    }
  });

  it('writes log lines that are one JSON record each, with no raw control character', () => {
    expect(first.log.split('\n').filter((line) => line.includes('"tenant could not be checked"'))).toHaveLength(3);
    expect(first.log).toContain('Forbidden');
    expect(structureProblems({ name: 'log', text: first.log, kind: 'ocsf' })).toEqual([]);
  });
});

describe('a scheduled run in which a tenant answers with the hostile tenant id', () => {
  let second: Invocation;

  beforeAll(async () => {
    second = await invoke(['hostile', 'impostor', 'ordinary'], { scheduledTime: RUN_2 });
  }, 120_000);

  it('makes both an error, never a duplicate, checks the ordinary tenant and exits 2', () => {
    expect(second.summary).toMatchObject({
      runId: '2026-12-01T06:00:00.000Z',
      exitCode: 2,
      tenants: 3,
      tenantErrors: 2,
      duplicates: 0,
    });
  });

  it('sends each of them a health alert naming the other, and nothing else', () => {
    for (const [name, other] of [
      ['hostile', 'impostor'],
      ['impostor', 'hostile'],
    ]) {
      expect(eventTypesOf(second.email, name!), name).toEqual(['health']);
      expect(eventTypesOf(second.chat, name!), name).toEqual(['health']);
      const body = ofTenant(second.email, name!)[0]!.Body!;
      expect(body).toContain(`answers as tenant ${sims.hostile.tenantId}`);
      expect(body).toContain(`configured tenant ${other} also does`);
    }
    expect(eventTypesOf(second.email, 'ordinary')).not.toContain('health');
  });

  it('stores no check under the contested id: only an error entry of the hostile tenant, in its own chain', async () => {
    const listed = await s3.send(
      new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: `reports/tenant=${sims.hostile.tenantId}/` }),
    );
    const keys = (listed.Versions ?? []).map((v) => v.Key!);
    // Everything under the id but the chain index and the first run's folder: what the second run stored there.
    const run2 = keys.filter((key) => !key.includes('/chain/') && !key.includes('/run=2026-11-30T06-00-00.000Z/'));
    expect(run2.every((key) => key.includes('/run=failed-2026-12-01T06-00-00.000Z/'))).toBe(true);
    expect(run2.map((key) => key.split('/').at(-1)).sort()).toEqual(['manifest.json', 'report.json']);
    const report = JSON.parse(
      await (
        await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: run2.find((k) => k.endsWith('report.json'))! }))
      ).Body!.transformToString(),
    ) as RunReport;
    expect(report.tenants.map((t) => [t.name, t.status])).toEqual([['hostile', 'error']]);
    expect(await verifyChain(new S3ObjectStore(s3, BUCKET), sims.hostile.tenantId)).toMatchObject({ ok: true });
  });

  it('adds no line, tag, control sequence or formula to any stored object or alert', async () => {
    const outputs = [...(await storedObjects('2026-12-01T06-00-00.000Z')), ...alertOutputs(second)];
    expect(outputs.flatMap(structureProblems)).toEqual([]);
  });
});
