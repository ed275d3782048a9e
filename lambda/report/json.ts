/**
 * The run report as JSON (docs/architecture.md, "Run report JSON"), and a zod schema of that contract so tests and consumers can
 * validate what they read.
 *
 * Unknown fields are accepted (and left out of the parsed value): the report is schema-versioned and "extend freely",
 * so a consumer built against 1.0.0 must still accept a report that carries fields added later. What the contract
 * does pin down is enforced: enums, timestamps, a resolved finding's drift, an error tenant naming its errors, a
 * suppressed finding naming its exception.
 */
import * as z from 'zod';
import { CHECK_ERROR_CODES } from '../errors';
import { TenantRemediationReportSchema } from '../remediation/scheduled';
import { safeJson } from '../util/tenant-text';
import { type Finding, type RunReport, SEVERITIES, SUBJECT_TYPES, type TenantReport } from './model';

const isoTimestamp = z.iso.datetime({ offset: true });
const count = z.number().int().nonnegative();

const SubjectSchema = z.object({
  type: z.enum(SUBJECT_TYPES),
  id: z.string(),
  name: z.string(),
});

export const ExceptionRecordSchema = z.object({
  rule: z.string().min(1),
  subject: z.object({
    type: SubjectSchema.shape.type.optional(),
    id: z.string().optional(),
    name: z.string().optional(),
  }),
  reason: z.string().min(1),
  owner: z.string().min(1),
  ticket: z.string().optional(),
  expires: z.string().optional(),
  created: z.string().optional(),
});

const FindingExceptionSchema = ExceptionRecordSchema.extend({ expired: z.boolean().optional() });

const findingShape = {
  id: z.string().min(1),
  tenantId: z.string().min(1),
  ruleId: z.string().min(1),
  title: z.string(),
  severity: z.enum(SEVERITIES),
  status: z.enum(['fail', 'error', 'suppressed']),
  drift: z.enum(['new', 'ongoing', 'reopened']),
  subject: SubjectSchema,
  message: z.string(),
  evidence: z.record(z.string(), z.unknown()),
  remediation: z.string(),
  compliance: z.record(z.string(), z.array(z.string())).optional(),
  firstSeen: isoTimestamp.optional(),
  lastSeen: isoTimestamp.optional(),
  resolvedAt: isoTimestamp.optional(),
  exception: FindingExceptionSchema.optional(),
};

function suppressedNeedsException(finding: { status: string; exception?: unknown }, ctx: z.RefinementCtx): void {
  if (finding.status === 'suppressed' && finding.exception === undefined) {
    ctx.addIssue({ code: 'custom', path: ['exception'], message: 'a suppressed finding must name its exception' });
  }
}

export const FindingSchema = z.object(findingShape).superRefine(suppressedNeedsException);

export const ResolvedFindingSchema = z
  .object({ ...findingShape, drift: z.literal('resolved') })
  .superRefine(suppressedNeedsException);

export const TenantSummarySchema = z.looseObject({
  failing: count,
  suppressed: count,
  errors: count,
  new: count,
  ongoing: count,
  reopened: count,
  resolved: count,
  bySeverity: z.record(z.enum(SEVERITIES), count),
  byRule: z.record(z.string(), count),
  users: count.optional(),
  groups: count.optional(),
  roles: count.optional(),
  apiKeys: count.optional(),
  requests: count.optional(),
  durationMs: z.number().nonnegative().optional(),
});

const ReportErrorSchema = z.object({ code: z.enum(CHECK_ERROR_CODES), message: z.string() });

const NotificationRecordSchema = z.object({
  eventType: z.enum(['drift', 'reminder', 'health']),
  channel: z.enum(['email', 'chat']),
  severity: z.enum(SEVERITIES),
  subject: z.string(),
});

/** Why the tenant was checked: `schedule` (every scheduled or manual run) or `event` (one tenant, on an event). */
export const CheckTriggerSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('schedule') }),
  z.object({
    kind: z.literal('event'),
    /** The event's type as its sender named it, e.g. `com.qlik.v1.user.updated`. */
    eventType: z.string().min(1),
    /** The sender's id of the event, for tracing it back. */
    eventId: z.string().min(1),
    /** When the checker received the event. */
    receivedAt: isoTimestamp,
    /** How the event reached the checker. */
    source: z.enum(['webhook', 'audit']).optional(),
  }),
  z.object({ kind: z.literal('remediation'), planId: z.string().min(1), appliedAt: isoTimestamp }),
]);

export const TenantReportSchema = z
  .object({
    tenantUrl: z.string().min(1),
    tenantId: z.string().min(1),
    tenantName: z.string().optional(),
    name: z.string().optional(),
    trigger: CheckTriggerSchema.optional(),
    status: z.enum(['ok', 'error']),
    errors: z.array(ReportErrorSchema),
    findings: z.array(FindingSchema),
    resolved: z.array(ResolvedFindingSchema),
    notifications: z.array(NotificationRecordSchema),
    exceptions: z.array(ExceptionRecordSchema),
    summary: TenantSummarySchema,
    notes: z.array(z.string()).optional(),
    reportLocation: z.string().optional(),
    remediation: TenantRemediationReportSchema.optional(),
  })
  .superRefine((tenant, ctx) => {
    // An error tenant without a reason would read as "nothing to say" — the exact silence the contract forbids.
    if (tenant.status === 'error' && tenant.errors.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['errors'], message: 'a tenant with status "error" must list its errors' });
    }
  });

export const RunReportSchema = z.object({
  schemaVersion: z.string().regex(/^\d+\.\d+\.\d+$/, 'a semantic version such as 1.0.0'),
  runId: z.string().min(1),
  startedAt: isoTimestamp,
  finishedAt: isoTimestamp,
  tool: z.object({ name: z.literal('qlik-access-guard'), version: z.string() }),
  policy: z.object({ name: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits') }),
  tenants: z.array(TenantReportSchema),
});

/** The contract as JSON Schema, for consumers outside TypeScript. */
export function runReportJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(RunReportSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

// Keep the schema and the TypeScript model in step (tsc fails here otherwise): whatever the schema accepts is a
// RunReport, and every field of the model is known to the schema. The reverse assignment cannot hold, because the
// schema is stricter than the type (a finding's drift is never "resolved", only a resolved one's is).
type Assert<T extends true> = T;
type Covers<Model, Schema> = [Exclude<keyof Model, keyof Schema>] extends [never] ? true : false;
type TenantOutput = z.output<typeof TenantReportSchema>;
export type SchemaFitsModel = Assert<z.output<typeof RunReportSchema> extends RunReport ? true : false>;
export type SchemaCoversModel = [
  Assert<Covers<RunReport, z.output<typeof RunReportSchema>>>,
  Assert<Covers<TenantReport, TenantOutput>>,
  Assert<Covers<Finding, TenantOutput['findings'][number]>>,
  Assert<Covers<NonNullable<Finding['exception']>, NonNullable<TenantOutput['findings'][number]['exception']>>>,
];

/** The contract's key order is the order the schemas declare their fields in. */
function keysOf(schema: { readonly shape: object }): string[] {
  return Object.keys(schema.shape);
}

const RUN_KEYS = keysOf(RunReportSchema);
const TENANT_KEYS = keysOf(TenantReportSchema);
const FINDING_KEYS = keysOf(FindingSchema);
const SUBJECT_KEYS = keysOf(SubjectSchema);
const EXCEPTION_KEYS = keysOf(FindingExceptionSchema);
const SUMMARY_KEYS = keysOf(TenantSummarySchema);
const ERROR_KEYS = keysOf(ReportErrorSchema);
const NOTIFICATION_KEYS = keysOf(NotificationRecordSchema);
const TOOL_KEYS = keysOf(RunReportSchema.shape.tool);
const POLICY_KEYS = keysOf(RunReportSchema.shape.policy);

type Plain = Record<string, unknown>;

/** Known keys first in contract order, then any added fields in the order they came. */
type Transforms = Partial<Record<string, (value: unknown) => unknown>>;

function ordered(source: object, keys: readonly string[], map: Transforms = {}): Plain {
  const input = source as Plain;
  const out: Plain = {};
  for (const key of keys) {
    if (input[key] === undefined) continue;
    const transform = map[key];
    out[key] = transform ? transform(input[key]) : input[key];
  }
  for (const key of Object.keys(input)) if (!(key in out) && !keys.includes(key)) out[key] = input[key];
  return out;
}

function orderException(exception: unknown): Plain {
  return ordered(exception as object, EXCEPTION_KEYS, { subject: (s) => ordered(s as object, SUBJECT_KEYS) });
}

function orderFinding(finding: Finding): Plain {
  return ordered(finding, FINDING_KEYS, {
    subject: (s) => ordered(s as object, SUBJECT_KEYS),
    exception: orderException,
  });
}

function orderSummary(summary: unknown): Plain {
  return ordered(summary as object, SUMMARY_KEYS, {
    bySeverity: (b) => ordered(b as object, SEVERITIES),
    // Rule ids are open-ended; sorting them keeps two runs' files diffable.
    byRule: (b) => ordered(b as object, Object.keys(b as object).sort()),
  });
}

function orderTenant(tenant: TenantReport): Plain {
  return ordered(tenant, TENANT_KEYS, {
    errors: (errors) => (errors as object[]).map((e) => ordered(e, ERROR_KEYS)),
    findings: (findings) => (findings as Finding[]).map(orderFinding),
    resolved: (findings) => (findings as Finding[]).map(orderFinding),
    notifications: (ns) => (ns as object[]).map((n) => ordered(n, NOTIFICATION_KEYS)),
    exceptions: (es) => (es as object[]).map(orderException),
    summary: orderSummary,
  });
}

/** JSON.stringify replacer: evidence is free-form, and a bigint there must not abort the whole run's report. */
export function bigintAsText(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * Pretty JSON with the contract's key order, whatever order the objects were built in; ends with a newline. Values
 * are the tenant's exact data; line separators, controls and bidi characters in them are written as `\u` escapes.
 */
export function renderJson(report: RunReport): string {
  const body = ordered(report, RUN_KEYS, {
    tool: (t) => ordered(t as object, TOOL_KEYS),
    policy: (p) => ordered(p as object, POLICY_KEYS),
    tenants: (tenants) => (tenants as TenantReport[]).map(orderTenant),
  });
  return `${safeJson(body, bigintAsText, 2)}\n`;
}
