/**
 * The Lambda door into `run`: EventBridge Scheduler invokes it with `{ runId?, scheduledTime? }`. Everything it needs
 * is built once per cold start; each invocation only names the run, bounds the tenants' time and reports.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { type AwsClients, createAwsClients } from './aws/clients';
import { readTenantCredentials } from './aws/secrets';
import { type LoadRuntimeConfigOptions, loadRuntimeConfig as loadConfig, loadRuntime } from './config/load';
import { RUNTIME_CONFIG_FILE, type RuntimeConfig } from './config/runtime';
import { CheckerMetric, METRICS_NAMESPACE, SERVICE_NAME } from './config/telemetry';
import { InputError, messageOf } from './errors';
import { SnsPublisher } from './notify/sns';
import type { LoadedPolicy } from './policy/load';
import type { TenantReport } from './report/model';
import type { AlertDeliveryError } from './run/errors';
import { type RunDeps, type RunInput, type RunLog, type RunOutcome, run } from './run/run';
import { S3ObjectStore } from './store/s3-object-store';
import { createRunArchive, createStateStore } from './store/store';

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
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export type CheckHandler = (event: CheckEvent | null | undefined, context: Context) => Promise<CheckSummary>;

const DEFAULT_SAFETY_MARGIN_MS = 20_000;
/** Never below this, so a nearly exhausted invocation still tries and reports timeouts as tenant errors. */
const MIN_TENANT_DEADLINE_MS = 1_000;

interface Runtime {
  readonly config: RuntimeConfig;
  readonly policy: LoadedPolicy;
  readonly deps: RunDeps;
}

/** What every invocation of one handler shares: built once per cold start. */
interface Door {
  readonly overrides: HandlerOverrides;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clients: AwsClients;
  readonly now: () => Date;
}

export function createHandler(overrides: HandlerOverrides = {}): CheckHandler {
  const env = overrides.env ?? process.env;
  const serviceName = env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME;
  const door: Door = {
    overrides,
    env,
    logger: overrides.logger ?? new Logger({ serviceName }),
    metrics:
      overrides.metrics ??
      new Metrics({ namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE, serviceName }),
    clients: overrides.clients ?? createAwsClients(),
    now: overrides.now ?? (() => new Date()),
  };
  let runtime: Runtime | undefined;

  return async (event, context) => {
    door.logger.addContext(context);
    try {
      runtime ??= initRuntime(door);
      const runId = nameRun(door, event);
      const outcome = await run(runtime.deps, runInput(door, runtime, runId, context)).catch((error: unknown) => {
        // run() isolates tenant failures; reaching here is a bug or an outage worth its own log line.
        door.logger.error('run failed', { error: messageOf(error) });
        throw error;
      });
      return finish(door, runId, outcome);
    } finally {
      door.logger.resetKeys();
    }
  };
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
    ...(overrides.dispatcher ? { dispatcher: overrides.dispatcher } : {}),
  };
  return { config, policy, deps };
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

/** Every configured tenant, each bounded by its deadline and the time this invocation has left. */
function runInput(
  { overrides, clients }: Door,
  { config, policy }: Runtime,
  runId: string,
  context: Context,
): RunInput {
  const remaining = context.getRemainingTimeInMillis() - (overrides.safetyMarginMs ?? DEFAULT_SAFETY_MARGIN_MS);
  return {
    runId,
    tenants: config.tenants.map((tenant) => ({
      name: tenant.name,
      url: tenant.url,
      allowedHosts: tenant.allowedHosts,
      credentials: () => readTenantCredentials(clients.secrets, tenant.secretId),
    })),
    policy,
    tenantConcurrency: config.tenantConcurrency,
    tenantDeadlineMs: Math.max(MIN_TENANT_DEADLINE_MS, Math.min(config.tenantDeadlineSeconds * 1000, remaining)),
    allowHttpLoopback: overrides.allowHttpLoopback ?? false,
    ...(config.reportLinkBase ? { reportLink: reportLinkTo(config.reportLinkBase, config.reportBucket) } : {}),
  };
}

/** Metrics, then the summary; undelivered alerts fail the invocation (after the metrics are out). */
function finish({ logger, metrics }: Door, runId: string, outcome: RunOutcome): CheckSummary {
  publishMetrics(metrics, outcome);
  const summary = summarize(runId, outcome);
  if (outcome.deliveryFailures.length > 0) {
    // The reports are stored; failing the invocation is what reaches the on-failure destination and the alarm.
    const error = new UndeliveredAlertsError(runId, outcome.deliveryFailures);
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

function publishMetrics(metrics: Metrics, outcome: RunOutcome): void {
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
  metrics.addMetric(CheckerMetric.RunsCompleted, MetricUnit.Count, 1);
  metrics.addMetric(CheckerMetric.ArchiveFailures, MetricUnit.Count, outcome.archiveFailures.length);
  metrics.addMetric(CheckerMetric.PublishFailures, MetricUnit.Count, outcome.deliveryFailures.length > 0 ? 1 : 0);
  metrics.publishStoredMetrics();
}

function summarize(runId: string, outcome: RunOutcome): CheckSummary {
  const tenants: readonly TenantReport[] = outcome.report.tenants;
  return {
    runId,
    exitCode: outcome.exitCode,
    tenants: tenants.length,
    tenantErrors: tenants.filter((t) => t.status === 'error').length,
    failingFindings: tenants.reduce((sum, t) => sum + t.summary.failing, 0),
    messages: outcome.messages.length,
    archiveFailures: outcome.archiveFailures.length,
    duplicates: tenants.filter((t) => t.summary.duplicate === true).length,
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
