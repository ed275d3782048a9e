/**
 * The checker's runtime configuration: one JSON document, validated by this schema both at synth (by the CDK app,
 * which builds it from the deploy config) and at cold start (by the Lambda handler). The deployed function gets it in
 * two parts: what is known at synth (tenants, policy, settings) in {@link RUNTIME_CONFIG_FILE} beside the handler in
 * the code asset, and what CloudFormation resolves at deploy time (bucket and topic names) in the `QAG_CONFIG`
 * environment variable, which Lambda limits to 4 KB together with the other variables.
 */
import * as z from 'zod';
import { REMEDIATION_OFF, TenantRemediationSchema } from '../remediation/scheduled';
import { SEVERITIES } from '../report/model';

/** The part of the runtime config known at synth, as a JSON file next to the bundled handler. */
export const RUNTIME_CONFIG_FILE = 'qag-config.json';
/** The environment variable with the part of the runtime config CloudFormation resolves at deploy time. */
export const CONFIG_ENVIRONMENT_VARIABLE = 'QAG_CONFIG';

export const TenantConfigSchema = z
  .object({
    /** A short name for people (email subjects, dashboards). */
    name: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash or underscore'),
    /** Tenant base URL, e.g. https://acme.eu.qlikcloud.com */
    url: z
      .url({ protocol: /^https$/, error: 'an https URL such as https://acme.eu.qlikcloud.com' })
      .refine((url) => !/^[a-z]+:\/\/[^/]*@/i.test(url), {
        message: 'a URL without a user name or password (credentials belong in the tenant secret)',
      }),
    /** Secrets Manager secret id or ARN holding `{ "apiKey" }` or `{ "clientId", "clientSecret" }`. */
    secretId: z.string().min(1),
    /** Custom domains (besides *.qlikcloud.com) the credential may be sent to. */
    allowedHosts: z.array(z.string().min(1)).default([]),
    /**
     * Secrets Manager secret id or ARN holding the tenant's webhook secret as `{ "secret": "…" }`, as
     * `webhooks install --secret-id` writes it (a `webhookSecret` field is read too). Omitted = the receiver answers 404
     * for this tenant and only the audit poll feeds its event checks (docs/events.md).
     */
    webhookSecretId: z.string().min(1).optional(),
    /** Plan or apply the Manage API keys migration (lambda/remediation/scheduled.ts). @default { mode: 'off' } */
    remediation: TenantRemediationSchema.default(REMEDIATION_OFF),
  })
  .strict();

/** Where an event's message goes and how events become checks (docs/events.md, "In AWS"). */
export const EventsConfigSchema = z
  .object({
    /** URL of the SQS FIFO queue the receiver and the audit poller send to and the checker consumes. */
    queueUrl: z.string().min(1),
    /**
     * The queue's delivery delay, so a burst of events for one tenant arrives after it settled. The checker reads it
     * only to describe itself; the queue (CDK) applies it.
     */
    debounceSeconds: z.number().int().min(0).max(900).default(20),
    /** How often EventBridge Scheduler invokes the audit poller; also how far back a poll without a cursor looks. */
    auditPollMinutes: z.number().int().min(1).max(60).default(5),
    /** Key prefix in the report bucket of the poller's cursor per tenant. */
    cursorPrefix: z
      .string()
      .regex(/^(?:[A-Za-z0-9._=-]+\/)+$/, 'a key prefix of "/"-separated segments ending with "/"')
      .default('events/audit-cursor/'),
  })
  .strict();

export const RuntimeConfigSchema = z
  .object({
    tenants: z
      .array(TenantConfigSchema)
      .min(1, 'at least one tenant')
      .refine((tenants) => new Set(tenants.map((t) => t.name)).size === tenants.length, {
        message: "unique tenant names (a name keys the tenant's drift state and metrics)",
      }),
    /** The policy document (as parsed from YAML); validated with the policy schema. Omitted = the default policy. */
    policy: z.record(z.string(), z.unknown()).optional(),
    reportBucket: z.string().min(3),
    emailTopicArn: z.string().min(1),
    chatTopicArn: z.string().min(1).optional(),
    /**
     * The deployed schedule (EventBridge Scheduler expression and time zone), recorded in every archived run's manifest
     * so `evidence` knows which runs were expected (docs/evidence.md). Omitted = not recorded.
     */
    schedule: z.object({ expression: z.string().min(1).max(256), timeZone: z.string().min(1).max(64) }).optional(),
    /**
     * Chat messages below this severity are not sent. Chatbot subscribes to the chat topic itself, so no SNS filter
     * policy can do this for it. Health alerts always go through. Omitted = every chat message is sent.
     */
    chatMinSeverity: z.enum(SEVERITIES).optional(),
    /** Tenants checked at once. */
    tenantConcurrency: z.number().int().min(1).max(50).default(4),
    /** Upper bound for one tenant's check; the function's remaining time bounds it too. */
    tenantDeadlineSeconds: z.number().int().min(5).max(900).default(240),
    /** Link target for "open the report" in alerts, e.g. an S3 console URL prefix. */
    reportLinkBase: z.string().optional(),
    /** The event path (receiver, audit poller, queue); omitted = scheduled runs only. */
    events: EventsConfigSchema.optional(),
  })
  .strict();

export type TenantConfig = z.infer<typeof TenantConfigSchema>;
export type RuntimeConfig = z.infer<typeof RuntimeConfigSchema>;
export type EventsConfig = z.infer<typeof EventsConfigSchema>;
