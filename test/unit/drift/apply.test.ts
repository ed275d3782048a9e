import { describe, expect, it } from 'vitest';
import { applyDrift, type DriftInput, knownFormerDevelopers } from '../../../lambda/drift/apply';
import { EXCEPTION_WITHOUT_EXPIRY_RULE, type PolicyException } from '../../../lambda/drift/exceptions';
import { HISTORY_LIMIT, type TenantState } from '../../../lambda/drift/state';
import { type FindingDraft, findingId, type Severity } from '../../../lambda/report/model';

const TENANT = 'tenant-1';
const LACKS = 'api-key-owner-lacks-manage-permission';
const INACTIVE = 'api-key-owner-inactive';

function draft(id: string, name: string, overrides: Partial<FindingDraft> = {}): FindingDraft {
  return {
    ruleId: LACKS,
    severity: 'critical',
    subject: { type: 'user', id, name },
    message: `${name} owns an active API key but holds Manage API keys through no role.`,
    evidence: { user: { id, name } },
    remediation: `PATCH /api/v1/users/${id} to add a role granting api-keys.`,
    ...overrides,
  };
}

const alice = draft('u-alice', 'Alice');
const bob = draft('u-bob', 'Bob');

/** Runs drift on consecutive days, each run seeing the previous run's state. */
function runs(...perRun: { drafts: FindingDraft[]; exceptions?: PolicyException[]; day?: number }[]) {
  let previous: TenantState | undefined;
  return perRun.map((run, index) => {
    const day = run.day ?? index + 1;
    const result = applyDrift(input({ previous, drafts: run.drafts, exceptions: run.exceptions ?? [], day }));
    previous = result.next;
    return result;
  });
}

function input(overrides: Partial<DriftInput> & { day?: number; drafts: FindingDraft[] }): DriftInput {
  const day = overrides.day ?? 1;
  const now = new Date(Date.UTC(2026, 2, day, 6, 0, 0));
  return {
    tenantId: TENANT,
    runId: now.toISOString(),
    now,
    previous: undefined,
    exceptions: [],
    titleOf: (ruleId) => `Title of ${ruleId}`,
    developerHolders: { users: [], groups: [] },
    ...overrides,
  };
}

describe('times read from the state', () => {
  it('counts a first sighting or alert time after this run as not written by this checker', () => {
    const [first] = runs({ drafts: [alice] });
    const id = findingId(TENANT, LACKS, alice.subject);
    const before = first!.next.findings[id]!;
    const forged: TenantState = {
      ...first!.next,
      findings: {
        [id]: { ...before, firstSeen: '2099-01-01T00:00:00.000Z', lastAlertedAt: '2099-01-01T00:00:00.000Z' },
      },
    };
    const second = applyDrift(input({ previous: forged, drafts: [alice], day: 2 }));
    const now = new Date(Date.UTC(2026, 2, 2, 6, 0, 0)).toISOString();
    expect(second.findings[0]).toMatchObject({ id, drift: 'ongoing', firstSeen: now });
    expect(second.next.findings[id]?.firstSeen).toBe(now);
    expect(second.next.findings[id]?.lastAlertedAt).toBeUndefined();
  });
});

describe('applyDrift transitions', () => {
  it('walks one finding through new → ongoing → resolved → reopened', () => {
    const [first, second, third, fourth] = runs(
      { drafts: [alice] },
      { drafts: [alice] },
      { drafts: [] },
      { drafts: [alice] },
    );
    const id = findingId(TENANT, LACKS, alice.subject);

    expect(first?.findings).toEqual([
      expect.objectContaining({ id, drift: 'new', status: 'fail', title: `Title of ${LACKS}`, tenantId: TENANT }),
    ]);
    expect(first?.changes).toEqual({ new: 1, resolved: 0, reopened: 0, exceptionExpired: 0 });

    expect(second?.findings[0]).toMatchObject({ id, drift: 'ongoing', firstSeen: first?.findings[0]?.firstSeen });
    expect(second?.findings[0]?.lastSeen).toBe('2026-03-02T06:00:00.000Z');

    expect(third?.findings).toEqual([]);
    expect(third?.resolved).toEqual([
      expect.objectContaining({ id, drift: 'resolved', status: 'fail', resolvedAt: '2026-03-03T06:00:00.000Z' }),
    ]);
    expect(third?.resolved[0]?.message).toBe(alice.message);
    expect(third?.changes.resolved).toBe(1);
    expect(third?.next.findings[id]).toMatchObject({ lastStatus: 'resolved', resolvedAt: '2026-03-03T06:00:00.000Z' });

    expect(fourth?.findings[0]).toMatchObject({ id, drift: 'reopened', status: 'fail' });
    expect(fourth?.findings[0]?.firstSeen).toBe(first?.findings[0]?.firstSeen);
    expect(fourth?.changes.reopened).toBe(1);
    expect(fourth?.resolved).toEqual([]);
  });

  it('resolves the findings of a deleted user or a revoked key when their drafts disappear', () => {
    const keyFinding = draft('key-1', 'CI key', {
      ruleId: INACTIVE,
      severity: 'medium',
      subject: { type: 'apiKey', id: 'key-1', name: 'CI key' },
    });
    const [, after] = runs({ drafts: [alice, bob, keyFinding] }, { drafts: [bob] });
    expect(after?.resolved.map((f) => f.subject.id).sort()).toEqual(['key-1', 'u-alice']);
    expect(after?.findings.map((f) => f.subject.id)).toEqual(['u-bob']);
  });

  it('resolves a finding only once', () => {
    const [, , third] = runs({ drafts: [alice] }, { drafts: [] }, { drafts: [] });
    expect(third?.resolved).toEqual([]);
    expect(third?.changes.resolved).toBe(0);
  });

  it('orders findings by severity, then rule, then subject name, whatever the input order', () => {
    const low = draft('k', 'Zed key', { ruleId: 'api-key-expiring', severity: 'low' });
    const high = draft('g', 'Builders', { ruleId: 'deprecated-developer-role-assigned', severity: 'high' });
    const [result] = runs({ drafts: [low, bob, high, alice] });
    expect(result?.findings.map((f) => [f.severity, f.subject.name])).toEqual([
      ['critical', 'Alice'],
      ['critical', 'Bob'],
      ['high', 'Builders'],
      ['low', 'Zed key'],
    ]);
  });

  it('keeps one finding when a rule reports the same subject twice', () => {
    const [result] = runs({ drafts: [alice, { ...alice, message: 'duplicate' }] });
    expect(result?.findings).toHaveLength(1);
    expect(result?.findings[0]?.message).toBe(alice.message);
  });
});

describe('applyDrift exceptions', () => {
  const byId: PolicyException = {
    rule: LACKS,
    subject: { type: 'user', id: 'u-alice' },
    reason: 'integration account being migrated',
    owner: 'jane@example.com',
    ticket: 'SEC-42',
    expires: '2026-03-02',
  };

  it('suppresses a matching finding while the exception is in force, and keeps it in the report', () => {
    const [result] = runs({ drafts: [alice, bob], exceptions: [byId] });
    const suppressed = result?.findings.find((f) => f.subject.id === 'u-alice');
    expect(suppressed).toMatchObject({
      status: 'suppressed',
      drift: 'new',
      exception: { reason: byId.reason, owner: byId.owner },
    });
    expect(result?.findings.find((f) => f.subject.id === 'u-bob')?.status).toBe('fail');
    expect(result?.exceptionsInForce).toEqual([byId]);
    expect(result?.expiredExceptions).toEqual([]);
  });

  it('suppresses a group by name glob, never a user', () => {
    const legacy = draft('g-legacy', 'Legacy ETL', { subject: { type: 'group', id: 'g-legacy', name: 'Legacy ETL' } });
    const exceptions: PolicyException[] = [
      { rule: LACKS, subject: { type: 'group', name: 'legacy*' }, reason: 'r', owner: 'o' },
      { rule: LACKS, subject: { type: 'user', name: 'ali*' }, reason: 'r', owner: 'o' },
    ];
    const [result] = runs({ drafts: [alice, bob, legacy], exceptions });
    expect(result?.findings.filter((f) => f.status === 'suppressed').map((f) => f.subject.name)).toEqual([
      'Legacy ETL',
    ]);
  });

  it('keeps a suppressed finding ongoing while the exception lasts (the date-only expiry day included)', () => {
    const [, second] = runs(
      { drafts: [alice], exceptions: [byId], day: 1 },
      { drafts: [alice], exceptions: [byId], day: 2 },
    );
    expect(second?.findings[0]).toMatchObject({ status: 'suppressed', drift: 'ongoing' });
    expect(second?.changes).toEqual({ new: 0, resolved: 0, reopened: 0, exceptionExpired: 0 });
  });

  it('reopens a suppressed finding when its exception expires, saying why it was suppressed', () => {
    const [, afterExpiry] = runs(
      { drafts: [alice], exceptions: [byId], day: 2 },
      { drafts: [alice], exceptions: [byId], day: 3 },
    );
    const finding = afterExpiry?.findings[0];
    expect(finding).toMatchObject({
      status: 'fail',
      drift: 'reopened',
      exception: { reason: byId.reason, owner: byId.owner, ticket: 'SEC-42', expired: true },
    });
    expect(finding?.message).toContain(alice.message);
    expect(finding?.message).toContain('suppressed before');
    expect(finding?.message).toContain(byId.reason);
    expect(finding?.message).toContain('2026-03-02');
    expect(afterExpiry?.changes).toEqual({ new: 0, resolved: 0, reopened: 1, exceptionExpired: 1 });
    expect(afterExpiry?.expiredExceptions).toEqual([{ ...byId, expired: true }]);
    expect(afterExpiry?.exceptionsInForce).toEqual([]);
  });

  it('reopens a suppressed finding whose exception was removed from the policy, without calling it expired', () => {
    const [, after] = runs(
      { drafts: [alice], exceptions: [byId], day: 1 },
      { drafts: [alice], exceptions: [], day: 2 },
    );
    expect(after?.findings[0]).toMatchObject({ status: 'fail', drift: 'reopened' });
    expect(after?.findings[0]?.exception).toBeUndefined();
    expect(after?.findings[0]?.message).toContain('no longer in the policy');
    expect(after?.changes.exceptionExpired).toBe(0);
  });

  it('does not attach an expired exception to a finding it never suppressed', () => {
    const [result] = runs({ drafts: [alice], exceptions: [byId], day: 10 });
    expect(result?.findings[0]).toMatchObject({ status: 'fail', drift: 'new' });
    expect(result?.findings[0]?.exception).toBeUndefined();
  });

  it('closes a suppressed finding quietly when its subject disappears', () => {
    const [, after] = runs({ drafts: [alice], exceptions: [byId], day: 1 }, { drafts: [], exceptions: [byId], day: 2 });
    expect(after?.resolved).toEqual([]);
    expect(after?.next.findings[findingId(TENANT, LACKS, alice.subject)]?.lastStatus).toBe('resolved');
  });

  it('reports an open-ended exception older than 90 days as a low finding that drifts like any other', () => {
    const old: PolicyException = {
      rule: LACKS,
      subject: { id: 'u-carol' },
      reason: 'r',
      owner: 'o',
      created: '2025-10-01',
    };
    const [first, second] = runs({ drafts: [], exceptions: [old] }, { drafts: [], exceptions: [old] });
    expect(first?.findings).toEqual([
      expect.objectContaining({ ruleId: EXCEPTION_WITHOUT_EXPIRY_RULE, severity: 'low', drift: 'new', status: 'fail' }),
    ]);
    expect(first?.findings[0]?.title).toBeTruthy();
    expect(second?.findings[0]?.drift).toBe('ongoing');
  });
});

describe('applyDrift state', () => {
  it('remembers Developer-role holders across runs and reports them as former developers', () => {
    const first = applyDrift(
      input({
        drafts: [],
        developerHolders: { users: [{ id: 'u2', name: 'Dana' }], groups: [{ id: 'g1', name: 'Devs' }] },
      }),
    );
    const second = applyDrift(
      input({
        day: 2,
        previous: first.next,
        drafts: [],
        developerHolders: { users: [{ id: 'u1', name: 'Al' }], groups: [] },
      }),
    );
    expect(knownFormerDevelopers(second.next)).toEqual({
      users: [
        { id: 'u1', name: 'Al', lastSeen: '2026-03-02T06:00:00.000Z' },
        { id: 'u2', name: 'Dana', lastSeen: '2026-03-01T06:00:00.000Z' },
      ],
      groups: [{ id: 'g1', name: 'Devs', lastSeen: '2026-03-01T06:00:00.000Z' }],
    });
    expect(knownFormerDevelopers(undefined)).toEqual({ users: [], groups: [] });
  });

  it('records each run in the history, keeps the last 30, and replaces a repeated run id', () => {
    let previous: TenantState | undefined;
    for (let day = 1; day <= 35; day++) {
      previous = applyDrift(input({ day, previous, drafts: day % 2 ? [alice] : [alice, bob] })).next;
    }
    expect(previous?.history).toHaveLength(HISTORY_LIMIT);
    expect(previous?.history.at(-1)).toMatchObject({ failing: 1, new: 0, resolved: 1, suppressed: 0, errors: 0 });
    expect(previous?.history[0]?.at).toBe('2026-03-06T06:00:00.000Z');

    const again = applyDrift({ ...input({ day: 35, previous, drafts: [alice] }), errors: 2 }).next;
    expect(again.history).toHaveLength(HISTORY_LIMIT);
    expect(again.history.at(-1)).toMatchObject({ runId: previous?.lastRunId, errors: 2 });
  });

  it('forgets findings resolved more than a year ago', () => {
    const [first] = runs({ drafts: [alice] }, { drafts: [] });
    const resolvedState = applyDrift(input({ day: 2, previous: first?.next, drafts: [] })).next;
    const later = applyDrift(input({ day: 2 + 400, previous: resolvedState, drafts: [] })).next;
    expect(Object.keys(resolvedState.findings)).toHaveLength(1);
    expect(later.findings).toEqual({});
  });

  it('saves the severity and subject of every finding, suppressed ones with their exception', () => {
    const exception: PolicyException = { rule: LACKS, subject: { id: 'u-bob' }, reason: 'r', owner: 'o' };
    const [result] = runs({ drafts: [alice, bob], exceptions: [exception] });
    const bobState = result?.next.findings[findingId(TENANT, LACKS, bob.subject)];
    expect(bobState).toMatchObject({
      lastStatus: 'suppressed',
      severity: 'critical' as Severity,
      suppressedBy: exception,
    });
    expect(result?.next.lastRunId).toBe('2026-03-01T06:00:00.000Z');
  });
});
