/**
 * Benchmark of the AWS event path (`npx tsx test/bench/events.ts [changes]`; never part of `npm test`): the time from a
 * change in the simulated tenant's console (a role taken from, or given back to, a key owner) to the drift alert
 * arriving at an SQS subscriber of the SNS topic on moto_server (which it starts), over real HTTP and real SDK clients:
 *
 *   console change → the tenant's signed webhook delivery → receiver handler (local Function URL stand-in) → SQS FIFO
 *   queue with the debounce as delivery delay → checker handler (fed by an event-source-mapping stand-in that
 *   long-polls the queue) → SNS → subscriber queue (long-polled)
 *
 * Modes: debounce 0; the default debounce of 20 s (fewer changes, each takes 20 s more); a scaled debounce of 5 s over
 * as many changes as debounce 0; and the audit poll alone (no webhook) with the poller invoked every 10 s instead of
 * every 5 minutes, scaled so the run takes minutes, not hours. p50 and p95 of each mode; replaces the "events" section
 * of test/bench/RESULTS.md. Timings are reported, never asserted.
 */
import { spawn } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { installWebhook } from '../../lambda/events/install';
import { createPollerHandler } from '../../lambda/events/poller-handler';
import { createReceiverHandler } from '../../lambda/events/receiver-handler';
import { newWebhookSecret } from '../../lambda/events/webhook-secrets';
import { createHandler } from '../../lambda/handler';
import { QlikClient } from '../../lambda/qlik/client';
import { createEventQueue, pumpQueue, serveFunctionUrl } from '../integration/events/aws-harness';
import { loadScenario, startSimulatedTenant } from '../sim/server';
import { lambdaContext } from '../support/lambda-context';
import { freePort } from '../support/net';
import { writeResultsSection } from './results-file';

const JANE = '65a1f3c2e4b0a1b2c3d4e5f6';
const WITH_MANAGE = ['AuditAdmin', 'AllowManageAPIKeys'];
const WITHOUT_MANAGE = ['AuditAdmin'];
const DEFAULT_DEBOUNCE_S = 20;
const SCALED_DEBOUNCE_S = 5;
const SCALED_POLL_S = 10;
const DEFAULT_CHANGES = 20;
const DEFAULT_DEBOUNCE_CHANGES = 5;
const BUCKET = 'qag-bench-events';
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

interface Mode {
  readonly name: string;
  readonly webhook: boolean;
  readonly debounceSeconds: number;
  readonly changes: number;
  /** Audit poller interval (audit-only mode). */
  readonly pollSeconds?: number;
}

interface Aws {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly secrets: SecretsManagerClient;
  readonly topic: string;
  readonly subscriber: string;
}

function log(message: string): void {
  process.stdout.write(`[bench events ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function startMoto(): Promise<{ endpoint: string; stop: () => void }> {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 120; attempt++) {
    try {
      await fetch(`${endpoint}/moto-api/`);
      return { endpoint, stop: () => child.kill() };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  child.kill();
  throw new Error('moto_server did not start');
}

async function setupAws(endpoint: string): Promise<Aws> {
  const common = { region: 'us-east-1', endpoint, credentials: CREDENTIALS, maxAttempts: 1 };
  const s3 = new S3Client({ ...common, forcePathStyle: true });
  const sqs = new SQSClient(common);
  const sns = new SNSClient(common);
  const secrets = new SecretsManagerClient(common);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const topic = (await sns.send(new CreateTopicCommand({ Name: 'qag-bench-email' }))).TopicArn!;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'bench-subscriber' }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await sns.send(
    new SubscribeCommand({
      TopicArn: topic,
      Protocol: 'sqs',
      Endpoint: Attributes!.QueueArn,
      Attributes: { RawMessageDelivery: 'true' },
    }),
  );
  return { s3, sqs, sns, secrets, topic, subscriber: QueueUrl! };
}

/** Drift alerts of `tenant` arriving at the subscriber, with the time each was received. */
class Subscriber {
  readonly arrivals: number[] = [];
  #stop = false;
  readonly #done: Promise<void>;

  constructor(aws: Aws, tenant: string) {
    this.#done = (async () => {
      while (!this.#stop) {
        const { Messages } = await aws.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: aws.subscriber,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            MessageAttributeNames: ['All'],
          }),
        );
        const at = Date.now();
        if (!Messages?.length) continue;
        for (const m of Messages) {
          const attrs = m.MessageAttributes ?? {};
          if (attrs.tenant?.StringValue === tenant && attrs.eventType?.StringValue === 'drift') this.arrivals.push(at);
        }
        await aws.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: aws.subscriber,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
      }
    })();
  }

  async next(count: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.arrivals.length < count) {
      if (Date.now() > deadline) throw new Error(`no drift alert within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.arrivals[count - 1]!;
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await this.#done;
  }
}

async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<void> {
  for (;;) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    if (!Messages?.length) return;
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
}

/** Runs `work` in a loop until stopped (a Lambda trigger stand-in). */
function loop(work: () => Promise<unknown>, pauseMs: number): () => Promise<void> {
  let stop = false;
  const done = (async () => {
    while (!stop) {
      await work();
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  return async () => {
    stop = true;
    await done;
  };
}

/** Silences Powertools' JSON lines (stdout) while `work` runs; the bench prints its own. */
function quietLambdas(): () => void {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) =>
    String(chunk).startsWith('{') ? true : write(chunk, ...(rest as []))) as typeof process.stdout.write;
  return () => {
    process.stdout.write = write;
  };
}

async function measureMode(aws: Aws, mode: Mode, index: number): Promise<number[]> {
  const name = `bench${index}`;
  const sim = await startSimulatedTenant({ scenario: loadScenario('migration'), claimTenantId: `tid-${name}` });
  const stops: (() => Promise<void> | void)[] = [() => sim.close()];
  try {
    const credentials = { clientId: sim.credentials.clientId, clientSecret: sim.credentials.clientSecret };
    await aws.secrets.send(new CreateSecretCommand({ Name: `qag/${name}`, SecretString: JSON.stringify(credentials) }));
    const queueUrl = await createEventQueue(aws.sqs, `bench-events-${name}`, mode.debounceSeconds);
    const secret = mode.webhook ? newWebhookSecret() : undefined;
    if (secret) {
      await aws.secrets.send(
        new CreateSecretCommand({ Name: `qag/${name}-webhook`, SecretString: JSON.stringify({ secret }) }),
      );
    }
    const config = {
      tenants: [
        { name, url: sim.url, secretId: `qag/${name}`, ...(secret ? { webhookSecretId: `qag/${name}-webhook` } : {}) },
      ],
      reportBucket: BUCKET,
      emailTopicArn: aws.topic,
      tenantDeadlineSeconds: 60,
      events: {
        queueUrl,
        debounceSeconds: mode.debounceSeconds,
        ...(mode.pollSeconds ? { auditPollMinutes: 1 } : {}),
      },
    };
    const env = { POWERTOOLS_METRICS_NAMESPACE: 'QagBench' };
    const checker = createHandler({ config, clients: aws, allowHttpLoopback: true, env, leaseWaitMs: 0 });
    if (secret) {
      const receiver = await serveFunctionUrl(
        createReceiverHandler({ config, configFile: 'unused.json', clients: aws, allowHttpLoopback: true, env }),
      );
      stops.push(() => receiver.close());
      const client = new QlikClient({
        tenantUrl: sim.url,
        credentials: { kind: 'oauth-client', ...credentials },
        allowHttpLoopback: true,
      });
      await installWebhook(client, name, receiver.url, secret);
      await client.close();
    }
    await checker({ scheduledTime: new Date(Date.now() - 1000).toISOString() }, lambdaContext());
    // The baseline's own alerts, and anything an earlier mode left, are not this mode's.
    await drainQueue(aws.sqs, aws.subscriber);
    const subscriber = new Subscriber(aws, name);
    stops.push(() => subscriber.stop());
    // Lambda's event source mapping: long-polls the queue and invokes the checker as soon as messages are visible.
    stops.push(loop(() => pumpQueue(aws.sqs, queueUrl, checker, { waitSeconds: 1 }), 0));
    if (mode.pollSeconds) {
      const poller = createPollerHandler({
        config,
        configFile: 'unused.json',
        clients: aws,
        allowHttpLoopback: true,
        env,
      });
      await poller();
      stops.push(loop(() => poller(), mode.pollSeconds * 1000));
    }
    const latencies: number[] = [];
    let phase = 7;
    for (let i = 0; i < mode.changes; i++) {
      if (mode.pollSeconds) {
        // A change lands anywhere between two polls: wait a (seeded) random part of the interval first, or every
        // change would follow the poll that found the previous one and wait the whole interval.
        phase = (phase * 48_271) % 2_147_483_647;
        await new Promise((r) => setTimeout(r, (phase / 2_147_483_647) * mode.pollSeconds! * 1000));
      }
      // Alternately take Manage API keys from the key owner (a new critical finding) and give it back (resolved).
      const roles = i % 2 === 0 ? WITHOUT_MANAGE : WITH_MANAGE;
      const changedAt = Date.now();
      const response = await fetch(`${sim.url}/__console/users/${JANE}/roles`, {
        method: 'POST',
        body: JSON.stringify({ roles }),
      });
      if (response.status !== 204) throw new Error(`console answered ${response.status}`);
      const arrived = await subscriber.next(i + 1, (mode.debounceSeconds + (mode.pollSeconds ?? 0)) * 1000 + 60_000);
      latencies.push(arrived - changedAt);
      log(`${mode.name}: change ${i + 1}/${mode.changes}: ${((arrived - changedAt) / 1000).toFixed(2)} s`);
      // The next change after this check finished, as changes minutes apart would be.
      await new Promise((r) => setTimeout(r, 300));
    }
    return latencies;
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const changes = Number(process.argv[2] ?? DEFAULT_CHANGES);
  const modes: Mode[] = [
    { name: 'webhook, debounce 0', webhook: true, debounceSeconds: 0, changes },
    {
      name: `webhook, debounce ${DEFAULT_DEBOUNCE_S} s (default)`,
      webhook: true,
      debounceSeconds: DEFAULT_DEBOUNCE_S,
      changes: Math.min(changes, DEFAULT_DEBOUNCE_CHANGES),
    },
    {
      name: `webhook, debounce ${SCALED_DEBOUNCE_S} s (scaled)`,
      webhook: true,
      debounceSeconds: SCALED_DEBOUNCE_S,
      changes,
    },
    {
      name: `audit poll only, every ${SCALED_POLL_S} s (scaled)`,
      webhook: false,
      debounceSeconds: 0,
      changes,
      pollSeconds: SCALED_POLL_S,
    },
  ];
  const moto = await startMoto();
  const restore = process.env.BENCH_VERBOSE ? () => undefined : quietLambdas();
  const rows: string[] = [];
  const started = Date.now();
  try {
    const aws = await setupAws(moto.endpoint);
    for (const [index, mode] of modes.entries()) {
      log(`${mode.name}: ${mode.changes} changes`);
      const latencies = await measureMode(aws, mode, index);
      rows.push(
        `| ${mode.name} | ${latencies.length} | ${seconds(percentile(latencies, 50))} | ${seconds(percentile(latencies, 95))} | ${seconds(Math.min(...latencies))} | ${seconds(Math.max(...latencies))} |`,
      );
    }
  } finally {
    restore();
    moto.stop();
  }
  const section = [
    '## Event path: console change → alert at an SNS subscriber',
    '',
    `Run ${new Date().toISOString().slice(0, 16)}Z by \`npx tsx test/bench/events.ts ${changes}\` on ${cpus().length} CPUs, ` +
      `${Math.round(totalmem() / 2 ** 30)} GB RAM, shared with other work; ${((Date.now() - started) / 60_000).toFixed(1)} min. ` +
      'Simulated tenant over HTTP on 127.0.0.1, AWS on moto_server: the webhook delivery goes to the receiver handler, ' +
      'the SQS FIFO queue delays it by the debounce, a stand-in for Lambda’s event source mapping long-polls the queue ' +
      '(1 s waits) and invokes the checker, which publishes to SNS; the time is taken when the message is received ' +
      'from the topic’s SQS subscription (1 s long polls). Changes alternately take Manage API keys from a key owner ' +
      'and give it back (each a drift alert), one after the other.',
    '',
    '| Path | Changes | p50 | p95 | min | max |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    `The default debounce adds its ${DEFAULT_DEBOUNCE_S} s delivery delay to every change, so it ran over fewer changes; ` +
      `the ${SCALED_DEBOUNCE_S} s row shows the same path over all of them (latency ≈ delay + the debounce-0 time). ` +
      `The audit poll ran every ${SCALED_POLL_S} s instead of every 5 minutes (the stand-in pauses ${SCALED_POLL_S} s ` +
      'after each poll, so polls were a little further apart than a fixed-rate schedule makes them) and each change ' +
      'came at a random point between polls; its latency is the wait for the next poll plus one check, so with the ' +
      '5-minute default expect up to 5 minutes plus the debounce-0 time. Goals: p95 under 60 s with the default ' +
      'debounce, under 5 s with 0, and under the poll interval plus one check for the audit poll alone.',
  ].join('\n');
  writeResultsSection('events', section);
  process.stderr.write(`${section}\n`);
}

await main();
