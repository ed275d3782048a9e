/**
 * SCIM filtering for the unit tests' fake tenant, with the simulated tenant's parser: `eq` only, on the user and
 * group fields the collector queries. An unknown field, another operator or bad syntax throws, so a test fails
 * loudly instead of matching nothing. Values match case-insensitively, as Qlik matches them.
 */
import { bindFilter, matches, parseFilter, type FilterOperator, type FilterSchema } from '../../../sim/scim-filter';

type Entity = Record<string, unknown>;

export function scimMatcher(filter: string, fields: FilterSchema<Entity>): (entity: Entity) => boolean {
  const node = bindFilter(parseFilter(filter), fields);
  return (entity) => matches(node, entity, fields);
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

const text = (field: string) => (entity: Entity) => (typeof entity[field] === 'string' ? [entity[field] as string] : []);
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
