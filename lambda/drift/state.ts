/**
 * Drift state of one tenant: what every finding looked like when it was last seen, who held the deprecated Developer
 * role, and a short run history. Saved after each successful check and read back by the next run, so alerts can say
 * what changed instead of repeating everything.
 */
import * as z from 'zod';
import { InputError } from '../errors';
import { SEVERITIES, SUBJECT_TYPES } from '../report/model';
import { formatPath } from '../util/path';
import { inputErrorOf } from '../util/zod-input';

export const STATE_SCHEMA_VERSION = 1;
/** Runs kept in `history`: enough for a month of daily runs. */
export const HISTORY_LIMIT = 30;

const isoDateTime = z.iso.datetime({ offset: true, error: 'an ISO 8601 date-time' });

const ExceptionSummarySchema = z.object({
  rule: z.string(),
  subject: z.object({
    type: z.enum(SUBJECT_TYPES).optional(),
    id: z.string().optional(),
    name: z.string().optional(),
  }),
  reason: z.string(),
  owner: z.string(),
  ticket: z.string().optional(),
  expires: z.string().optional(),
  created: z.string().optional(),
});

const FindingStateSchema = z.object({
  ruleId: z.string().min(1),
  severity: z.enum(SEVERITIES),
  subject: z.object({ type: z.enum(SUBJECT_TYPES), id: z.string(), name: z.string() }),
  firstSeen: isoDateTime,
  lastSeen: isoDateTime,
  lastStatus: z.enum(['fail', 'suppressed', 'resolved']),
  /** The last message, so a resolved finding can still say what was wrong. */
  message: z.string().optional(),
  lastAlertedAt: isoDateTime.optional(),
  resolvedAt: isoDateTime.optional(),
  suppressedBy: ExceptionSummarySchema.optional(),
});

const PrincipalSightingSchema = z.object({ name: z.string(), lastSeen: isoDateTime });

const RunSummarySchema = z.object({
  runId: z.string().min(1),
  at: isoDateTime,
  failing: z.number().int().nonnegative(),
  new: z.number().int().nonnegative(),
  resolved: z.number().int().nonnegative(),
  suppressed: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
});

export const TenantStateSchema = z.object({
  schemaVersion: z.literal(STATE_SCHEMA_VERSION, { error: `state schema version ${STATE_SCHEMA_VERSION}` }),
  tenantId: z.string().min(1),
  findings: z.record(z.string(), FindingStateSchema),
  formerDevelopers: z.object({
    users: z.record(z.string(), PrincipalSightingSchema),
    groups: z.record(z.string(), PrincipalSightingSchema),
  }),
  history: z.array(RunSummarySchema).max(HISTORY_LIMIT),
  lastReminderAt: isoDateTime.optional(),
  /** Last time a warning about the checker's own credential expiring was sent (one a day at most). */
  lastCredentialWarningAt: isoDateTime.optional(),
  lastRunId: z.string().optional(),
  /** The last plan the scheduled checker applied (remediation mode apply): its findings resolve "by plan" later. */
  lastRemediation: z.object({ planId: z.string(), appliedAt: isoDateTime, resolves: z.array(z.string()) }).optional(),
  /** The last health alert sent because the tenant could not be checked; a retried run must not send it twice. */
  lastHealthAlert: z.object({ runId: z.string(), at: isoDateTime, code: z.string() }).optional(),
});

export type TenantState = z.infer<typeof TenantStateSchema>;
export type FindingState = z.infer<typeof FindingStateSchema>;
export type ExceptionSummary = z.infer<typeof ExceptionSummarySchema>;
export type PrincipalSighting = z.infer<typeof PrincipalSightingSchema>;
export type RunSummary = z.infer<typeof RunSummarySchema>;

export function emptyState(tenantId: string): TenantState {
  return {
    schemaVersion: STATE_SCHEMA_VERSION,
    tenantId,
    findings: {},
    formerDevelopers: { users: {}, groups: {} },
    history: [],
  };
}

/**
 * Validates a stored state. `raw` is what the state store returned: a parsed object, JSON text, or `undefined` on the
 * first run. With `tenantId`, a missing state becomes a fresh one and a state of another tenant is refused.
 *
 * @param source where the state came from (file path or S3 URL), named in errors
 * @throws InputError naming the source and the path inside the state that is wrong
 */
export function parseState(raw: unknown, source: string): TenantState | undefined;
export function parseState(raw: unknown, source: string, tenantId: string): TenantState;
export function parseState(raw: unknown, source: string, tenantId?: string): TenantState | undefined {
  if (raw === undefined || raw === null) return tenantId === undefined ? undefined : emptyState(tenantId);
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch (cause) {
      throw new InputError(source, '', 'valid JSON (the drift state file is corrupt)', { cause });
    }
  }
  const version = (value as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === 'number' && version > STATE_SCHEMA_VERSION) {
    throw new InputError(
      source,
      'schemaVersion',
      `state schema version ${STATE_SCHEMA_VERSION}; found ${version}, written by a newer qlik-access-guard — upgrade this one`,
    );
  }
  const parsed = TenantStateSchema.safeParse(value, { reportInput: true });
  if (!parsed.success) {
    throw inputErrorOf(source, parsed.error, TenantStateSchema, { path: { dashesInNames: false }, alsoShown: 0 });
  }
  if (tenantId !== undefined && parsed.data.tenantId !== tenantId) {
    throw new InputError(source, 'tenantId', `the state of tenant ${tenantId}, not of ${parsed.data.tenantId}`);
  }
  return parsed.data;
}

/**
 * True when `time` (read from a state) lies more than `aheadMs` after `now`. This checker writes only times of its own
 * runs, so such a time was written by someone else (or by a clock far off) and must not be trusted.
 */
export function isLaterThan(time: string | undefined, now: Date, aheadMs = 0): boolean {
  if (time === undefined) return false;
  const ms = Date.parse(time);
  return !Number.isNaN(ms) && ms > now.getTime() + aheadMs;
}

/**
 * The part of a state that each archived run vouches for (the SHA-256 of this is recorded in the run's manifest):
 * everything but the record of the last health alert, which a run that could not check the tenant updates without
 * archiving anything. Parsed, so one state gives one canonical form however its JSON was written.
 */
export function archivedPart(state: TenantState): TenantState {
  const { lastHealthAlert: _notArchived, ...rest } = TenantStateSchema.parse(state);
  return rest;
}

/** `findings["qag-1"].lastSeen`, `history[3].at`: a path a person can find in the JSON (finding ids quoted). */
export function statePath(path: readonly PropertyKey[]): string {
  return formatPath(path, { dashesInNames: false });
}
