/**
 * Which alerts a tenant's run sends. Three kinds, each as an email and a chat message:
 * - drift: something changed (new, reopened, exception expired, resolved); suppressed findings never alert;
 * - reminder: nothing changed but findings still fail, once every `reminderEveryDays`;
 * - health: the checker could not check the tenant, its credential expires soon, or the report was not stored.
 *
 * Pure: the same input gives the same messages, so the orchestrator may plan again (e.g. after archiving failed).
 */

import { byImportance } from '../drift/apply';
import { isLaterThan, type TenantState } from '../drift/state';
import { type CheckTrigger, type Finding, type Severity, type TenantReport, worstSeverity } from '../report/model';
import { DAY_MS } from '../util/time';
import { renderChat } from './chat';
import type { AlertContent, AlertContext, HealthIssue } from './content';
import { renderEmail } from './email';
import { archiveFailureIssue, credentialExpiryIssue, stateMismatchIssue, tenantErrorIssue } from './health';
import type { OutboundMessage } from './message';
import { oneLine } from './text';

/**
 * Scheduled runs start a few seconds (or minutes, after a retry) late. Without slack a weekly reminder due at 06:00:00
 * would miss the run at 06:00:00 a week later that actually started 3 seconds early, and slip a whole day.
 */
const SCHEDULE_SLACK_MS = 60 * 60 * 1000;

export interface NotificationSettings {
  /** Days between reminders of still-failing findings; 0 turns reminders off. */
  readonly reminderEveryDays: number;
  /** Warn when the checker's own credential expires within this many days. */
  readonly credentialExpiryWarningDays: number;
  /** Findings shown per message section before "… and N more". */
  readonly maxItemsPerSection: number;
}

export interface PlanInput {
  /** This run's report of the tenant, without notifications yet. */
  readonly tenant: TenantReport;
  /** Short name people use for the tenant; the `tenant` message attribute. */
  readonly tenantName: string;
  readonly runId: string;
  /** Why the tenant was checked; alerts name an event trigger. @default { kind: 'schedule' } */
  readonly trigger?: CheckTrigger;
  readonly now: Date;
  /** State as loaded before this run: reminder and warning cadences count from it. */
  readonly previous: TenantState | undefined;
  /** State after drift; returned with alert times updated. */
  readonly next: TenantState;
  readonly settings: NotificationSettings;
  readonly reportLink?: string;
  /** When the checker's own credential expires, if known. */
  readonly credentialExpiresAt?: string;
  /** Why the report of this run could not be stored. */
  readonly archiveFailed?: string;
  /** Why the drift state read is not the one the last archived run saved (its findings then count as new). */
  readonly stateMismatch?: string;
  /**
   * What remediation did in this run (lambda/run/remediation-stage.ts): `lines` go into every alert, `alert` makes
   * sure one goes out (an apply changed the tenant or was refused), `issue` is a health issue (e.g. a 403).
   */
  readonly remediation?: { readonly lines: readonly string[]; readonly alert: boolean; readonly issue?: HealthIssue };
}

export interface NotificationPlan {
  readonly messages: OutboundMessage[];
  /** `next` with `lastAlertedAt`, `lastReminderAt` and `lastCredentialWarningAt` updated for what is sent. */
  readonly next: TenantState;
}

export function planNotifications(input: PlanInput): NotificationPlan {
  const at = input.now.toISOString();
  const context = alertContext(input);
  const findingsAlert = input.tenant.status === 'ok' ? planFindingsAlert(input, context) : undefined;
  const health = planHealthAlert(input, context);
  const contents = [findingsAlert?.content, health.content].filter((c): c is AlertContent => c !== undefined);
  const lastReminderAt = findingsAlert?.remindsOfAll ? at : input.next.lastReminderAt;
  const lastCredentialWarningAt = health.warnedOfCredential ? at : input.next.lastCredentialWarningAt;
  return {
    messages: contents.flatMap((content) => toMessages(content, input.tenant.tenantId)),
    next: {
      ...input.next,
      findings: markAlerted(input.next.findings, new Set(findingsAlert?.alerted ?? []), at),
      ...(lastReminderAt !== undefined && { lastReminderAt }),
      ...(lastCredentialWarningAt !== undefined && { lastCredentialWarningAt }),
    },
  };
}

/** What every alert of the tenant's run says about where it comes from. */
function alertContext(input: PlanInput): AlertContext {
  const { tenant, trigger } = input;
  return {
    tenantName: oneLine(input.tenantName) || tenant.tenantId,
    tenantId: tenant.tenantId,
    tenantUrl: tenant.tenantUrl,
    runId: input.runId,
    ...(trigger?.kind === 'event' && { trigger: eventTriggerText(trigger) }),
    ...(trigger?.kind === 'remediation' && {
      trigger: `re-check after applying plan ${oneLine(trigger.planId)}: what it resolved is resolved by plan ${oneLine(trigger.planId)}`,
    }),
    maxItemsPerSection: Math.max(1, Math.floor(input.settings.maxItemsPerSection)),
    ...(input.reportLink && { reportLink: input.reportLink }),
    ...(input.archiveFailed && { archiveFailed: input.archiveFailed }),
    ...(input.remediation && input.remediation.lines.length > 0 && { remediation: input.remediation.lines }),
  };
}

/** The alert about the tenant's findings, if one is due, and what it tells of. */
interface FindingsAlert {
  readonly content: AlertContent;
  /** Ids of the findings the alert names. */
  readonly alerted: readonly string[];
  /** It lists every failing finding, so it counts as this period's reminder. */
  readonly remindsOfAll: boolean;
}

/** A drift digest when something changed; otherwise a reminder of what still fails, when one is due. */
function planFindingsAlert(input: PlanInput, context: AlertContext): FindingsAlert | undefined {
  const { tenant } = input;
  const findings = [...tenant.findings].sort(byImportance);
  const failing = findings.filter((f) => f.status === 'fail');
  const totals = { failing: failing.length, suppressed: findings.filter((f) => f.status === 'suppressed').length };
  const changed = failing.filter((f) => f.drift === 'new' || f.drift === 'reopened');
  const resolved = tenant.resolved.filter((f) => f.status === 'fail').sort(byImportance);

  if (changed.length > 0 || resolved.length > 0) {
    const expired = changed.filter((f) => f.drift === 'reopened' && f.exception?.expired === true).length;
    return {
      content: {
        kind: 'drift',
        context,
        severity: worst(changed) ?? worst(resolved) ?? 'informational',
        counts: {
          new: changed.filter((f) => f.drift === 'new').length,
          reopened: changed.filter((f) => f.drift === 'reopened').length - expired,
          exceptionExpired: expired,
          resolved: resolved.length,
        },
        changed,
        resolved,
        stillFailing: failing.filter((f) => f.drift === 'ongoing'),
        totals,
      },
      alerted: [...failing, ...resolved].map((f) => f.id),
      remindsOfAll: failing.length > 0,
    };
  }
  // An apply that changed the tenant (or was refused) is told even when no finding changed.
  const forced =
    input.remediation?.alert && failing.length > 0
      ? (earliest(failing.map((f) => f.firstSeen)) ?? input.now.toISOString())
      : undefined;
  const since = reminderDue(input, failing) ?? forced;
  if (since === undefined) return undefined;
  return {
    content: { kind: 'reminder', context, severity: worst(failing) ?? 'informational', failing, since, totals },
    alerted: failing.map((f) => f.id),
    remindsOfAll: true,
  };
}

/**
 * The health alert, if the checker has anything to say about itself: tenant errors, its credential expiring (at most
 * once a UTC day), the report not stored, the drift state not the one last saved.
 */
function planHealthAlert(
  input: PlanInput,
  context: AlertContext,
): { readonly content?: AlertContent; readonly warnedOfCredential: boolean } {
  const { now, settings } = input;
  const issues: HealthIssue[] = input.tenant.errors.map(tenantErrorIssue);
  let warnedOfCredential = false;
  if (input.credentialExpiresAt && !sameUtcDay(input.previous?.lastCredentialWarningAt, now)) {
    const issue = credentialExpiryIssue(input.credentialExpiresAt, now, settings.credentialExpiryWarningDays);
    if (issue) {
      issues.push(issue);
      warnedOfCredential = true;
    }
  }
  if (input.archiveFailed) issues.push(archiveFailureIssue(input.archiveFailed));
  if (input.stateMismatch) issues.push(stateMismatchIssue(input.stateMismatch));
  if (input.remediation?.issue) issues.push(input.remediation.issue);
  if (issues.length === 0) return { warnedOfCredential };
  return {
    content: { kind: 'health', context, severity: worstSeverity(issues.map((i) => i.severity)) ?? 'high', issues },
    warnedOfCredential,
  };
}

/** How an alert names the event that triggered the check (a scheduled run, the usual case, goes unmentioned). */
function eventTriggerText(trigger: Extract<CheckTrigger, { kind: 'event' }>): string {
  const via = trigger.source ? ` via ${trigger.source === 'audit' ? 'the audit poll' : 'webhook'}` : '';
  return `event ${oneLine(trigger.eventType)} (id ${oneLine(trigger.eventId)})${via}, received ${oneLine(trigger.receivedAt)}`;
}

/** When the reminder period started, if a reminder is due now; undefined otherwise. */
function reminderDue(input: PlanInput, failing: readonly Finding[]): string | undefined {
  const days = input.settings.reminderEveryDays;
  if (!(days > 0) || failing.length === 0) return undefined;
  const intervalMs = days * DAY_MS;
  const firstSighting = earliest(failing.map((f) => f.firstSeen));
  const lastReminderAt = input.previous?.lastReminderAt;
  // No run of this checker writes a reminder time further ahead than one interval: such a time in the state was put
  // there by someone else (e.g. 2099, to silence reminders), so it does not count and the reminder is due now.
  if (isLaterThan(lastReminderAt, input.now, intervalMs)) return firstSighting ?? input.now.toISOString();
  const since = lastReminderAt ?? firstSighting;
  if (since === undefined) return undefined;
  const elapsed = input.now.getTime() - Date.parse(since);
  return elapsed >= intervalMs - SCHEDULE_SLACK_MS ? since : undefined;
}

/** The email and the chat message of one alert. */
export function toMessages(content: AlertContent, tenantId: string): OutboundMessage[] {
  const attributes = { severity: content.severity, tenant: content.context.tenantName, eventType: content.kind };
  const email = renderEmail(content);
  const chat = renderChat(content);
  const common = { eventType: content.kind, severity: content.severity, attributes, tenantId };
  return [
    { channel: 'email', subject: email.subject, body: email.body, ...common },
    { channel: 'chat', subject: chat.title, body: chat.body, ...common },
  ];
}

function markAlerted(
  findings: TenantState['findings'],
  alerted: ReadonlySet<string>,
  at: string,
): TenantState['findings'] {
  if (alerted.size === 0) return findings;
  return Object.fromEntries(
    Object.entries(findings).map(([id, state]) => [id, alerted.has(id) ? { ...state, lastAlertedAt: at } : state]),
  );
}

function worst(findings: readonly Finding[]): Severity | undefined {
  return worstSeverity(findings.map((f) => f.severity));
}

function earliest(times: readonly (string | undefined)[]): string | undefined {
  let min: number | undefined;
  for (const time of times) {
    const ms = time === undefined ? Number.NaN : Date.parse(time);
    if (!Number.isNaN(ms) && (min === undefined || ms < min)) min = ms;
  }
  return min === undefined ? undefined : new Date(min).toISOString();
}

function sameUtcDay(time: string | undefined, now: Date): boolean {
  const ms = time === undefined ? Number.NaN : Date.parse(time);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === now.toISOString().slice(0, 10);
}
