import { describe, expect, it } from 'vitest';
import type { FilterNode, FilterSchema } from '../../sim/scim-filter';
import {
  bindFilter,
  FilterSemanticError,
  FilterSyntaxError,
  indexCandidates,
  matches,
  parseFilter,
  splitStatusCondition,
} from '../../sim/scim-filter';

interface Thing {
  id: string;
  name: string;
  status: string;
  tags: string[];
}

const SCHEMA: FilterSchema<Thing> = {
  resource: 'things',
  attributes: {
    id: { ops: ['eq'], values: (t) => [t.id] },
    name: { ops: ['eq', 'co'], values: (t) => [t.name] },
    status: { ops: ['eq'], values: (t) => [t.status] },
    'tags.name': { ops: ['eq'], values: (t) => t.tags },
  },
};

const things: Thing[] = [
  { id: 'a1', name: 'Alice Novak', status: 'active', tags: ['Developer'] },
  { id: 'b2', name: 'Bob Stone', status: 'disabled', tags: [] },
  { id: 'c3', name: "O'Brien", status: 'active', tags: ['Ops', 'developer'] },
];

function select(filter: string): string[] {
  const node = bindFilter(parseFilter(filter), SCHEMA);
  return things.filter((t) => matches(node, t, SCHEMA)).map((t) => t.id);
}

describe('SCIM filter parser', () => {
  it('accepts both quote styles and matches case-insensitively', () => {
    expect(select('name eq "alice novak"')).toEqual(['a1']);
    expect(select("name eq 'BOB STONE'")).toEqual(['b2']);
    expect(select('NAME EQ "bob stone"')).toEqual(['b2']);
    expect(select('name co "o"')).toEqual(['a1', 'b2', 'c3']);
  });

  it('reads escaped quotes inside strings', () => {
    expect(select("name eq 'O\\'Brien'")).toEqual(['c3']);
    expect(select('name eq "O\'Brien"')).toEqual(['c3']);
  });

  it('binds and tighter than or, and honours parentheses', () => {
    // a1 or (b2 and active) → only a1
    expect(select('id eq "a1" or id eq "b2" and status eq "active"')).toEqual(['a1']);
    expect(select('(id eq "a1" or id eq "b2") and status eq "disabled"')).toEqual(['b2']);
    expect(select('not (status eq "active")')).toEqual(['b2']);
  });

  it('matches any value of a multi-valued attribute', () => {
    expect(select('tags.name eq "developer"')).toEqual(['a1', 'c3']);
  });

  it('keeps a 100-term or-chain flat instead of nesting it', () => {
    const filter = Array.from({ length: 100 }, (_, i) => `id eq "x${i}"`).join(' or ');
    const node = parseFilter(filter);
    expect(node.kind).toBe('or');
    expect((node as Extract<FilterNode, { kind: 'or' }>).terms).toHaveLength(100);
  });

  it.each([
    ['', 'empty filter'],
    ['name eq', 'expected a value'],
    ['name "x"', 'comparison operator'],
    ['name eq "x', 'unterminated string'],
    ['(name eq "x"', 'expected ")"'],
    ['name eq "x" or', 'attribute name'],
    ['name eq x', 'quoted value'],
    ['name eq "x" name eq "y"', 'unexpected'],
    ['name eq "x" ; drop', 'unexpected character'],
  ])('rejects %j as a syntax error', (filter, message) => {
    expect(() => parseFilter(filter)).toThrow(FilterSyntaxError);
    expect(() => parseFilter(filter)).toThrow(message);
  });

  it('rejects unknown attributes and unsupported operators', () => {
    expect(() => bindFilter(parseFilter('color eq "red"'), SCHEMA)).toThrow(FilterSemanticError);
    expect(() => bindFilter(parseFilter('id co "a"'), SCHEMA)).toThrow(/operator "co"/);
  });
});

describe('status grouping', () => {
  const split = (filter: string) => splitStatusCondition(bindFilter(parseFilter(filter), SCHEMA));

  it('accepts grouped status conditions applying to the whole query', () => {
    const { statuses, rest } = split(
      '(name eq "Bob" or name eq "Alice") and (status eq "active" or status eq "disabled")',
    );
    expect([...(statuses ?? [])].sort()).toEqual(['active', 'disabled']);
    expect(rest?.kind).toBe('or');
    expect(split('status eq "ACTIVE"').statuses).toEqual(new Set(['active']));
    expect(split('status eq "active" and name eq "x"').rest).toMatchObject({ kind: 'compare', attribute: 'name' });
  });

  it.each([
    'name eq "x" or status eq "active"',
    'not (status eq "active")',
    '(name eq "x" and status eq "active") or id eq "a1"',
  ])('rejects the ungrouped form %j', (filter) => {
    expect(() => split(filter)).toThrow(/status conditions must be grouped/);
  });

  it('leaves the status unrestricted when the filter does not mention it', () => {
    expect(split('name eq "x"').statuses).toBeUndefined();
  });
});

describe('index candidates', () => {
  const index = new Map(things.map((t) => [t.id.toLowerCase(), [t]]));
  const lookup = (attribute: string, value: string) => (attribute === 'id' ? (index.get(value) ?? []) : undefined);

  it('answers or-chains of indexed equality from the index', () => {
    const node = bindFilter(parseFilter('id eq "A1" or id eq "c3" or id eq "zz"'), SCHEMA);
    expect(indexCandidates(node, lookup)?.map((t) => t.id)).toEqual(['a1', 'c3']);
  });

  it('falls back to a scan when any or-term is not indexed', () => {
    const node = bindFilter(parseFilter('id eq "a1" or name co "o"'), SCHEMA);
    expect(indexCandidates(node, lookup)).toBeUndefined();
  });

  it('narrows an and by its indexed conjunct', () => {
    const node = bindFilter(parseFilter('name co "o" and id eq "b2"'), SCHEMA);
    expect(indexCandidates(node, lookup)?.map((t) => t.id)).toEqual(['b2']);
  });
});
