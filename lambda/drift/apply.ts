/**
 * Drift: compares this run's findings with the tenant's previous state and decides, per finding, whether it is new,
 * ongoing, reopened or resolved, and whether an exception suppresses it.
 */

import { type ExceptionRecord, type Finding, type FindingDraft, findingId, SEVERITY_RANK } from '../report/model';
import { compareText } from '../util/text';
import { DAY_MS } from '../util/time';
import {
  EXCEPTION_WITHOUT_EXPIRY_RULE,
  EXCEPTION_WITHOUT_EXPIRY_TITLE,
  exceptionMatches,
  isInForce,
  openEndedExceptionDrafts,
  type PolicyException,
  toExceptionRecord,
} from './exceptions';
import {
  type ExceptionSummary,
  emptyState,
  type FindingState,
  HISTORY_LIMIT,
  isLaterThan,
  type PrincipalSighting,
  type TenantState,
} from './state';

/** Resolved findings are forgotten after a year; one that comes back later is simply new again. */
export const RESOLVED_RETENTION_DAYS = 365;

export interface NamedPrincipal {
  readonly id: string;
  readonly name: string;
}

export interface DriftInput {
  readonly tenantId: string;
  readonly runId: string;
  readonly now: Date;
  readonly previous: TenantState | undefined;
  readonly drafts: readonly FindingDraft[];
  readonly exceptions: readonly PolicyException[];
  readonly titleOf: (ruleId: string) => string;
  /** Principals holding the deprecated Developer role in this run, remembered for later runs. */
  readonly developerHolders: { readonly users: readonly NamedPrincipal[]; readonly groups: readonly NamedPrincipal[] };
  /** Errors of this run recorded in the history (0 when omitted). */
  readonly errors?: number;
}

/** A finding that was failing before and is absent now. `status` keeps its last value so the shape stays a Finding. */
export interface ResolvedFinding extends Finding {
  readonly drift: 'resolved';
  readonly resolvedAt: string;
}

export interface DriftChanges {
  /** Findings seen for the first time (suppressed ones included). */
  readonly new: number;
  /** Previously failing findings that are absent now. */
  readonly resolved: number;
  /** Findings back after being resolved, or failing again because the exception that suppressed them ended. */
  readonly reopened: number;
  /** Of the reopened, those whose exception expired. */
  readonly exceptionExpired: number;
}

export interface DriftResult {
  /** This run's findings (failing and suppressed), severity first. */
  readonly findings: Finding[];
  readonly resolved: ResolvedFinding[];
  /** Every exception of the policy that is in force now, whether or not it matched a finding. */
  readonly exceptionsInForce: ExceptionRecord[];
  /** Every exception of the policy whose end date has passed. */
  readonly expiredExceptions: (ExceptionRecord & { readonly expired: true })[];
  readonly changes: DriftChanges;
  readonly next: TenantState;
}

export function applyDrift(input: DriftInput): DriftResult {
  const { tenantId, now } = input;
  const previous = input.previous ?? emptyState(tenantId);
  const titleOf = (ruleId: string) =>
    ruleId === EXCEPTION_WITHOUT_EXPIRY_RULE ? EXCEPTION_WITHOUT_EXPIRY_TITLE : input.titleOf(ruleId);
  const inForce = input.exceptions.filter((e) => isInForce(e, now));
  const expired = input.exceptions.filter((e) => !isInForce(e, now));
  const drafts = [...input.drafts, ...openEndedExceptionDrafts(input.exceptions, now)];

  const tracked = trackFindings(drafts, { tenantId, previous, inForce, expired, titleOf, now });
  const nextFindings: Record<string, FindingState> = Object.fromEntries(tracked.map((t) => [t.finding.id, t.state]));
  const seen = new Set(Object.keys(nextFindings));
  const resolved = resolveAbsent(tenantId, previous, seen, nextFindings, titleOf, now);
  const findings = tracked.map((t) => t.finding).sort(byImportance);
  resolved.sort(byImportance);
  const changes = countChanges(tracked, resolved);

  return {
    findings,
    resolved,
    exceptionsInForce: inForce.map(toExceptionRecord),
    expiredExceptions: expired.map((e) => ({ ...toExceptionRecord(e), expired: true as const })),
    changes,
    next: nextState(input, previous, nextFindings, findings, changes),
  };
}

/** What every finding of a run is compared with. */
interface TrackingContext {
  readonly tenantId: string;
  readonly previous: TenantState;
  readonly inForce: readonly PolicyException[];
  readonly expired: readonly PolicyException[];
  readonly titleOf: (ruleId: string) => string;
  readonly now: Date;
}

/** A finding of this run, its state to save, and whether an exception's end brought it back. */
interface TrackedFinding {
  readonly finding: Finding;
  readonly state: FindingState;
  readonly exceptionExpired: boolean;
}

/** One finding per rule and subject: a rule that reports the same subject twice is merged into the first. */
function trackFindings(drafts: readonly FindingDraft[], context: TrackingContext): TrackedFinding[] {
  const byId = new Map<string, TrackedFinding>();
  for (const draft of drafts) {
    const id = findingId(context.tenantId, draft.ruleId, draft.subject);
    if (!byId.has(id)) byId.set(id, trackFinding(id, draft, context));
  }
  return [...byId.values()];
}

/** Compares one finding with its previous state: its drift, whether an exception suppresses it, what to remember. */
function trackFinding(id: string, draft: FindingDraft, context: TrackingContext): TrackedFinding {
  const { tenantId, now } = context;
  const at = now.toISOString();
  const before = context.previous.findings[id];
  const suppressor = context.inForce.find((e) => exceptionMatches(e, draft.ruleId, draft.subject));
  const suppressedBy = suppressor && toExceptionRecord(suppressor);
  const { drift, message, exception, exceptionExpired } =
    !suppressor && before?.lastStatus === 'suppressed'
      ? noLongerSuppressed(before, draft, context)
      : { drift: driftSince(before), message: draft.message, exception: suppressedBy, exceptionExpired: false };
  const status = suppressor ? 'suppressed' : 'fail';
  // A first sighting after this run was not written by a run of this checker: the finding is seen first now.
  const firstSeen = before && !isLaterThan(before.firstSeen, now) ? before.firstSeen : at;
  const lastAlertedAt = before && !isLaterThan(before.lastAlertedAt, now) ? before.lastAlertedAt : undefined;
  const finding: Finding = {
    ...draft,
    message,
    id,
    tenantId,
    title: context.titleOf(draft.ruleId),
    status,
    drift,
    firstSeen,
    lastSeen: at,
    ...(exception && { exception }),
  };
  const state: FindingState = {
    ruleId: draft.ruleId,
    severity: draft.severity,
    subject: { type: draft.subject.type, id: draft.subject.id, name: draft.subject.name },
    firstSeen,
    lastSeen: at,
    lastStatus: status,
    message: draft.message,
    ...(lastAlertedAt !== undefined && { lastAlertedAt }),
    ...(suppressedBy && { suppressedBy }),
  };
  return { finding, state, exceptionExpired };
}

function driftSince(before: FindingState | undefined): Finding['drift'] {
  return before === undefined ? 'new' : before.lastStatus === 'resolved' ? 'reopened' : 'ongoing';
}

/**
 * A finding suppressed last run and failing now because the exception stopped covering it: that is news (reopened),
 * even though the finding never left. The message says which exception covered it and whether it expired.
 */
function noLongerSuppressed(
  before: FindingState,
  draft: FindingDraft,
  context: TrackingContext,
): Pick<Finding, 'drift' | 'message' | 'exception'> & { exceptionExpired: boolean } {
  const lapsed = lapsedException(before.suppressedBy, draft, context.expired, context.now);
  if (lapsed) {
    return {
      drift: 'reopened',
      message: `${draft.message} ${suppressedBeforeSentence(lapsed, true)}`,
      exception: { ...lapsed, expired: true },
      exceptionExpired: true,
    };
  }
  const message = before.suppressedBy
    ? `${draft.message} ${suppressedBeforeSentence(before.suppressedBy, false)}`
    : draft.message;
  return { drift: 'reopened', message, exception: undefined, exceptionExpired: false };
}

function countChanges(tracked: readonly TrackedFinding[], resolved: readonly ResolvedFinding[]): DriftChanges {
  return {
    new: tracked.filter((t) => t.finding.drift === 'new').length,
    resolved: resolved.length,
    reopened: tracked.filter((t) => t.finding.drift === 'reopened').length,
    exceptionExpired: tracked.filter((t) => t.exceptionExpired).length,
  };
}

/** The state to save: findings, former Developer-role holders and run history as of this run. */
function nextState(
  input: DriftInput,
  previous: TenantState,
  nextFindings: Record<string, FindingState>,
  findings: readonly Finding[],
  changes: DriftChanges,
): TenantState {
  const at = input.now.toISOString();
  return {
    ...previous,
    tenantId: input.tenantId,
    findings: sortRecord(nextFindings),
    formerDevelopers: {
      users: rememberHolders(previous.formerDevelopers.users, input.developerHolders.users, at),
      groups: rememberHolders(previous.formerDevelopers.groups, input.developerHolders.groups, at),
    },
    history: nextHistory(previous, input.runId, at, findings, changes, input.errors ?? 0),
    lastRunId: input.runId,
  };
}

/**
 * Previously failing findings absent now, as resolved findings; records them (and forgets those resolved for longer
 * than {@link RESOLVED_RETENTION_DAYS}) in `nextFindings`.
 */
function resolveAbsent(
  tenantId: string,
  previous: TenantState,
  seen: ReadonlySet<string>,
  nextFindings: Record<string, FindingState>,
  titleOf: (ruleId: string) => string,
  now: Date,
): ResolvedFinding[] {
  const at = now.toISOString();
  const resolved: ResolvedFinding[] = [];
  const retentionStart = now.getTime() - RESOLVED_RETENTION_DAYS * DAY_MS;
  for (const [id, before] of Object.entries(previous.findings)) {
    if (seen.has(id)) continue;
    if (before.lastStatus === 'resolved') {
      if (before.resolvedAt !== undefined && Date.parse(before.resolvedAt) >= retentionStart) nextFindings[id] = before;
      continue;
    }
    // A suppressed finding that disappears closes quietly: it was never reported as failing.
    if (before.lastStatus === 'fail') resolved.push(resolvedFinding(tenantId, id, before, titleOf, at));
    const { suppressedBy: _dropped, ...rest } = before;
    nextFindings[id] = { ...rest, lastStatus: 'resolved', resolvedAt: at };
  }
  return resolved;
}

/** The run history with this run added (a retried run replaces its earlier entry), at most {@link HISTORY_LIMIT}. */
function nextHistory(
  previous: TenantState,
  runId: string,
  at: string,
  findings: readonly Finding[],
  changes: DriftChanges,
  errors: number,
): TenantState['history'] {
  return [
    ...previous.history.filter((run) => run.runId !== runId),
    {
      runId,
      at,
      failing: findings.filter((f) => f.status === 'fail').length,
      new: changes.new,
      resolved: changes.resolved,
      suppressed: findings.filter((f) => f.status === 'suppressed').length,
      errors,
    },
  ].slice(-HISTORY_LIMIT);
}

/** Principals known to have held the deprecated Developer role in earlier runs, for the former-developer rule. */
export function knownFormerDevelopers(state: TenantState | undefined): {
  users: (NamedPrincipal & { lastSeen: string })[];
  groups: (NamedPrincipal & { lastSeen: string })[];
} {
  const list = (record: Record<string, PrincipalSighting>) =>
    Object.entries(record)
      .map(([id, { name, lastSeen }]) => ({ id, name, lastSeen }))
      .sort((a, b) => compareText(a.id, b.id));
  return {
    users: list(state?.formerDevelopers.users ?? {}),
    groups: list(state?.formerDevelopers.groups ?? {}),
  };
}

/** Severity first (worst on top), then rule, then subject name, then id so the order never depends on input order. */
export function byImportance(a: Finding, b: Finding): number {
  return (
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    compareText(a.ruleId, b.ruleId) ||
    compareText(a.subject.name, b.subject.name) ||
    compareText(a.id, b.id)
  );
}

/**
 * The exception whose end brought the finding back: the one that suppressed it last run if its end has passed,
 * else a matching exception of the policy that has expired. Undefined when the exception was removed instead.
 */
function lapsedException(
  suppressedBy: ExceptionSummary | undefined,
  draft: FindingDraft,
  expired: readonly PolicyException[],
  now: Date,
): ExceptionRecord | undefined {
  if (suppressedBy && !isInForce(suppressedBy, now)) return suppressedBy;
  const match = expired.find((e) => exceptionMatches(e, draft.ruleId, draft.subject));
  return match && toExceptionRecord(match);
}

function suppressedBeforeSentence(exception: ExceptionRecord, expired: boolean): string {
  const ticket = exception.ticket ? `, ticket ${exception.ticket}` : '';
  const how = expired
    ? `by an exception that expired ${exception.expires ?? ''}`.trimEnd()
    : 'by an exception that is no longer in the policy';
  return `It was suppressed before ${how} (reason: "${exception.reason}", owner ${exception.owner}${ticket}).`;
}

function resolvedFinding(
  tenantId: string,
  id: string,
  before: FindingState,
  titleOf: (ruleId: string) => string,
  at: string,
): ResolvedFinding {
  const title = titleOf(before.ruleId);
  return {
    id,
    tenantId,
    ruleId: before.ruleId,
    severity: before.severity,
    subject: before.subject,
    title,
    status: 'fail',
    drift: 'resolved',
    message: before.message ?? `${title}: ${before.subject.name} no longer fails.`,
    evidence: { lastFailingAt: before.lastSeen, resolvedAt: at },
    remediation: 'Nothing to do: the check passes now, or its subject no longer exists.',
    firstSeen: before.firstSeen,
    lastSeen: before.lastSeen,
    resolvedAt: at,
  };
}

function rememberHolders(
  known: Record<string, PrincipalSighting>,
  current: readonly NamedPrincipal[],
  at: string,
): Record<string, PrincipalSighting> {
  const merged: Record<string, PrincipalSighting> = { ...known };
  for (const { id, name } of current) merged[id] = { name, lastSeen: at };
  return sortRecord(merged);
}

/** Sorted keys keep the saved state byte-stable between runs with the same content. */
function sortRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareText(a, b)));
}
