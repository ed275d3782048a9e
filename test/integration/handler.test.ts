/**
 * The Lambda handler end to end on moto with real SDK clients, checking the simulated tenant over real sockets:
 * reports land in an Object Lock bucket, alerts reach SQS subscribers through SNS, a retried invocation stays silent,
 * storage and delivery failures are visible, and no credential leaks into logs, objects or alerts.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, DeleteTopicCommand } from '@aws-sdk/client-sns';
import type { Message } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CheckEvent,
  type CheckSummary,
  createHandler,
  type HandlerOverrides,
  UndeliveredAlertsError,
} from '../../lambda/handler';
import { S3ObjectStore } from '../../lambda/store/s3-object-store';
import { verifyChain } from '../../lambda/verify';
import { loadScenario, type SimulatedTenant, startSimulatedTenant } from '../sim/server';
import { lambdaContext, withOutputCaptured } from '../support/lambda';
import { motoClients, useMoto } from './setup/moto-client';
import { createLockedBucket, drain as drainQueue, queueSubscribedTo as subscribeQueue } from './setup/moto-resources';

const moto = useMoto();
const { s3, sns, sqs, secrets } = moto.clients;

const RUN_1 = '2026-03-02T06:00:00Z';
const RUN_1_ID = '2026-03-02T06:00:00.000Z';

let sim: SimulatedTenant;
let emailTopic: string;
let chatTopic: string;
const queues = { emailAll: '', emailCritical: '', chatAll: '' };
/** Every line the handler's Powertools logger and metrics wrote, across all invocations. */
const logLines: string[] = [];
/** Every alert body any subscriber received. */
const delivered: Message[] = [];

function handlerFor(config: Record<string, unknown>, overrides: Partial<HandlerOverrides> = {}) {
  return createHandler({
    config: { tenantDeadlineSeconds: 60, ...config },
    clients: { s3, sns, secrets },
    allowHttpLoopback: true,
    env: { POWERTOOLS_METRICS_NAMESPACE: 'QagIntegration' },
    ...overrides,
  });
}

/** Invokes with stdout/stderr captured: Powertools writes there, and every line is scanned for secrets below. */
function invoke(handler: ReturnType<typeof createHandler>, event: CheckEvent): Promise<CheckSummary> {
  return withOutputCaptured(
    () => handler(event, lambdaContext()),
    (line) => logLines.push(line),
  );
}

async function queueSubscribedTo(topicArn: string, name: string, filterPolicy?: object): Promise<string> {
  return subscribeQueue(moto.clients, topicArn, name, {
    RawMessageDelivery: 'true',
    ...(filterPolicy ? { FilterPolicy: JSON.stringify(filterPolicy) } : {}),
  });
}

async function drain(queueUrl: string): Promise<Message[]> {
  const messages = await drainQueue(sqs, queueUrl);
  delivered.push(...messages);
  return messages;
}

const attribute = (message: Message, name: string) => message.MessageAttributes?.[name]?.StringValue;

async function objectVersions(bucket: string) {
  const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
  return (listed.Versions ?? []).map((v) => ({ key: v.Key!, versionId: v.VersionId! }));
}

beforeAll(async () => {
  sim = await startSimulatedTenant({ scenario: loadScenario('migration') });
  await secrets.send(
    new CreateSecretCommand({
      Name: 'qag/sim-api-key',
      SecretString: JSON.stringify({ apiKey: sim.credentials.apiKey }),
    }),
  );
  await secrets.send(
    new CreateSecretCommand({
      Name: 'qag/sim-oauth',
      SecretString: JSON.stringify({ clientId: sim.credentials.clientId, clientSecret: sim.credentials.clientSecret }),
    }),
  );
  emailTopic = (await sns.send(new CreateTopicCommand({ Name: 'qag-email' }))).TopicArn!;
  chatTopic = (await sns.send(new CreateTopicCommand({ Name: 'qag-chat' }))).TopicArn!;
  queues.emailAll = await queueSubscribedTo(emailTopic, 'email-all');
  queues.emailCritical = await queueSubscribedTo(emailTopic, 'email-critical', { severity: ['critical'] });
  queues.chatAll = await queueSubscribedTo(chatTopic, 'chat-all');
});

afterAll(async () => {
  await sim?.close();
});

describe('a scheduled run', () => {
  const BUCKET = 'qag-reports';
  const store = new S3ObjectStore(s3, BUCKET);
  const config = () => ({
    tenants: [{ name: 'sim', url: sim.url, secretId: 'qag/sim-api-key' }],
    reportBucket: BUCKET,
    emailTopicArn: emailTopic,
    chatTopicArn: chatTopic,
  });
  let summary: CheckSummary;
  let email: Message[];
  let critical: Message[];
  let chat: Message[];

  beforeAll(async () => {
    await createLockedBucket(s3, BUCKET);
    summary = await invoke(handlerFor(config()), { scheduledTime: RUN_1 });
    [email, critical, chat] = [
      await drain(queues.emailAll),
      await drain(queues.emailCritical),
      await drain(queues.chatAll),
    ];
  });

  it('checks the tenant under the scheduled run id', () => {
    expect(summary).toMatchObject({ runId: RUN_1_ID, tenants: 1, tenantErrors: 0, archiveFailures: 0, duplicates: 0 });
    expect(summary.failingFindings).toBeGreaterThan(0);
    expect(summary.exitCode).toBe(1);
  });

  it('stores the report files and manifest with a COMPLIANCE retention date', async () => {
    const keys = (await objectVersions(BUCKET)).map((v) => v.key);
    const prefix = `reports/tenant=${sim.tenantId}/date=2026-03-02/run=2026-03-02T06-00-00.000Z/`;
    const runFiles = keys.filter((key) => key.startsWith(prefix)).map((key) => key.slice(prefix.length));
    expect(runFiles).toContain('manifest.json');
    expect(runFiles).toContain('report.json');
    expect(runFiles.length).toBeGreaterThan(2);
    // Drift state is keyed by the configured tenant name (known before collection).
    expect(keys).toContain(`state/tenant=sim/state.json`);

    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${prefix}manifest.json` }));
    expect(head.ObjectLockMode).toBe('COMPLIANCE');
    expect(head.ObjectLockRetainUntilDate!.getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);

    const report = JSON.parse(
      await (
        await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}report.json` }))
      ).Body!.transformToString(),
    );
    expect(report.runId).toBe(RUN_1_ID);
    expect(report.tenants[0].tenantId).toBe(sim.tenantId);
  });

  it('refuses to delete a locked report version', async () => {
    const [version] = (await objectVersions(BUCKET)).filter((v) => v.key.endsWith('/report.json'));
    await expect(
      s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: version!.key, VersionId: version!.versionId })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('delivers the email digest and the Chatbot message with their attributes', () => {
    expect(email.length).toBeGreaterThan(0);
    for (const message of email) {
      expect(attribute(message, 'tenant')).toBe('sim');
      expect(['drift', 'reminder', 'health']).toContain(attribute(message, 'eventType'));
    }
    expect(email.map((m) => attribute(m, 'eventType'))).toContain('drift');
    expect(chat.length).toBeGreaterThan(0);
    const chatbot = JSON.parse(chat[0]!.Body!);
    expect(chatbot).toMatchObject({ version: '1.0', source: 'custom', metadata: { threadId: expect.any(String) } });
    expect(attribute(chat[0]!, 'tenant')).toBe('sim');
  });

  it('lets a severity = critical subscription receive exactly the critical emails', () => {
    const expected = email
      .filter((m) => attribute(m, 'severity') === 'critical')
      .map((m) => m.Body)
      .sort();
    expect(critical.map((m) => m.Body).sort()).toEqual(expected);
    expect(critical.every((m) => attribute(m, 'severity') === 'critical')).toBe(true);
  });

  it('verifies the archived chain', async () => {
    expect(await verifyChain(store, sim.tenantId)).toEqual({ ok: true, runs: 1, versionsChecked: true, problems: [] });
  });

  it('sends nothing and writes nothing when the same scheduled run is invoked again', async () => {
    const before = await objectVersions(BUCKET);
    const again = await invoke(handlerFor(config()), { scheduledTime: RUN_1 });
    expect(again).toMatchObject({ runId: RUN_1_ID, duplicates: 1, messages: 0 });
    expect(await drain(queues.emailAll)).toEqual([]);
    expect(await drain(queues.chatAll)).toEqual([]);
    expect(await objectVersions(BUCKET)).toEqual(before);
  });

  it('detects a report overwritten as a new version and a manifest hidden by a delete marker', async () => {
    const second = await invoke(handlerFor(config()), { scheduledTime: '2026-03-03T06:00:00Z' });
    expect(second.runId).toBe('2026-03-03T06:00:00.000Z');
    await drain(queues.emailAll);
    await drain(queues.emailCritical);
    await drain(queues.chatAll);
    expect(await verifyChain(store, sim.tenantId)).toMatchObject({ ok: true, runs: 2 });

    const keys = (await objectVersions(BUCKET)).map((v) => v.key);
    const csv = keys.find((key) => key.includes('run=2026-03-03') && key.endsWith('.csv'))!;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: csv, Body: 'id\nnothing to see\n' }));
    const firstManifest = keys.find((key) => key.includes('run=2026-03-02') && key.endsWith('/manifest.json'))!;
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: firstManifest }));

    const result = await verifyChain(store, sim.tenantId);
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => [p.kind, p.key])).toEqual(
      expect.arrayContaining([
        ['altered-file', csv],
        ['missing-manifest', firstManifest],
      ]),
    );
  });
});

describe('when alerts cannot be delivered', () => {
  it('stores the report and fails the invocation', async () => {
    const bucket = 'qag-reports-sns-down';
    await createLockedBucket(s3, bucket);
    const goneTopic = (await sns.send(new CreateTopicCommand({ Name: 'qag-email-gone' }))).TopicArn!;
    await sns.send(new DeleteTopicCommand({ TopicArn: goneTopic }));
    const handler = handlerFor({
      tenants: [{ name: 'sim', url: sim.url, secretId: 'qag/sim-oauth' }],
      reportBucket: bucket,
      emailTopicArn: goneTopic,
    });

    const error = await invoke(handler, { scheduledTime: RUN_1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UndeliveredAlertsError);
    expect((error as Error).message).toMatch(/not delivered/);
    expect(await verifyChain(new S3ObjectStore(s3, bucket), sim.tenantId)).toEqual({
      ok: true,
      runs: 1,
      versionsChecked: true,
      problems: [],
    });
    expect(logLines.some((line) => line.includes('"RunsCompleted"') && line.includes('"PublishFailures":1'))).toBe(
      true,
    );
  });
});

describe('when the report cannot be stored', () => {
  it('still alerts, saying the report could not be stored', async () => {
    const bucket = 'qag-reports-denied';
    await createLockedBucket(s3, bucket);
    // A real client whose report writes S3 refuses, as a bucket policy or KMS key problem would.
    const deniedS3 = motoClients(moto.endpoint).s3;
    deniedS3.middlewareStack.add(
      (next, ctx) => async (args) => {
        const key = (args.input as { Key?: string }).Key ?? '';
        if (ctx.commandName === 'PutObjectCommand' && key.startsWith('reports/')) {
          throw new S3ServiceException({
            name: 'AccessDenied',
            $fault: 'client',
            $metadata: { httpStatusCode: 403 },
            message: 'Access Denied',
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'denyReportWrites' },
    );
    const handler = handlerFor(
      {
        tenants: [{ name: 'sim', url: sim.url, secretId: 'qag/sim-api-key' }],
        reportBucket: bucket,
        emailTopicArn: emailTopic,
      },
      { clients: { s3: deniedS3, sns, secrets } },
    );

    const summary = await invoke(handler, { scheduledTime: RUN_1 });
    expect(summary).toMatchObject({ archiveFailures: 1, tenantErrors: 0 });
    const email = await drain(queues.emailAll);
    await drain(queues.emailCritical);
    expect(email.map((m) => attribute(m, 'eventType'))).toContain('drift');
    const health = email.filter((m) => attribute(m, 'eventType') === 'health');
    expect(health.map((m) => m.Body).join('\n')).toMatch(/report could not be stored/);
    // Nor the drift state: state moves only with an archived run (whose manifest records its SHA-256).
    expect(await objectVersions(bucket)).toEqual([]);
  });

  it('still alerts when the bucket is missing altogether', async () => {
    const handler = handlerFor({
      tenants: [{ name: 'sim', url: sim.url, secretId: 'qag/sim-api-key' }],
      reportBucket: 'qag-no-such-bucket',
      emailTopicArn: emailTopic,
    });
    const summary = await invoke(handler, { scheduledTime: RUN_1 });
    const email = await drain(queues.emailAll);
    await drain(queues.emailCritical);
    // The drift state cannot be read either, so the tenant is an error (no flood of "new" findings): a health alert.
    expect(summary.tenantErrors).toBe(1);
    expect(email.map((m) => attribute(m, 'eventType'))).toEqual(['health']);
    expect(email[0]!.Body).toContain('s3://qag-no-such-bucket/');
  });
});

describe('secrets', () => {
  it('never appear in a log line, a stored object or an alert', async () => {
    const values = [sim.credentials.apiKey, sim.credentials.clientSecret];
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) {
      for (const value of values) expect(line).not.toContain(value);
      expect(line).not.toMatch(/Bearer\s+\S/);
    }

    // qag-reports-denied holds nothing: with its report refused, the run saves no state either.
    for (const bucket of ['qag-reports', 'qag-reports-sns-down']) {
      const versions = await objectVersions(bucket);
      expect(versions.length).toBeGreaterThan(0);
      for (const { key, versionId } of versions) {
        const body = await (
          await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }))
        ).Body!.transformToString();
        for (const value of values) expect(body, `${bucket}/${key}`).not.toContain(value);
      }
    }

    expect(delivered.length).toBeGreaterThan(0);
    for (const message of delivered) {
      for (const value of values) expect(message.Body).not.toContain(value);
    }
  });
});
