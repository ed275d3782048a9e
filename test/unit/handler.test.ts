import 'aws-sdk-client-mock-vitest/extend';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AlertDeliveryError } from '../../lambda/run/errors';
import type { RunInput, RunOutcome } from '../../lambda/run/run';
import { lambdaContext } from '../support/lambda';
import { tenantSummary } from '../support/report';

vi.mock('../../lambda/run/run', () => ({ run: vi.fn() }));
const { run } = await import('../../lambda/run/run');
const { createHandler, runIdOf, UndeliveredAlertsError, loadRuntimeConfig } = await import('../../lambda/handler');
const runMock = vi.mocked(run);

const CONFIG = {
  tenants: [
    { name: 'acme', url: 'https://acme.eu.qlikcloud.com', secretId: 'qag/acme' },
    { name: 'globex', url: 'https://globex.us.qlikcloud.com', secretId: 'qag/globex' },
  ],
  reportBucket: 'qag-reports',
  emailTopicArn: 'arn:aws:sns:us-east-1:123456789012:email',
  tenantDeadlineSeconds: 240,
};

function tenantReport(url: string, summary: Record<string, unknown>, status: 'ok' | 'error' = 'ok') {
  return {
    tenantUrl: url,
    tenantId: `id-${url}`,
    // run() records the configured name on each tenant report; metrics are dimensioned by it.
    name: CONFIG.tenants.find((t) => t.url === url)?.name,
    status,
    errors: [],
    findings: [],
    resolved: [],
    notifications: [],
    exceptions: [],
    summary: tenantSummary(summary),
  };
}

function outcome(overrides: Partial<RunOutcome> = {}): RunOutcome {
  return {
    report: {
      schemaVersion: '1.0.0',
      runId: 'r',
      startedAt: '2026-03-02T06:00:00.000Z',
      finishedAt: '2026-03-02T06:00:09.000Z',
      tool: { name: 'qlik-access-guard', version: '0.0.0' },
      policy: { name: 'default', sha256: 'x' },
      tenants: [
        tenantReport(CONFIG.tenants[0]!.url, {
          failing: 3,
          new: 2,
          resolved: 1,
          requests: 40,
          rateLimited: 2,
          durationMs: 1234,
        }),
        tenantReport(CONFIG.tenants[1]!.url, { errors: 1, durationMs: 50 }, 'error'),
      ],
    } as unknown as RunOutcome['report'],
    messages: [],
    exitCode: 2,
    archiveFailures: [],
    deliveryFailures: [],
    trends: {},
    ...overrides,
  };
}

/** Everything Powertools writes (to process.stdout and, for errors, process.stderr, through its own Console). */
function captureStdout() {
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  return {
    lines,
    json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
}

const clients = () => ({
  s3: new S3Client({ region: 'us-east-1' }),
  sns: new SNSClient({ region: 'us-east-1' }),
  secrets: new SecretsManagerClient({ region: 'us-east-1' }),
});

describe('handler', () => {
  let out: ReturnType<typeof captureStdout>;
  beforeEach(() => {
    runMock.mockReset();
    out = captureStdout();
  });
  afterEach(() => out.restore());

  it('runs every configured tenant with the scheduled time as run id and a bounded deadline', async () => {
    runMock.mockResolvedValue(outcome());
    const handler = createHandler({ config: CONFIG, clients: clients(), env: {} });
    const summary = await handler({ scheduledTime: '2026-03-02T06:00:00Z' }, lambdaContext(100_000));

    const input = runMock.mock.calls[0]![1] as RunInput;
    expect(input.runId).toBe('2026-03-02T06:00:00.000Z');
    expect(input.tenants.map((t) => [t.name, t.url])).toEqual([
      ['acme', 'https://acme.eu.qlikcloud.com'],
      ['globex', 'https://globex.us.qlikcloud.com'],
    ]);
    expect(input.tenantDeadlineMs).toBe(80_000); // remaining 100 s minus the 20 s margin, below the configured 240 s
    expect(input.tenantConcurrency).toBe(4);
    expect(input.allowHttpLoopback).toBe(false);
    expect(input.policy.source).toBe('built-in default policy');
    expect(summary).toEqual({
      runId: '2026-03-02T06:00:00.000Z',
      exitCode: 2,
      tenants: 2,
      tenantErrors: 1,
      failingFindings: 3,
      messages: 0,
      archiveFailures: 0,
      duplicates: 0,
      busy: 0,
      webhookProblems: 0,
    });
  });

  it('uses the configured deadline when there is time enough', async () => {
    runMock.mockResolvedValue(outcome());
    await createHandler({ config: CONFIG, clients: clients(), env: {} })({}, lambdaContext(900_000));
    expect((runMock.mock.calls[0]![1] as RunInput).tenantDeadlineMs).toBe(240_000);
  });

  it('reads each tenant’s credentials from its own secret, lazily', async () => {
    const secrets = mockClient(SecretsManagerClient);
    secrets.on(GetSecretValueCommand, { SecretId: 'qag/globex' }).resolves({ SecretString: '{"apiKey":"k"}' });
    runMock.mockResolvedValue(outcome());
    await createHandler({ config: CONFIG, clients: clients(), env: {} })({}, lambdaContext(600_000));
    expect(secrets).not.toHaveReceivedCommand(GetSecretValueCommand);
    const input = runMock.mock.calls[0]![1] as RunInput;
    expect(await input.tenants[1]!.credentials()).toEqual({ kind: 'api-key', apiKey: 'k' });
    expect(secrets).toHaveReceivedCommandExactlyOnceWith(GetSecretValueCommand, { SecretId: 'qag/globex' });
    secrets.restore();
  });

  it('emits per-tenant EMF metrics named by tenant and one RunsCompleted', async () => {
    runMock.mockResolvedValue(outcome());
    await createHandler({ config: CONFIG, clients: clients(), env: { POWERTOOLS_METRICS_NAMESPACE: 'QagTest' } })(
      {},
      lambdaContext(600_000),
    );
    const emf = out.json().filter((line) => '_aws' in line);
    const acme = emf.find((line) => line.tenant === 'acme')!;
    expect(acme).toMatchObject({
      FailingFindings: 3,
      NewFindings: 2,
      ResolvedFindings: 1,
      TenantErrors: 0,
      ApiRequests: 40,
      RateLimited: 2,
      TenantDurationMs: 1234,
    });
    const meta = (acme._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] })
      .CloudWatchMetrics[0]!;
    expect(meta.Namespace).toBe('QagTest');
    expect(meta.Dimensions[0]).toContain('tenant');
    expect(emf.find((line) => line.tenant === 'globex')).toMatchObject({ TenantErrors: 1, FailingFindings: 0 });
    const runLine = emf.filter((line) => 'RunsCompleted' in line);
    expect(runLine).toHaveLength(1);
    expect(runLine[0]).toMatchObject({ RunsCompleted: 1, PublishFailures: 0 });
    expect(runLine[0]).not.toHaveProperty('tenant');
  });

  it('emits no tenant metrics for a duplicate invocation', async () => {
    runMock.mockResolvedValue(
      outcome({
        report: {
          ...outcome().report,
          tenants: [tenantReport(CONFIG.tenants[0]!.url, { duplicate: true })],
        } as unknown as RunOutcome['report'],
      }),
    );
    const summary = await createHandler({ config: CONFIG, clients: clients(), env: {} })(
      { runId: '2026-03-02T06:00:00Z' },
      lambdaContext(600_000),
    );
    expect(summary.duplicates).toBe(1);
    expect(out.json().filter((line) => 'FailingFindings' in line)).toEqual([]);
  });

  it('throws when alerts were not delivered, after flushing metrics', async () => {
    const failure = new AlertDeliveryError('acme', new Error('1 of 2 alert messages were not delivered'));
    runMock.mockResolvedValue(outcome({ deliveryFailures: [failure] }));
    const handler = createHandler({ config: CONFIG, clients: clients(), env: {} });
    const error = await handler({}, lambdaContext(600_000)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UndeliveredAlertsError);
    expect((error as InstanceType<typeof UndeliveredAlertsError>).errors).toEqual([failure]);
    expect((error as Error).message).toContain('acme: 1 of 2 alert messages were not delivered');
    expect(out.json().find((line) => 'RunsCompleted' in line)).toMatchObject({ PublishFailures: 1 });
  });

  it('logs and rethrows when the run itself fails', async () => {
    runMock.mockRejectedValue(new Error('worker pool exploded'));
    const handler = createHandler({ config: CONFIG, clients: clients(), env: {} });
    await expect(handler({}, lambdaContext(600_000))).rejects.toThrow('worker pool exploded');
    expect(out.json()).toContainEqual(
      expect.objectContaining({ level: 'ERROR', message: 'run failed', error: 'worker pool exploded' }),
    );
    expect(out.json().filter((line) => 'RunsCompleted' in line)).toEqual([]);
  });

  it('tags log lines with the run id', async () => {
    runMock.mockImplementation(async (deps) => {
      deps.log.info('tenant checked', { tenant: 'acme' });
      return outcome();
    });
    const now = () => new Date('2026-03-02T06:00:07.123Z');
    await createHandler({ config: CONFIG, clients: clients(), env: {}, now })(
      { runId: 'manual-7' },
      lambdaContext(600_000),
    );
    const line = out.json().find((l) => l.message === 'tenant checked');
    const runId = 'manual-2026-03-02T06:00:07.123Z';
    expect(line).toMatchObject({ level: 'INFO', runId, tenant: 'acme', service: 'qlik-access-guard' });
    expect(out.json()).toContainEqual(expect.objectContaining({ level: 'WARN', runId, ignoredRunId: 'manual-7' }));
  });

  it.each([
    [{}, 'QAG_CONFIG: the runtime config as JSON (the CDK stack sets this variable); it is not set'],
    [{ QAG_CONFIG: '{"tenants": [' }, 'QAG_CONFIG: the runtime config as JSON; the value is not valid JSON'],
  ])('refuses to run without a usable QAG_CONFIG', async (env, message) => {
    const handler = createHandler({ clients: clients(), env });
    await expect(handler({}, lambdaContext(600_000))).rejects.toThrow(message);
    expect(runMock).not.toHaveBeenCalled();
    expect(out.json()).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'configuration is invalid; no tenant was checked',
        error: message,
      }),
    );
  });

  it('refuses Records that do not come from SQS, and checks nothing', async () => {
    const handler = createHandler({ config: CONFIG, clients: clients(), env: {} });
    const s3Event = { Records: [{ eventSource: 'aws:s3' }] } as never;
    await expect(handler(s3Event, lambdaContext(600_000))).rejects.toThrow(/SQS records/);
    expect(runMock).not.toHaveBeenCalled();
  });

  it('fails a scheduled run whose tenant leases the bucket refuses, without checking anyone', async () => {
    const s3 = mockClient(S3Client);
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    try {
      const config = { ...CONFIG, events: { queueUrl: 'https://sqs.us-east-1.amazonaws.com/1/qag-events.fifo' } };
      const handler = createHandler({ config, clients: clients(), env: {} });
      await expect(handler({}, lambdaContext(600_000))).rejects.toThrow(/AccessDenied/);
      expect(runMock).not.toHaveBeenCalled();
    } finally {
      s3.restore();
    }
  });

  it('names the config path that is wrong', async () => {
    const bad = { ...CONFIG, tenants: [{ ...CONFIG.tenants[0], url: 'http://acme.eu.qlikcloud.com' }] };
    const handler = createHandler({ clients: clients(), env: { QAG_CONFIG: JSON.stringify(bad) } });
    await expect(handler({}, lambdaContext(600_000))).rejects.toThrow(/^QAG_CONFIG at tenants\[0\]\.url: an https URL/);
  });

  it('cannot be told to allow http loopback through the config', async () => {
    const handler = createHandler({ config: { ...CONFIG, allowHttpLoopback: true }, clients: clients(), env: {} });
    await expect(handler({}, lambdaContext(600_000))).rejects.toThrow(/QAG_CONFIG/);
    expect(runMock).not.toHaveBeenCalled();
  });

  it('accepts an http loopback tenant only when the factory allows it, and never another http host', async () => {
    runMock.mockResolvedValue(outcome());
    const loopback = { ...CONFIG, tenants: [{ ...CONFIG.tenants[0], url: 'http://127.0.0.1:43210' }] };
    await expect(
      createHandler({ config: loopback, clients: clients(), env: {} })({}, lambdaContext(600_000)),
    ).rejects.toThrow(/QAG_CONFIG at tenants\[0\]\.url/);
    await createHandler({ config: loopback, clients: clients(), env: {}, allowHttpLoopback: true })(
      {},
      lambdaContext(600_000),
    );
    const input = runMock.mock.calls[0]![1] as RunInput;
    expect(input.allowHttpLoopback).toBe(true);
    expect(input.tenants[0]!.url).toBe('http://127.0.0.1:43210');
    const remote = { ...CONFIG, tenants: [{ ...CONFIG.tenants[0], url: 'http://acme.eu.qlikcloud.com' }] };
    await expect(
      createHandler({ config: remote, clients: clients(), env: {}, allowHttpLoopback: true })(
        {},
        lambdaContext(600_000),
      ),
    ).rejects.toThrow(/QAG_CONFIG at tenants\[0\]\.url/);
  });

  it('validates a configured policy once per cold start', async () => {
    const handler = createHandler({ config: { ...CONFIG, policy: { rules: 'nope' } }, clients: clients(), env: {} });
    await expect(handler({}, lambdaContext(600_000))).rejects.toThrow(/QAG_CONFIG policy/);
  });
});

describe('runtime config from qag-config.json and QAG_CONFIG', () => {
  const { reportBucket, emailTopicArn, ...synthTime } = CONFIG;
  const deployTime = { reportBucket, emailTopicArn };
  const env = (document: unknown = deployTime) => ({ QAG_CONFIG: JSON.stringify(document) });
  /** A config file in a fresh folder; the text is written as given. */
  const configFile = (text: string) => {
    const file = join(mkdtempSync(join(tmpdir(), 'qag-handler-')), 'qag-config.json');
    writeFileSync(file, text);
    return file;
  };
  let out: ReturnType<typeof captureStdout>;
  beforeEach(() => {
    runMock.mockReset();
    out = captureStdout();
  });
  afterEach(() => out.restore());

  it('merges the file (tenants, policy, settings) with the resource names from QAG_CONFIG', async () => {
    runMock.mockResolvedValue(outcome());
    const file = configFile(JSON.stringify({ ...synthTime, tenantConcurrency: 7, policy: { name: 'from the file' } }));
    await createHandler({ configFile: file, clients: clients(), env: env() })({}, lambdaContext(600_000));
    const input = runMock.mock.calls[0]![1] as RunInput;
    expect(input.tenants.map((t) => t.name)).toEqual(['acme', 'globex']);
    expect(input.tenantConcurrency).toBe(7);
    expect(input.policy.name).toBe('from the file');
    expect(loadRuntimeConfig({ configFile: file, env: env() })).toMatchObject({
      reportBucket: 'qag-reports',
      emailTopicArn,
      tenantConcurrency: 7,
    });
  });

  it('refuses a key set in both, naming the file and QAG_CONFIG', () => {
    const file = configFile(JSON.stringify({ ...synthTime, reportBucket: 'somewhere-else' }));
    expect(() => loadRuntimeConfig({ configFile: file, env: env() })).toThrow(
      `${file} at reportBucket: a key that QAG_CONFIG does not also set; both set it, and neither may override the other`,
    );
  });

  it.each([
    ['{"tenants": [', 'the file is not valid JSON'],
    ['[]', 'the file holds an array'],
    ['"tenants"', 'the file holds a string'],
  ])('names the file when it is not a JSON object: %s', (text, problem) => {
    const file = configFile(text);
    expect(() => loadRuntimeConfig({ configFile: file, env: env() })).toThrow(
      `${file}: the runtime config known at synth as a JSON object (the CDK stack writes this file into the code asset); ${problem}`,
    );
  });

  it('names the file when it cannot be read', () => {
    const folder = mkdtempSync(join(tmpdir(), 'qag-handler-'));
    expect(() => loadRuntimeConfig({ configFile: folder, env: env() })).toThrow(
      new RegExp(`^${folder}: .*; it cannot be read: EISDIR`),
    );
  });

  it('names the file for a wrong value that came from it, and QAG_CONFIG for one from the variable', async () => {
    const badTenant = { ...synthTime, tenants: [{ ...CONFIG.tenants[0], url: 'http://acme.eu.qlikcloud.com' }] };
    const file = configFile(JSON.stringify(badTenant));
    expect(() => loadRuntimeConfig({ configFile: file, env: env() })).toThrow(
      new RegExp(`^${file} at tenants\\[0\\]\\.url: an https URL`),
    );
    const good = configFile(JSON.stringify(synthTime));
    expect(() => loadRuntimeConfig({ configFile: good, env: env({ ...deployTime, reportBucket: 'b' }) })).toThrow(
      /^QAG_CONFIG at reportBucket: /,
    );
    const badPolicy = configFile(JSON.stringify({ ...synthTime, policy: { rules: 'nope' } }));
    await expect(
      createHandler({ configFile: badPolicy, clients: clients(), env: env() })({}, lambdaContext(600_000)),
    ).rejects.toThrow(`${badPolicy} policy`);
    expect(runMock).not.toHaveBeenCalled();
  });

  it('reads QAG_CONFIG alone when there is no file, and says so when a key is missing', () => {
    const absent = join(mkdtempSync(join(tmpdir(), 'qag-handler-')), 'qag-config.json');
    expect(loadRuntimeConfig({ configFile: absent, env: env(CONFIG) }).tenants).toHaveLength(2);
    expect(() => loadRuntimeConfig({ configFile: absent, env: env() })).toThrow(
      `(${absent} was not found, so QAG_CONFIG alone was read)`,
    );
  });

  it('still needs QAG_CONFIG beside the file', () => {
    const file = configFile(JSON.stringify(synthTime));
    expect(() => loadRuntimeConfig({ configFile: file, env: {} })).toThrow(/^QAG_CONFIG: .*it is not set$/);
    expect(() => loadRuntimeConfig({ configFile: file, env: { QAG_CONFIG: '[1]' } })).toThrow(
      'QAG_CONFIG: the runtime config as a JSON object; the value is an array',
    );
  });
});

describe('runIdOf', () => {
  const now = new Date('2026-03-02T06:00:07.123Z');

  it('names a scheduled run by its scheduled time, and a manual invocation by its own time', () => {
    expect(runIdOf({ runId: '2026-03-02T06:00:00Z', scheduledTime: '2026-03-02T06:00:00Z' }, now)).toBe(
      '2026-03-02T06:00:00.000Z',
    );
    expect(runIdOf({ scheduledTime: '2026-03-02T06:00:00Z' }, now)).toBe('2026-03-02T06:00:00.000Z');
    expect(runIdOf({}, now)).toBe('manual-2026-03-02T06:00:07.123Z');
    expect(runIdOf(null, now)).toBe('manual-2026-03-02T06:00:07.123Z');
  });

  it('names the same run for every retry of one schedule', () => {
    expect(runIdOf({ scheduledTime: '2026-03-02T07:00:00+01:00' }, now)).toBe(
      runIdOf({ scheduledTime: '2026-03-02T06:00:00Z' }, new Date()),
    );
  });

  it('never lets a manual invocation take a scheduled slot: a runId without scheduledTime is ignored', () => {
    expect(runIdOf({ runId: '2026-03-03T06:00:00Z' }, now)).toBe('manual-2026-03-02T06:00:07.123Z');
    expect(runIdOf({ runId: 'backfill-2026-03' }, now)).toBe('manual-2026-03-02T06:00:07.123Z');
  });

  it('refuses a scheduled time in the future, beyond a little clock skew', () => {
    expect(runIdOf({ scheduledTime: '2026-03-02T06:05:00Z' }, now)).toBe('2026-03-02T06:05:00.000Z');
    expect(() => runIdOf({ scheduledTime: '2026-03-02T06:05:08Z' }, now)).toThrow(
      /^event at scheduledTime: a scheduled time that has come .*2026-03-02T06:05:08.000Z is in the future/,
    );
    expect(() => runIdOf({ runId: '2099-01-01T06:00:00Z', scheduledTime: '2099-01-01T06:00:00Z' }, now)).toThrow(
      /in the future/,
    );
  });

  it('rejects what cannot name a run', () => {
    expect(() => runIdOf({ scheduledTime: 'yesterday' }, now)).toThrow(/event at scheduledTime: an ISO date-time/);
    expect(() => runIdOf({ runId: '../../etc', scheduledTime: '2026-03-02T06:00:00Z' }, now)).toThrow(
      /event at runId: the same time as scheduledTime/,
    );
    expect(() => runIdOf({ runId: '2026-03-01T06:00:00Z', scheduledTime: '2026-03-02T06:00:00Z' }, now)).toThrow(
      /event at runId/,
    );
  });
});
