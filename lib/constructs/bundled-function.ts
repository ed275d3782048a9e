/**
 * What every qlik-access-guard function shares: one Node.js 24 ARM64 bundle built with esbuild (ESM, minified, source
 * maps), the runtime config split between the code asset (`qag-config.json`) and the `QAG_CONFIG` environment
 * variable, its own log group with retention, an explicit role with nothing but what the constructs grant, JSON logs
 * and X-Ray active tracing. The checker, the webhook receiver and the audit poller are each built with
 * {@link createBundledFunction}, so they bundle and read their config the same way.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import {
  AssetStaging,
  Aws,
  CfnResource,
  Duration,
  RemovalPolicy,
  Stack,
  StringConcat,
  Token,
  Tokenization,
  Validations,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import {
  CONFIG_ENVIRONMENT_VARIABLE,
  RUNTIME_CONFIG_FILE,
  type RuntimeConfig,
  RuntimeConfigSchema,
} from '../../lambda/config/runtime';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../lambda/config/telemetry';

/**
 * Runtime config keys that name deployed resources: CloudFormation resolves them at deploy time, so they travel in the
 * environment. Every other key goes into the code asset's config file, unless its value holds a token too.
 */
export const DEPLOY_TIME_CONFIG_KEYS: readonly string[] = ['reportBucket', 'emailTopicArn', 'chatTopicArn'];
/** Where a Docker bundling container sees the folder holding the config file. */
const CONFIG_FILE_CONTAINER_DIR = '/qag-config';

/** Lambda's limit for all environment variables of a function together (names and values). */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;
/**
 * What one unresolved CloudFormation value (a bucket name, a topic ARN) may take once deployed: an SNS topic ARN with
 * a generated 256-character name is the longest. Counting every token this long keeps the size check on the safe side.
 */
export const TOKEN_SIZE_ALLOWANCE_BYTES = 320;

export type FunctionLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface SecretReference {
  /** A secret name or a secret ARN. */
  readonly secretId: string;
  /**
   * The customer-managed key the secret is encrypted with.
   *
   * @default - the secret uses the AWS managed key `aws/secretsmanager`, which needs no grant
   */
  readonly secretKmsKeyArn?: string;
}

export interface BundledFunctionProps {
  /** The handler module (exports `handler`). */
  readonly entry: string;

  /**
   * The runtime configuration. What is known at synth goes into the code asset as `qag-config.json` (so the tenant
   * count and the policy's size are not bound by Lambda's 4 KB environment); the resource names and any other value
   * CloudFormation resolves at deploy time go into the `QAG_CONFIG` environment variable (JSON).
   */
  readonly runtimeConfig: RuntimeConfig;

  /** What the function is, for its role's and the function's descriptions. */
  readonly description: string;

  /**
   * Memory in MiB (CPU scales with it).
   *
   * @default 512
   */
  readonly memorySize?: number;

  /**
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
  readonly logLevel?: FunctionLogLevel;

  /**
   * Bundle with esbuild on this machine, never in Docker.
   *
   * @default true
   */
  readonly localBundling?: boolean;

  /**
   * Further function settings (concurrency, async invocation), applied as given.
   *
   * @default - none
   */
  readonly functionProps?: Partial<
    Pick<
      nodejs.NodejsFunctionProps,
      'reservedConcurrentExecutions' | 'retryAttempts' | 'maxEventAge' | 'onFailure' | 'description'
    >
  >;
}

export interface BundledFunction {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** The environment the function receives, before CloudFormation resolves it. */
  readonly environment: Readonly<Record<string, string>>;
  /** The runtime config shipped in the code asset as `qag-config.json`. */
  readonly staticConfig: Readonly<Record<string, unknown>>;
  /** The file on this machine that bundling copies into the code asset; named by its content's hash. */
  readonly staticConfigFile: string;
}

/**
 * Creates `Logs`, `Role` and `Function` in `scope` (ids kept stable: they name the deployed resources). The role gets
 * write access to its own log group only; X-Ray active tracing adds the two `xray:Put*` actions, acknowledged here.
 */
export function createBundledFunction(scope: Construct, props: BundledFunctionProps): BundledFunction {
  const runtimeConfig = RuntimeConfigSchema.parse(props.runtimeConfig);
  const logLevel = props.logLevel ?? 'INFO';
  const { staticConfig, deployTimeConfig } = splitRuntimeConfig(scope, runtimeConfig);
  const staticConfigFile = writeStaticConfigFile(staticConfig);

  const environment = {
    [CONFIG_ENVIRONMENT_VARIABLE]: JSON.stringify(deployTimeConfig),
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    POWERTOOLS_LOG_LEVEL: logLevel,
    NODE_OPTIONS: '--enable-source-maps',
  };
  assertEnvironmentFits(scope, environment);

  const logGroup = new logs.LogGroup(scope, 'Logs', {
    retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.RETAIN,
  });

  // An explicit role instead of the default one: the default attaches AWSLambdaBasicExecutionRole, which may
  // create any log group and write to all of them.
  const role = new iam.Role(scope, 'Role', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: props.description,
  });
  logGroup.grantWrite(role);

  const fn = new nodejs.NodejsFunction(scope, 'Function', {
    entry: props.entry,
    handler: 'handler',
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySize ?? 512,
    timeout: props.timeout ?? Duration.minutes(10),
    description: props.description,
    role,
    logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    applicationLogLevelV2: lambda.ApplicationLogLevel[logLevel],
    systemLogLevelV2: lambda.SystemLogLevel.INFO,
    tracing: lambda.Tracing.ACTIVE,
    ...props.functionProps,
    environment: {
      ...environment,
      [CONFIG_ENVIRONMENT_VARIABLE]: Stack.of(scope).toJsonString(deployTimeConfig),
    },
    bundling: {
      minify: true,
      sourceMap: true,
      sourcesContent: false,
      target: 'node24',
      format: nodejs.OutputFormat.ESM,
      mainFields: ['module', 'main'],
      // Some dependencies are CommonJS and call require() for Node built-ins; ESM output has no require of its own.
      banner:
        "import { createRequire as __qagCreateRequire } from 'node:module'; const require = __qagCreateRequire(import.meta.url);",
      forceDockerBundling: !(props.localBundling ?? true),
      // The file's path is part of these commands, and with it its content hash: CDK keys its in-process bundle
      // cache on the commands, and the asset hash (of the bundled output) covers the copied file.
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        afterBundling: (inputDir, outputDir) => [
          `cp ${shellQuote(staticConfigSource(staticConfigFile, inputDir))} ${shellQuote(`${outputDir}/${RUNTIME_CONFIG_FILE}`)}`,
        ],
      },
      volumes: [{ hostPath: dirname(staticConfigFile), containerPath: CONFIG_FILE_CONTAINER_DIR }],
    },
  });

  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Only xray:PutTraceSegments and xray:PutTelemetryRecords use Resource "*" (added by active tracing): X-Ray ' +
      'defines no resource types for them, so no narrower resource exists.',
  });
  return { function: fn, role, logGroup, environment, staticConfig, staticConfigFile };
}

/**
 * Lets `role` read exactly the given secrets: `secretsmanager:GetSecretValue` on each secret's ARN (names become
 * partial ARNs ending in `-??????`, the random suffix Secrets Manager adds), and `kms:Decrypt` on a secret's own key
 * only through Secrets Manager. The statements are named `Read<what>` and `Decrypt<what>`, e.g. `ReadTenantSecrets`.
 */
export function grantReadSecrets(role: iam.IRole, secrets: readonly SecretReference[], what: string): void {
  if (secrets.length === 0) return;
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: `Read${what}`,
      actions: ['secretsmanager:GetSecretValue'],
      resources: [...new Set(secrets.map((s) => tenantSecretArn(s.secretId)))],
    }),
  );
  const keys = [...new Set(secrets.flatMap((s) => (s.secretKmsKeyArn ? [s.secretKmsKeyArn] : [])))];
  if (keys.length > 0) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: `Decrypt${what}`,
        actions: ['kms:Decrypt'],
        resources: keys,
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
      }),
    );
  }
}

/**
 * The ARN pattern IAM needs for a secret: a full ARN as given; a partial ARN or a bare name gets `-??????` (six
 * characters that Secrets Manager appends), which matches that one secret and no other name.
 */
export function tenantSecretArn(secretId: string): string {
  if (secretId.startsWith('arn:')) return /-[A-Za-z0-9]{6}$/.test(secretId) ? secretId : `${secretId}-??????`;
  return `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${secretId}-??????`;
}

/**
 * Splits the runtime config into what goes into the code asset (known at synth) and what goes into `QAG_CONFIG`
 * (resource names, and any value holding a token CloudFormation resolves at deploy time).
 */
export function splitRuntimeConfig(
  scope: Construct,
  config: RuntimeConfig,
): { staticConfig: Record<string, unknown>; deployTimeConfig: Record<string, unknown> } {
  const stack = Stack.of(scope);
  const staticConfig: Record<string, unknown> = {};
  const deployTimeConfig: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    const holdsToken = JSON.stringify(stack.resolve(value)) !== JSON.stringify(value);
    (DEPLOY_TIME_CONFIG_KEYS.includes(key) || holdsToken ? deployTimeConfig : staticConfig)[key] = value;
  }
  return { staticConfig, deployTimeConfig };
}

/**
 * Writes the config file into a folder of its own under the temp directory, named by the content's hash: the same
 * config always gets the same path (one bundle per config in a process), a different one never does.
 */
function writeStaticConfigFile(staticConfig: Readonly<Record<string, unknown>>): string {
  const content = `${JSON.stringify(staticConfig, null, 2)}\n`;
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 32);
  const dir = join(tmpdir(), `qag-config-${hash}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, RUNTIME_CONFIG_FILE);
  writeFileSync(file, content);
  return file;
}

/** The config file as the bundling commands see it: on this machine, or mounted into the Docker container. */
function staticConfigSource(hostFile: string, inputDir: string): string {
  return inputDir === AssetStaging.BUNDLING_INPUT_DIR ? `${CONFIG_FILE_CONTAINER_DIR}/${basename(hostFile)}` : hostFile;
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export class EnvironmentTooLargeError extends Error {
  override readonly name = 'EnvironmentTooLargeError';
  constructor(
    readonly estimatedBytes: number,
    readonly largest: string,
  ) {
    super(
      `The function's environment would take about ${estimatedBytes} bytes, over Lambda's limit of ` +
        `${LAMBDA_ENVIRONMENT_LIMIT_BYTES} bytes for all variables together; ${largest} is the largest. The ` +
        'environment carries only values CloudFormation resolves at deploy time (resource names, anything holding ' +
        `a token); tenants, policy and settings go into the code asset as ${RUNTIME_CONFIG_FILE}. Pass such ` +
        'values as plain strings where possible.',
    );
  }
}

/**
 * Bytes the environment takes once deployed (names plus values, UTF-8). An unresolved value counts as the longest it
 * can resolve to: a pseudo parameter's longest value, a bucket name 63, anything else (ARNs)
 * {@link TOKEN_SIZE_ALLOWANCE_BYTES}.
 */
export function estimateEnvironmentBytes(scope: Construct, environment: Readonly<Record<string, string>>): number {
  let total = 0;
  for (const [name, value] of Object.entries(environment)) {
    total += Buffer.byteLength(name) + estimateValueBytes(scope, value);
  }
  return total;
}

const PSEUDO_PARAMETER_BYTES: Record<string, number> = {
  'AWS::Region': 20,
  'AWS::Partition': 13,
  'AWS::AccountId': 12,
  'AWS::URLSuffix': 20,
  'AWS::StackName': 128,
};
const BUCKET_NAME_BYTES = 63;

function estimateValueBytes(scope: Construct, value: string): number {
  if (!Token.isUnresolved(value)) return Buffer.byteLength(value);
  const stack = Stack.of(scope);
  const fragments = Tokenization.reverseString(value);
  const placeholders = fragments.tokens.map((token) => tokenBytes(stack, token));
  const literal = fragments.mapTokens({ mapToken: () => '' }).join(new StringConcat()) as string;
  return Buffer.byteLength(literal) + placeholders.reduce((sum, n) => sum + n, 0);
}

function tokenBytes(stack: Stack, token: unknown): number {
  const resolved = stack.resolve(token) as { Ref?: unknown } | undefined;
  const ref = typeof resolved === 'object' && resolved !== null ? resolved.Ref : undefined;
  if (typeof ref === 'string') {
    if (ref in PSEUDO_PARAMETER_BYTES) return PSEUDO_PARAMETER_BYTES[ref] as number;
    const target = stack.node
      .findAll()
      .find((c): c is CfnResource => CfnResource.isCfnResource(c) && stack.resolve(c.logicalId) === ref);
    if (target?.cfnResourceType === 'AWS::S3::Bucket') return BUCKET_NAME_BYTES;
  }
  return TOKEN_SIZE_ALLOWANCE_BYTES;
}

function assertEnvironmentFits(scope: Construct, environment: Readonly<Record<string, string>>): void {
  const estimated = estimateEnvironmentBytes(scope, environment);
  if (estimated <= LAMBDA_ENVIRONMENT_LIMIT_BYTES) return;
  const sizes = Object.entries(environment).map(([name, value]) => [name, estimateValueBytes(scope, value)] as const);
  const largest = sizes.sort((a, b) => b[1] - a[1])[0];
  throw new EnvironmentTooLargeError(estimated, largest?.[0] ?? CONFIG_ENVIRONMENT_VARIABLE);
}
