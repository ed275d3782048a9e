import { fileURLToPath } from 'node:url';
import { Duration, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { RuntimeConfig } from '../../lambda/config/runtime';
import {
  createBundledFunction,
  type FunctionLogLevel,
  grantReadSecrets,
  type SecretReference,
} from './bundled-function';
import { createTerminalQueue } from './terminal-queue';

/** The handler module (exports `handler`). */
export const DEFAULT_HANDLER_ENTRY = fileURLToPath(new URL('../../lambda/handler.ts', import.meta.url));

export type CheckerLogLevel = FunctionLogLevel;
export type TenantSecretReference = SecretReference;

export interface CheckerFunctionProps {
  /**
   * The checker's runtime configuration. What is known at synth goes into the code asset as `qag-config.json` (so
   * the tenant count and the policy's size are not bound by Lambda's 4 KB environment); the resource names and any
   * other value CloudFormation resolves at deploy time go into the `QAG_CONFIG` environment variable (JSON).
   */
  readonly runtimeConfig: RuntimeConfig;

  /**
   * The handler module.
   *
   * @default lambda/handler.ts of this project
   */
  readonly entry?: string;

  /**
   * Memory in MiB (CPU scales with it).
   *
   * @default 512
   */
  readonly memorySize?: number;

  /**
   * Upper bound of one run over all tenants; the duration alarm fires at 80% of it.
   *
   * @default Duration.minutes(10)
   */
  readonly timeout?: Duration;

  /**
   * How long the function's own log group keeps logs.
   *
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Powertools log level (`POWERTOOLS_LOG_LEVEL`) and Lambda's application log level.
   *
   * @default 'INFO'
   */
  readonly logLevel?: CheckerLogLevel;

  /**
   * How long Lambda keeps trying to start a throttled invocation (reserved concurrency is 1, so a run waits for the
   * previous one) before it goes to the failure queue.
   *
   * @default Duration.hours(1)
   */
  readonly maxEventAge?: Duration;

  /**
   * The function description (the stack puts the policy name and hash here).
   *
   * @default - a description naming the service
   */
  readonly description?: string;

  /**
   * Bundle with esbuild on this machine, never in Docker.
   *
   * @default true
   */
  readonly localBundling?: boolean;
}

/**
 * The checker: one Node.js 24 ARM64 function, bundled and minified with source maps, its own log group with
 * retention, at most one run at a time (reserved concurrency 1), no async retries (the run id is the scheduled time,
 * and a retry could alert twice), failed invocations kept in an encrypted SQS queue, X-Ray active tracing, and a role
 * holding nothing but what the constructs grant it.
 *
 * One run at a time is also what keeps checks of the same tenant from interleaving its drift state: the scheduled
 * run and the event checks it takes from the event queue (lib/constructs/event-intake.ts) share the one slot.
 */
export class CheckerFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** Invocations that failed (after zero retries) or expired in Lambda's async queue. */
  readonly failureQueue: sqs.Queue;
  /** The environment the function receives, before CloudFormation resolves it. */
  readonly environment: Readonly<Record<string, string>>;
  /** The runtime config shipped in the code asset as `qag-config.json`. */
  readonly staticConfig: Readonly<Record<string, unknown>>;
  /** The file on this machine that bundling copies into the code asset; named by its content's hash. */
  readonly staticConfigFile: string;

  constructor(scope: Construct, id: string, props: CheckerFunctionProps) {
    super(scope, id);
    this.failureQueue = createTerminalQueue(this, 'FailedRuns', 'checker runs that failed or could not start');
    const built = createBundledFunction(this, {
      entry: props.entry ?? DEFAULT_HANDLER_ENTRY,
      runtimeConfig: props.runtimeConfig,
      description: 'qlik-access-guard checker function',
      ...(props.memorySize !== undefined ? { memorySize: props.memorySize } : {}),
      timeout: props.timeout ?? Duration.minutes(10),
      ...(props.logRetention !== undefined ? { logRetention: props.logRetention } : {}),
      ...(props.logLevel !== undefined ? { logLevel: props.logLevel } : {}),
      ...(props.localBundling !== undefined ? { localBundling: props.localBundling } : {}),
      functionProps: {
        description: props.description ?? 'qlik-access-guard: checks Qlik Cloud tenants against the access policy',
        reservedConcurrentExecutions: 1,
        retryAttempts: 0,
        maxEventAge: props.maxEventAge ?? Duration.hours(1),
        onFailure: new destinations.SqsDestination(this.failureQueue),
      },
    });
    this.function = built.function;
    this.role = built.role;
    this.logGroup = built.logGroup;
    this.environment = built.environment;
    this.staticConfig = built.staticConfig;
    this.staticConfigFile = built.staticConfigFile;

    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Asynchronous failures go to an on-failure destination (EventInvokeConfig → encrypted SQS), which records the ' +
        'request and the error; a DeadLetterConfig would deliver the same failed event a second time.',
    });
  }

  /**
   * Lets the function read exactly the given tenant secrets: `secretsmanager:GetSecretValue` on each secret's ARN
   * (names become partial ARNs ending in `-??????`, the random suffix Secrets Manager adds), and `kms:Decrypt` on a
   * secret's own key only through Secrets Manager.
   */
  grantReadTenantSecrets(secrets: readonly TenantSecretReference[]): void {
    grantReadSecrets(this.role, secrets, 'TenantSecrets');
  }
}
