/**
 * The AWS event path on moto with real SDK clients and the simulated tenant over real sockets: the tenant's webhook
 * delivers to the receiver Lambda (behind a local Function URL stand-in), which enqueues on an SQS FIFO queue; the
 * checker Lambda consumes the queue (as Lambda's event source mapping would) and publishes to SNS, read from an SQS
 * subscription. Also the audit poller alone, forged/replayed/oversized deliveries, a burst, the scheduled run's
 * webhook health alert and the per-tenant lease.
 */
import { createHmac } from 'node:crypto';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, type Message } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installWebhook, removeWebhooks } from '../../../lambda/events/install';
import { createPollerHandler, cursorKey } from '../../../lambda/events/poller-handler';
import { createReceiverHandler } from '../../../lambda/events/receiver-handler';
import { newWebhookSecret } from '../../../lambda/events/webhook-secrets';
import { createHandler } from '../../../lambda/handler';
import { QlikClient } from '../../../lambda/qlik/client';
import { S3ObjectStore } from '../../../lambda/store/s3-object-store';
import { isHeld, TenantLeases } from '../../../lambda/store/tenant-lease';
import { loadScenario, type SimulatedTenant, startSimulatedTenant } from '../../sim/server';
import { lambdaContext, withOutputCaptured } from '../../support/lambda';
import { useMoto } from '../setup/moto-client';
import { createLockedBucket, drain, queueSubscribedTo } from '../setup/moto-resources';
import { createEventQueue, type FunctionUrl, pumpQueue, serveFunctionUrl } from './aws-harness';

const moto = useMoto();
const { s3, sns, sqs, secrets } = moto.clients;

const BUCKET = 'qag-events-reports';
const JANE = '65a1f3c2e4b0a1b2c3d4e5f6';
/** The checker's busy retry delay here: far below the test queue's 30 s visibility timeout. */
const BUSY_RETRY_TEST_SECONDS = 1;
const CRITICAL_RULE = 'api-key-owner-lacks-manage-permission';
const USER_UPDATED = 'com.qlik.core.user.updated';

let emailTopic: string;
let alerts: string;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  await createLockedBucket(s3, BUCKET);
  emailTopic = (await sns.send(new CreateTopicCommand({ Name: 'qag-events-email' }))).TopicArn!;
  alerts = await queueSubscribedTo(moto.clients, emailTopic, 'events-email', { RawMessageDelivery: 'true' });
});

afterAll(async () => {
  while (closers.length > 0) await closers.pop()!();
});

interface Path {
  readonly name: string;
  readonly sim: SimulatedTenant;
  readonly queueUrl: string;
  readonly config: Record<string, unknown>;
  readonly checker: ReturnType<typeof createHandler>;
  readonly receiver?: FunctionUrl;
  readonly secret?: string;
  /** Lines the receiver logged. */
  readonly receiverLog: string[];
}

/** One simulated tenant with its own event queue; with `webhook`, a receiver and the tenant's webhook pointing at it. */
async function setupPath(name: string, options: { webhook: boolean; delaySeconds?: number }): Promise<Path> {
  // Each path its own tenant id, so each has its own archive chain in the shared bucket.
  const sim = await startSimulatedTenant({ scenario: loadScenario('migration'), claimTenantId: `tid-${name}` });
  closers.push(() => sim.close());
  await secrets.send(
    new CreateSecretCommand({
      Name: `qag/${name}`,
      SecretString: JSON.stringify({ clientId: sim.credentials.clientId, clientSecret: sim.credentials.clientSecret }),
    }),
  );
  const queueUrl = await createEventQueue(sqs, `qag-events-${name}`, options.delaySeconds ?? 0);
  const secret = options.webhook ? newWebhookSecret() : undefined;
  if (secret) {
    await secrets.send(
      new CreateSecretCommand({ Name: `qag/${name}-webhook`, SecretString: JSON.stringify({ secret }) }),
    );
  }
  const config = {
    tenants: [
      {
        name,
        url: sim.url,
        secretId: `qag/${name}`,
        ...(secret ? { webhookSecretId: `qag/${name}-webhook` } : {}),
      },
    ],
    reportBucket: BUCKET,
    emailTopicArn: emailTopic,
    tenantDeadlineSeconds: 60,
    events: { queueUrl, debounceSeconds: options.delaySeconds ?? 0 },
  };
  const receiverLog: string[] = [];
  let receiver: FunctionUrl | undefined;
  if (secret) {
    const handler = createReceiverHandler({
      config,
      configFile: 'unused.json',
      clients: { sqs, secrets },
      allowHttpLoopback: true,
      env: { POWERTOOLS_METRICS_NAMESPACE: 'QagIntegration' },
    });
    receiver = await serveFunctionUrl((event) =>
      withOutputCaptured(
        () => handler(event),
        (line) => receiverLog.push(line),
      ),
    );
    closers.push(() => receiver!.close());
    const client = new QlikClient({ tenantUrl: sim.url, credentials: oauth(sim), allowHttpLoopback: true });
    await installWebhook(client, name, receiver.url, secret);
    await client.close();
  }
  const checker = createHandler({
    config,
    clients: { s3, sns, secrets },
    allowHttpLoopback: true,
    env: { POWERTOOLS_METRICS_NAMESPACE: 'QagIntegration' },
    leaseWaitMs: 0,
    queueClient: sqs,
    busyRetrySeconds: BUSY_RETRY_TEST_SECONDS,
  });
  return {
    name,
    sim,
    queueUrl,
    config,
    checker,
    ...(receiver ? { receiver } : {}),
    ...(secret ? { secret } : {}),
    receiverLog,
  };
}

function oauth(sim: SimulatedTenant) {
  return {
    kind: 'oauth-client' as const,
    clientId: sim.credentials.clientId,
    clientSecret: sim.credentials.clientSecret,
  };
}

async function consoleSetRoles(sim: SimulatedTenant, roles: string[]): Promise<void> {
  const response = await fetch(`${sim.url}/__console/users/${JANE}/roles`, {
    method: 'POST',
    body: JSON.stringify({ roles }),
  });
  expect(response.status).toBe(204);
}

async function scheduledRun(path: Path, scheduledTime = new Date(Date.now() - 1000).toISOString()) {
  return path.checker({ scheduledTime }, lambdaContext());
}

/** Alerts published to the email topic since the last call, for this tenant. */
async function alertsFor(path: Path): Promise<Message[]> {
  return (await drain(sqs, alerts)).filter((m) => m.MessageAttributes?.tenant?.StringValue === path.name);
}

async function visibleMessages(queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
}

async function queueDepth(queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/** Event-check archive entries of a tenant (one per check that ran). */
async function eventChecks(path: Path): Promise<number> {
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `reports/tenant=${path.sim.tenantId}/` }),
  );
  return (listed.Contents ?? []).filter((o) => /\/run=event-[^/]+\/manifest\.json$/.test(o.Key!)).length;
}

function criticalDrift(messages: readonly Message[]): Message | undefined {
  return messages.find((m) => m.Body?.includes(CRITICAL_RULE) && m.Body.includes(JANE) && /critical/i.test(m.Body));
}

describe('webhook → receiver → SQS FIFO → checker → SNS', () => {
  let path: Path;
  beforeAll(async () => {
    path = await setupPath('acme', { webhook: true });
    const baseline = await scheduledRun(path);
    expect(baseline).toMatchObject({ tenants: 1, tenantErrors: 0, busy: 0, webhookProblems: 0 });
    await alertsFor(path);
  });

  it('turns a role taken from a key owner into the critical drift alert naming the webhook event', async () => {
    await consoleSetRoles(path.sim, ['AuditAdmin']);
    await path.sim.events.settle();
    // Qlik's resend of the delivery while the first is still queued: same event id, so the FIFO queue drops it.
    path.sim.events.resend(path.sim.events.deliveries.at(-1)!);
    await path.sim.events.settle();
    expect(path.receiver!.statuses).toEqual([204, 204]);
    expect(await queueDepth(path.queueUrl)).toBe(1);
    const pumped = await pumpQueue(sqs, path.queueUrl, path.checker);
    expect(pumped).toMatchObject({ invocations: 1, messages: 1, failed: [] });
    const alert = criticalDrift(await alertsFor(path));
    expect(alert, 'critical drift alert').toBeDefined();
    expect(alert!.Body).toMatch(new RegExp(`event ${USER_UPDATED.replace(/\./g, '\\.')} \\(id [^)]+\\) via webhook`));
    expect(await eventChecks(path)).toBe(1);
  });

  it('enqueues nothing for forged, unsigned, oversized or misdirected deliveries, and says why without the body', async () => {
    const url = `${path.receiver!.url}/qlik/acme`;
    const body = JSON.stringify({ type: USER_UPDATED, id: 'forged-event-1', data: {} });
    const forged = createHmac('sha256', 'not-the-secret').update(body).digest('hex');
    const post = (b: string | Buffer, headers: Record<string, string> = {}) =>
      fetch(url, { method: 'POST', body: b, headers });
    expect((await post(body, { 'qlik-signature': forged })).status).toBe(401);
    expect((await post(body)).status).toBe(401);
    const big = Buffer.alloc(300 * 1024, 'a');
    expect(
      (await post(big, { 'qlik-signature': createHmac('sha256', path.secret!).update(big).digest('hex') })).status,
    ).toBe(413);
    const signed = createHmac('sha256', path.secret!).update(body).digest('hex');
    expect(
      (
        await fetch(`${path.receiver!.url}/qlik/nobody`, {
          method: 'POST',
          body,
          headers: { 'qlik-signature': signed },
        })
      ).status,
    ).toBe(404);
    expect((await fetch(url, { method: 'GET' })).status).toBe(405);
    expect(await queueDepth(path.queueUrl)).toBe(0);
    expect(await pumpQueue(sqs, path.queueUrl, path.checker)).toMatchObject({ invocations: 0 });
    expect(await eventChecks(path)).toBe(1);
    expect(await alertsFor(path)).toEqual([]);
    const log = path.receiverLog.join('');
    expect(log).toContain('bad-signature');
    expect(log).toContain('missing-signature');
    expect(log).not.toContain(forged);
    expect(log).not.toContain(signed);
    expect(log).not.toContain('forged-event-1');
  });

  it('sends no alert for a replay that comes after the queue forgot the event id', async () => {
    // SQS deduplicates for five minutes (moto: while the first copy is queued). A later replay is one more check of
    // an unchanged tenant: the drift state makes it silent.
    path.sim.events.resend(path.sim.events.deliveries.find((d) => d.eventType === USER_UPDATED)!);
    await path.sim.events.settle();
    expect(await pumpQueue(sqs, path.queueUrl, path.checker)).toMatchObject({ invocations: 1, failed: [] });
    expect(await eventChecks(path)).toBe(2);
    expect(await alertsFor(path)).toEqual([]);
  });

  it('verifies a delivery that is not base64-encoded over its raw bytes too', async () => {
    const handler = createReceiverHandler({
      config: path.config,
      configFile: 'unused.json',
      clients: { sqs, secrets },
      allowHttpLoopback: true,
    });
    const body = JSON.stringify({ type: 'com.qlik.core.role.updated', id: 'plain-1', data: { name: 'é' } });
    const event = (signature: string) =>
      ({
        rawPath: '/qlik/acme',
        headers: { 'Qlik-Signature': signature },
        requestContext: { http: { method: 'POST' } },
        body,
        isBase64Encoded: false,
      }) as never;
    expect(await handler(event(createHmac('sha256', path.secret!).update(Buffer.from(body)).digest('hex')))).toEqual({
      statusCode: 204,
    });
    expect(await handler(event(createHmac('sha256', path.secret!).update('other').digest('hex')))).toMatchObject({
      statusCode: 401,
    });
    // The accepted event is on the queue; a check of it runs (its receivedAt is after the last check's start).
    expect(await queueDepth(path.queueUrl)).toBe(1);
    expect(await pumpQueue(sqs, path.queueUrl, path.checker)).toMatchObject({ invocations: 1, failed: [] });
    expect(await eventChecks(path)).toBe(3);
    await alertsFor(path);
  });

  it('raises a health alert in the scheduled run when the webhook is disabled, and none while it is healthy', async () => {
    const healthy = await scheduledRun(path);
    expect(healthy.webhookProblems).toBe(0);
    expect((await alertsFor(path)).filter((m) => m.Body?.includes('webhook needs attention'))).toEqual([]);

    const [webhook] = path.sim.events.webhooks;
    const response = await fetch(`${path.sim.url}/__console/webhooks/${webhook!.id}`, {
      method: 'POST',
      body: JSON.stringify({ enabled: false, disabledReason: 'disabled after repeated delivery failures' }),
    });
    expect(response.status).toBe(204);
    const summary = await scheduledRun(path);
    expect(summary).toMatchObject({ tenants: 1, tenantErrors: 0, webhookProblems: 1 });
    const health = (await alertsFor(path)).filter((m) => m.Body?.includes('webhook needs attention'));
    expect(health.length).toBeGreaterThan(0);
    expect(health[0]!.Body).toContain('is disabled');
    expect(health[0]!.MessageAttributes?.eventType?.StringValue ?? 'health').toBe('health');
  });
});

describe('audit poll only (no webhook)', () => {
  let path: Path;
  let poller: ReturnType<typeof createPollerHandler>;
  beforeAll(async () => {
    path = await setupPath('globex', { webhook: false });
    poller = createPollerHandler({
      config: path.config,
      configFile: 'unused.json',
      clients: { s3, sqs, secrets },
      allowHttpLoopback: true,
      env: { POWERTOOLS_METRICS_NAMESPACE: 'QagIntegration' },
    });
    await scheduledRun(path);
    await alertsFor(path);
  });

  it('finds the change through the audit poll and the checker names it', async () => {
    await consoleSetRoles(path.sim, ['AuditAdmin']);
    expect(path.sim.events.deliveries).toEqual([]);
    const polled = await poller();
    expect(polled).toMatchObject({ tenants: 1, failures: 0 });
    expect(polled.enqueued).toBeGreaterThanOrEqual(1);
    const auditRequests = path.sim.log.filter((r) => r.path === '/api/v1/audits');
    expect(auditRequests).toHaveLength(1);
    await pumpQueue(sqs, path.queueUrl, path.checker);
    const alert = criticalDrift(await alertsFor(path));
    expect(alert, 'critical drift alert').toBeDefined();
    expect(alert!.Body).toContain('via the audit poll');
    expect(await eventChecks(path)).toBe(1);
  });

  it('remembers its cursor: the next poll enqueues nothing new', async () => {
    const again = await poller();
    expect(again).toMatchObject({ tenants: 1, enqueued: 0, failures: 0 });
    expect(await queueDepth(path.queueUrl)).toBe(0);
  });

  it('starts an unreadable cursor again from one interval ago', async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: cursorKey({ cursorPrefix: 'events/audit-cursor/' }, 'globex'),
        Body: 'not json',
      }),
    );
    const polled = await poller();
    // The change of the first test is within the last interval: found again, and coalesced by the checker, since
    // the check that reported it started after it.
    expect(polled).toMatchObject({ failures: 0 });
    expect(polled.enqueued).toBeGreaterThanOrEqual(1);
    const pumped = await pumpQueue(sqs, path.queueUrl, path.checker);
    expect(pumped.failed).toEqual([]);
    expect(await eventChecks(path)).toBe(1);
    expect(await alertsFor(path)).toEqual([]);
  });
});

describe('a burst of 500 events in 10 s', () => {
  it('gives at most two checks with the default debounce as the queue delay', async () => {
    const path = await setupPath('initech', { webhook: true, delaySeconds: 20 });
    await scheduledRun(path);
    await alertsFor(path);
    const started = Date.now();
    let stop = false;
    // Lambda's event source mapping, polling while the burst goes on.
    const pumping = (async () => {
      let invocations = 0;
      while (!stop) {
        invocations += (await pumpQueue(sqs, path.queueUrl, path.checker, { waitSeconds: 1 })).invocations;
      }
      return invocations;
    })();
    for (let second = 0; second < 10; second++) {
      for (let i = 0; i < 50; i++) path.sim.events.emit(USER_UPDATED, { id: JANE, burst: second * 50 + i });
      await new Promise((r) => setTimeout(r, Math.max(0, started + (second + 1) * 1000 - Date.now())));
    }
    // Every delivery answered (some may outlast the simulator's 10 s delivery timeout on a busy machine).
    const answered = Date.now() + 60_000;
    while (path.receiver!.statuses.length < 500 && Date.now() < answered) await new Promise((r) => setTimeout(r, 200));
    expect(path.receiver!.statuses.filter((s) => s === 204)).toHaveLength(500);
    // Wait for the queue to empty (the last messages become visible 20 s after they were sent).
    const deadline = Date.now() + 45_000;
    while ((await queueDepth(path.queueUrl)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    stop = true;
    const invocations = await pumping;
    expect(await queueDepth(path.queueUrl)).toBe(0);
    expect(invocations).toBeGreaterThanOrEqual(50);
    const checks = await eventChecks(path);
    expect(checks).toBeGreaterThanOrEqual(1);
    expect(checks).toBeLessThanOrEqual(2);
  }, 120_000);
});

describe('one check of a tenant at a time', () => {
  let path: Path;
  const store = new S3ObjectStore(s3, BUCKET);
  beforeAll(async () => {
    path = await setupPath('umbrella', { webhook: true });
    await scheduledRun(path);
    await alertsFor(path);
  });

  it('lets exactly one of two concurrent takers hold a lease, and one of two takers of an expired one', async () => {
    const leases = new TenantLeases(store);
    const first = await Promise.all([leases.acquire('race', 'a', 60_000), leases.acquire('race', 'b', 60_000)]);
    expect(first.filter(isHeld)).toHaveLength(1);
    const expired = new TenantLeases(store, () => new Date(Date.now() + 120_000));
    const second = await Promise.all([expired.acquire('race', 'c', 60_000), expired.acquire('race', 'd', 60_000)]);
    expect(second.filter(isHeld)).toHaveLength(1);
    // The first holder's lease was taken over after it expired: it cannot give back what is no longer its.
    const [overrun] = first.filter(isHeld);
    expect(await overrun!.release()).toBe(false);
  });

  it('refuses an event check while another check holds the lease, and SQS delivers it again after the busy retry delay, not the visibility timeout', async () => {
    const other = await new TenantLeases(store).acquire('umbrella', 'scheduled-run', 60_000);
    expect(isHeld(other)).toBe(true);
    const stateBefore = await store.get('state/tenant=umbrella/state.json');

    await consoleSetRoles(path.sim, ['AuditAdmin']);
    await path.sim.events.settle();
    const refused = await pumpQueue(sqs, path.queueUrl, path.checker);
    expect(refused).toMatchObject({ invocations: 1, messages: 1 });
    expect(refused.failed).toHaveLength(1);
    expect(await eventChecks(path)).toBe(0);
    expect(await store.get('state/tenant=umbrella/state.json')).toEqual(stateBefore);
    expect(await alertsFor(path)).toEqual([]);

    // A scheduled run that cannot take the lease either leaves the tenant to the holder.
    expect(await scheduledRun(path)).toMatchObject({ tenants: 0, busy: 1 });

    expect(isHeld(other) && (await other.release())).toBe(true);
    // The checker shortened the refused message's invisibility to the busy retry delay: the queue's visibility timeout
    // (30 s here) has not passed when it is delivered again.
    const refusedAt = Date.now();
    while ((await visibleMessages(path.queueUrl)) === 0 && Date.now() - refusedAt < 15_000) {
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(Date.now() - refusedAt).toBeLessThan(15_000);
    const retried = await pumpQueue(sqs, path.queueUrl, path.checker);
    expect(retried).toMatchObject({ failed: [] });
    expect(await eventChecks(path)).toBe(1);
    expect(criticalDrift(await alertsFor(path))).toBeDefined();
  });
});

describe('removing the webhook', () => {
  it('is reported by the next scheduled run', async () => {
    const path = await setupPath('hooli', { webhook: true });
    const client = new QlikClient({ tenantUrl: path.sim.url, credentials: oauth(path.sim), allowHttpLoopback: true });
    expect(await removeWebhooks(client)).toBe(1);
    await client.close();
    const summary = await scheduledRun(path);
    expect(summary.webhookProblems).toBe(1);
    const health = (await alertsFor(path)).filter((m) => m.Body?.includes('no webhook named qlik-access-guard'));
    expect(health.length).toBeGreaterThan(0);
  });
});
