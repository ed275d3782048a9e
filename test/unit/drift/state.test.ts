import { describe, expect, it } from 'vitest';
import { applyDrift } from '../../../lambda/drift/apply';
import { emptyState, parseState, STATE_SCHEMA_VERSION, statePath } from '../../../lambda/drift/state';
import { InputError } from '../../../lambda/errors';
import type { FindingDraft } from '../../../lambda/report/model';

const SOURCE = 's3://reports/state/tenant=t1/state.json';

const draft: FindingDraft = {
  ruleId: 'api-key-owner-lacks-manage-permission',
  severity: 'critical',
  subject: { type: 'user', id: 'u1', name: 'Alice' },
  message: 'Alice owns an active key but lacks Manage API keys.',
  evidence: {},
  remediation: 'Assign a role granting api-keys.',
};

function stateAfterOneRun() {
  return applyDrift({
    tenantId: 't1',
    runId: '2026-03-01T06:00:00Z',
    now: new Date('2026-03-01T06:00:05Z'),
    previous: undefined,
    drafts: [draft],
    exceptions: [{ rule: draft.ruleId, subject: { id: 'other' }, reason: 'r', owner: 'o', expires: '2027-01-01' }],
    titleOf: () => 'API-key owners hold Manage API keys',
    developerHolders: { users: [{ id: 'u9', name: 'Dev Dana' }], groups: [{ id: 'g1', name: 'Builders' }] },
  }).next;
}

describe('parseState', () => {
  it('round-trips a saved state through JSON, as an object and as text', () => {
    const state = stateAfterOneRun();
    const text = JSON.stringify(state);
    expect(parseState(JSON.parse(text), SOURCE)).toEqual(state);
    expect(parseState(text, SOURCE)).toEqual(state);
  });

  it('turns a missing state into a fresh one when the tenant is known, else undefined', () => {
    expect(parseState(undefined, SOURCE, 't1')).toEqual(emptyState('t1'));
    expect(parseState(undefined, SOURCE)).toBeUndefined();
    expect(emptyState('t1')).toMatchObject({ schemaVersion: STATE_SCHEMA_VERSION, findings: {}, history: [] });
  });

  it('names the source and the path of a corrupt field', () => {
    const state = JSON.parse(JSON.stringify(stateAfterOneRun()));
    const id = Object.keys(state.findings)[0] as string;
    state.findings[id].lastStatus = 'exploded';
    const error = catchError(() => parseState(state, SOURCE));
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ file: SOURCE, path: `findings["${id}"].lastStatus`, code: 'bad-input' });
    expect(error.message).toContain(SOURCE);
  });

  it('refuses text that is not JSON', () => {
    const error = catchError(() => parseState('{"schemaVersion":1,', SOURCE));
    expect(error).toMatchObject({ file: SOURCE, expected: expect.stringContaining('JSON') });
  });

  it('refuses a state written by a newer version, and a state of another tenant', () => {
    expect(catchError(() => parseState({ ...emptyState('t1'), schemaVersion: 99 }, SOURCE))).toMatchObject({
      path: 'schemaVersion',
      expected: expect.stringContaining('newer'),
    });
    expect(catchError(() => parseState(emptyState('t2'), SOURCE, 't1'))).toMatchObject({ path: 'tenantId' });
  });

  it('refuses a state whose history entries are malformed, naming the index', () => {
    const state = { ...emptyState('t1'), history: [{ runId: 'r', at: 'yesterday' }] };
    expect(catchError(() => parseState(state, SOURCE))).toMatchObject({ path: 'history[0].at' });
  });
});

describe('statePath', () => {
  it('writes identifiers with dots, indices and odd keys with brackets', () => {
    expect(statePath(['formerDevelopers', 'users', 'abc', 'name'])).toBe('formerDevelopers.users.abc.name');
    expect(statePath(['history', 2, 'at'])).toBe('history[2].at');
    expect(statePath(['findings', 'qag-1'])).toBe('findings["qag-1"]');
  });
});

function catchError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    return error as InputError;
  }
  throw new Error('expected an error');
}
