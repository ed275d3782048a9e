/**
 * The run report contract (docs/architecture.md, "Run report JSON"). Fields may be added; existing names never change.
 */
import { createHash } from 'node:crypto';
import type { CheckErrorCode } from '../errors';
import type { TenantRemediationReport } from '../remediation/scheduled';

export const REPORT_SCHEMA_VERSION = '1.0.0';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'informational'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Higher is worse. */
export const SEVERITY_RANK: Record<Severity, number> = {
  informational: 1,
  low: 2,
  medium: 3,
  high: 4,
  critical: 5,
};

export function worstSeverity(severities: Iterable<Severity>): Severity | undefined {
  let worst: Severity | undefined;
  for (const s of severities) if (!worst || SEVERITY_RANK[s] > SEVERITY_RANK[worst]) worst = s;
  return worst;
}

export const SUBJECT_TYPES = ['user', 'group', 'apiKey', 'role', 'tenant'] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

export interface Subject {
  readonly type: SubjectType;
  readonly id: string;
  readonly name: string;
}

/** What a rule emits: everything about a failing check except the run-dependent parts. */
export interface FindingDraft {
  readonly ruleId: string;
  readonly severity: Severity;
  readonly subject: Subject;
  /** One sentence: who, what, why it matters. */
  readonly message: string;
  /** Facts that justify the finding (user, keys, roles and groups seen, grant paths or their absence). */
  readonly evidence: Record<string, unknown>;
  /** The exact fix, including Qlik API calls. */
  readonly remediation: string;
}

export type FindingStatus = 'fail' | 'error' | 'suppressed';
export type Drift = 'new' | 'ongoing' | 'reopened' | 'resolved';

/** An exception (accepted risk) from the policy file, as recorded in the report. */
export interface ExceptionRecord {
  readonly rule: string;
  readonly subject: { readonly type?: SubjectType; readonly id?: string; readonly name?: string };
  readonly reason: string;
  readonly owner: string;
  readonly ticket?: string;
  readonly expires?: string;
  readonly created?: string;
}

export interface Finding extends FindingDraft {
  /** Stable across runs: same tenant, rule and subject give the same id. See {@link findingId}. */
  readonly id: string;
  readonly tenantId: string;
  readonly title: string;
  readonly status: FindingStatus;
  readonly drift: Drift;
  readonly firstSeen?: string;
  readonly lastSeen?: string;
  /** Set on resolved findings: when the run that no longer saw it ran. */
  readonly resolvedAt?: string;
  /** Present when suppressed, or when reopened because the exception that suppressed it expired. */
  readonly exception?: ExceptionRecord & { readonly expired?: boolean };
  /**
   * Controls this finding's rule maps to, per standard (from the rule's metadata), e.g.
   * `{ 'SOC 2': ['CC6.1', 'CC6.2'], 'ISO 27001:2022': ['A.5.15'] }`. Renderers (OCSF `compliance`) use it when present.
   */
  readonly compliance?: Readonly<Record<string, readonly string[]>>;
}

export interface ReportError {
  readonly code: CheckErrorCode;
  readonly message: string;
}

export type NotificationEventType = 'drift' | 'reminder' | 'health';
export type NotificationChannel = 'email' | 'chat';

export interface NotificationRecord {
  readonly eventType: NotificationEventType;
  readonly channel: NotificationChannel;
  readonly severity: Severity;
  readonly subject: string;
}

export interface TenantSummary {
  readonly failing: number;
  readonly suppressed: number;
  readonly errors: number;
  readonly new: number;
  readonly ongoing: number;
  readonly reopened: number;
  readonly resolved: number;
  readonly bySeverity: Record<Severity, number>;
  readonly byRule: Record<string, number>;
  readonly users?: number;
  readonly groups?: number;
  readonly roles?: number;
  readonly apiKeys?: number;
  readonly requests?: number;
  readonly durationMs?: number;
  [extra: string]: unknown;
}

/**
 * Why a tenant was checked: the run's schedule (also a manual run), or an event about the tenant (e.g. a webhook),
 * named by its type and id as the sender gave them, and when the checker received it.
 */
export type CheckTrigger =
  | { readonly kind: 'schedule' }
  | {
      readonly kind: 'event';
      readonly eventType: string;
      readonly eventId: string;
      readonly receivedAt: string;
      /** How the event reached the checker: a webhook delivery or the audit poll. */
      readonly source?: 'webhook' | 'audit';
    }
  /** The re-check `fix --apply` runs after applying a remediation plan. */
  | { readonly kind: 'remediation'; readonly planId: string; readonly appliedAt: string };

export interface TenantReport {
  readonly tenantUrl: string;
  /** Qlik's tenant id, or the host when the tenant could not be reached. */
  readonly tenantId: string;
  readonly tenantName?: string;
  /** The name the tenant was configured under (config or CLI): keys its drift state, metrics and alerts. */
  readonly name?: string;
  /** Why this tenant was checked in this run; absent in reports written before it was recorded. */
  readonly trigger?: CheckTrigger;
  readonly status: 'ok' | 'error';
  readonly errors: ReportError[];
  readonly findings: Finding[];
  readonly resolved: Finding[];
  readonly notifications: NotificationRecord[];
  readonly exceptions: ExceptionRecord[];
  readonly summary: TenantSummary;
  /** Informational facts about the tenant (e.g. legacy api_keys_enabled still present). */
  readonly notes?: string[];
  /** Where the stored report of this tenant lives (folder or s3:// URL), when stored. */
  readonly reportLocation?: string;
  /** The remediation plan of this check, and what was applied (scheduled checker, mode plan or apply). */
  readonly remediation?: TenantRemediationReport;
}

export interface RunReport {
  readonly schemaVersion: string;
  readonly runId: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly tool: { readonly name: 'qlik-access-guard'; readonly version: string };
  readonly policy: { readonly name: string; readonly sha256: string };
  readonly tenants: TenantReport[];
}

/**
 * Stable finding id: a short hash of tenant, rule and subject. The same inputs give the same id in every run, on
 * every machine, so drift state and auditors can follow one finding over time.
 */
export function findingId(tenantId: string, ruleId: string, subject: Pick<Subject, 'type' | 'id'>): string {
  const digest = createHash('sha256')
    .update(`${tenantId}\u0000${ruleId}\u0000${subject.type}\u0000${subject.id}`)
    .digest('hex');
  return `qag-${digest.slice(0, 20)}`;
}
