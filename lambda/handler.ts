/**
 * The Lambda door into `run`, with two ways in (docs/events.md):
 * - EventBridge Scheduler invokes it with `{ runId?, scheduledTime? }`: every configured tenant is checked, then each
 *   tenant's webhook is looked at (a health alert when it is disabled or failing);
 * - the SQS FIFO event queue invokes it with a batch of event messages (lambda/events/queue-message.ts): each tenant of
 *   the batch is checked once, through the same `run`, unless a check that started after its events already finished
 *   (lambda/events/queue-door.ts); the answer is `{ batchItemFailures }`.
 * With the event path configured, every check holds the tenant's lease (lambda/store/tenant-lease.ts), so the
 * scheduled run and event checks of one tenant never interleave its drift state.
 * Everything it needs is built once per cold start; each invocation only names the run, bounds the tenants' time and
 * reports.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { ChangeMessageVisibilityBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type AwsClients, createAwsClients } from './aws/clients';
import { createTelemetry } from './aws/powertools';
import { readTenantCredentials } from './aws/secrets';
import { type LoadRuntimeConfigOptions, loadRuntimeConfig as loadConfig, loadRuntime } from './config/load';
import { RUNTIME_CONFIG_FILE, type RuntimeConfig } from './config/runtime';
import { CheckerMetric, EventMetric } from './config/telemetry';
import { InputError, messageOf } from './errors';
import {
  BUSY_RETRY_SECONDS,
  eventRunId,
  eventsToCheck,
  groupByTenant,
  lastCheckStart,
  type TenantBatch,
  triggerOf,
} from './events/queue-door';
import { webhookHealthMessages, webhookHealthProblem } from './events/webhook-health';
import type { OutboundMessage } from './notify/message';
import { SnsPublisher } from './notify/sns';
import type { LoadedPolicy } from './policy/load';
import { QlikClient } from './qlik/client';
import type { CheckTrigger, TenantReport } from './report/model';
import { AlertDeliveryError } from './run/errors';
import { type RunDeps, type RunInput, type RunLog, type RunOutcome, run } from './run/run';
import { chainHeadLine } from './store/anchor';
import { S3ObjectStore } from './store/s3-object-store';
import { createRunArchive, createStateStore } from './store/store';
import { type HeldLease, isHeld, TenantLeases } from './store/tenant-lease';
import { mapWithConcurrency } from './util/concurrency';

/**
 * EventBridge Scheduler input: `{ runId, scheduledTime }`, both `<aws.scheduler.scheduled-time>`. A manual invocation
 * may send nothing; it gets a run id of its own (see {@link runIdOf}).
 */
export interface CheckEvent {
  /** The scheduler sends the scheduled time here too; when given, it must name the same time as `scheduledTime`. */
  readonly runId?: string;
  /** `<aws.scheduler.scheduled-time>`: names the run, so every retry of one schedule names the same run. */
  readonly scheduledTime?: string;
}

export interface CheckSummary {
  readonly runId: string;
  readonly exitCode: RunOutcome['exitCode'];
  readonly tenants: number;
  readonly tenantErrors: number;
  readonly failingFindings: number;
  readonly messages: number;
  readonly archiveFailures: number;
  /** Tenants this invocation skipped because an earlier invocation of the same run archived them. */
  readonly duplicates: number;
  /** Tenants not checked because another check held their lease for longer than the run waits (event path only). */
  readonly busy: number;
  /** Tenants whose webhook is disabled, missing or failing (a health alert went out for each). */
  readonly webhookProblems: number;
}

export interface HandlerOverrides {
  /**
   * The whole runtime config document, used as given. Default: {@link RUNTIME_CONFIG_FILE} beside this module merged
   * with `QAG_CONFIG` (see {@link loadRuntimeConfig}).
   */
  readonly config?: unknown;
  /** The synth-time part of the runtime config. @default {@link RUNTIME_CONFIG_FILE} beside this module */
  readonly configFile?: string | URL;
  readonly clients?: AwsClients;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly now?: () => Date;
  /**
   * Lets the Qlik client use plain http to a loopback address (the simulated tenant in tests). Only through this
   * factory: neither the config nor the environment can turn it on.
   */
  readonly allowHttpLoopback?: boolean;
  readonly dispatcher?: RunDeps['dispatcher'];
  /** Time kept back from each tenant's deadline to store, alert and flush metrics. @default 20 s */
  readonly safetyMarginMs?: number;
  /** How long a scheduled run waits for a tenant whose lease an event check holds. @default 60 s */
  readonly leaseWaitMs?: number;
  /**
   * The event queue's client, to make a busy tenant's messages visible again soon (see {@link BUSY_RETRY_SECONDS}).
   * @default an SQSClient from the environment, built at the first busy tenant
   */
  readonly queueClient?: SQSClient;
  /** How long a busy tenant's messages stay invisible before SQS delivers them again. @default {@link BUSY_RETRY_SECONDS} */
  readonly busyRetrySeconds?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The checker: a scheduled (or manual) run, or a batch from the event queue. */
export interface CheckHandler {
  (event: SQSEvent, context: Context): Promise<SQSBatchResponse>;
  (event: CheckEvent | null | undefined, context: Context): Promise<CheckSummary>;
}

const DEFAULT_SAFETY_MARGIN_MS = 20_000;
const DEFAULT_LEASE_WAIT_MS = 60_000;
const LEASE_RETRY_MS = 2_000;
/** Leases taken at once by a scheduled run (two S3 requests each). */
const LEASE_CONCURRENCY = 16;
/** A lease outlives its invocation by this much at most: clocks of two invocations differ a little. */
const LEASE_CLOCK_SLACK_MS = 60_000;
/** Never below this, so a nearly exhausted invocation still tries and reports timeouts as tenant errors. */
const MIN_TENANT_DEADLINE_MS = 1_000;
/** SQS takes at most ten entries per batch request. */
const SQS_BATCH = 10;

interface Runtime {
  readonly config: RuntimeConfig;
  readonly policy: LoadedPolicy;
  readonly deps: RunDeps;
  /** Present when the event path is configured: then every check holds its tenant's lease. */
  readonly leases?: TenantLeases;
}

/** What every invocation of one handler shares: built once per cold start. */
interface Door {
  readonly overrides: HandlerOverrides;
  /** The event queue's client; built only when a busy tenant's messages need it. */
  queueClient?: SQSClient;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clients: AwsClients;
  readonly now: () => Date;
}

export function createHandler(overrides: HandlerOverrides = {}): CheckHandler {
  const env = overrides.env ?? process.env;
  const door: Door = {
    overrides,
    env,
    ...createTelemetry(env, overrides),
    clients: overrides.clients ?? createAwsClients(),
    ...(overrides.queueClient ? { queueClient: overrides.queueClient } : {}),
    now: overrides.now ?? (() => new Date()),
  };
  let runtime: Runtime | undefined;

  const invoke = async (
    event: CheckEvent | SQSEvent | null | undefined,
    context: Context,
  ): Promise<CheckSummary | SQSBatchResponse> => {
    door.logger.addContext(context);
    try {
      runtime ??= initRuntime(door);
      if (isQueueEvent(event)) return await checkQueuedEvents(door, runtime, event, context);
      return await scheduledRun(door, runtime, event as CheckEvent | null | undefined, context);
    } finally {
      door.logger.resetKeys();
    }
  };
  return invoke as CheckHandler;
}

/** An SQS batch (`Records` from `aws:sqs`); an event with `Records` from anything else is refused. */
function isQueueEvent(event: unknown): event is SQSEvent {
  const records = (event as { Records?: unknown } | null | undefined)?.Records;
  if (records === undefined) return false;
  if (!Array.isArray(records) || records.some((r) => (r as { eventSource?: unknown })?.eventSource !== 'aws:sqs')) {
    throw new InputError('event', 'Records', 'SQS records (eventSource "aws:sqs") from the event queue');
  }
  return true;
}

/** Every configured tenant (those whose lease it holds), then each tenant's webhook health. */
async function scheduledRun(
  door: Door,
  runtime: Runtime,
  event: CheckEvent | null | undefined,
  context: Context,
): Promise<CheckSummary> {
  const runId = nameRun(door, event);
  const names = runtime.config.tenants.map((t) => t.name);
  const { held, busy } = await takeLeases(door, runtime, names, context);
  try {
    const leased = new Set(held.map((l) => l.tenant));
    const tenants = runtime.leases ? runtime.config.tenants.filter((t) => leased.has(t.name)) : runtime.config.tenants;
    const outcome = await run(runtime.deps, runInput(door, runtime, runId, context, tenants)).catch(
      (error: unknown) => {
        // run() isolates tenant failures; reaching here is a bug or an outage worth its own log line.
        door.logger.error('run failed', { error: messageOf(error) });
        throw error;
      },
    );
    const webhooks = await checkWebhooks(door, runtime, runId, outcome);
    return finish(door, runId, outcome, { busy: busy.length, ...webhooks });
  } finally {
    await releaseLeases(door, held);
  }
}

/**
 * Takes the lease of each tenant, waiting up to {@link HandlerOverrides.leaseWaitMs} for those an event check holds
 * (an event check takes seconds). A tenant still busy after that is left to the check that holds it: logged and
 * counted, not checked twice at once. Without the event path there are no other checks, and no leases.
 */
async function takeLeases(
  door: Door,
  { leases }: Runtime,
  names: readonly string[],
  context: Context,
): Promise<{ held: HeldLease[]; busy: string[] }> {
  const { overrides, logger, metrics } = door;
  if (!leases) return { held: [], busy: [] };
  const held: HeldLease[] = [];
  let waiting = [...names];
  const waitUntil = Date.now() + (overrides.leaseWaitMs ?? DEFAULT_LEASE_WAIT_MS);
  try {
    for (;;) {
      // Every attempt settles before a failure is thrown, so each lease that was taken is given back.
      const attempts = await mapWithConcurrency(waiting, LEASE_CONCURRENCY, (name) =>
        leases.acquire(name, holderOf(context), leaseTtlMs(context)).then(
          (lease) => ({ lease }),
          (error: unknown) => ({ error }),
        ),
      );
      const still: string[] = [];
      let failure: { readonly error: unknown } | undefined;
      for (const [i, attempt] of attempts.entries()) {
        if ('error' in attempt) failure ??= attempt;
        else if (isHeld(attempt.lease)) held.push(attempt.lease);
        else still.push(waiting[i]!);
      }
      if (failure) throw failure.error;
      waiting = still;
      if (waiting.length === 0 || Date.now() + LEASE_RETRY_MS > waitUntil) break;
      await new Promise((done) => setTimeout(done, LEASE_RETRY_MS));
    }
  } catch (error) {
    // The bucket refused the lease (a missing grant, an outage): checking without it could interleave a tenant's
    // state, so the run fails loudly, giving back what it took.
    logger.error('tenant leases could not be taken; no tenant was checked', { error: messageOf(error) });
    await releaseLeases(door, held);
    throw error;
  }
  for (const tenant of waiting) {
    logger.warn('tenant not checked in this run: another check of it is still running', { tenant });
  }
  if (waiting.length > 0) {
    metrics.addMetric(EventMetric.TenantBusy, MetricUnit.Count, waiting.length);
    metrics.publishStoredMetrics();
  }
  return { held, busy: waiting };
}

async function releaseLeases({ logger }: Door, held: readonly HeldLease[]): Promise<void> {
  for (const lease of held) {
    try {
      if (!(await lease.release())) {
        logger.warn('tenant lease expired before the check ended; another check took it', { tenant: lease.tenant });
      }
    } catch (error) {
      // It expires on its own; until then other checks of the tenant wait or are retried.
      logger.warn('tenant lease could not be released', { tenant: lease.tenant, error: messageOf(error) });
    }
  }
}

/** Who holds a lease: this invocation. */
function holderOf(context: Context): string {
  return `${context.functionName}:${context.awsRequestId}`;
}

/** No longer than this invocation can run. */
function leaseTtlMs(context: Context): number {
  return Math.max(0, context.getRemainingTimeInMillis()) + LEASE_CLOCK_SLACK_MS;
}

/**
 * One SQS batch from the event queue: each tenant in it checked once (see lambda/events/queue-door.ts for how events
 * coalesce). A tenant whose lease another check holds, or whose check could not run, returns its messages as batch
 * item failures: SQS delivers them again after the visibility timeout (and parks them on the DLQ after the receive
 * limit). A busy tenant's messages are first made visible again after {@link BUSY_RETRY_SECONDS} rather than the
 * visibility timeout (6 × the checker timeout), so its events wait for the check that holds the lease, not an hour. A check that ran (even one that found the tenant unreachable and sent a health alert) acknowledges them.
 */
async function checkQueuedEvents(
  door: Door,
  runtime: Runtime,
  event: SQSEvent,
  context: Context,
): Promise<SQSBatchResponse> {
  const { logger, metrics } = door;
  const { tenants, unreadable } = groupByTenant(event.Records);
  if (unreadable.length > 0) {
    logger.warn('queue messages that are not event messages were dropped', { count: unreadable.length });
  }
  const tally = { checks: 0, coalesced: 0, busy: 0 };
  const busyMessageIds: string[] = [];
  const failed = await mapWithConcurrency(tenants, runtime.config.tenantConcurrency, async (batch) => {
    try {
      const result = await checkTenantEvents(door, runtime, batch, context);
      if (result === 'busy') {
        tally.busy += 1;
        busyMessageIds.push(...batch.messageIds);
        return batch.messageIds;
      }
      if (result === 'checked') tally.checks += 1;
      else tally.coalesced += result.coalesced;
      return [];
    } catch (error) {
      logger.error('event check failed; its messages go back to the queue', {
        tenant: batch.tenant,
        error: messageOf(error),
      });
      return batch.messageIds;
    }
  });
  metrics.addMetric(EventMetric.EventChecks, MetricUnit.Count, tally.checks);
  metrics.addMetric(EventMetric.EventsCoalesced, MetricUnit.Count, tally.coalesced);
  metrics.addMetric(EventMetric.TenantBusy, MetricUnit.Count, tally.busy);
  metrics.publishStoredMetrics();
  await retrySoon(door, runtime, event, busyMessageIds);
  const batchItemFailures = failed.flat().map((itemIdentifier) => ({ itemIdentifier }));
  logger.info('event batch done', { messages: event.Records.length, ...tally, retried: batchItemFailures.length });
  return { batchItemFailures };
}

/**
 * Makes the messages visible again after {@link HandlerOverrides.busyRetrySeconds}: a message returned as a batch item
 * failure stays invisible for the rest of its visibility timeout otherwise. When SQS refuses, the visibility timeout
 * applies (logged); the messages are reported as failures either way.
 */
async function retrySoon(door: Door, { config }: Runtime, event: SQSEvent, messageIds: readonly string[]) {
  const queueUrl = config.events?.queueUrl;
  if (messageIds.length === 0 || !queueUrl) return;
  const ids = new Set(messageIds);
  const receipts = event.Records.filter((r) => ids.has(r.messageId)).map((r) => r.receiptHandle);
  const visibilityTimeout = door.overrides.busyRetrySeconds ?? BUSY_RETRY_SECONDS;
  door.queueClient ??= new SQSClient({});
  try {
    for (let i = 0; i < receipts.length; i += SQS_BATCH) {
      const entries = receipts
        .slice(i, i + SQS_BATCH)
        .map((receipt, j) => ({ Id: String(i + j), ReceiptHandle: receipt, VisibilityTimeout: visibilityTimeout }));
      const changed = await door.queueClient.send(
        new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries }),
      );
      if (changed.Failed && changed.Failed.length > 0) {
        throw new Error(`${changed.Failed.length} of ${entries.length} refused (${changed.Failed[0]?.Code})`);
      }
    }
  } catch (error) {
    door.logger.warn('busy tenant messages keep the queue visibility timeout', { error: messageOf(error) });
  }
}

/** One tenant's events of a batch: `busy`, `checked`, or how many were coalesced into an earlier check. */
async function checkTenantEvents(
  door: Door,
  runtime: Runtime,
  batch: TenantBatch,
  context: Context,
): Promise<'busy' | 'checked' | { coalesced: number }> {
  const { logger, metrics, now } = door;
  const target = runtime.config.tenants.find((t) => t.name === batch.tenant);
  if (!target) {
    logger.warn('events for a tenant that is not configured were dropped', { count: batch.events.length });
    return { coalesced: 0 };
  }
  const lease = runtime.leases
    ? await runtime.leases.acquire(target.name, holderOf(context), leaseTtlMs(context))
    : undefined;
  if (lease && !isHeld(lease)) {
    logger.info('tenant is being checked by another invocation; events retried later', {
      tenant: target.name,
      holder: lease.holder.slice(0, 200),
    });
    return 'busy';
  }
  try {
    const lastStart = await lastCheckStartOf(door, runtime, target.name);
    const pending = eventsToCheck(batch.events, lastStart);
    if (pending.length === 0) {
      logger.info('events already covered by a check that started after them', {
        tenant: target.name,
        events: batch.events.length,
        lastCheckStart: lastStart?.toISOString(),
      });
      return { coalesced: batch.events.length };
    }
    const runId = eventRunId(now());
    const trigger: CheckTrigger = triggerOf(pending);
    logger.appendKeys({ runId });
    const outcome = await run(runtime.deps, {
      ...runInput(door, runtime, runId, context, [target]),
      trigger,
    });
    publishMetrics(metrics, outcome, { heartbeat: false });
    if (outcome.deliveryFailures.length > 0) {
      // The report and state are stored; a retry would find nothing new to send. The alarm on PublishFailures tells.
      logger.error('event check finished but alerts were not delivered', {
        error: outcome.deliveryFailures.map((f) => f.message).join('; '),
      });
    }
    logger.info('event check done', {
      tenant: target.name,
      events: batch.events.length,
      coalesced: batch.events.length - pending.length,
      trigger: { eventType: trigger.eventType, eventId: trigger.eventId, source: trigger.source },
      ...summarize(runId, outcome, { busy: 0, webhookProblems: 0, webhookMessages: [] }),
    });
    return 'checked';
  } finally {
    if (lease) await releaseLeases(door, [lease]);
  }
}

/** When the tenant's last completed check started; undefined when unknown (then the events are checked). */
async function lastCheckStartOf({ logger }: Door, { deps }: Runtime, tenant: string): Promise<Date | undefined> {
  try {
    return lastCheckStart(await deps.state.loadState(tenant));
  } catch (error) {
    // The check reports an unreadable state itself; here it only means the events cannot be coalesced.
    logger.warn('drift state unreadable; checking the events', { tenant, error: messageOf(error) });
    return undefined;
  }
}

interface WebhookHealth {
  readonly webhookProblems: number;
  readonly webhookMessages: readonly OutboundMessage[];
  readonly webhookDeliveryFailures?: readonly AlertDeliveryError[];
}

/**
 * Each checked tenant with a webhook secret configured: its webhook must exist, be enabled and deliver. Tenants that
 * could not be checked already have a health alert; reading their webhooks would fail the same way.
 */
async function checkWebhooks(
  { overrides, logger, clients, metrics }: Door,
  { config, deps }: Runtime,
  runId: string,
  outcome: RunOutcome,
): Promise<WebhookHealth> {
  if (!config.events) return { webhookProblems: 0, webhookMessages: [] };
  const checked = new Map(outcome.report.tenants.filter((t) => t.status === 'ok').map((t) => [t.name, t]));
  const tenants = config.tenants.filter((t) => t.webhookSecretId && checked.has(t.name));
  const messages: OutboundMessage[] = [];
  const deliveryFailures: AlertDeliveryError[] = [];
  let problems = 0;
  await mapWithConcurrency(tenants, config.tenantConcurrency, async (tenant) => {
    let problem: string | undefined;
    let client: QlikClient | undefined;
    try {
      const dispatcher = overrides.dispatcher?.(tenant.url);
      client = new QlikClient({
        tenantUrl: tenant.url,
        credentials: await readTenantCredentials(clients.secrets, tenant.secretId),
        allowedHosts: tenant.allowedHosts,
        allowHttpLoopback: overrides.allowHttpLoopback === true,
        ...(dispatcher ? { dispatcher } : {}),
      });
      problem = await webhookHealthProblem(client);
    } catch (error) {
      // The tenant was just checked with the same credential, so this is rare; the next run looks again.
      logger.warn('could not read the tenant webhook', { tenant: tenant.name, error: messageOf(error) });
      return;
    } finally {
      await client?.close();
    }
    if (!problem) return;
    problems += 1;
    logger.warn('tenant webhook needs attention', { tenant: tenant.name });
    const report = checked.get(tenant.name)!;
    const alert = webhookHealthMessages({
      tenantName: tenant.name,
      tenantId: report.tenantId,
      tenantUrl: report.tenantUrl,
      runId,
      problem,
    });
    messages.push(...alert);
    try {
      await deps.publisher.publish(alert);
    } catch (error) {
      deliveryFailures.push(new AlertDeliveryError(tenant.name, error));
    }
  });
  metrics.addMetric(EventMetric.WebhookProblems, MetricUnit.Count, problems);
  metrics.publishStoredMetrics();
  return { webhookProblems: problems, webhookMessages: messages, webhookDeliveryFailures: deliveryFailures };
}

/** Config, policy and the run's dependencies; an invalid config fails every invocation with a clear log line. */
function initRuntime({ overrides, env, logger, clients, now }: Door): Runtime {
  let loaded: ReturnType<typeof loadRuntime>;
  try {
    loaded = loadRuntime({
      env,
      configFile: overrides.configFile ?? DEFAULT_CONFIG_FILE,
      ...(overrides.config !== undefined ? { document: overrides.config } : {}),
      allowHttpLoopback: overrides.allowHttpLoopback === true,
    });
  } catch (error) {
    logger.error('configuration is invalid; no tenant was checked', { error: messageOf(error) });
    throw error;
  }
  const { config, policy } = loaded;
  const store = new S3ObjectStore(clients.s3, config.reportBucket);
  const leases = config.events ? new TenantLeases(store, now) : undefined;
  const deps: RunDeps = {
    now,
    archive: createRunArchive(store, { now }),
    state: createStateStore(store),
    publisher: new SnsPublisher({
      client: clients.sns,
      emailTopicArn: config.emailTopicArn,
      ...(config.chatTopicArn ? { chatTopicArn: config.chatTopicArn } : {}),
      ...(config.chatMinSeverity ? { chatMinSeverity: config.chatMinSeverity } : {}),
    }),
    log: runLog(logger),
    // Whatever the log level: the chain-head anchor is evidence, not a diagnostic (docs/evidence.md).
    onArchived: (head) => process.stdout.write(chainHeadLine(head)),
    ...(overrides.dispatcher ? { dispatcher: overrides.dispatcher } : {}),
  };
  return { config, policy, deps, ...(leases ? { leases } : {}) };
}

/** The run id (see {@link runIdOf}), added to every log line of the invocation. */
function nameRun({ logger, now }: Door, event: CheckEvent | null | undefined): string {
  const runId = runIdOf(event, now());
  logger.appendKeys({ runId });
  if (runId.startsWith('manual-') && typeof event?.runId === 'string') {
    logger.warn('a manual invocation gets a run id of its own; the runId it sent is ignored', {
      ignoredRunId: event.runId.slice(0, 100),
    });
  }
  return runId;
}

/** The given configured tenants, each bounded by its deadline and the time this invocation has left. */
function runInput(
  { overrides, clients }: Door,
  { config, policy }: Runtime,
  runId: string,
  context: Context,
  tenants: readonly RuntimeConfig['tenants'][number][],
): RunInput {
  const remaining = context.getRemainingTimeInMillis() - (overrides.safetyMarginMs ?? DEFAULT_SAFETY_MARGIN_MS);
  return {
    runId,
    tenants: tenants.map((tenant) => ({
      name: tenant.name,
      url: tenant.url,
      allowedHosts: tenant.allowedHosts,
      credentials: () => readTenantCredentials(clients.secrets, tenant.secretId),
      remediation: tenant.remediation,
    })),
    policy,
    tenantConcurrency: config.tenantConcurrency,
    tenantDeadlineMs: Math.max(MIN_TENANT_DEADLINE_MS, Math.min(config.tenantDeadlineSeconds * 1000, remaining)),
    allowHttpLoopback: overrides.allowHttpLoopback ?? false,
    ...(config.reportLinkBase ? { reportLink: reportLinkTo(config.reportLinkBase, config.reportBucket) } : {}),
    ...(config.schedule ? { schedule: config.schedule } : {}),
  };
}

/** Metrics, then the summary; undelivered alerts fail the invocation (after the metrics are out). */
function finish(
  { logger, metrics }: Door,
  runId: string,
  outcome: RunOutcome,
  extra: { readonly busy: number } & WebhookHealth,
): CheckSummary {
  publishMetrics(metrics, outcome, { heartbeat: true });
  const summary = summarize(runId, outcome, extra);
  const deliveryFailures = [...outcome.deliveryFailures, ...(extra.webhookDeliveryFailures ?? [])];
  if (deliveryFailures.length > 0) {
    // The reports are stored; failing the invocation is what reaches the on-failure destination and the alarm.
    const error = new UndeliveredAlertsError(runId, deliveryFailures);
    logger.error('run finished but alerts were not delivered', { error: error.message });
    throw error;
  }
  logger.info('run summary', { ...summary });
  return summary;
}

/** The run finished and its reports are stored, but some tenants' alerts were not delivered. */
export class UndeliveredAlertsError extends AggregateError {
  override readonly name = 'UndeliveredAlertsError';
  constructor(
    readonly runId: string,
    readonly failures: readonly AlertDeliveryError[],
  ) {
    super(failures, `run ${runId}: alerts were not delivered: ${failures.map((f) => f.message).join('; ')}`);
  }
}

export const handler: CheckHandler = createHandler();

/** Where the CDK stack puts the synth-time part of the config: next to the bundled handler, in the code asset. */
const DEFAULT_CONFIG_FILE = new URL(`./${RUNTIME_CONFIG_FILE}`, import.meta.url);

/** The runtime config the deployed function runs with (see lambda/config/load.ts), read from beside the handler. */
export function loadRuntimeConfig(options: Partial<LoadRuntimeConfigOptions> = {}): RuntimeConfig {
  return loadConfig({ ...options, configFile: options.configFile ?? DEFAULT_CONFIG_FILE });
}

/** How far ahead of the function's clock a scheduled time may be: the scheduler's and Lambda's clocks differ a little. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * The run id: the scheduled time, normalised so every retry of one schedule names the same run, for an event from the
 * scheduler; `manual-<invocation time>` for anything else. A run id names an archive slot, and a slot that is taken
 * makes the run that owns it a silent duplicate, so an event may name a slot only as the scheduler does (with
 * `scheduledTime`) and only once its time has come: a manual invocation never takes a scheduled slot.
 *
 * @throws InputError for a scheduler-shaped event whose time is unreadable, in the future, or not its `runId`
 */
export function runIdOf(event: CheckEvent | null | undefined, now: Date): string {
  const scheduledTime = typeof event?.scheduledTime === 'string' ? event.scheduledTime.trim() : '';
  if (!scheduledTime) return `manual-${now.toISOString()}`;
  const scheduled = isoTime(scheduledTime);
  if (scheduled === undefined) {
    throw new InputError('event', 'scheduledTime', 'an ISO date-time such as 2026-03-02T06:00:00Z');
  }
  if (scheduled.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS) {
    throw new InputError(
      'event',
      'scheduledTime',
      `a scheduled time that has come (at most ${MAX_CLOCK_SKEW_MS / 60_000} minutes ahead of ${now.toISOString()}); ` +
        `${scheduled.toISOString()} is in the future, and running it now would make that scheduled run a duplicate`,
    );
  }
  const runId = typeof event?.runId === 'string' ? event.runId.trim() : '';
  if (runId && isoTime(runId)?.getTime() !== scheduled.getTime()) {
    throw new InputError('event', 'runId', 'the same time as scheduledTime (the scheduler sends both), or no runId');
  }
  return scheduled.toISOString();
}

function isoTime(text: string): Date | undefined {
  return /^\d{4}-\d{2}-\d{2}T/.test(text) && !Number.isNaN(Date.parse(text)) ? new Date(text) : undefined;
}

function reportLinkTo(base: string, bucket: string): (tenantId: string, location: string) => string {
  const bucketUrl = `s3://${bucket}/`;
  // The key goes into a query string (the console's `prefix=`): encode it, '=' and '/' included.
  return (_tenantId, location) =>
    `${base}${encodeURIComponent(location.startsWith(bucketUrl) ? location.slice(bucketUrl.length) : location)}`;
}

/** Per-tenant metrics; the run's own (with the heartbeat) only for a scheduled or manual run, not an event check. */
function publishMetrics(metrics: Metrics, outcome: RunOutcome, { heartbeat }: { readonly heartbeat: boolean }): void {
  for (const tenant of outcome.report.tenants) {
    // A duplicate invocation checked nothing new; its zeros would read as a clean tenant on the dashboard.
    if (tenant.summary.duplicate === true) continue;
    metrics.addDimension('tenant', tenant.name ?? tenant.tenantName ?? tenant.tenantId);
    const count = (name: string, value: number | undefined) => metrics.addMetric(name, MetricUnit.Count, value ?? 0);
    count(CheckerMetric.FailingFindings, tenant.summary.failing);
    count(CheckerMetric.NewFindings, tenant.summary.new);
    count(CheckerMetric.ResolvedFindings, tenant.summary.resolved);
    count(CheckerMetric.TenantErrors, tenant.summary.errors);
    count(CheckerMetric.ApiRequests, tenant.summary.requests);
    count(CheckerMetric.RateLimited, numberOr(tenant.summary.rateLimited));
    metrics.addMetric(CheckerMetric.TenantDurationMs, MetricUnit.Milliseconds, tenant.summary.durationMs ?? 0);
    metrics.publishStoredMetrics();
  }
  if (!heartbeat) {
    metrics.addMetric(CheckerMetric.PublishFailures, MetricUnit.Count, outcome.deliveryFailures.length > 0 ? 1 : 0);
    metrics.publishStoredMetrics();
    return;
  }
  metrics.addMetric(CheckerMetric.RunsCompleted, MetricUnit.Count, 1);
  metrics.addMetric(CheckerMetric.ArchiveFailures, MetricUnit.Count, outcome.archiveFailures.length);
  metrics.addMetric(CheckerMetric.PublishFailures, MetricUnit.Count, outcome.deliveryFailures.length > 0 ? 1 : 0);
  metrics.publishStoredMetrics();
}

function summarize(runId: string, outcome: RunOutcome, extra: { readonly busy: number } & WebhookHealth): CheckSummary {
  const tenants: readonly TenantReport[] = outcome.report.tenants;
  return {
    runId,
    exitCode: outcome.exitCode,
    tenants: tenants.length,
    tenantErrors: tenants.filter((t) => t.status === 'error').length,
    failingFindings: tenants.reduce((sum, t) => sum + t.summary.failing, 0),
    messages: outcome.messages.length + extra.webhookMessages.length,
    archiveFailures: outcome.archiveFailures.length,
    duplicates: tenants.filter((t) => t.summary.duplicate === true).length,
    busy: extra.busy,
    webhookProblems: extra.webhookProblems,
  };
}

function runLog(logger: Logger): RunLog {
  return {
    info: (message, fields) => logger.info(message, { ...fields }),
    warn: (message, fields) => logger.warn(message, { ...fields }),
    error: (message, fields) => logger.error(message, { ...fields }),
  };
}

function numberOr(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
