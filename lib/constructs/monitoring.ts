import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CheckerMetric, EventMetric, METRICS_NAMESPACE, SERVICE_NAME } from '../../lambda/config/telemetry';

export interface WatchedQueue {
  readonly queue: sqs.IQueue;
  /** What a message in this queue means, for the alarm description. */
  readonly meaning: string;
  /**
   * The alarm name's last part, `<prefix>-dead-letters-<name>`.
   *
   * @default the queue construct's id, lower case
   */
  readonly name?: string;
}

/** The event path (lib/constructs/event-intake.ts), watched when events are enabled. */
export interface EventPathMonitoring {
  readonly receiver: lambda.IFunction;
  readonly poller: lambda.IFunction;
  /** The FIFO queue the checker consumes. */
  readonly queue: sqs.IQueue;
  /** The queue's delivery delay (the debounce). */
  readonly debounce: Duration;
  readonly auditPollInterval: Duration;

  /**
   * Webhook signature failures within five minutes that raise the alarm.
   *
   * @default 10
   */
  readonly signatureFailureThreshold?: number;
}

export interface MonitoringProps {
  readonly checker: lambda.IFunction;

  /** The function timeout; the duration alarm fires at 80% of it. */
  readonly timeout: Duration;

  /** The longest time without a completed run that is still healthy (schedule interval plus margin). */
  readonly heartbeatWindow: Duration;

  /** Configured tenant names: the values of the `tenant` metric dimension. */
  readonly tenantNames: readonly string[];

  /**
   * Dead-letter queues whose first visible message raises an alarm.
   *
   * @default - none
   */
  readonly deadLetterQueues?: readonly WatchedQueue[];

  /**
   * The event path's functions and queue: alarms on signature failures, the age of the oldest event, receiver errors
   * and throttles, and failing polls. The checker then shares its one slot with event checks, so its throttle alarm
   * fires only when throttling outlasts a whole run.
   *
   * @default - no event path
   */
  readonly events?: EventPathMonitoring;

  /**
   * Metric namespace of the checker's own metrics.
   *
   * @default METRICS_NAMESPACE ('QlikAccessGuard')
   */
  readonly namespace?: string;

  /**
   * Value of the `service` dimension.
   *
   * @default SERVICE_NAME ('qlik-access-guard')
   */
  readonly serviceName?: string;

  /**
   * Prefix of alarm and dashboard names.
   *
   * @default the stack name
   */
  readonly namePrefix?: string;
}

/**
 * Alarms and a dashboard for the checker: function errors, throttles and duration near the timeout; a heartbeat that
 * breaches when no run completed within one schedule period plus margin (missing data counts as breaching, so a
 * schedule that silently stopped is caught); tenant errors; and dead-letter queue depth.
 */
export class Monitoring extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly heartbeatAlarm: cloudwatch.Alarm;
  readonly dashboard: cloudwatch.Dashboard;
  private readonly namespace: string;
  private readonly serviceName: string;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.namespace = props.namespace ?? METRICS_NAMESPACE;
    this.serviceName = props.serviceName ?? SERVICE_NAME;
    const prefix = props.namePrefix ?? Stack.of(this).stackName;
    const fiveMinutes = Duration.minutes(5);

    const errors = props.checker.metricErrors({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM });
    this.addAlarm('FunctionErrors', {
      alarmName: `${prefix}-function-errors`,
      alarmDescription: 'A checker run failed (the invocation errored). The failed event is in the failed-runs queue.',
      metric: errors,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });

    const throttles = props.checker.metricThrottles({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM });
    // With events, a batch waiting behind a running check is throttled by design (one check at a time); only
    // throttling in every period for longer than one run can take means the one slot cannot keep up.
    const sustained = props.events ? Math.ceil(props.timeout.toSeconds() / fiveMinutes.toSeconds()) + 1 : 1;
    this.addAlarm('FunctionThrottles', {
      alarmName: `${prefix}-function-throttles`,
      alarmDescription: props.events
        ? `Checks were throttled in every 5-minute period for ${sustained * 5} minutes: scheduled runs and event ` +
          'checks share one slot (reserved concurrency 1) and it is busy longer than any one run takes.'
        : 'A run could not start because another was still running (reserved concurrency is 1).',
      metric: throttles,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: sustained,
      datapointsToAlarm: sustained,
    });

    const duration = props.checker.metricDuration({ period: Duration.minutes(15), statistic: cloudwatch.Stats.p(99) });
    this.addAlarm('FunctionDurationNearTimeout', {
      alarmName: `${prefix}-duration-near-timeout`,
      alarmDescription:
        'Runs take at least 80% of the function timeout: raise the timeout or tenantConcurrency before runs are cut off.',
      metric: duration,
      threshold: Math.floor(props.timeout.toMilliseconds() * 0.8),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });

    const shape = heartbeatAlarmShape(props.heartbeatWindow);
    const runsCompleted = this.checkerMetric(CheckerMetric.RunsCompleted, {}, shape.period, cloudwatch.Stats.SUM);
    this.heartbeatAlarm = this.addAlarm('Heartbeat', {
      alarmName: `${prefix}-no-completed-run`,
      alarmDescription:
        `No checker run completed in the last ${props.heartbeatWindow.toHumanString()} (one schedule period plus ` +
        'margin): the schedule, the function or its metrics are broken, and no tenant is being checked. Expected ' +
        'right after the first deployment until the first run completes.',
      metric: runsCompleted,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: shape.evaluationPeriods,
      datapointsToAlarm: shape.evaluationPeriods,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    this.addAlarm('ArchiveFailures', {
      alarmName: `${prefix}-reports-not-stored`,
      alarmDescription:
        "A run could not store a tenant's reports: the audit archive has a gap for that run (alerts were still sent).",
      metric: this.checkerMetric(CheckerMetric.ArchiveFailures, {}, Duration.hours(1), cloudwatch.Stats.SUM),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });

    for (const tenant of props.tenantNames) {
      this.addAlarm(`TenantErrors-${tenant}`, {
        alarmName: `${prefix}-tenant-errors-${tenant}`,
        alarmDescription: `Tenant ${tenant} could not be checked (unauthorized, forbidden, unreachable, timeout or bad response); see the health alert and the run report.`,
        metric: this.checkerMetric(CheckerMetric.TenantErrors, { tenant }, Duration.hours(1), cloudwatch.Stats.SUM),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }

    for (const [index, watched] of (props.deadLetterQueues ?? []).entries()) {
      this.addAlarm(`DeadLetters${index}`, {
        alarmName: `${prefix}-dead-letters-${watched.name ?? watched.queue.node.id.toLowerCase()}`,
        alarmDescription: `Messages waiting in ${watched.queue.node.path}: ${watched.meaning}.`,
        metric: watched.queue.metricApproximateNumberOfMessagesVisible({
          period: fiveMinutes,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }

    const eventWidgets = props.events ? this.addEventPathAlarms(prefix, props.timeout, props.events) : [];

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${prefix}-checker`,
      defaultInterval: Duration.days(14),
    });
    const perTenant = (title: string, metricName: string, statistic: string) =>
      new cloudwatch.GraphWidget({
        title,
        width: 8,
        left: props.tenantNames.map((tenant) =>
          this.checkerMetric(metricName, { tenant }, Duration.hours(1), statistic).with({ label: tenant }),
        ),
      });
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: this.alarms }));
    this.dashboard.addWidgets(
      perTenant('Failing findings', CheckerMetric.FailingFindings, cloudwatch.Stats.MAXIMUM),
      perTenant('New findings', CheckerMetric.NewFindings, cloudwatch.Stats.SUM),
      perTenant('Resolved findings', CheckerMetric.ResolvedFindings, cloudwatch.Stats.SUM),
    );
    this.dashboard.addWidgets(
      perTenant('Tenant errors', CheckerMetric.TenantErrors, cloudwatch.Stats.SUM),
      perTenant('Qlik API requests', CheckerMetric.ApiRequests, cloudwatch.Stats.SUM),
      perTenant('Rate limited (429)', CheckerMetric.RateLimited, cloudwatch.Stats.SUM),
    );
    this.dashboard.addWidgets(
      perTenant('Tenant check duration (ms)', CheckerMetric.TenantDurationMs, cloudwatch.Stats.MAXIMUM),
      new cloudwatch.GraphWidget({
        title: 'Runs completed',
        width: 8,
        left: [this.checkerMetric(CheckerMetric.RunsCompleted, {}, Duration.hours(1), cloudwatch.Stats.SUM)],
      }),
      new cloudwatch.GraphWidget({
        title: 'Function',
        width: 8,
        left: [errors, throttles],
        right: [duration],
      }),
    );
    if (eventWidgets.length > 0) this.dashboard.addWidgets(...eventWidgets);
    if ((props.deadLetterQueues ?? []).length > 0) {
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'Dead-letter queues',
          width: 24,
          left: (props.deadLetterQueues ?? []).map((w) =>
            w.queue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, label: w.meaning }),
          ),
        }),
      );
    }
  }

  /** Alarms of the event path; returns the dashboard widgets that show it. */
  private addEventPathAlarms(
    prefix: string,
    checkerTimeout: Duration,
    events: EventPathMonitoring,
  ): cloudwatch.IWidget[] {
    const fiveMinutes = Duration.minutes(5);
    const signatureFailures = this.checkerMetric(
      EventMetric.WebhookSignatureFailures,
      {},
      fiveMinutes,
      cloudwatch.Stats.SUM,
    );
    const threshold = events.signatureFailureThreshold ?? 10;
    this.addAlarm('WebhookSignatureFailures', {
      alarmName: `${prefix}-webhook-signature-failures`,
      alarmDescription:
        `At least ${threshold} webhook deliveries in 5 minutes had a missing or wrong Qlik-Signature and were refused ` +
        '(401). A few right after installing webhooks again are deliveries signed with the old secret; many mean ' +
        'someone is sending forged requests to the receiver URL, or a webhook secret no longer matches.',
      metric: signatureFailures,
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });

    const maxAge = eventQueueAgeThreshold(events.debounce, checkerTimeout);
    const oldest = events.queue.metricApproximateAgeOfOldestMessage({
      period: fiveMinutes,
      statistic: cloudwatch.Stats.MAXIMUM,
    });
    this.addAlarm('EventQueueAge', {
      alarmName: `${prefix}-event-queue-age`,
      alarmDescription:
        `An event has waited more than ${maxAge.toHumanString()} for its check: its debounce delay, one check ` +
        'running ahead of it and three more debounce windows have passed. The checker is not taking events from the ' +
        'queue (failing, disabled event source mapping, or overloaded).',
      metric: oldest,
      threshold: maxAge.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });

    const receiverErrors = events.receiver.metricErrors({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM });
    this.addAlarm('ReceiverErrors', {
      alarmName: `${prefix}-receiver-errors`,
      alarmDescription:
        'The webhook receiver failed (not a refused delivery: an error or timeout, e.g. it could not read a webhook ' +
        "secret or send to the queue). Qlik got a 5xx; the audit poll still covers the tenant's changes.",
      metric: receiverErrors,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    const receiverThrottles = events.receiver.metricThrottles({
      period: fiveMinutes,
      statistic: cloudwatch.Stats.SUM,
    });
    this.addAlarm('ReceiverThrottles', {
      alarmName: `${prefix}-receiver-throttles`,
      alarmDescription:
        'Requests to the receiver URL were refused with 429 because it was at its reserved concurrency: a flood of ' +
        'requests (forged ones included, as they are refused only after the signature check). The audit poll covers ' +
        'deliveries lost this way.',
      metric: receiverThrottles,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });

    // A poll that fails as a whole is a function error; one that fails for some tenants counts them in
    // AuditPollFailures and still succeeds. Either one, in three polls in a row, is a poll that is not working.
    const pollErrors = new cloudwatch.MathExpression({
      label: 'Failed polls (function errors + tenants whose poll failed)',
      expression: 'FILL(errors, 0) + FILL(tenantFailures, 0)',
      usingMetrics: {
        errors: events.poller.metricErrors({ statistic: cloudwatch.Stats.SUM }),
        tenantFailures: this.checkerMetric(EventMetric.AuditPollFailures, {}, events.auditPollInterval, 'Sum'),
      },
      period: events.auditPollInterval,
    });
    this.addAlarm('AuditPollErrors', {
      alarmName: `${prefix}-audit-poll-errors`,
      alarmDescription:
        'Three audit polls in a row failed, as a whole or for some tenant: changes that webhooks do not deliver are ' +
        "noticed only by the scheduled run until it works again. The poller's log group names the tenant and the error.",
      metric: pollErrors,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });

    return [
      new cloudwatch.GraphWidget({
        title: 'Webhook deliveries',
        width: 8,
        left: [
          this.checkerMetric(EventMetric.WebhookDeliveriesAccepted, {}, fiveMinutes, cloudwatch.Stats.SUM),
          signatureFailures,
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Event queue',
        width: 8,
        left: [oldest],
        right: [
          events.queue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM }),
          events.queue.metricApproximateNumberOfMessagesNotVisible({ statistic: cloudwatch.Stats.MAXIMUM }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Receiver and poller',
        width: 8,
        left: [receiverErrors, receiverThrottles, pollErrors],
      }),
    ];
  }

  private addAlarm(
    id: string,
    props: Omit<cloudwatch.AlarmProps, 'evaluationPeriods'> & { evaluationPeriods?: number },
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
    });
    this.alarms.push(alarm);
    return alarm;
  }

  private checkerMetric(
    metricName: string,
    dimensions: Record<string, string>,
    period: Duration,
    statistic: string,
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.namespace,
      metricName,
      dimensionsMap: { service: this.serviceName, ...dimensions },
      period,
      statistic,
    });
  }
}

/**
 * How old the oldest event may get before something is wrong: its own delivery delay, one check ahead of it (up to the
 * checker timeout, e.g. the scheduled run holding the one slot), and three more debounce windows (at least a minute
 * each) for batches of other tenants.
 */
export function eventQueueAgeThreshold(debounce: Duration, checkerTimeout: Duration): Duration {
  const window = Math.max(debounce.toSeconds(), 60);
  return Duration.seconds(debounce.toSeconds() + checkerTimeout.toSeconds() + 3 * window);
}

/**
 * Period and number of periods that cover `window` within CloudWatch's limits: periods under an hour may span one
 * day in total, longer ones seven days. All periods must be empty for the alarm to fire.
 */
export function heartbeatAlarmShape(window: Duration): { period: Duration; evaluationPeriods: number } {
  const minutes = Math.ceil(window.toMinutes({ integral: false }));
  if (minutes > 7 * 24 * 60) throw new Error(`A heartbeat window of ${minutes} minutes exceeds CloudWatch's 7 days`);
  const periodMinutes = minutes <= 24 * 60 ? 5 : 60;
  return {
    period: Duration.minutes(periodMinutes),
    evaluationPeriods: Math.max(1, Math.ceil(minutes / periodMinutes)),
  };
}
