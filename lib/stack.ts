import { Aws, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { type RuntimeConfig, RuntimeConfigSchema } from '../lambda/config/runtime';
import { type DeployConfig, heartbeatWindowMinutes } from './config';
import { Alerting } from './constructs/alerting';
import { CheckerFunction } from './constructs/checker-function';
import { AUDIT_CURSOR_PREFIX, EventIntake, EventQueue } from './constructs/event-intake';
import { Monitoring } from './constructs/monitoring';
import { ReportArchive } from './constructs/report-archive';
import { CheckSchedule } from './constructs/schedule';
import type { DeployPolicy } from './policy-source';

export interface QlikAccessGuardStackProps extends StackProps {
  /** The validated deploy config (lib/config.ts). */
  readonly config: DeployConfig;

  /**
   * The policy the checker enforces.
   *
   * @default - the checker's built-in default policy
   */
  readonly policy?: DeployPolicy;

  /**
   * The Lambda handler module.
   *
   * @default lambda/handler.ts
   */
  readonly handlerEntry?: string;

  /**
   * The webhook receiver module (with `events.enabled`).
   *
   * @default lambda/receiver.ts
   */
  readonly receiverEntry?: string;

  /**
   * The audit poller module (with `events.enabled`).
   *
   * @default lambda/poller.ts
   */
  readonly pollerEntry?: string;
}

/**
 * qlik-access-guard on AWS: a scheduled checker function, the immutable report archive it writes, the alert topics it
 * publishes to, and the alarms and dashboard that watch it. With `events.enabled`, also the event path: a webhook
 * receiver and an audit poller that put tenants on a FIFO queue the checker consumes (docs/events.md).
 */
export class QlikAccessGuardStack extends Stack {
  readonly archive: ReportArchive;
  readonly alerting: Alerting;
  readonly checker: CheckerFunction;
  readonly schedule: CheckSchedule;
  readonly monitoring: Monitoring;
  /** The event queue, present with `events.enabled`. */
  readonly eventQueue?: EventQueue;
  /** The webhook receiver and the audit poller, present with `events.enabled`. */
  readonly events?: EventIntake;
  /** The runtime config as given to the function (bucket and topic names still unresolved). */
  readonly runtimeConfig: RuntimeConfig;

  constructor(scope: Construct, id: string, props: QlikAccessGuardStackProps) {
    super(scope, id, {
      description: 'qlik-access-guard: scheduled compliance checks of Qlik Cloud tenants',
      ...props,
    });
    const { config, policy } = props;

    this.archive = new ReportArchive(this, 'Archive', {
      retentionDays: config.reports.retentionDays,
      transitionAfterDays: config.reports.transitionAfterDays,
      transitionStorageClass:
        config.reports.storageClass === 'INTELLIGENT_TIERING'
          ? s3.StorageClass.INTELLIGENT_TIERING
          : s3.StorageClass.INFREQUENT_ACCESS,
    });

    this.alerting = new Alerting(this, 'Alerting', {
      emailRecipients: config.alerts.email,
      ...(config.alerts.slack
        ? {
            slack: {
              workspaceId: config.alerts.slack.workspaceId,
              channelId: config.alerts.slack.channelId,
              loggingLevel: chatbot.LoggingLevel[config.alerts.slack.loggingLevel],
            },
          }
        : {}),
    });

    const timeout = Duration.seconds(config.function.timeoutSeconds);
    if (config.events.enabled) {
      this.eventQueue = new EventQueue(this, 'EventQueue', {
        debounce: Duration.seconds(config.events.debounceSeconds),
        consumerTimeout: timeout,
        maxReceiveCount: config.events.maxReceiveCount,
      });
    }

    this.runtimeConfig = buildRuntimeConfig(config, policy, {
      reportBucket: this.archive.bucket.bucketName,
      emailTopicArn: this.alerting.emailTopic.topicArn,
      chatTopicArn: this.alerting.chatTopic.topicArn,
      reportLinkBase:
        config.reports.linkBase ??
        `https://console.aws.amazon.com/s3/buckets/${this.archive.bucket.bucketName}?region=${Aws.REGION}&prefix=`,
      ...(this.eventQueue ? { eventQueueUrl: this.eventQueue.queue.queueUrl } : {}),
    });

    this.checker = new CheckerFunction(this, 'Checker', {
      runtimeConfig: this.runtimeConfig,
      ...(props.handlerEntry ? { entry: props.handlerEntry } : {}),
      memorySize: config.function.memoryMiB,
      timeout,
      logRetention: config.function.logRetentionDays as logs.RetentionDays,
      logLevel: config.function.logLevel,
      description: functionDescription(policy),
    });
    this.archive.grantWriteReports(this.checker.function);
    this.alerting.grantPublishAlerts(this.checker.function);
    this.checker.grantReadTenantSecrets(config.tenants);

    if (this.eventQueue) {
      this.eventQueue.addConsumer(this.checker.function);
      this.events = new EventIntake(this, 'Events', {
        queue: this.eventQueue,
        runtimeConfig: this.runtimeConfig,
        tenants: config.tenants,
        archive: this.archive,
        cursorPrefix: AUDIT_CURSOR_PREFIX,
        auditPollInterval: Duration.minutes(config.events.auditPollMinutes),
        receiverConcurrency: config.events.receiverConcurrency,
        logRetention: config.function.logRetentionDays as logs.RetentionDays,
        logLevel: config.function.logLevel,
        ...(props.receiverEntry ? { receiverEntry: props.receiverEntry } : {}),
        ...(props.pollerEntry ? { pollerEntry: props.pollerEntry } : {}),
      });
    }

    this.schedule = new CheckSchedule(this, 'Schedule', {
      checker: this.checker.function,
      expression: config.schedule.expression,
      timeZone: config.schedule.timeZone,
      retryAttempts: config.schedule.retryAttempts,
      maxEventAge: Duration.minutes(config.schedule.maxEventAgeMinutes),
    });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      checker: this.checker.function,
      timeout,
      heartbeatWindow: Duration.minutes(heartbeatWindowMinutes(config)),
      tenantNames: config.tenants.map((t) => t.name),
      deadLetterQueues: [
        { queue: this.checker.failureQueue, meaning: 'checker runs that failed or could not start' },
        { queue: this.schedule.deadLetterQueue, meaning: 'scheduled runs the Scheduler could not deliver to Lambda' },
        { queue: this.alerting.undeliveredQueue, meaning: 'alert emails SNS could not deliver' },
        ...(this.eventQueue && this.events
          ? [
              {
                queue: this.eventQueue.deadLetterQueue,
                name: 'events',
                meaning:
                  'tenant events the checker failed on every receive (the scheduled run still checks the tenant; ' +
                  'read the checker log for the event id, then redrive or delete)',
              },
              {
                queue: this.events.pollSchedule.deadLetterQueue,
                name: 'audit-polls-undelivered',
                meaning: 'audit polls the Scheduler could not deliver to the poller',
              },
            ]
          : []),
      ],
      ...(this.eventQueue && this.events
        ? {
            events: {
              receiver: this.events.receiver,
              poller: this.events.poller,
              queue: this.eventQueue.queue,
              debounce: this.eventQueue.debounce,
              auditPollInterval: this.events.auditPollInterval,
              signatureFailureThreshold: config.events.signatureFailureAlarmThreshold,
            },
          }
        : {}),
    });
    for (const alarm of this.monitoring.alarms) this.alerting.notifyOnAlarm(alarm);

    new CfnOutput(this, 'ReportBucketName', { value: this.archive.bucket.bucketName });
    new CfnOutput(this, 'EmailTopicArn', { value: this.alerting.emailTopic.topicArn });
    new CfnOutput(this, 'ChatTopicArn', { value: this.alerting.chatTopic.topicArn });
    new CfnOutput(this, 'CheckerFunctionName', { value: this.checker.function.functionName });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
    if (this.events) {
      new CfnOutput(this, 'WebhookReceiverUrl', {
        description: 'Base URL for "webhooks install --receiver"; Qlik delivers to <this URL>qlik/<tenant name>',
        value: this.events.receiverUrl.url,
      });
    }
  }
}

export interface DeployedResources {
  readonly reportBucket: string;
  readonly emailTopicArn: string;
  readonly chatTopicArn: string;
  readonly reportLinkBase: string;
  /** The event queue's URL, with `events.enabled`. */
  readonly eventQueueUrl?: string;
}

/** The function's runtime config from the deploy config, validated with the checker's own schema. */
export function buildRuntimeConfig(
  config: DeployConfig,
  policy: DeployPolicy | undefined,
  resources: DeployedResources,
): RuntimeConfig {
  const chatMinSeverity = config.alerts.slack?.minSeverity;
  return RuntimeConfigSchema.parse({
    tenants: config.tenants.map(({ name, url, secretId, allowedHosts, remediation, webhookSecretId }) => ({
      name,
      url,
      secretId,
      allowedHosts,
      remediation,
      ...(config.events.enabled && webhookSecretId ? { webhookSecretId } : {}),
    })),
    ...(policy ? { policy: policy.document } : {}),
    reportBucket: resources.reportBucket,
    emailTopicArn: resources.emailTopicArn,
    chatTopicArn: resources.chatTopicArn,
    tenantConcurrency: config.tenantConcurrency,
    tenantDeadlineSeconds: config.tenantDeadlineSeconds,
    reportLinkBase: resources.reportLinkBase,
    schedule: { expression: config.schedule.expression, timeZone: config.schedule.timeZone },
    ...(chatMinSeverity !== undefined ? { chatMinSeverity } : {}),
    ...(resources.eventQueueUrl !== undefined
      ? {
          events: {
            queueUrl: resources.eventQueueUrl,
            debounceSeconds: config.events.debounceSeconds,
            auditPollMinutes: config.events.auditPollMinutes,
            cursorPrefix: AUDIT_CURSOR_PREFIX,
          },
        }
      : {}),
  });
}

function functionDescription(policy: DeployPolicy | undefined): string {
  const base = 'qlik-access-guard checker';
  if (!policy) return `${base} (built-in default policy)`;
  return `${base} (policy ${policy.name} sha256:${policy.sha256.slice(0, 12)})`.slice(0, 256);
}
