/**
 * A tiny SCIM filter evaluator for the unit tests' fake tenant: `eq` on the user fields the collector queries,
 * `and` / `or`, parentheses, both quote styles, case-insensitive values (as Qlik matches them). Unknown fields or
 * syntax throw, so a test fails loudly instead of matching nothing.
 */
type Token = { kind: 'lparen' | 'rparen' | 'and' | 'or' | 'eq' } | { kind: 'word'; value: string } | { kind: 'string'; value: string };

type Node =
  | { op: 'and' | 'or'; left: Node; right: Node }
  | { op: 'eq'; field: string; value: string };

export type FieldReader = (entity: Record<string, unknown>, field: string) => readonly string[];

export function scimMatcher(filter: string, read: FieldReader): (entity: Record<string, unknown>) => boolean {
  const tokens = tokenize(filter);
  let position = 0;
  const peek = () => tokens[position];
  const take = () => {
    const token = tokens[position++];
    if (!token) throw new Error(`unexpected end of filter: ${filter}`);
    return token;
  };

  const parseOr = (): Node => {
    let left = parseAnd();
    while (peek()?.kind === 'or') {
      take();
      left = { op: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): Node => {
    let left = parsePrimary();
    while (peek()?.kind === 'and') {
      take();
      left = { op: 'and', left, right: parsePrimary() };
    }
    return left;
  };
  const parsePrimary = (): Node => {
    const token = take();
    if (token.kind === 'lparen') {
      const inner = parseOr();
      if (take().kind !== 'rparen') throw new Error(`missing ) in filter: ${filter}`);
      return inner;
    }
    if (token.kind !== 'word') throw new Error(`expected a field in filter: ${filter}`);
    if (take().kind !== 'eq') throw new Error(`only eq is supported: ${filter}`);
    const value = take();
    if (value.kind !== 'string') throw new Error(`expected a quoted value in filter: ${filter}`);
    return { op: 'eq', field: token.value, value: value.value };
  };

  const tree = parseOr();
  if (position !== tokens.length) throw new Error(`trailing tokens in filter: ${filter}`);

  const evaluate = (node: Node, entity: Record<string, unknown>): boolean => {
    if (node.op !== 'eq') {
      return node.op === 'and'
        ? evaluate(node.left, entity) && evaluate(node.right, entity)
        : evaluate(node.left, entity) || evaluate(node.right, entity);
    }
    const wanted = node.value.toLowerCase();
    return read(entity, node.field).some((value) => value.toLowerCase() === wanted);
  };
  return (entity) => evaluate(tree, entity);
}

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < filter.length) {
    const char = filter[i] as string;
    if (/\s/.test(char)) {
      i += 1;
    } else if (char === '(' || char === ')') {
      tokens.push({ kind: char === '(' ? 'lparen' : 'rparen' });
      i += 1;
    } else if (char === '"' || char === "'") {
      let value = '';
      i += 1;
      while (i < filter.length && filter[i] !== char) {
        if (filter[i] === '\\') i += 1;
        value += filter[i];
        i += 1;
      }
      if (i >= filter.length) throw new Error(`unterminated string in filter: ${filter}`);
      i += 1;
      tokens.push({ kind: 'string', value });
    } else {
      const match = /^[A-Za-z_][\w.]*/.exec(filter.slice(i));
      if (!match) throw new Error(`unexpected "${char}" in filter: ${filter}`);
      const word = match[0];
      const lower = word.toLowerCase();
      if (lower === 'and' || lower === 'or' || lower === 'eq') tokens.push({ kind: lower });
      else tokens.push({ kind: 'word', value: word });
      i += word.length;
    }
  }
  return tokens;
}

/** Reads the user fields Qlik's filter supports. */
export const readUserField: FieldReader = (user, field) => {
  const roles = (user['assignedRoles'] as { name: string; id: string }[] | undefined) ?? [];
  const groups =
    (user['assignedGroups'] as { id: string; assignedRoles?: { name: string }[] }[] | undefined) ?? [];
  switch (field) {
    case 'id':
    case 'email':
    case 'subject':
    case 'name':
    case 'clientId':
      return typeof user[field] === 'string' ? [user[field] as string] : [];
    case 'status':
      return [(user['status'] as string | undefined) ?? 'active'];
    case 'assignedRoles.name':
      return roles.map((role) => role.name);
    case 'assignedRoles.id':
      return roles.map((role) => role.id);
    case 'assignedGroups.id':
      return groups.map((group) => group.id);
    case 'assignedGroupsAssignedRoles.name':
      return groups.flatMap((group) => (group.assignedRoles ?? []).map((role) => role.name));
    default:
      throw new Error(`field not supported by the fake tenant: ${field}`);
  }
};

export const readGroupField: FieldReader = (group, field) => {
  if (field === 'name' || field === 'id') return typeof group[field] === 'string' ? [group[field] as string] : [];
  throw new Error(`group field not supported by the fake tenant: ${field}`);
};
