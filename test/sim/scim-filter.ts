/**
 * The RFC 7644 (SCIM) filter subset Qlik's users, groups and roles endpoints take (docs/qlik-cloud-api.md §2): `eq` and
 * `co`, `and` / `or` / `not`, parentheses, both quote styles, matched case-insensitively. `and` binds tighter than `or`.
 * Chains are kept flat (n-ary) so a batched `id eq "a" or id eq "b" or …` of hundreds of terms neither recurses deeply
 * nor costs more than one pass.
 */

export type FilterOperator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le' | 'pr';
export type FilterValue = string | number | boolean | null;

export type FilterNode =
  | { readonly kind: 'or'; readonly terms: readonly FilterNode[] }
  | { readonly kind: 'and'; readonly terms: readonly FilterNode[] }
  | { readonly kind: 'not'; readonly term: FilterNode }
  | { readonly kind: 'compare'; readonly attribute: string; readonly op: FilterOperator; readonly value: FilterValue };

export class FilterSyntaxError extends Error {
  override readonly name = 'FilterSyntaxError';
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

type Token =
  | { readonly type: 'lparen' | 'rparen'; readonly at: number }
  | { readonly type: 'word'; readonly text: string; readonly at: number }
  | { readonly type: 'string'; readonly text: string; readonly at: number };

const OPERATORS: ReadonlySet<string> = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'pr']);
const WORD_CHAR = /[A-Za-z0-9_.$:\-+@|]/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
    } else if (ch === '(' || ch === ')') {
      tokens.push({ type: ch === '(' ? 'lparen' : 'rparen', at: i });
      i++;
    } else if (ch === '"' || ch === "'") {
      const start = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new FilterSyntaxError(`unterminated string starting at position ${start}`, start);
        const c = text[i]!;
        if (c === '\\') {
          const next = text[i + 1];
          if (next === undefined) throw new FilterSyntaxError(`dangling escape at position ${i}`, i);
          value += next;
          i += 2;
        } else if (c === ch) {
          i++;
          break;
        } else {
          value += c;
          i++;
        }
      }
      tokens.push({ type: 'string', text: value, at: start });
    } else if (WORD_CHAR.test(ch)) {
      const start = i;
      while (i < text.length && WORD_CHAR.test(text[i]!)) i++;
      tokens.push({ type: 'word', text: text.slice(start, i), at: start });
    } else {
      throw new FilterSyntaxError(`unexpected character ${JSON.stringify(ch)} at position ${i}`, i);
    }
  }
  return tokens;
}

class Parser {
  private index = 0;
  constructor(
    private readonly tokens: readonly Token[],
    private readonly length: number,
  ) {}

  parse(): FilterNode {
    if (this.tokens.length === 0) throw new FilterSyntaxError('empty filter', 0);
    const node = this.parseOr();
    const extra = this.tokens[this.index];
    if (extra) throw new FilterSyntaxError(`unexpected ${describe(extra)} at position ${extra.at}`, extra.at);
    return node;
  }

  private peekKeyword(keyword: string): boolean {
    const t = this.tokens[this.index];
    return t?.type === 'word' && t.text.toLowerCase() === keyword;
  }

  private parseOr(): FilterNode {
    const terms = [this.parseAnd()];
    while (this.peekKeyword('or')) {
      this.index++;
      terms.push(this.parseAnd());
    }
    return terms.length === 1 ? terms[0]! : { kind: 'or', terms: flatten('or', terms) };
  }

  private parseAnd(): FilterNode {
    const terms = [this.parseUnary()];
    while (this.peekKeyword('and')) {
      this.index++;
      terms.push(this.parseUnary());
    }
    return terms.length === 1 ? terms[0]! : { kind: 'and', terms: flatten('and', terms) };
  }

  private parseUnary(): FilterNode {
    if (this.peekKeyword('not')) {
      this.index++;
      const open = this.tokens[this.index];
      if (open?.type !== 'lparen') throw this.expected('"(" after not', open);
      return { kind: 'not', term: this.parseGroup() };
    }
    const t = this.tokens[this.index];
    if (t?.type === 'lparen') return this.parseGroup();
    return this.parseComparison();
  }

  private parseGroup(): FilterNode {
    this.index++; // "("
    const inner = this.parseOr();
    const close = this.tokens[this.index];
    if (close?.type !== 'rparen') throw this.expected('")"', close);
    this.index++;
    return inner;
  }

  private parseComparison(): FilterNode {
    const attr = this.tokens[this.index];
    if (attr?.type !== 'word' || OPERATORS.has(attr.text.toLowerCase()) || isLogical(attr.text)) {
      throw this.expected('an attribute name', attr);
    }
    this.index++;
    const opToken = this.tokens[this.index];
    if (opToken?.type !== 'word' || !OPERATORS.has(opToken.text.toLowerCase()))
      throw this.expected('a comparison operator', opToken);
    this.index++;
    const op = opToken.text.toLowerCase() as FilterOperator;
    if (op === 'pr') return { kind: 'compare', attribute: attr.text, op, value: null };
    const valueToken = this.tokens[this.index];
    if (!valueToken || valueToken.type === 'lparen' || valueToken.type === 'rparen')
      throw this.expected('a value', valueToken);
    this.index++;
    return { kind: 'compare', attribute: attr.text, op, value: literal(valueToken) };
  }

  private expected(what: string, got: Token | undefined): FilterSyntaxError {
    const at = got?.at ?? this.length;
    return new FilterSyntaxError(
      `expected ${what} at position ${at}, found ${got ? describe(got) : 'end of filter'}`,
      at,
    );
  }
}

function isLogical(word: string): boolean {
  const w = word.toLowerCase();
  return w === 'and' || w === 'or' || w === 'not';
}

function flatten(kind: 'and' | 'or', terms: FilterNode[]): FilterNode[] {
  return terms.flatMap((t) => (t.kind === kind ? t.terms : [t]));
}

function describe(t: Token): string {
  if ('text' in t) return JSON.stringify(t.text);
  return t.type === 'lparen' ? '"("' : '")"';
}

function literal(t: Token): FilterValue {
  if (t.type === 'string') return t.text;
  if (t.type !== 'word') throw new FilterSyntaxError(`expected a value at position ${t.at}`, t.at);
  const w = t.text.toLowerCase();
  if (w === 'true') return true;
  if (w === 'false') return false;
  if (w === 'null') return null;
  if (/^-?\d+(\.\d+)?$/.test(t.text)) return Number(t.text);
  throw new FilterSyntaxError(`expected a quoted value at position ${t.at}, found ${JSON.stringify(t.text)}`, t.at);
}

export function parseFilter(text: string): FilterNode {
  return new Parser(tokenize(text), text.length).parse();
}

/** Attributes a resource supports, each with the operators allowed on it. Names are matched case-insensitively. */
export interface FilterSchema<T> {
  readonly resource: string;
  readonly attributes: Readonly<
    Record<string, { readonly ops: readonly FilterOperator[]; readonly values: (entity: T) => readonly string[] }>
  >;
}

export class FilterSemanticError extends Error {
  override readonly name = 'FilterSemanticError';
}

/** Checks attributes and operators against the schema; returns the node with attribute names normalised. */
export function bindFilter<T>(node: FilterNode, schema: FilterSchema<T>): FilterNode {
  const lookup = attributeLookup(schema);
  const bind = (n: FilterNode): FilterNode => {
    switch (n.kind) {
      case 'or':
      case 'and':
        return { kind: n.kind, terms: n.terms.map(bind) };
      case 'not':
        return { kind: 'not', term: bind(n.term) };
      case 'compare': {
        const name = lookup.get(n.attribute.toLowerCase());
        if (!name)
          throw new FilterSemanticError(`unsupported filter attribute "${n.attribute}" for ${schema.resource}`);
        const spec = schema.attributes[name]!;
        if (!spec.ops.includes(n.op))
          throw new FilterSemanticError(`operator "${n.op}" is not supported on "${name}" for ${schema.resource}`);
        if (n.op !== 'pr' && typeof n.value !== 'string')
          throw new FilterSemanticError(`"${name}" takes a quoted string value`);
        return { ...n, attribute: name };
      }
    }
  };
  return bind(node);
}

const lookups = new WeakMap<object, Map<string, string>>();
function attributeLookup(schema: { readonly attributes: object }): Map<string, string> {
  let map = lookups.get(schema);
  if (!map) {
    map = new Map(Object.keys(schema.attributes).map((k) => [k.toLowerCase(), k]));
    lookups.set(schema, map);
  }
  return map;
}

/** Evaluates a bound filter against one entity, case-insensitively. */
export function matches<T>(node: FilterNode, entity: T, schema: FilterSchema<T>): boolean {
  switch (node.kind) {
    case 'or':
      return node.terms.some((t) => matches(t, entity, schema));
    case 'and':
      return node.terms.every((t) => matches(t, entity, schema));
    case 'not':
      return !matches(node.term, entity, schema);
    case 'compare': {
      const values = schema.attributes[node.attribute]!.values(entity);
      if (node.op === 'pr') return values.length > 0;
      const wanted = String(node.value).toLowerCase();
      switch (node.op) {
        case 'eq':
          return values.some((v) => v.toLowerCase() === wanted);
        case 'ne':
          return !values.some((v) => v.toLowerCase() === wanted);
        case 'co':
          return values.some((v) => v.toLowerCase().includes(wanted));
        case 'sw':
          return values.some((v) => v.toLowerCase().startsWith(wanted));
        case 'ew':
          return values.some((v) => v.toLowerCase().endsWith(wanted));
        default:
          return values.some((v) => compareOrdered(v.toLowerCase(), wanted, node.op));
      }
    }
  }
}

function compareOrdered(a: string, b: string, op: FilterOperator): boolean {
  if (op === 'gt') return a > b;
  if (op === 'ge') return a >= b;
  if (op === 'lt') return a < b;
  return a <= b;
}

/**
 * Qlik requires `status` conditions to be grouped and to apply to the whole query: the top-level expression must be an
 * `and` of parts each of which is either free of `status` or made only of `status eq …` terms joined by `or`.
 * Returns the allowed statuses (lower case) when the query restricts them, `undefined` when it does not, or throws.
 */
export function splitStatusCondition(node: FilterNode): {
  readonly rest: FilterNode | undefined;
  readonly statuses: ReadonlySet<string> | undefined;
} {
  const conjuncts = node.kind === 'and' ? node.terms : [node];
  const rest: FilterNode[] = [];
  let statuses: Set<string> | undefined;
  for (const part of conjuncts) {
    const onlyStatus = statusTerms(part);
    if (onlyStatus) {
      // Several status groups joined by "and" narrow each other.
      statuses = statuses ? new Set([...statuses].filter((s) => onlyStatus.has(s))) : onlyStatus;
    } else if (mentionsStatus(part)) {
      throw new FilterSemanticError(
        'status conditions must be grouped and apply to the whole query, e.g. (name eq "x") and (status eq "active" or status eq "disabled")',
      );
    } else {
      rest.push(part);
    }
  }
  const remaining =
    rest.length === 0 ? undefined : rest.length === 1 ? rest[0] : ({ kind: 'and', terms: rest } as const);
  return { rest: remaining, statuses };
}

function statusTerms(node: FilterNode): Set<string> | undefined {
  if (node.kind === 'compare') {
    return node.attribute === 'status' && node.op === 'eq' && typeof node.value === 'string'
      ? new Set([node.value.toLowerCase()])
      : undefined;
  }
  if (node.kind !== 'or') return undefined;
  const all = new Set<string>();
  for (const t of node.terms) {
    const s = statusTerms(t);
    if (!s) return undefined;
    for (const v of s) all.add(v);
  }
  return all;
}

function mentionsStatus(node: FilterNode): boolean {
  switch (node.kind) {
    case 'compare':
      return node.attribute === 'status';
    case 'not':
      return mentionsStatus(node.term);
    default:
      return node.terms.some(mentionsStatus);
  }
}

/**
 * Exact-match candidates from an index, so batched id filters cost O(terms) instead of O(users × terms). Returns
 * `undefined` when the filter cannot be answered from the indexed attributes alone; callers then scan and evaluate.
 */
export function indexCandidates<T>(
  node: FilterNode,
  lookup: (attribute: string, valueLowerCase: string) => readonly T[] | undefined,
): T[] | undefined {
  switch (node.kind) {
    case 'compare': {
      if (node.op !== 'eq' || typeof node.value !== 'string') return undefined;
      const hits = lookup(node.attribute, node.value.toLowerCase());
      return hits ? [...hits] : undefined;
    }
    case 'or': {
      const union = new Set<T>();
      for (const t of node.terms) {
        const hits = indexCandidates(t, lookup);
        if (!hits) return undefined;
        for (const h of hits) union.add(h);
      }
      return [...union];
    }
    case 'and': {
      // Any indexed conjunct bounds the result; the caller still evaluates the whole filter on the candidates.
      for (const t of node.terms) {
        const hits = indexCandidates(t, lookup);
        if (hits) return hits;
      }
      return undefined;
    }
    case 'not':
      return undefined;
  }
}
