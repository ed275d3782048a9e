import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../lambda/errors';
import { canonicalJson, policyFromDocument } from '../../../lambda/policy/load';
import { loadPolicyFile, parsePolicy } from '../../../lambda/policy/load-file';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures/policy');

function inputErrorOf(action: () => unknown): InputError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError');
}

async function rejectionOf(promise: Promise<unknown>): Promise<InputError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

describe('loading a policy', () => {
  const scratch = mkdtemp(join(tmpdir(), 'qag-policy-'));
  afterAll(async () => rm(await scratch, { recursive: true, force: true }));

  it('applies every default to a policy that only has a name', () => {
    const { policy, name, source } = parsePolicy('name: minimal\n', 'minimal.yaml');
    expect(name).toBe('minimal');
    expect(source).toBe('minimal.yaml');
    expect(policy.rules['api-key-expiring']).toEqual({ enabled: true, severity: 'low', windowDays: 14 });
    expect(policy.rules['api-key-config-out-of-policy']).toEqual({
      enabled: true,
      severity: 'low',
      maxKeyExpiry: 'P365D',
      maxKeysPerUser: 5,
    });
    expect(policy.rules['manage-api-keys-granted-to-everyone'].enabled).toBe(true);
    expect(policy.rules['api-key-owner-lacks-manage-permission'].severity).toBe('critical');
    expect(policy.grantingRoles).toEqual([]);
    expect(policy.formerDevelopers).toEqual({ users: [], groups: [] });
    expect(policy.require).toEqual([]);
    expect(policy.exceptions).toEqual([]);
    expect(policy.notifications).toEqual({
      reminderEveryDays: 7,
      credentialExpiryWarningDays: 14,
      maxItemsPerSection: 25,
    });
  });

  it('reads the same policy from YAML and JSON, with the same hash', async () => {
    const yaml = await loadPolicyFile(join(FIXTURES, 'full.yaml'));
    const json = await loadPolicyFile(join(FIXTURES, 'full.json'));
    expect(json.policy).toEqual(yaml.policy);
    expect(json.sha256).toBe(yaml.sha256);
    expect(yaml.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(yaml.source).toBe(join(FIXTURES, 'full.yaml'));
    expect(yaml.policy.rules['deprecated-developer-role-assigned']).toEqual({ enabled: true, severity: 'medium' });
    expect(yaml.policy.require[0]?.id).toBe('bi-team-can-manage-api-keys');
    expect(yaml.policy.exceptions[0]?.expires).toBe('2026-04-01');
  });

  it('hashes the canonical policy: key order and spelled-out defaults do not matter, content does', () => {
    const a = parsePolicy('name: p\nrules: { api-key-expiring: { windowDays: 14 } }\n', 'a.yaml');
    const b = parsePolicy('{"rules": {}, "name": "p"}', 'b.json');
    const c = parsePolicy('name: p\nrules: { api-key-expiring: { windowDays: 15 } }\n', 'c.yaml');
    expect(a.sha256).toBe(b.sha256);
    expect(c.sha256).not.toBe(a.sha256);
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[{"y":2,"z":1}]},"b":1}');
  });

  it('names the file, the path and the expectation for a wrong value', async () => {
    const file = join(FIXTURES, 'bad-window.yaml');
    const error = await rejectionOf(loadPolicyFile(file));
    expect(error.code).toBe('bad-input');
    expect(error.file).toBe(file);
    expect(error.path).toBe('rules.api-key-expiring.windowDays');
    expect(error.expected).toContain('a whole number from 1 to 3650');
    expect(error.expected).toContain('got "fourteen"');
    expect(error.message).toBe(`${file} at rules.api-key-expiring.windowDays: ${error.expected}`);
  });

  it('names an unknown key and the keys that are allowed there', async () => {
    const error = await rejectionOf(loadPolicyFile(join(FIXTURES, 'unknown-rule-option.yaml')));
    expect(error.path).toBe('rules.api-key-expiring.windowDay');
    expect(error.expected).toBe('no such key here (allowed keys: enabled, severity, windowDays)');
  });

  it('rejects an unknown rule id and an unknown top-level key', () => {
    const rule = inputErrorOf(() => parsePolicy('name: x\nrules:\n  api-key-expring: {}\n', 'p.yaml'));
    expect(rule.path).toBe('rules.api-key-expring');
    expect(rule.expected).toContain('api-key-expiring');
    const top = inputErrorOf(() => parsePolicy('name: x\nnotification: {}\n', 'p.yaml'));
    expect(top.path).toBe('notification');
    expect(top.expected).toContain('notifications');
  });

  it.each([
    // The parser reports where it notices the problem: the line after the unclosed flow mapping.
    [
      'syntax-error.yaml',
      'valid YAML or JSON (line 4, column 1: Flow map in block collection must be sufficiently indented and end with a })',
    ],
    ['syntax-error.json', 'valid YAML or JSON (line 4, column 3: Missing , between flow map items)'],
  ])('reports a syntax error in %s with its line and column', async (name, expected) => {
    const error = await rejectionOf(loadPolicyFile(join(FIXTURES, name)));
    expect(error.path).toBe('');
    expect(error.expected).toBe(expected);
    expect(error.message).not.toContain('\n');
  });

  it('rejects duplicate keys, empty files and non-mappings', () => {
    expect(inputErrorOf(() => parsePolicy('name: a\nname: b\n', 'dup.yaml')).expected).toContain(
      'Map keys must be unique',
    );
    expect(inputErrorOf(() => parsePolicy('', 'empty.yaml')).expected).toContain('the file is empty');
    expect(inputErrorOf(() => parsePolicy('- name: a\n', 'list.yaml')).expected).toContain('not a list');
  });

  it('lists several problems after the first', () => {
    const error = inputErrorOf(() =>
      parsePolicy(
        'name: x\nrules: { api-key-expiring: { severity: urgent } }\nnotifications: { reminderEveryDays: 0 }\n',
        'p.yaml',
      ),
    );
    expect(error.path).toBe('rules.api-key-expiring.severity');
    expect(error.expected).toContain('one of critical, high, medium, low, informational (got "urgent")');
    expect(error.expected).toContain('also notifications.reminderEveryDays: days between reminders');
  });

  it.each([
    ['a missing name', { rules: {} }, 'name', 'required: a policy name'],
    [
      'a bad duration',
      { name: 'x', rules: { 'api-key-config-out-of-policy': { maxKeyExpiry: '1 year' } } },
      'rules.api-key-config-out-of-policy.maxKeyExpiry',
      'ISO-8601 duration',
    ],
    [
      'keys per user out of range',
      { name: 'x', rules: { 'api-key-config-out-of-policy': { maxKeysPerUser: 5000 } } },
      'rules.api-key-config-out-of-policy.maxKeysPerUser',
      'from 0 to 1000',
    ],
    [
      'Developer as a granting role',
      { name: 'x', grantingRoles: ['Developer'] },
      'grantingRoles[0]',
      'never grants api-keys',
    ],
    [
      'a custom rule reusing a built-in id',
      {
        name: 'x',
        require: [
          { id: 'api-key-expiring', title: 't', severity: 'low', select: { users: ['a@b.c'] }, scopes: ['api-keys'] },
        ],
      },
      'require[0].id',
      'not a built-in rule id',
    ],
    [
      'a custom rule id not in kebab case',
      {
        name: 'x',
        require: [{ id: 'BI_Team', title: 't', severity: 'low', select: { users: ['a@b.c'] }, scopes: ['api-keys'] }],
      },
      'require[0].id',
      'kebab-case',
    ],
    [
      'a custom rule selecting nobody',
      { name: 'x', require: [{ id: 'r', title: 't', severity: 'low', select: { users: [] }, scopes: ['api-keys'] }] },
      'require[0].select',
      'at least one non-empty list',
    ],
    [
      'a custom rule without scopes',
      { name: 'x', require: [{ id: 'r', title: 't', severity: 'low', select: { roles: ['A'] }, scopes: [] }] },
      'require[0].scopes',
      'at least one scope',
    ],
    [
      'two custom rules with one id',
      {
        name: 'x',
        require: [1, 2].map(() => ({ id: 'r', title: 't', severity: 'low', select: { roles: ['A'] }, scopes: ['s'] })),
      },
      'require[1].id',
      'a unique id',
    ],
    [
      'an exception without reason',
      { name: 'x', exceptions: [{ rule: 'api-key-expiring', subject: { id: 'k' }, owner: 'me' }] },
      'exceptions[0].reason',
      'why the risk is accepted',
    ],
    [
      'an exception without subject id or name',
      { name: 'x', exceptions: [{ rule: 'api-key-expiring', subject: { type: 'apiKey' }, reason: 'r', owner: 'me' }] },
      'exceptions[0].subject',
      'an id or a name',
    ],
    [
      'a user exception by name only (users choose their own names)',
      {
        name: 'x',
        exceptions: [
          { rule: 'api-key-expiring', subject: { type: 'user', name: 'svc-etl-*' }, reason: 'r', owner: 'me' },
        ],
      },
      'exceptions[0].subject',
      'an id for a user subject (e.g. id: "64a1…"): users choose their own names, so a name never matches alone',
    ],
    [
      'an API-key exception by description only',
      {
        name: 'x',
        exceptions: [{ rule: 'api-key-expiring', subject: { type: 'apiKey', name: 'CI*' }, reason: 'r', owner: 'me' }],
      },
      'exceptions[0].subject',
      'an id for an API-key subject',
    ],
    [
      'a name-only exception without a type (it could match users)',
      { name: 'x', exceptions: [{ rule: 'api-key-expiring', subject: { name: 'svc-*' }, reason: 'r', owner: 'me' }] },
      'exceptions[0].subject',
      'an id, or a name pattern with a type whose names only administrators set (type: role, group, tenant)',
    ],
    [
      'an exception for an unknown rule',
      { name: 'x', exceptions: [{ rule: 'no-such-rule', subject: { id: 'k' }, reason: 'r', owner: 'me' }] },
      'exceptions[0].rule',
      'not "no-such-rule"',
    ],
    [
      'an exception with a bad expiry',
      {
        name: 'x',
        exceptions: [
          { rule: 'api-key-expiring', subject: { id: 'k' }, reason: 'r', owner: 'me', expires: 'next week' },
        ],
      },
      'exceptions[0].expires',
      'a date (YYYY-MM-DD) or an ISO-8601 date-time',
    ],
    [
      'an exception with a bad subject type',
      {
        name: 'x',
        exceptions: [{ rule: 'api-key-expiring', subject: { type: 'key', id: 'k' }, reason: 'r', owner: 'me' }],
      },
      'exceptions[0].subject.type',
      'one of user, group, apiKey, role, tenant',
    ],
  ])('rejects %s', (_, document, path, expected) => {
    const error = inputErrorOf(() => policyFromDocument(document, 'policy.json'));
    expect(error.file).toBe('policy.json');
    expect(error.path).toBe(path);
    expect(error.expected).toContain(expected);
  });

  it('accepts exceptions for custom rules, date-times and globbed names', () => {
    const { policy } = policyFromDocument(
      {
        name: 'x',
        require: [{ id: 'r', title: 't', severity: 'low', select: { roles: ['A'] }, scopes: ['s'] }],
        exceptions: [
          {
            rule: 'r',
            subject: { type: 'group', name: 'svc-*' },
            reason: 'r',
            owner: 'me',
            expires: '2026-04-01T00:00:00Z',
          },
        ],
      },
      'policy.json',
    );
    expect(policy.exceptions[0]?.subject).toEqual({ type: 'group', name: 'svc-*' });
  });

  it('reports a missing file and a directory as input errors', async () => {
    const dir = await scratch;
    const missing = await rejectionOf(loadPolicyFile(join(dir, 'nope.yaml')));
    expect(missing.message).toBe(`${join(dir, 'nope.yaml')}: an existing policy file (not found)`);
    const directory = await rejectionOf(loadPolicyFile(dir));
    expect(directory.expected).toBe('a policy file, not a directory');
  });
});
