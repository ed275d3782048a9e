/**
 * The AWS event path (docs/events.md, "AWS infrastructure"): Qlik webhooks reach a receiver function through its
 * Function URL, an audit poller reads each tenant's audit log on its own schedule, and both put `{ tenant, eventType,
 * eventId, receivedAt }` on an SQS FIFO queue (message group = tenant) that the checker consumes, one tenant per check.
 */
import { fileURLToPath } from 'node:url';
import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { RuntimeConfig } from '../../lambda/config/runtime';
import {
  type BundledFunction,
  createBundledFunction,
  type FunctionLogLevel,
  grantReadSecrets,
  type SecretReference,
} from './bundled-function';
import type { ReportArchive } from './report-archive';
import { CheckSchedule } from './schedule';
import { createTerminalQueue } from './terminal-queue';

/** The webhook receiver module (exports `handler`). */
export const DEFAULT_RECEIVER_ENTRY = fileURLToPath(new URL('../../lambda/receiver.ts', import.meta.url));
/** The audit poller module (exports `handler`). */
export const DEFAULT_POLLER_ENTRY = fileURLToPath(new URL('../../lambda/poller.ts', import.meta.url));

/** Where the audit poller keeps one cursor per tenant in the report bucket (outside reports/ and state/). */
export const AUDIT_CURSOR_PREFIX = 'events/audit-cursor/';

/**
 * Messages the checker takes per invocation: the FIFO maximum. A batch may hold several tenants (each checked once)
 * and several events of one tenant (one check for all of them).
 */
export const EVENT_BATCH_SIZE = 10;
/**
 * The event source mapping's concurrency cap: 2 is the least SQS allows. The checker's reserved concurrency of 1 is
 * the real bound: a second batch is throttled and retried by Lambda within the visibility timeout, so no two checks
 * ever run at once and a tenant's drift state is never written by two of them.
 */
export const EVENT_SOURCE_MAX_CONCURRENCY = 2;
/** Visibility timeout = this × the checker timeout, as Lambda advises: room to retry a batch throttled behind a run. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

export interface EventQueueProps {
  /**
   * The queue's delivery delay: a message becomes visible this long after it was sent, so a burst of events for one
   * tenant is taken by one check. Lambda offers no batching window for FIFO sources; this delay is the debounce.
   *
   * @default Duration.seconds(20)
   */
  readonly debounce?: Duration;

  /**
   * The timeout of the function that consumes the queue; the visibility timeout is
   * {@link VISIBILITY_TIMEOUT_FACTOR} times it.
   */
  readonly consumerTimeout: Duration;

  /**
   * Receives of one message before it moves to the dead-letter queue.
   *
   * @default 5
   */
  readonly maxReceiveCount?: number;

  /**
   * How long an unprocessed event is kept. The scheduled run checks every tenant anyway, so an old event adds nothing.
   *
   * @default Duration.days(4)
   */
  readonly retentionPeriod?: Duration;
}

/**
 * The per-tenant work queue: SQS FIFO, message group = tenant (a tenant's events are taken in order, one batch at a
 * time), deduplication by the id the sender gives (the event id) within the message group, SQS-managed encryption,
 * TLS only, and a FIFO dead-letter queue after {@link EventQueueProps.maxReceiveCount} receives. High-throughput FIFO
 * (limits per message group) so that one busy tenant does not slow the others, and so that the scheduled run can later
 * fan out every tenant through the same queue.
 */
export class EventQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly debounce: Duration;

  constructor(scope: Construct, id: string, props: EventQueueProps) {
    super(scope, id);
    this.debounce = props.debounce ?? Duration.seconds(20);
    this.deadLetterQueue = createTerminalQueue(
      this,
      'DeadLetters',
      'tenant events the checker failed to handle on every receive',
      { fifo: true, redriveTarget: true },
    );
    this.queue = new sqs.Queue(this, 'Queue', {
      fifo: true,
      contentBasedDeduplication: false,
      deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      deliveryDelay: this.debounce,
      visibilityTimeout: Duration.seconds(props.consumerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      retentionPeriod: props.retentionPeriod ?? Duration.days(4),
      // SQS-managed keys: the senders then need no KMS permission, and a message holds a tenant name, an event type
      // and an event id, never a credential or a delivery body.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });
  }

  /** Lets the grantee put events on the queue: `sqs:SendMessage` on this queue, nothing else. */
  grantSendEvents(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sqs:SendMessage'],
      resourceArns: [this.queue.queueArn],
    });
  }

  /**
   * Makes `fn` the consumer: an event source mapping with {@link EVENT_BATCH_SIZE} messages per batch, partial batch
   * failures (a tenant whose check failed returns only its own messages), and the concurrency cap
   * {@link EVENT_SOURCE_MAX_CONCURRENCY}. Grants the receive, delete and visibility calls on this queue.
   */
  addConsumer(fn: lambda.IFunction): eventSources.SqsEventSource {
    const source = new eventSources.SqsEventSource(this.queue, {
      batchSize: EVENT_BATCH_SIZE,
      reportBatchItemFailures: true,
      maxConcurrency: EVENT_SOURCE_MAX_CONCURRENCY,
    });
    fn.addEventSource(source);
    Validations.of(fn).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        'An SQS event source mapping keeps failed messages on the queue itself: after maxReceiveCount receives the ' +
        "queue's redrive policy moves them to its FIFO dead-letter queue, which has an alarm on its first message.",
    });
    return source;
  }
}

export interface WebhookTenant {
  readonly name: string;
  /** The secret holding the tenant's webhook secret. */
  readonly webhookSecretId?: string;
  /** The tenant's Qlik credential secret (read by the poller). */
  readonly secretId: string;
  /**
   * The customer-managed key of the tenant's secrets.
   *
   * @default - the AWS managed key `aws/secretsmanager`
   */
  readonly secretKmsKeyArn?: string;
}

export interface EventIntakeProps {
  /** The queue both functions send to; its consumer is attached by the caller ({@link EventQueue.addConsumer}). */
  readonly queue: EventQueue;

  /** The runtime config all functions share (it carries `events.queueUrl` and the tenants). */
  readonly runtimeConfig: RuntimeConfig;

  /** The configured tenants: whose webhook secrets the receiver reads, whose credentials the poller reads. */
  readonly tenants: readonly WebhookTenant[];

  /** The report archive; the poller keeps its cursors under {@link EventIntakeProps.cursorPrefix} there. */
  readonly archive: ReportArchive;

  /**
   * Where in the report bucket the poller keeps its cursors.
   *
   * @default AUDIT_CURSOR_PREFIX ('events/audit-cursor/')
   */
  readonly cursorPrefix?: string;

  /**
   * How often the audit poller runs.
   *
   * @default Duration.minutes(5)
   */
  readonly auditPollInterval?: Duration;

  /**
   * The receiver's reserved concurrency: requests beyond it get 429 from Lambda before any code runs.
   *
   * @default 5
   */
  readonly receiverConcurrency?: number;

  /**
   * The receiver module.
   *
   * @default lambda/receiver.ts of this project
   */
  readonly receiverEntry?: string;

  /**
   * The audit poller module.
   *
   * @default lambda/poller.ts of this project
   */
  readonly pollerEntry?: string;

  /**
   * How long each function's log group keeps logs.
   *
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * @default 'INFO'
   */
  readonly logLevel?: FunctionLogLevel;
}

/**
 * The receiver and the audit poller.
 *
 * The receiver is a Function URL with auth type NONE: Qlik cannot sign requests with AWS credentials, and the
 * `Qlik-Signature` HMAC (SHA-256 of the raw body, keyed with the tenant's webhook secret) is the authentication; an
 * unverified request is answered 401 and triggers nothing. Its reserved concurrency bounds what a flood can cost. It
 * may send to the queue and read the webhook secrets, nothing else: not the Qlik credentials, not the bucket.
 *
 * The poller runs on its own EventBridge Scheduler schedule, one at a time (reserved concurrency 1, so two polls never
 * race on a cursor), with no async retries (the next poll reads from the same cursor). It may read the tenants' Qlik
 * credentials, read and write its cursors under {@link EventIntakeProps.cursorPrefix}, and send to the queue.
 */
export class EventIntake extends Construct {
  readonly receiver: nodejs.NodejsFunction;
  readonly receiverRole: iam.Role;
  readonly receiverUrl: lambda.FunctionUrl;
  readonly poller: nodejs.NodejsFunction;
  readonly pollerRole: iam.Role;
  readonly pollSchedule: CheckSchedule;
  readonly auditPollInterval: Duration;
  /** The bundled functions, with their environment and shipped config. */
  readonly functions: { readonly receiver: BundledFunction; readonly poller: BundledFunction };

  constructor(scope: Construct, id: string, props: EventIntakeProps) {
    super(scope, id);
    this.auditPollInterval = props.auditPollInterval ?? Duration.minutes(5);
    const pollMinutes = this.auditPollInterval.toMinutes();
    const shared = {
      runtimeConfig: props.runtimeConfig,
      ...(props.logRetention !== undefined ? { logRetention: props.logRetention } : {}),
      ...(props.logLevel !== undefined ? { logLevel: props.logLevel } : {}),
    };

    const receiver = createBundledFunction(new Construct(this, 'Receiver'), {
      ...shared,
      entry: props.receiverEntry ?? DEFAULT_RECEIVER_ENTRY,
      description: 'qlik-access-guard webhook receiver: verifies Qlik deliveries and enqueues the tenant',
      memorySize: 256,
      timeout: Duration.seconds(10),
      functionProps: { reservedConcurrentExecutions: props.receiverConcurrency ?? 5 },
    });
    this.receiver = receiver.function;
    this.receiverRole = receiver.role;
    this.receiverUrl = this.receiver.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.NONE,
      invokeMode: lambda.InvokeMode.BUFFERED,
    });
    props.queue.grantSendEvents(this.receiverRole);
    grantReadSecrets(this.receiverRole, webhookSecretsOf(props.tenants), 'WebhookSecrets');
    Validations.of(this.receiver).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'The receiver is only invoked synchronously through its Function URL: a failure is answered to Qlik as an ' +
        'HTTP error, never queued for a retry by Lambda, so a dead-letter queue would never receive anything; the ' +
        'audit poll picks up the change a lost delivery was about.',
    });

    const poller = createBundledFunction(new Construct(this, 'Poller'), {
      ...shared,
      entry: props.pollerEntry ?? DEFAULT_POLLER_ENTRY,
      description: 'qlik-access-guard audit poller: enqueues tenants with new relevant audit events',
      memorySize: 256,
      // Done before the next poll starts.
      timeout: Duration.seconds(Math.min(300, pollMinutes * 60)),
      functionProps: {
        reservedConcurrentExecutions: 1,
        retryAttempts: 0,
        maxEventAge: Duration.seconds(Math.max(60, Math.min(21_600, pollMinutes * 60))),
      },
    });
    this.poller = poller.function;
    this.pollerRole = poller.role;
    this.functions = { receiver, poller };
    props.queue.grantSendEvents(this.pollerRole);
    grantReadSecrets(this.pollerRole, props.tenants, 'TenantSecrets');
    props.archive.grantReadWriteRecords(this.pollerRole, props.cursorPrefix ?? AUDIT_CURSOR_PREFIX);
    const noRetryNeeded =
      'A failed poll is not retried and needs no dead-letter queue or failure destination: the next poll, one ' +
      'interval later, reads the audit log from the same stored cursor, so nothing is lost; an alarm fires when ' +
      'three polls in a row fail.';
    Validations.of(this.poller).acknowledge({ id: 'Serverless-LambdaDLQ', reason: noRetryNeeded });
    Validations.of(this.poller).acknowledge({ id: 'Serverless-LambdaAsyncFailureDestination', reason: noRetryNeeded });

    this.pollSchedule = new CheckSchedule(this, 'PollSchedule', {
      checker: this.poller,
      expression: rateExpression(pollMinutes),
      purpose: 'one audit poll of every configured tenant',
      // A poll the Scheduler could not deliver is simply the next one's work.
      retryAttempts: 0,
      maxEventAge: Duration.seconds(Math.max(60, pollMinutes * 60)),
    });
  }
}

/** The EventBridge Scheduler expression for every `minutes` minutes. */
export function rateExpression(minutes: number): string {
  return `rate(${minutes} ${minutes === 1 ? 'minute' : 'minutes'})`;
}

/** The webhook secrets of the tenants that have one, with the key of the tenant's secrets. */
export function webhookSecretsOf(tenants: readonly WebhookTenant[]): SecretReference[] {
  return tenants.flatMap((t) =>
    t.webhookSecretId
      ? [{ secretId: t.webhookSecretId, ...(t.secretKmsKeyArn ? { secretKmsKeyArn: t.secretKmsKeyArn } : {}) }]
      : [],
  );
}
