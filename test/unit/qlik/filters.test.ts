import { describe, expect, it } from 'vitest';
import { ALL_STATUSES_FILTER, anyEquals, chunk, inAnyStatus, scimString } from '../../../lambda/qlik/filters';
import { scimMatcher, USER_FIELDS } from './support/scim';

describe('SCIM filters', () => {
  it('quotes and escapes values', () => {
    expect(scimString('plain')).toBe('"plain"');
    expect(scimString('a "quoted" \\ name')).toBe('"a \\"quoted\\" \\\\ name"');
  });

  it('groups status conditions so they apply to the whole query', () => {
    expect(inAnyStatus(anyEquals(['id'], ['a', 'b']))).toBe(
      '(id eq "a" or id eq "b") and (status eq "active" or status eq "invited" or status eq "disabled" or status eq "deleted" or status eq "provisioned")',
    );
    expect(ALL_STATUSES_FILTER.startsWith('(status eq "active" or')).toBe(true);
  });

  it('builds filters that select exactly the users meant, whatever their status', () => {
    const users = [
      { id: 'a', status: 'active', email: 'A@example.com' },
      { id: 'b', status: 'deleted', email: 'b@example.com' },
      { id: 'c', status: 'disabled', email: 'c"q@example.com' },
    ];
    const pick = (filter: string) => users.filter(scimMatcher(filter, USER_FIELDS)).map((u) => u.id);
    expect(pick(inAnyStatus(anyEquals(['id'], ['a', 'b'])))).toEqual(['a', 'b']);
    expect(pick(inAnyStatus(anyEquals(['email', 'subject'], ['a@example.com', 'c"q@example.com'])))).toEqual([
      'a',
      'c',
    ]);
  });

  it('chunks lists', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 2)).toEqual([]);
  });
  it('the fake tenant refuses filters the collector never sends, so tests notice if it starts to', () => {
    expect(() => scimMatcher('not (id eq "a")', USER_FIELDS)).toThrow(/never sends "not"/);
    expect(() => scimMatcher('ID eq "a"', USER_FIELDS)).toThrow(/unknown users field "ID"/);
    expect(() => scimMatcher('id co "a"', USER_FIELDS)).toThrow();
  });
});
