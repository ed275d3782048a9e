/**
 * Exceptions (accepted risks) from the policy file: which findings they suppress, whether they are still in force,
 * and a warning for those that never end.
 */

import type { ExceptionRecord, FindingDraft, Subject, SubjectType } from '../report/model';
import { DAY_MS } from '../util/time';

/**
 * An exception as the policy file states it: the same fields the report records. The policy schema owns validation.
 * `expires` is a date (in force through that UTC day) or a date-time (in force until that instant).
 */
export type PolicyException = ExceptionRecord;

export const EXCEPTION_WITHOUT_EXPIRY_RULE = 'exception-without-expiry';
export const EXCEPTION_WITHOUT_EXPIRY_TITLE = 'Exceptions end on a set date';
/** An open-ended exception older than this is flagged: accepted risks should be reviewed. */
export const OPEN_ENDED_EXCEPTION_MAX_AGE_DAYS = 90;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Subject types whose names only administrators set: roles (built in or created by a TenantAdmin), groups (created
 * by an admin or synced from the identity provider) and the tenant itself. A name pattern may match these. Users
 * choose their own display names and API-key descriptions, so user and API-key subjects are matched by id only:
 * anyone could rename themselves `svc-etl-mallory` to fall under `svc-etl-*`.
 */
export const NAME_MATCHED_SUBJECT_TYPES: readonly SubjectType[] = ['role', 'group', 'tenant'];

/**
 * True when the exception names this rule and subject. An id, when given, decides alone (a name beside it is for
 * people to read); a name pattern matches only subjects of a {@link NAME_MATCHED_SUBJECT_TYPES} type that the
 * exception names, whatever an older state or policy file says.
 */
export function exceptionMatches(exception: PolicyException, ruleId: string, subject: Subject): boolean {
  if (exception.rule !== ruleId) return false;
  const { type, id, name } = exception.subject;
  if (type !== undefined && type !== subject.type) return false;
  if (id !== undefined) return id === subject.id;
  if (name === undefined) {
    // No id and no name: the exception covers every subject of the rule (and type); the policy schema decides
    // whether that is allowed.
    return true;
  }
  return type !== undefined && NAME_MATCHED_SUBJECT_TYPES.includes(type) && globMatches(name, subject.name);
}

/**
 * `*` matches any run of characters; everything else is literal; case-insensitive; the whole name must match.
 * No regular expression: the literal parts between stars are found left to right, each search starting where the
 * previous one ended, so the time is linear in the name whatever the pattern (a backtracking `^a.*a.*a…$` took tens of
 * seconds on long names).
 */
export function globMatches(pattern: string, value: string): boolean {
  const parts = pattern.toLowerCase().split('*');
  const text = value.toLowerCase();
  const first = parts[0] ?? '';
  if (parts.length === 1) return text === first;
  const last = parts[parts.length - 1] ?? '';
  if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last)) return false;
  let at = first.length;
  const end = text.length - last.length;
  for (const part of parts.slice(1, -1)) {
    if (part === '') continue;
    const found = text.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}

/**
 * The instant an exception stops being in force, or undefined when it has no end. A date-only `expires` keeps it in
 * force through that whole UTC day. An unreadable date ends it at once: an exception nobody can read must not hide a
 * finding.
 */
export function expiryInstant(exception: Pick<PolicyException, 'expires'>): Date | undefined {
  const { expires } = exception;
  if (expires === undefined) return undefined;
  const parsed = DATE_ONLY.test(expires) ? Date.parse(`${expires}T00:00:00Z`) + DAY_MS : Date.parse(expires);
  return new Date(Number.isNaN(parsed) ? 0 : parsed);
}

export function isInForce(exception: Pick<PolicyException, 'expires'>, now: Date): boolean {
  const end = expiryInstant(exception);
  return end === undefined || now.getTime() < end.getTime();
}

/** The exception as recorded in reports and state: only the known fields, in a fixed order. */
export function toExceptionRecord(exception: PolicyException): ExceptionRecord {
  const { type, id, name } = exception.subject;
  return {
    rule: exception.rule,
    subject: {
      ...(type !== undefined && { type }),
      ...(id !== undefined && { id }),
      ...(name !== undefined && { name }),
    },
    reason: exception.reason,
    owner: exception.owner,
    ...(exception.ticket !== undefined && { ticket: exception.ticket }),
    ...(exception.expires !== undefined && { expires: exception.expires }),
    ...(exception.created !== undefined && { created: exception.created }),
  };
}

/** How an exception names its subject in ids and sentences: the id if given, else the name pattern. */
export function describeExceptionSubject(exception: Pick<PolicyException, 'subject'>): string {
  const { type, id, name } = exception.subject;
  const target = id ?? name ?? '*';
  return type ? `${type} ${target}` : target;
}

/**
 * Warnings for exceptions without an end date that were created more than 90 days ago. They are findings like any
 * other, so they appear in reports and alert once when they start.
 */
export function openEndedExceptionDrafts(exceptions: readonly PolicyException[], now: Date): FindingDraft[] {
  const drafts: FindingDraft[] = [];
  for (const exception of exceptions) {
    if (exception.expires !== undefined || exception.created === undefined) continue;
    const created = Date.parse(
      DATE_ONLY.test(exception.created) ? `${exception.created}T00:00:00Z` : exception.created,
    );
    if (Number.isNaN(created)) continue;
    const ageDays = Math.floor((now.getTime() - created) / DAY_MS);
    if (ageDays <= OPEN_ENDED_EXCEPTION_MAX_AGE_DAYS) continue;
    const target = exception.subject.id ?? exception.subject.name ?? '*';
    const described = describeExceptionSubject(exception);
    drafts.push({
      ruleId: EXCEPTION_WITHOUT_EXPIRY_RULE,
      severity: 'low',
      subject: {
        type: 'tenant',
        id: `exception:${exception.rule}:${target}`,
        name: `Exception for ${exception.rule} on ${described}`,
      },
      message:
        `The exception for rule ${exception.rule} on ${described} (owner ${exception.owner}) has no end date and ` +
        `was created ${ageDays} days ago; accepted risks should be reviewed and given an expiry.`,
      evidence: { exception: toExceptionRecord(exception), ageDays },
      remediation:
        `Review the exception with its owner (${exception.owner}). If the risk is still accepted, add ` +
        '`expires: <yyyy-mm-dd>` to it in the policy file; otherwise remove it so the finding is reported again.',
    });
  }
  return drafts;
}
