/**
 * The deploy config: one YAML (or JSON) file chosen with `cdk synth -c config=path`, validated at synth.
 *
 * Everything Ops may change without touching code lives here. Its runtime part becomes the function's
 * `RuntimeConfig` (lambda/config/runtime.ts); the rest sizes and wires the infrastructure.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { RuntimeConfigSchema, TenantConfigSchema } from '../lambda/config/runtime';
import { InputError } from '../lambda/errors';
import { SEVERITIES } from '../lambda/report/model';
import { parseDocumentText } from '../lambda/util/document';
import { inputErrorsOf } from '../lambda/util/zod-input';
import { parseScheduleExpression, ScheduleExpressionError } from './schedule-expression';

export const EXAMPLE_CONFIG_FILE = fileURLToPath(new URL('./config/example.config.yaml', import.meta.url));

/** Retention values CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** CloudWatch alarms look back at most seven days; the heartbeat must fit in that. */
export const MAX_HEARTBEAT_WINDOW_MINUTES = 7 * 24 * 60;

const SeveritySchema = z.enum(SEVERITIES, { error: `one of ${SEVERITIES.join(', ')}` });

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

const SecretIdSchema = z
  .string()
  .refine((id) => SECRET_ARN.test(id) || (!id.startsWith('arn:') && SECRET_NAME.test(id)), {
    error: 'a Secrets Manager secret name (letters, digits and /_+=.@-) or a secret ARN',
  });

const DeployTenantSchema = TenantConfigSchema.extend({
  secretId: SecretIdSchema,
  /**
   * The secret holding this tenant's webhook secret (`{"secret": "..."}`, written by `webhooks install --secret-id`).
   * Its own secret, not a field of the credential's: the webhook receiver may read it and nothing else. Omitted = no
   * webhook for this tenant; the audit poll alone triggers its event checks.
   */
  webhookSecretId: SecretIdSchema.optional(),
  /** The customer-managed KMS key that encrypts the tenant's secrets, if it is not the AWS managed key. */
  secretKmsKeyArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/,
      'a KMS key ARN (arn:aws:kms:region:account:key/id)',
    )
    .optional(),
})
  .strict()
  .refine((tenant) => tenant.webhookSecretId === undefined || tenant.webhookSecretId !== tenant.secretId, {
    path: ['webhookSecretId'],
    error: 'a secret other than secretId: the webhook receiver may read the webhook secret, never the Qlik credential',
  });

const EmailRecipientSchema = z
  .object({
    address: z.email({ error: 'an email address' }),
    /** Only alerts at or above this severity. Omitted = every alert. */
    minSeverity: SeveritySchema.optional(),
    /** Health alerts (the checker cannot do its job) and CloudWatch alarms regardless of `minSeverity`. */
    includeHealth: z.boolean().default(true),
  })
  .strict();

const SlackSchema = z
  .object({
    /** Chatbot's id for the Slack workspace (console: Chatbot → configured clients), e.g. T0123ABCD. */
    workspaceId: z.string().regex(/^[A-Z0-9]{9,15}$/, 'a Slack workspace id such as T0123ABCD'),
    /** The Slack channel id (channel details → About), e.g. C0123ABCD. */
    channelId: z.string().regex(/^[A-Z0-9]{9,15}$/, 'a Slack channel id such as C0123ABCD'),
    minSeverity: SeveritySchema.optional(),
    loggingLevel: z.enum(['ERROR', 'INFO', 'NONE'], { error: 'ERROR, INFO or NONE' }).default('ERROR'),
  })
  .strict();

const ScheduleSchema = z
  .object({
    expression: z.string().superRefine((text, ctx) => {
      try {
        parseScheduleExpression(text);
      } catch (error) {
        if (!(error instanceof ScheduleExpressionError)) throw error;
        ctx.addIssue({ code: 'custom', message: error.expected });
      }
    }),
    timeZone: z
      .string()
      .default('UTC')
      .refine(isTimeZone, { error: 'an IANA time zone such as Europe/Berlin, America/New_York or UTC' }),
    /** Scheduler retries when it cannot hand the event to Lambda (not when the function fails: see docs/architecture.md, "The flow"). */
    retryAttempts: z.number().int().min(0).max(185).default(3),
    maxEventAgeMinutes: z.number().int().min(1).max(1440).default(60),
  })
  .strict();

const ReportsSchema = z
  .object({
    /** Object Lock COMPLIANCE retention: nobody, root included, can delete or overwrite a report for this long. */
    retentionDays: z.number().int().min(1).max(36_500),
    transitionAfterDays: z.number().int().min(0).max(36_500).default(90),
    storageClass: z.enum(['STANDARD_IA', 'INTELLIGENT_TIERING']).default('STANDARD_IA'),
    /** Prefix for "open the report" links in alerts. Omitted = the S3 console page of the run's folder. */
    linkBase: z.url({ protocol: /^https$/, error: 'an https URL' }).optional(),
  })
  .strict()
  .superRefine((reports, ctx) => {
    if (reports.storageClass === 'STANDARD_IA' && reports.transitionAfterDays < 30) {
      ctx.addIssue({
        code: 'custom',
        path: ['transitionAfterDays'],
        message: 'at least 30: S3 moves objects to STANDARD_IA only after 30 days (or use INTELLIGENT_TIERING)',
      });
    }
  });

const FunctionSchema = z
  .object({
    memoryMiB: z.number().int().min(128).max(10_240).default(512),
    timeoutSeconds: z.number().int().min(30).max(900).default(600),
    logRetentionDays: z
      .number()
      .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
        error: `one of ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .default(90),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  })
  .strict();

/**
 * Event-triggered checks (docs/events.md, "AWS infrastructure"): a webhook receiver behind a Lambda Function URL and
 * an audit poller enqueue tenants on an SQS FIFO queue that the checker consumes.
 */
const EventsSchema = z
  .object({
    enabled: z.boolean().default(false),
    /**
     * The queue's delivery delay: a burst of events for one tenant within this window gives one check. SQS allows
     * 0 to 900 seconds.
     */
    debounceSeconds: z.number().int().min(0).max(900).default(20),
    /** How often the audit poller reads each tenant's audit events (one request per tenant per poll). */
    auditPollMinutes: z.number().int().min(1).max(60).default(5),
    /**
     * The receiver's reserved concurrency: deliveries beyond it are refused with 429 before any code runs, which bounds
     * what a flood of (forged) requests can cost. A verified delivery takes milliseconds.
     */
    receiverConcurrency: z.number().int().min(1).max(100).default(5),
    /** Receives of one queue message before it moves to the dead-letter queue. */
    maxReceiveCount: z.number().int().min(1).max(1000).default(5),
    /** Signature failures within five minutes that raise the alarm (a few are a secret rotation; many a probe). */
    signatureFailureAlarmThreshold: z.number().int().min(1).max(100_000).default(10),
  })
  .strict();

export const DeployConfigSchema = z
  .object({
    /** CloudFormation stack name. */
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'a stack name: a letter, then letters, digits or dashes')
      .default('QlikAccessGuard'),
    tenants: z.array(DeployTenantSchema).min(1, 'at least one tenant'),
    /** A policy file, relative to this config file. Omitted = the built-in default policy. */
    policyFile: z.string().min(1).optional(),
    schedule: ScheduleSchema,
    reports: ReportsSchema,
    alerts: z
      .object({
        email: z.array(EmailRecipientSchema).default([]),
        slack: SlackSchema.optional(),
      })
      .strict(),
    function: FunctionSchema.default(FunctionSchema.parse({})),
    events: EventsSchema.default(EventsSchema.parse({})),
    // The checker's own bounds and defaults: the deploy config passes these through unchanged.
    tenantConcurrency: RuntimeConfigSchema.shape.tenantConcurrency,
    tenantDeadlineSeconds: RuntimeConfigSchema.shape.tenantDeadlineSeconds,
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.tenants.forEach((tenant, index) => {
      if (seen.has(tenant.name)) {
        ctx.addIssue({ code: 'custom', path: ['tenants', index, 'name'], message: 'a name no other tenant has' });
      }
      seen.add(tenant.name);
    });
    if (config.alerts.email.length === 0 && !config.alerts.slack) {
      ctx.addIssue({
        code: 'custom',
        path: ['alerts'],
        message: 'at least one email address or a slack channel, so that alerts reach someone',
      });
    }
    if (config.tenantDeadlineSeconds >= config.function.timeoutSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['tenantDeadlineSeconds'],
        message: `less than function.timeoutSeconds (${config.function.timeoutSeconds}), so a slow tenant ends as an error before the function is killed`,
      });
    }
    let window: number | undefined;
    try {
      window = heartbeatWindowMinutes(config);
    } catch (error) {
      if (!(error instanceof ScheduleExpressionError)) throw error;
      return; // already reported on schedule.expression
    }
    if (window > MAX_HEARTBEAT_WINDOW_MINUTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['schedule', 'expression'],
        message:
          `a schedule that runs more often: the heartbeat alarm would need ${Math.ceil(window / 60)} hours without a ` +
          'run, but CloudWatch alarms look back at most 7 days (168 hours, margin included)',
      });
    }
  });

export type DeployConfig = z.infer<typeof DeployConfigSchema>;
export type DeployTenant = z.infer<typeof DeployTenantSchema>;
export type EventsConfig = z.infer<typeof EventsSchema>;
export type EmailRecipient = z.infer<typeof EmailRecipientSchema>;
export type SlackConfig = z.infer<typeof SlackSchema>;

/**
 * How long without a completed run means the checker is broken: the longest gap between scheduled runs, plus the
 * function timeout (a run reports completion at its end), plus the Scheduler's retry window, plus an hour for a
 * daylight-saving shift.
 */
export function heartbeatWindowMinutes(config: Pick<DeployConfig, 'schedule' | 'function'>): number {
  const { maxIntervalMinutes } = parseScheduleExpression(config.schedule.expression);
  return maxIntervalMinutes + Math.ceil(config.function.timeoutSeconds / 60) + config.schedule.maxEventAgeMinutes + 60;
}

/** Every problem in a deploy config file, each naming the file, the path inside it and what was expected. */
export class DeployConfigError extends Error {
  override readonly name = 'DeployConfigError';
  constructor(
    readonly file: string,
    readonly problems: readonly InputError[],
  ) {
    super(`Invalid deploy config:\n${problems.map((p) => `  ${p.message}`).join('\n')}`);
  }
}

/** Reads, parses and validates a deploy config file. Throws {@link DeployConfigError}. */
export function loadDeployConfig(file: string): DeployConfig {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DeployConfigError(path, [new InputError(path, '', 'a readable deploy config file', { cause: error })]);
  }
  return parseDeployConfig(text, path);
}

export function parseDeployConfig(text: string, file: string): DeployConfig {
  let document: unknown;
  try {
    document = parseDocumentText(text, file);
  } catch (error) {
    throw new DeployConfigError(file, [error as InputError]);
  }
  const result = DeployConfigSchema.safeParse(document ?? {}, { reportInput: true });
  if (!result.success) {
    throw new DeployConfigError(
      file,
      inputErrorsOf(file, result.error, DeployConfigSchema, { path: { quoteOddKeys: false } }),
    );
  }
  return result.data;
}

/** Absolute path of the configured policy file, resolved against the config file's folder. */
export function policyFilePath(config: DeployConfig, configFile: string): string | undefined {
  return config.policyFile === undefined ? undefined : resolve(dirname(configFile), config.policyFile);
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
