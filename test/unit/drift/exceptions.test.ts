import { describe, expect, it } from 'vitest';
import {
  EXCEPTION_WITHOUT_EXPIRY_RULE,
  exceptionMatches,
  globMatches,
  isInForce,
  openEndedExceptionDrafts,
  type PolicyException,
} from '../../../lambda/drift/exceptions';
import type { Subject } from '../../../lambda/report/model';

const RULE = 'api-key-owner-lacks-manage-permission';
const alice: Subject = { type: 'user', id: '64a000000000000000000001', name: 'Alice Svensson' };

function exception(overrides: Partial<PolicyException> = {}): PolicyException {
  return { rule: RULE, subject: { id: alice.id }, reason: 'service account', owner: 'platform-team', ...overrides };
}

describe('exceptionMatches', () => {
  it('matches by subject id on the same rule', () => {
    expect(exceptionMatches(exception(), RULE, alice)).toBe(true);
  });

  it('does not match another rule or another id', () => {
    expect(exceptionMatches(exception(), 'api-key-expiring', alice)).toBe(false);
    expect(exceptionMatches(exception(), RULE, { ...alice, id: 'other' })).toBe(false);
  });

  it('requires the subject type when the exception names one', () => {
    expect(exceptionMatches(exception({ subject: { type: 'user', id: alice.id } }), RULE, alice)).toBe(true);
    expect(exceptionMatches(exception({ subject: { type: 'group', id: alice.id } }), RULE, alice)).toBe(false);
  });

  it('never matches a user or an API key by name: users choose their own names', () => {
    const mallory: Subject = { type: 'user', id: '64a0000000000000000000ee', name: 'svc-etl-mallory' };
    const key: Subject = { type: 'apiKey', id: 'key-1', name: 'svc-etl nightly' };
    for (const subject of [mallory, key]) {
      expect(exceptionMatches(exception({ subject: { type: subject.type, name: 'svc-etl-*' } }), RULE, subject)).toBe(
        false,
      );
      expect(exceptionMatches(exception({ subject: { name: 'svc-etl*' } }), RULE, subject)).toBe(false);
    }
  });

  it('matches a name glob case-insensitively for roles, groups and the tenant', () => {
    const group: Subject = { type: 'group', id: 'g1', name: 'Legacy ETL Svensson' };
    expect(exceptionMatches(exception({ subject: { type: 'group', name: 'legacy*' } }), RULE, group)).toBe(true);
    expect(exceptionMatches(exception({ subject: { type: 'group', name: '*SVENSSON' } }), RULE, group)).toBe(true);
    expect(exceptionMatches(exception({ subject: { type: 'group', name: 'bob*' } }), RULE, group)).toBe(false);
    const role: Subject = { type: 'role', id: 'r1', name: 'Developer' };
    expect(exceptionMatches(exception({ subject: { type: 'role', name: 'dev*' } }), RULE, role)).toBe(true);
  });

  it('lets the id decide when both are given: the name is for people to read', () => {
    expect(exceptionMatches(exception({ subject: { id: 'nope', name: 'Alice*' } }), RULE, alice)).toBe(false);
    expect(exceptionMatches(exception({ subject: { id: alice.id, name: 'someone else' } }), RULE, alice)).toBe(true);
  });
});

describe('globMatches', () => {
  it('treats everything but * literally and anchors the whole name', () => {
    expect(globMatches('svc.(ci)+', 'svc.(ci)+')).toBe(true);
    expect(globMatches('svc.(ci)+', 'svcX(ci)')).toBe(false);
    expect(globMatches('svc', 'svc-bot')).toBe(false);
    expect(globMatches('svc*bot', 'SVC-build-BOT')).toBe(true);
    expect(globMatches('a*b*c', 'abc')).toBe(true);
    expect(globMatches('a*b*c', 'acb')).toBe(false);
    expect(globMatches('ab*ba', 'aba')).toBe(false);
    expect(globMatches('*', '')).toBe(true);
    expect(globMatches('**x**', 'yxy')).toBe(true);
    expect(globMatches('', '')).toBe(true);
    expect(globMatches('', 'x')).toBe(false);
  });

  it('answers on a 1 MB name against many stars (a backtracking matcher takes tens of seconds here)', () => {
    const name = 'a'.repeat(1_000_000);
    expect(globMatches(`${'a*'.repeat(40)}b`, name)).toBe(false);
    expect(globMatches(`*${'a*'.repeat(40)}`, name)).toBe(true);
  });
});

describe('isInForce', () => {
  it('keeps a date-only expiry in force through that whole UTC day', () => {
    const e = exception({ expires: '2026-03-31' });
    expect(isInForce(e, new Date('2026-03-31T00:00:00Z'))).toBe(true);
    expect(isInForce(e, new Date('2026-03-31T23:59:59.999Z'))).toBe(true);
    expect(isInForce(e, new Date('2026-04-01T00:00:00Z'))).toBe(false);
  });

  it('ends a date-time expiry at that instant', () => {
    const e = exception({ expires: '2026-03-31T12:00:00+02:00' });
    expect(isInForce(e, new Date('2026-03-31T09:59:59Z'))).toBe(true);
    expect(isInForce(e, new Date('2026-03-31T10:00:00Z'))).toBe(false);
  });

  it('keeps an exception without expiry in force, and ends an unreadable one', () => {
    expect(isInForce(exception(), new Date('2099-01-01T00:00:00Z'))).toBe(true);
    expect(isInForce(exception({ expires: 'next tuesday' }), new Date('2000-01-01T00:00:00Z'))).toBe(false);
  });
});

describe('openEndedExceptionDrafts', () => {
  const now = new Date('2026-06-01T00:00:00Z');

  it('warns about an exception without expiry created more than 90 days ago', () => {
    const drafts = openEndedExceptionDrafts([exception({ created: '2026-01-15' })], now);
    expect(drafts).toHaveLength(1);
    expect(drafts[0]).toMatchObject({
      ruleId: EXCEPTION_WITHOUT_EXPIRY_RULE,
      severity: 'low',
      subject: { type: 'tenant', id: `exception:${RULE}:${alice.id}` },
    });
    expect(drafts[0]?.message).toContain('platform-team');
  });

  it('stays quiet for recent, dated or undated-creation exceptions', () => {
    expect(openEndedExceptionDrafts([exception({ created: '2026-04-01' })], now)).toEqual([]);
    expect(openEndedExceptionDrafts([exception({ created: '2025-01-01', expires: '2027-01-01' })], now)).toEqual([]);
    expect(openEndedExceptionDrafts([exception()], now)).toEqual([]);
  });

  it('names a glob subject by its pattern', () => {
    const subject = { type: 'group' as const, name: 'svc-*' };
    const drafts = openEndedExceptionDrafts([exception({ subject, created: '2025-01-01' })], now);
    expect(drafts[0]?.subject.id).toBe(`exception:${RULE}:svc-*`);
  });
});
