/**
 * What an alert may show of a finding. Evidence is free-form and may hold anything a rule saw; alerts read only the
 * fields named here (the person, the keys) and never serialise evidence wholesale, so nothing else can leak into an
 * inbox or a chat channel. The stored report carries the full evidence.
 *
 * Evidence conventions read here (rules may add anything else):
 * - the person: `evidence.user` or `evidence.owner` → `{ id?, name?, email? }`
 * - the keys: `evidence.keys` or `evidence.apiKeys` → `[{ id, description?, expiry? }]`, or one `evidence.key` /
 *   `evidence.apiKey`
 */
import type { Finding, Severity, SubjectType } from '../report/model';
import { isRecord } from '../util/text';
import { field, paragraph } from './text';

export interface PersonView {
  readonly id?: string;
  readonly name?: string;
  readonly email?: string;
}

export interface KeyView {
  readonly id: string;
  readonly description?: string;
  readonly expiry?: string;
}

export interface ExceptionView {
  readonly reason: string;
  readonly owner: string;
  readonly ticket?: string;
  readonly expires?: string;
  readonly expired: boolean;
}

export interface FindingView {
  readonly id: string;
  readonly ruleId: string;
  readonly title: string;
  readonly severity: Severity;
  readonly drift: Finding['drift'];
  readonly subject: { readonly type: SubjectType; readonly id: string; readonly name: string };
  readonly person?: PersonView;
  readonly keys: readonly KeyView[];
  /** Keys listed in the evidence beyond those shown. */
  readonly moreKeys: number;
  readonly why: string;
  /** May span lines (numbered steps). */
  readonly fix: string;
  readonly firstSeen?: string;
  readonly lastSeen?: string;
  readonly exception?: ExceptionView;
}

/** Field limits: generous for people, small enough that 10,000 findings stay bounded. */
export const LIMITS = {
  name: 200,
  email: 254,
  id: 100,
  keyDescription: 200,
  date: 40,
  why: 1_000,
  fix: 2_000,
  title: 200,
  reason: 500,
  keysPerFinding: 10,
} as const;

export function viewOf(finding: Finding): FindingView {
  const evidence: Record<string, unknown> = isRecord(finding.evidence) ? finding.evidence : {};
  const person = personOf(evidence, finding);
  const allKeys = keysOf(evidence, finding);
  const exception = finding.exception;
  return {
    id: field(finding.id, LIMITS.id),
    ruleId: field(finding.ruleId, LIMITS.id),
    title: field(finding.title, LIMITS.title),
    severity: finding.severity,
    drift: finding.drift,
    subject: {
      type: finding.subject.type,
      id: field(finding.subject.id, LIMITS.id),
      name: field(finding.subject.name, LIMITS.name),
    },
    ...(person && { person }),
    keys: allKeys.slice(0, LIMITS.keysPerFinding),
    moreKeys: Math.max(0, allKeys.length - LIMITS.keysPerFinding),
    why: field(finding.message, LIMITS.why),
    fix: paragraph(finding.remediation, LIMITS.fix),
    ...(finding.firstSeen && { firstSeen: field(finding.firstSeen, LIMITS.date) }),
    ...(finding.lastSeen && { lastSeen: field(finding.lastSeen, LIMITS.date) }),
    ...(exception && {
      exception: {
        reason: field(exception.reason, LIMITS.reason),
        owner: field(exception.owner, LIMITS.name),
        ...(exception.ticket && { ticket: field(exception.ticket, LIMITS.id) }),
        ...(exception.expires && { expires: field(exception.expires, LIMITS.date) }),
        expired: exception.expired === true,
      },
    }),
  };
}

function personOf(evidence: Record<string, unknown>, finding: Finding): PersonView | undefined {
  const source = [evidence.user, evidence.owner].find(isRecord);
  const fromEvidence: PersonView = source
    ? {
        ...text(source.id, 'id', LIMITS.id),
        ...text(source.name, 'name', LIMITS.name),
        ...text(source.email, 'email', LIMITS.email),
      }
    : {};
  if (finding.subject.type === 'user') {
    return {
      id: field(finding.subject.id, LIMITS.id),
      name: field(finding.subject.name, LIMITS.name),
      ...fromEvidence,
    };
  }
  return Object.keys(fromEvidence).length > 0 ? fromEvidence : undefined;
}

function keysOf(evidence: Record<string, unknown>, finding: Finding): KeyView[] {
  const single = [evidence.key, evidence.apiKey].find(isRecord);
  const list = [evidence.keys, evidence.apiKeys].find(Array.isArray) ?? (single ? [single] : []);
  const keys: KeyView[] = [];
  for (const item of list) {
    if (!isRecord(item) || typeof item.id !== 'string') continue;
    keys.push({
      id: field(item.id, LIMITS.id),
      ...text(item.description, 'description', LIMITS.keyDescription),
      ...text(item.expiry, 'expiry', LIMITS.date),
    });
  }
  if (keys.length === 0 && finding.subject.type === 'apiKey') {
    keys.push({
      id: field(finding.subject.id, LIMITS.id),
      description: field(finding.subject.name, LIMITS.keyDescription),
    });
  }
  return keys;
}

function text<K extends string>(value: unknown, key: K, max: number): Partial<Record<K, string>> {
  return typeof value === 'string' && value.trim() !== '' ? ({ [key]: field(value, max) } as Record<K, string>) : {};
}
