/**
 * The audit poller Lambda, invoked by EventBridge Scheduler every `events.auditPollMinutes` (docs/events.md, "In AWS").
 * The backstop for webhook deliveries that were lost and the only source for changes a tenant does not offer as
 * webhooks. Per tenant, per poll:
 *
 *   readCursor → one `GET /api/v1/audits` (relevant types, since the cursor minus an overlap, newest first, one page)
 *   → takeFreshEvents (./audit-cursor.ts, the same memory `watch` keeps) → enqueue (./queue-message.ts, source
 *   `audit`) → saveCursor
 *
 * The cursor is saved only after its events are on the queue, so a failed poll is repeated, never lost. A cursor that
 * is missing (the first poll) or unreadable restarts from one poll interval ago, with a log line for the unreadable
 * one. A tenant's failure is that tenant's log line and metric; the other tenants are polled anyway.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { Dispatcher } from 'undici';
import { createTelemetry } from '../aws/powertools';
import { readTenantCredentials } from '../aws/secrets';
import { type LoadRuntimeConfigOptions, loadRuntimeConfigWithoutPolicy } from '../config/load';
import type { EventsConfig, RuntimeConfig, TenantConfig } from '../config/runtime';
import { EventMetric } from '../config/telemetry';
import { messageOf } from '../errors';
import { MAX_PAGE_SIZE, QlikClient } from '../qlik/client';
import { keySegment } from '../store/layout';
import type { ObjectStore } from '../store/object-store';
import { S3ObjectStore } from '../store/s3-object-store';
import { mapWithConcurrency } from '../util/concurrency';
import { type AuditCursor, parseAuditCursor, pollWindow, takeFreshEvents } from './audit-cursor';
import { createEventClients, type EventClients } from './aws-clients';
import { RELEVANT_EVENT_TYPES } from './event-types';
import { type QueuedEvent, queueMessageOf } from './queue-message';

/** SQS takes at most ten entries per SendMessageBatch. */
const SQS_BATCH = 10;

export interface PollerOverrides {
  /** The whole runtime config document, used as given (tests). @default the file beside the bundle + `QAG_CONFIG` */
  readonly config?: unknown;
  /** The synth-time part of the runtime config, beside the bundled entry module (lambda/poller.ts). */
  readonly configFile: LoadRuntimeConfigOptions['configFile'];
  readonly clients?: EventClients;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly now?: () => Date;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Tenant URLs may be plain http to loopback (tests); only through this factory. */
  readonly allowHttpLoopback?: boolean;
  readonly dispatcher?: (tenantUrl: string) => Dispatcher | undefined;
}

export interface PollSummary {
  readonly tenants: number;
  /** Relevant audit events sent to the queue. */
  readonly enqueued: number;
  /** Tenants whose poll failed (logged, counted in {@link EventMetric.AuditPollFailures}). */
  readonly failures: number;
}

export type PollerHandler = (event?: unknown) => Promise<PollSummary>;

interface Poller {
  readonly config: RuntimeConfig;
  readonly events: EventsConfig;
  readonly store: ObjectStore;
}

/** What every phase of a poll uses: built once per cold start. */
interface PollerContext {
  readonly overrides: PollerOverrides;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => Date;
  readonly clients: EventClients;
}

/** Thin handler: load the config once (cold start), poll every tenant, publish the metrics. */
export function createPollerHandler(overrides: PollerOverrides): PollerHandler {
  const env = overrides.env ?? process.env;
  const context: PollerContext = {
    overrides,
    env,
    ...createTelemetry(env, overrides),
    now: overrides.now ?? (() => new Date()),
    clients: overrides.clients ?? createEventClients(),
  };
  let poller: Poller | undefined;
  return async () => {
    try {
      poller ??= initPoller(context);
      return await pollAllTenants(context, poller);
    } finally {
      context.metrics.publishStoredMetrics();
    }
  };
}

/** Phase 0 (once per cold start): the runtime config and the cursor store; an invalid config polls no tenant. */
function initPoller({ overrides, env, logger, clients }: PollerContext): Poller {
  try {
    const config = loadRuntimeConfigWithoutPolicy({
      env,
      configFile: overrides.configFile,
      ...(overrides.config !== undefined ? { document: overrides.config } : {}),
      allowHttpLoopback: overrides.allowHttpLoopback === true,
    });
    if (!config.events) throw new Error('the runtime config has no "events" section: no queue to send to');
    return { config, events: config.events, store: new S3ObjectStore(clients.s3, config.reportBucket) };
  } catch (error) {
    logger.error('configuration is invalid; no tenant was polled', { error: messageOf(error) });
    throw error;
  }
}

/** Every tenant, `tenantConcurrency` at a time; one tenant's failure is its log line, the others are polled anyway. */
async function pollAllTenants(context: PollerContext, poller: Poller): Promise<PollSummary> {
  const { logger, metrics } = context;
  const results = await mapWithConcurrency(poller.config.tenants, poller.config.tenantConcurrency, async (tenant) => {
    try {
      const enqueued = await pollTenant(context, poller, tenant);
      if (enqueued > 0) logger.info('audit events enqueued', { tenant: tenant.name, enqueued });
      return enqueued;
    } catch (error) {
      logger.error('audit poll failed', { tenant: tenant.name, error: messageOf(error) });
      return undefined;
    }
  });
  const summary: PollSummary = {
    tenants: results.length,
    enqueued: results.reduce<number>((sum, n) => sum + (n ?? 0), 0),
    failures: results.filter((n) => n === undefined).length,
  };
  metrics.addMetric(EventMetric.EventsEnqueued, MetricUnit.Count, summary.enqueued);
  metrics.addMetric(EventMetric.AuditPollFailures, MetricUnit.Count, summary.failures);
  logger.info('audit poll finished', { ...summary });
  return summary;
}

/** One tenant: read cursor → poll audits → enqueue → save cursor (only after its events are on the queue). */
async function pollTenant(context: PollerContext, poller: Poller, tenant: TenantConfig): Promise<number> {
  const at = context.now();
  const cursor = await readCursor(context, poller, tenant.name, at);
  const fresh = await pollAudits(context, tenant, cursor, at);
  const enqueued = await enqueueAuditEvents(context, poller, tenant.name, fresh.fresh, at);
  await saveCursor(poller, tenant.name, fresh.cursor);
  return enqueued;
}

/** The tenant's cursor; a missing or unreadable one starts one poll interval ago. */
async function readCursor(
  { logger }: PollerContext,
  { store, events }: Poller,
  tenant: string,
  at: Date,
): Promise<AuditCursor> {
  const restart: AuditCursor = {
    until: new Date(at.getTime() - events.auditPollMinutes * 60_000).toISOString(),
    seen: [],
  };
  const key = cursorKey(events, tenant);
  const bytes = await store.get(key);
  if (bytes === undefined) {
    logger.info('no audit cursor yet; polling the last interval', { tenant });
    return restart;
  }
  let cursor: AuditCursor | undefined;
  try {
    cursor = parseAuditCursor(JSON.parse(new TextDecoder().decode(bytes)));
  } catch {
    cursor = undefined;
  }
  if (!cursor) {
    logger.warn('audit cursor unreadable; polling from one interval ago', { cursor: store.location(key) });
    return restart;
  }
  return cursor;
}

/** One `GET /api/v1/audits` page of the relevant types in the cursor's window; the events the cursor has not seen. */
async function pollAudits(
  { overrides, clients }: PollerContext,
  tenant: TenantConfig,
  cursor: AuditCursor,
  at: Date,
): Promise<ReturnType<typeof takeFreshEvents>> {
  const window = pollWindow(cursor, at);
  const dispatcher = overrides.dispatcher?.(tenant.url);
  const client = new QlikClient({
    tenantUrl: tenant.url,
    credentials: await readTenantCredentials(clients.secrets, tenant.secretId),
    allowedHosts: tenant.allowedHosts,
    allowHttpLoopback: overrides.allowHttpLoopback === true,
    ...(dispatcher ? { dispatcher } : {}),
  });
  try {
    // One page is one request: a tenant with more relevant events than that since the last poll needs one check.
    const { events } = await client.auditEvents({
      eventTypes: RELEVANT_EVENT_TYPES,
      ...window,
      maxEvents: MAX_PAGE_SIZE,
    });
    return takeFreshEvents(cursor, events, window.until);
  } finally {
    await client.close();
  }
}

/** The fresh audit events as queue messages (source `audit`), ten per SendMessageBatch; a failed entry fails the poll. */
async function enqueueAuditEvents(
  { clients }: PollerContext,
  poller: Poller,
  tenant: string,
  fresh: ReturnType<typeof takeFreshEvents>['fresh'],
  at: Date,
): Promise<number> {
  const messages = fresh.map((e) =>
    queueMessageOf({
      tenant,
      eventType: e.eventType,
      eventId: e.eventId,
      // When the change happened (never later than now): a check that started after it saw it (see the checker's
      // coalescing in lambda/events/queue-door.ts), so the webhook's check makes the audit copy a no-op.
      receivedAt: earlier(e.eventTime, at),
      source: 'audit',
    } satisfies QueuedEvent),
  );
  for (let i = 0; i < messages.length; i += SQS_BATCH) {
    const entries = messages.slice(i, i + SQS_BATCH).map((m, j) => ({ Id: String(i + j), ...m }));
    const sent = await clients.sqs.send(
      new SendMessageBatchCommand({ QueueUrl: poller.events.queueUrl, Entries: entries }),
    );
    if (sent.Failed && sent.Failed.length > 0) {
      throw new Error(
        `${sent.Failed.length} of ${entries.length} event messages were not enqueued (${sent.Failed[0]?.Code})`,
      );
    }
  }
  return messages.length;
}

async function saveCursor({ store, events }: Poller, tenant: string, cursor: AuditCursor): Promise<void> {
  await store.put(cursorKey(events, tenant), JSON.stringify(cursor), { contentType: 'application/json' });
}

/** The poller's cursor of one tenant in the report bucket. */
export function cursorKey(events: Pick<EventsConfig, 'cursorPrefix'>, tenant: string): string {
  return `${events.cursorPrefix}tenant=${keySegment(tenant)}.json`;
}

function earlier(iso: string, at: Date): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) || time > at.getTime() ? at.toISOString() : new Date(time).toISOString();
}
