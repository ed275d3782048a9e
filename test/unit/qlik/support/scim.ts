/**
 * SCIM filtering for the unit tests' fake tenant, with the simulated tenant's parser: `eq` only, on the user and
 * group fields the collector queries. An unknown field, another operator or bad syntax throws, so a test fails
 * loudly instead of matching nothing. Values match case-insensitively, as Qlik matches them.
 */
import {
  bindFilter,
  type FilterNode,
  type FilterOperator,
  type FilterSchema,
  matches,
  parseFilter,
} from '../../../sim/scim-filter';

type Entity = Record<string, unknown>;

export function scimMatcher(filter: string, fields: FilterSchema<Entity>): (entity: Entity) => boolean {
  const parsed = parseFilter(filter);
  requireCollectorSubset(parsed, fields, filter);
  const node = bindFilter(parsed, fields);
  return (entity) => matches(node, entity, fields);
}

/**
 * The sim's grammar is wider than what the collector may send: `not (...)` and attribute names in any case would
 * pass there, so they are refused here and a test notices if the collector starts relying on them.
 */
function requireCollectorSubset(node: FilterNode, fields: FilterSchema<Entity>, filter: string): void {
  switch (node.kind) {
    case 'not':
      throw new Error(`the collector never sends "not": ${filter}`);
    case 'and':
    case 'or':
      for (const term of node.terms) requireCollectorSubset(term, fields, filter);
      return;
    case 'compare':
      if (!Object.hasOwn(fields.attributes, node.attribute)) {
        throw new Error(
          `unknown ${fields.resource} field "${node.attribute}" (names are case-sensitive here): ${filter}`,
        );
      }
  }
}

const EQ_ONLY: readonly FilterOperator[] = ['eq'];

function eqFields(
  resource: string,
  fields: Record<string, (entity: Entity) => readonly string[]>,
): FilterSchema<Entity> {
  return {
    resource,
    attributes: Object.fromEntries(Object.entries(fields).map(([name, values]) => [name, { ops: EQ_ONLY, values }])),
  };
}

const text = (field: string) => (entity: Entity) =>
  typeof entity[field] === 'string' ? [entity[field] as string] : [];
const roles = (user: Entity) => (user['assignedRoles'] as { name: string; id: string }[] | undefined) ?? [];
const groups = (user: Entity) =>
  (user['assignedGroups'] as { id: string; assignedRoles?: { name: string }[] }[] | undefined) ?? [];

/** The user fields Qlik's filter supports. */
export const USER_FIELDS = eqFields('users', {
  id: text('id'),
  email: text('email'),
  subject: text('subject'),
  name: text('name'),
  clientId: text('clientId'),
  status: (user) => [(user['status'] as string | undefined) ?? 'active'],
  'assignedRoles.name': (user) => roles(user).map((role) => role.name),
  'assignedRoles.id': (user) => roles(user).map((role) => role.id),
  'assignedGroups.id': (user) => groups(user).map((group) => group.id),
  'assignedGroupsAssignedRoles.name': (user) =>
    groups(user).flatMap((group) => (group.assignedRoles ?? []).map((role) => role.name)),
});

export const GROUP_FIELDS = eqFields('groups', { id: text('id'), name: text('name') });
