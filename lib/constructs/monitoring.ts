import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CheckerMetric, METRICS_NAMESPACE, SERVICE_NAME } from '../../lambda/config/telemetry';

export interface WatchedQueue {
  readonly queue: sqs.IQueue;
  /** What a message in this queue means, for the alarm description. */
  readonly meaning: string;
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
    this.addAlarm('FunctionThrottles', {
      alarmName: `${prefix}-function-throttles`,
      alarmDescription: 'A run could not start because another was still running (reserved concurrency is 1).',
      metric: throttles,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
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
        alarmName: `${prefix}-dead-letters-${watched.queue.node.id.toLowerCase()}`,
        alarmDescription: `Messages waiting in ${watched.queue.node.path}: ${watched.meaning}.`,
        metric: watched.queue.metricApproximateNumberOfMessagesVisible({
          period: fiveMinutes,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }

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
