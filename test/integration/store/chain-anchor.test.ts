/**
 * Chain heads anchored outside the bucket, on moto: the handler writes one anchor line per archived entry to stdout,
 * which the Lambda runtime sends to the function's CloudWatch Logs group (here: every line the handler wrote is put
 * there with PutLogEvents, as the runtime would). `verify --bucket --anchor-log-group` compares the chain index with
 * the logged heads: the real archive agrees; a history rewritten with the archive's own writer (one report's findings
 * removed, the chain recomputed, the newest entry dropped) verifies clean on its own but not against the log, and a
 * forged anchor line added afterwards does not hide it.
 */
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, main } from '../../../lambda/cli/main';
import { createHandler } from '../../../lambda/handler';
import { chainHeadLine, parseChainHeadLine } from '../../../lambda/store/anchor';
import { RunManifestSchema } from '../../../lambda/store/manifest';
import { S3ObjectStore } from '../../../lambda/store/s3-object-store';
import { createRunArchive } from '../../../lambda/store/store';
import { DAY_MS } from '../../../lambda/util/time';
import { loadScenario, type SimulatedTenant, startSimulatedTenant } from '../../sim/server';
import { lambdaContext, withOutputCaptured } from '../../support/lambda';
import { Clock } from '../cli/support';
import { REGION, useMoto } from '../setup/moto-client';
import { createLockedBucket } from '../setup/moto-resources';

const moto = useMoto();
const { s3, sns, secrets } = moto.clients;
const logs = new CloudWatchLogsClient({
  region: REGION,
  endpoint: moto.endpoint,
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  maxAttempts: 1,
});
const BUCKET = 'qag-anchored';
const REWRITTEN = 'qag-rewritten';
const LOG_GROUP = '/aws/lambda/qag-checker';
const STREAM = '2035/03/02/[$LATEST]checker';

let sim: SimulatedTenant;
let topic: string;
const loggedLines: string[] = [];
const clock = new Clock(new Date('2035-03-02T06:00:00.000Z'));

/** One scheduled invocation; what it writes to stdout is kept, as the Lambda runtime keeps it for CloudWatch Logs. */
async function scheduledRun(): Promise<void> {
  const handler = createHandler({
    config: {
      tenants: [{ name: 'sim', url: sim.url, secretId: 'qag/sim-api-key' }],
      reportBucket: BUCKET,
      emailTopicArn: topic,
      tenantDeadlineSeconds: 60,
    },
    clients: { s3, sns, secrets },
    allowHttpLoopback: true,
    now: clock.now,
    env: { POWERTOOLS_METRICS_NAMESPACE: 'QagIntegration', POWERTOOLS_LOG_LEVEL: 'ERROR' },
  });
  // Lambda sends both streams to the function's log group.
  await withOutputCaptured(
    () => handler({ scheduledTime: clock.now().toISOString() }, lambdaContext()),
    (line) => loggedLines.push(line),
  );
}

async function putLogLines(lines: readonly string[]): Promise<void> {
  const start = Date.now();
  await logs.send(
    new PutLogEventsCommand({
      logGroupName: LOG_GROUP,
      logStreamName: STREAM,
      logEvents: lines.map((message, i) => ({ timestamp: start + i, message })),
    }),
  );
}

async function verify(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: {},
    cwd: process.cwd(),
    now: clock.now,
    awsClients: () => ({ ...moto.clients, logs }),
  };
  const code = await main(['verify', '--json', ...argv], io);
  const results = stdout
    ? (JSON.parse(stdout) as {
        tenantId: string;
        ok: boolean;
        anchorsChecked?: number;
        problems: { kind: string; key: string }[];
      }[])
    : [];
  // The drift state's folder (the configured name, no reports) is verified too; the archive is the tenant id's.
  return { code, stderr, results, tenant: results.find((r) => r.tenantId === sim.tenantId) };
}

async function text(bucket: string, key: string): Promise<string> {
  return (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
}

/**
 * What someone rewriting the history would store: the first entries of the tenant again, through the archive's own
 * writer (so every link and chain place is consistent), with `alter` applied to the report of the second.
 */
async function rewriteHistory(entries: number, alter: (report: string) => string): Promise<string[]> {
  const prefix = `reports/tenant=${sim.tenantId}/`;
  const keys = (await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents!.map(
    (o) => o.Key!,
  );
  const manifests = await Promise.all(
    keys
      .filter((k) => k.endsWith('manifest.json'))
      .map(async (key) => ({ key, manifest: RunManifestSchema.parse(JSON.parse(await text(BUCKET, key))) })),
  );
  manifests.sort((a, b) => (a.manifest.sequence ?? 0) - (b.manifest.sequence ?? 0));
  const store = new S3ObjectStore(s3, REWRITTEN);
  const written: string[] = [];
  for (const { key, manifest } of manifests.slice(0, entries)) {
    const folder = key.slice(0, -'manifest.json'.length);
    const files = await Promise.all(
      manifest.files.map(async (file) => {
        const body = await text(BUCKET, `${folder}${file.name}`);
        return {
          name: file.name,
          body: manifest.sequence === 2 && file.name === 'report.json' ? alter(body) : body,
          contentType: 'application/octet-stream',
        };
      }),
    );
    // The manifest's own creation time, so an entry left as it was stores the same bytes again.
    const archive = createRunArchive(store, { now: () => new Date(manifest.createdAt) });
    await archive.archiveRun({
      tenantId: manifest.tenantId,
      runId: manifest.runId,
      startedAt: manifest.startedAt,
      files,
      ...(manifest.stateSha256 ? { stateSha256: manifest.stateSha256 } : {}),
    });
    written.push(key);
  }
  return written;
}

beforeAll(async () => {
  sim = await startSimulatedTenant({ scenario: loadScenario('migration'), now: clock.now });
  await secrets.send(
    new CreateSecretCommand({
      Name: 'qag/sim-api-key',
      SecretString: JSON.stringify({ apiKey: sim.credentials.apiKey }),
    }),
  );
  topic = (await sns.send(new CreateTopicCommand({ Name: 'qag-anchor-email' }))).TopicArn!;
  await createLockedBucket(s3, BUCKET);
  await createLockedBucket(s3, REWRITTEN);
  await logs.send(new CreateLogGroupCommand({ logGroupName: LOG_GROUP }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: LOG_GROUP, logStreamName: STREAM }));
  for (let day = 0; day < 3; day++) {
    if (day > 0) clock.advance(DAY_MS);
    await scheduledRun();
  }
  await putLogLines(loggedLines);
}, 120_000);

afterAll(async () => {
  await sim?.close();
  logs.destroy();
});

describe('chain heads anchored in CloudWatch Logs', () => {
  it('writes one anchor line per archived entry, whatever the log level', () => {
    const anchors = loggedLines.map(parseChainHeadLine).filter((a) => a !== undefined);
    expect(anchors.map((a) => [a.tenantId, a.sequence])).toEqual([
      [sim.tenantId, 1],
      [sim.tenantId, 2],
      [sim.tenantId, 3],
    ]);
    expect(anchors[0]?.manifestKey).toMatch(/^reports\/tenant=.*\/run=2035-03-02T06-00-00\.000Z\/manifest\.json$/);
  });

  it('verify --anchor-log-group agrees with the archive the function wrote', async () => {
    const { code, results, stderr, tenant } = await verify('--bucket', BUCKET, '--anchor-log-group', LOG_GROUP);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(tenant).toMatchObject({ ok: true, anchorsChecked: 3, problems: [] });
  });

  it('catches a rewritten history that verifies clean on its own, and a forged anchor line does not hide it', async () => {
    const rewritten = await rewriteHistory(2, (report) => report.replace(/"failing": \d+,/, '"failing": 0,'));
    const alone = await verify('--bucket', REWRITTEN);
    expect(alone.code).toBe(0);
    expect(alone.tenant).toMatchObject({ ok: true, runs: 2 });

    const anchored = await verify('--bucket', REWRITTEN, '--anchor-log-group', LOG_GROUP);
    expect(anchored.code).toBe(1);
    const problems = anchored.tenant!.problems.map((p) => [p.kind, p.key]);
    // Place 1 was stored again byte for byte; place 2 holds the altered entry; place 3 was dropped.
    expect(problems).toEqual([
      ['anchor', rewritten[1]],
      ['anchor', expect.stringMatching(/\/chain\/999999999997\.json$/)],
    ]);

    // Whoever holds the function's permissions may add log lines: one claiming the rewritten place 2.
    const forgedSha = (await text(REWRITTEN, `reports/tenant=${sim.tenantId}/chain/999999999998.json`)).match(
      /"sha256": "([0-9a-f]{64})"/,
    )![1]!;
    await putLogLines([
      chainHeadLine({ tenantId: sim.tenantId, sequence: 2, manifestKey: rewritten[1]!, manifestSha256: forgedSha }),
    ]);
    const forged = await verify('--bucket', REWRITTEN, '--anchor-log-group', LOG_GROUP);
    expect(forged.code).toBe(1);
    expect(forged.tenant!.anchorsChecked).toBe(4);
    expect(forged.tenant!.problems.map((p) => p.kind)).toEqual(['anchor', 'anchor']);
  });

  it('refuses --anchor-log-group without the bucket, and a log group that does not exist', async () => {
    const local = await verify('--out', '/nonexistent', '--anchor-log-group', LOG_GROUP);
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/--anchor-log-group/);
    const missing = await verify('--bucket', BUCKET, '--anchor-log-group', '/aws/lambda/no-such-function');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/log group \/aws\/lambda\/no-such-function could not be read/);
  });
});
