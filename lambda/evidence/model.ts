/**
 * The evidence document: what the archive shows about one audit period, per tenant — coverage (runs against expected
 * runs, gaps, runs that could not check the tenant), the hash chain's verdict, each finding's timeline, time to
 * resolve by severity, accepted risks (exceptions), remediations applied and a control matrix. docs/evidence.md
 * describes every field for auditors. Fields may be added; existing names never change without a new schemaVersion.
 */
import * as z from 'zod';
import { ExceptionRecordSchema } from '../report/json';
import { SEVERITIES, SUBJECT_TYPES } from '../report/model';

export const EVIDENCE_SCHEMA_VERSION = '1.0.0';

const isoTimestamp = z.iso.datetime({ offset: true });
const count = z.number().int().nonnegative();
const days = z.number().nonnegative();

export const PeriodSchema = z.object({
  /** First instant of the period (inclusive). */
  from: isoTimestamp,
  /** Last instant of the period (inclusive, to the millisecond). */
  to: isoTimestamp,
});

/** One expected run and what the archive holds for it. */
export const CoverageSlotSchema = z.object({
  at: isoTimestamp,
  /** present: a run checked the tenant; failed: runs exist but none could check it; missing: no run at all. */
  state: z.enum(['present', 'failed', 'missing']),
  runId: z.string().optional(),
});

export const CoverageSchema = z.object({
  /**
   * Where the expected times come from: a schedule (given to the command, else the one the period's newest run
   * recorded), the runs' own cadence, or nothing.
   */
  basis: z.enum(['schedule', 'cadence', 'none']),
  /** Time between two expected runs, in minutes (null when there was nothing to infer it from). */
  intervalMinutes: z.number().positive().nullable(),
  /** The schedule expression, when the basis is a schedule. */
  schedule: z.string().optional(),
  slots: z.array(CoverageSlotSchema),
});

export const GapSchema = z.object({
  /** The first expected run with no run in the archive. */
  from: isoTimestamp,
  /** The last expected run of the same stretch. */
  to: isoTimestamp,
  missed: count,
});

export const ChainProblemSchema = z.object({
  kind: z.string(),
  key: z.string(),
  runId: z.string().optional(),
  detail: z.string(),
});

export const FINDING_TIMELINE_STATUSES = ['open', 'accepted', 'resolved'] as const;

export const FindingTimelineSchema = z.object({
  id: z.string(),
  ruleId: z.string(),
  severity: z.enum(SEVERITIES),
  subject: z.object({ type: z.enum(SUBJECT_TYPES), id: z.string(), name: z.string() }),
  /** When the finding was first seen (before the period when it was already open at its start). */
  firstSeen: isoTimestamp,
  /** The last run in the period that saw it. */
  lastSeen: isoTimestamp,
  /** The run that no longer saw it; null while it was still open at the end of the period. */
  resolvedAt: isoTimestamp.nullable(),
  /** Days it stayed open, summed over its open stretches, counted to the end of the period when still open. */
  openDays: days,
  /** open: failing at the end; accepted: suppressed by an exception at the end; resolved: gone at the end. */
  status: z.enum(FINDING_TIMELINE_STATUSES),
  /** Times it came back after being resolved within the period. */
  reopened: count,
  /** Runs in the period that saw it. */
  runsSeen: count,
});

export const ResolutionStatsSchema = z.object({
  resolved: count,
  medianDays: days.nullable(),
  maxDays: days.nullable(),
});

export const ExceptionEvidenceSchema = ExceptionRecordSchema.extend({
  /** First and last run in the period whose report listed it. */
  firstListed: isoTimestamp,
  lastListed: isoTimestamp,
  /** Findings it suppressed in the period. */
  findingIds: z.array(z.string()),
  /** True when its expiry date is before the end of the period. */
  expired: z.boolean(),
});

export const RemediationActionSchema = z.looseObject({
  id: z.string(),
  kind: z.string(),
  target: z.unknown().optional(),
  role: z.unknown().optional(),
  outcome: z.enum(['applied', 'already-in-place', 'refused', 'failed']),
  httpStatus: z.number().int().optional(),
  reason: z.string().optional(),
});

export const RemediationEvidenceSchema = z.object({
  runId: z.string(),
  planId: z.string(),
  appliedAt: z.string(),
  credentialKind: z.string().optional(),
  actions: z.array(RemediationActionSchema),
});

export const ControlEvidenceSchema = z.object({
  framework: z.string(),
  control: z.string(),
  ruleIds: z.array(z.string()),
  /** Runs that checked the tenant and found a failing finding of one of the control's rules. */
  runsFailing: count,
  /** Runs that checked the tenant and found none. Runs that could not check it count in neither. */
  runsPassing: count,
});

export const TenantEvidenceSchema = z.object({
  tenantId: z.string(),
  name: z.string(),
  /** Archived runs in the period, whether or not they could check the tenant. */
  runs: count,
  /** Of those, runs that could not check the tenant (status error): never counted as a pass. */
  runsFailed: count,
  /** Runs the schedule or cadence expected in the period (up to when the evidence was generated). */
  expectedRuns: count,
  gaps: z.array(GapSchema),
  coverage: CoverageSchema,
  chain: z.object({ ok: z.boolean(), problems: z.array(ChainProblemSchema) }),
  findings: z.array(FindingTimelineSchema),
  timeToResolve: z.record(z.enum(SEVERITIES), ResolutionStatsSchema),
  exceptions: z.array(ExceptionEvidenceSchema),
  remediations: z.array(RemediationEvidenceSchema),
  controls: z.array(ControlEvidenceSchema),
});

export const EvidenceDocumentSchema = z.object({
  schemaVersion: z.string(),
  period: PeriodSchema,
  generatedAt: isoTimestamp,
  /** Where the archive was read: a folder or an s3:// URL. */
  archive: z.string(),
  tenants: z.array(TenantEvidenceSchema),
});

export type Period = z.infer<typeof PeriodSchema>;
export type CoverageSlot = z.infer<typeof CoverageSlotSchema>;
export type Coverage = z.infer<typeof CoverageSchema>;
export type Gap = z.infer<typeof GapSchema>;
export type ChainProblemEvidence = z.infer<typeof ChainProblemSchema>;
export type FindingTimeline = z.infer<typeof FindingTimelineSchema>;
export type ResolutionStats = z.infer<typeof ResolutionStatsSchema>;
export type ExceptionEvidence = z.infer<typeof ExceptionEvidenceSchema>;
export type RemediationEvidence = z.infer<typeof RemediationEvidenceSchema>;
export type ControlEvidence = z.infer<typeof ControlEvidenceSchema>;
export type TenantEvidence = z.infer<typeof TenantEvidenceSchema>;
export type EvidenceDocument = z.infer<typeof EvidenceDocumentSchema>;

/** True when the tenant's evidence has nothing an auditor must be told about: chain intact, every expected run checked. */
export function isComplete(tenant: TenantEvidence): boolean {
  return tenant.chain.ok && tenant.gaps.length === 0 && tenant.coverage.slots.every((s) => s.state === 'present');
}
