import { Aws, Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { createTerminalQueue } from './terminal-queue';

export interface CheckScheduleProps {
  /** The function each run invokes. */
  readonly checker: lambda.IFunction;

  /** An EventBridge Scheduler `cron(...)` or `rate(...)` expression, already validated (lib/schedule-expression.ts). */
  readonly expression: string;

  /**
   * IANA time zone the cron expression is read in.
   *
   * @default 'UTC'
   */
  readonly timeZone?: string;

  /**
   * Attempts when the Scheduler cannot hand the event to Lambda.
   *
   * @default 3
   */
  readonly retryAttempts?: number;

  /**
   * How long the Scheduler keeps retrying one event.
   *
   * @default Duration.hours(1)
   */
  readonly maxEventAge?: Duration;

  /**
   * Whether the schedule starts runs (false pauses checking without removing anything).
   *
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * What one scheduled invocation does, for the schedule's and its role's descriptions.
   *
   * @default 'one check of every configured tenant'
   */
  readonly purpose?: string;
}

/**
 * Starts a run on the schedule: EventBridge Scheduler invokes the checker with `{ runId, scheduledTime }`, both the
 * scheduled time, so a delivery retry of the same run carries the same run id and the checker can tell a duplicate.
 *
 * The retry policy covers delivery to Lambda only. Lambda then runs the function asynchronously with no retries; a
 * failed run lands in the function's failure queue and the next scheduled run catches up.
 */
export class CheckSchedule extends Construct {
  readonly schedule: scheduler.Schedule;
  /** Events the Scheduler could not deliver after its retries. */
  readonly deadLetterQueue: sqs.Queue;
  /** The role the Scheduler assumes to invoke the checker and write to the dead-letter queue. */
  readonly invokeRole: iam.Role;

  constructor(scope: Construct, id: string, props: CheckScheduleProps) {
    super(scope, id);
    const purpose = props.purpose ?? 'one check of every configured tenant';
    this.deadLetterQueue = createTerminalQueue(this, 'Undelivered', 'scheduled runs the Scheduler could not deliver');

    // Our own role, so the acknowledgement below sits on the role it is about rather than on a generated one.
    this.invokeRole = new iam.Role(this, 'InvokeRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: props.purpose
        ? `qlik-access-guard schedule (${purpose}): invoke the function, dead-letter undeliverable events`
        : 'qlik-access-guard schedule: invoke the checker, dead-letter undeliverable events',
    });
    const target = new targets.LambdaInvoke(props.checker, {
      role: this.invokeRole,
      input: scheduler.ScheduleTargetInput.fromObject({
        runId: scheduler.ContextAttribute.scheduledTime,
        scheduledTime: scheduler.ContextAttribute.scheduledTime,
      }),
      retryAttempts: props.retryAttempts ?? 3,
      maxEventAge: props.maxEventAge ?? Duration.hours(1),
      deadLetterQueue: this.deadLetterQueue,
    });

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: `qlik-access-guard: ${purpose}`,
      schedule: scheduler.ScheduleExpression.expression(props.expression, TimeZone.of(props.timeZone ?? 'UTC')),
      target,
      enabled: props.enabled ?? true,
      // OFF: the run id is the scheduled time, and a flexible window would make runs drift from it.
      timeWindow: scheduler.TimeWindow.off(),
    });

    Validations.of(this.invokeRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).resolve((props.checker.node.defaultChild as lambda.CfnFunction).logicalId)}.Arn>:*]`,
      reason:
        'lambda:InvokeFunction on "<function ARN>:*" is how CDK grants invoking the versions and aliases of this one ' +
        'function; it names no other function.',
    });
  }
}
