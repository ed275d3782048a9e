/**
 * What one alert says, independent of the channel: the plan decides the content, email.ts and chat.ts render it.
 */
import type { Finding, Severity } from '../report/model';

export interface AlertContext {
  /** Short tenant name people use (email subjects, chat titles). */
  readonly tenantName: string;
  readonly tenantId: string;
  readonly tenantUrl: string;
  readonly runId: string;
  /** What triggered the check, when it was not the schedule (e.g. an event about the tenant). */
  readonly trigger?: string;
  /** Where the stored report of this run can be opened. */
  readonly reportLink?: string;
  /** Why the report of this run could not be stored, when it could not. */
  readonly archiveFailed?: string;
  /** The remediation plan, what was applied, what a plan resolved (lambda/remediation/scheduled.ts); inert lines. */
  readonly remediation?: readonly string[];
  readonly maxItemsPerSection: number;
}

export interface Totals {
  readonly failing: number;
  readonly suppressed: number;
}

/** Something changed since the last run. */
export interface DriftDigest {
  readonly kind: 'drift';
  readonly context: AlertContext;
  readonly severity: Severity;
  readonly counts: {
    readonly new: number;
    /** Reopened for any reason other than an expired exception. */
    readonly reopened: number;
    readonly exceptionExpired: number;
    readonly resolved: number;
  };
  /** New and reopened failing findings, most important first. */
  readonly changed: readonly Finding[];
  readonly resolved: readonly Finding[];
  /** Failing findings that were already failing: listed briefly, so the digest doubles as a reminder. */
  readonly stillFailing: readonly Finding[];
  readonly totals: Totals;
}

/** Nothing changed, but findings are still failing and the reminder cadence has come round. */
export interface ReminderDigest {
  readonly kind: 'reminder';
  readonly context: AlertContext;
  readonly severity: Severity;
  readonly failing: readonly Finding[];
  /** When the previous reminder (or the first sighting) was. */
  readonly since: string;
  readonly totals: Totals;
}

export type HealthIssueKind =
  | 'tenant-error'
  | 'credential-expiring'
  | 'archive-failed'
  | 'state-mismatch'
  | 'webhook-problem'
  | 'remediation-failed';

/** The checker itself cannot do its job, or soon will not. */
export interface HealthIssue {
  readonly kind: HealthIssueKind;
  /** The report error code for tenant errors. */
  readonly code?: string;
  readonly severity: Severity;
  /** A few words for subjects and titles, e.g. "cannot be checked (unauthorized)". */
  readonly headline: string;
  /** What happened and what it means. */
  readonly meaning: string;
  /** What to do, in order. */
  readonly actions: readonly string[];
  /** The underlying error message, when there is one. */
  readonly detail?: string;
}

export interface HealthAlert {
  readonly kind: 'health';
  readonly context: AlertContext;
  readonly severity: Severity;
  readonly issues: readonly HealthIssue[];
}

export type AlertContent = DriftDigest | ReminderDigest | HealthAlert;
