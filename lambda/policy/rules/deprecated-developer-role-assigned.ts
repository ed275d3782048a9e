import {
  DEVELOPER_ROLE_NAME,
  EVERYONE_GROUP_ID,
  EVERYONE_GROUP_NAME,
  type RoleRef,
  type SnapshotUser,
} from '../../collect/snapshot';
import type { FindingDraft } from '../../report/model';
import { quoted } from '../../util/tenant-text';
import { plural } from '../../util/text';
import {
  describeKeys,
  describeUser,
  grantPathEvidence,
  keyEvidence,
  principalList,
  userEvidence,
  userSubject,
} from '../evidence';
import {
  grantingRoleStep,
  numberedSteps,
  replaceGroupRolesCall,
  replaceUserRolesCall,
  suggestGrantingRole,
} from '../remediation';
import { ISO27001, type RuleContext, type RuleDefinition, type RuleMetadata, SOC2 } from '../rule';

const metadata: RuleMetadata = {
  id: 'deprecated-developer-role-assigned',
  title: 'No user or group is assigned the removed Developer role',
  defaultSeverity: 'high',
  subjectType: ['user', 'group'],
  description:
    'The built-in role named Developer (type "default") must not be assigned to a user (assignedRoles, or the ' +
    'legacy User.roles field) or a group (the Everyone group included). A custom role that happens to be named ' +
    'Developer is not this role and is not reported.',
  risk:
    'Qlik deprecated the Developer role in June 2025 and removed it from all users and groups in early 2026. An ' +
    'assignment that is still visible grants nothing: the holder looks entitled to API keys but is not, and keys ' +
    'they own fail with "401 Authorization Required" once the removal reaches the tenant.',
  remediation:
    'Give holders who need API keys a role carrying api-keys first (POST /api/v1/roles with "assignedScopes": ' +
    '["api-keys"] if none exists), then remove Developer: for a user, GET /api/v1/users/{userId} and PATCH ' +
    '/api/v1/users/{userId} [{"op":"replace","path":"/assignedRoles","value":[…the full list without Developer…]}]; ' +
    'for a group, PATCH /api/v1/groups/{groupId} [{"op":"replace","path":"/assignedRoles","value":[…role ids ' +
    'without Developer…]}].',
  references: [
    { title: 'Developer role and Enable API keys toggle deprecated', source: 'qlik.dev changelog' },
    { title: 'Developer role and Enable API keys toggle removed', source: 'qlik.dev changelog' },
    { title: 'Permissions granted by security roles', source: 'Qlik Help' },
    { title: 'Users API reference', source: 'qlik.dev' },
    { title: 'Groups API reference', source: 'qlik.dev' },
  ],
  compliance: { [SOC2]: ['CC6.1', 'CC6.3'], [ISO27001]: ['A.5.15', 'A.5.18', 'A.8.2'] },
};

export const deprecatedDeveloperRoleAssigned: RuleDefinition = {
  metadata,

  evaluate(context) {
    return [...userFindings(context), ...groupFindings(context)];
  },
};

function userFindings(context: RuleContext): FindingDraft[] {
  const { snapshot, tenant, access } = context;
  const findings: FindingDraft[] = [];
  for (const user of snapshot.users) {
    // A deleted user cannot be edited and holds nothing; reporting them would be noise.
    if (user.status === 'deleted') continue;
    const directRef = user.assignedRoles.find((role) => tenant.isDeprecatedDeveloper(role));
    const legacy = user.legacyRoles?.includes(DEVELOPER_ROLE_NAME) ?? false;
    if (!directRef && !legacy) continue;

    const where = [directRef ? 'assignedRoles' : undefined, legacy ? 'legacy User.roles' : undefined].filter(
      (item): item is string => item !== undefined,
    );
    const userAccess = access.forUser(user);
    const paths = userAccess.pathsFor(access.manageApiKeysScope);
    const keys = tenant.liveUserKeysByOwner.get(user.id) ?? [];
    const role = suggestGrantingRole(access);
    const consequence =
      paths.length > 0
        ? `They hold Manage API keys through ${paths.map((path) => path.text).join(', ')}, so removing it breaks nothing.`
        : keys.length > 0
          ? `They hold Manage API keys through no other path, so their ${plural(keys.length, 'active API key')} ` +
            `(${describeKeys(keys)}) fail with 401 Authorization Required.`
          : 'They hold Manage API keys through no other path and cannot create API keys.';

    const steps: string[] = [];
    if (paths.length === 0 && keys.length > 0) steps.push(grantingRoleStep(role));
    steps.push(
      `Replace the user's role list without Developer${paths.length === 0 && keys.length > 0 ? ` and with ${quoted(role.name)}` : ''}: ` +
        replaceUserRolesCall(
          user,
          userAccess.directRoles,
          paths.length === 0 && keys.length > 0 ? role.name : undefined,
        ) +
        (legacy && !directRef ? ' (replacing /assignedRoles also rewrites the legacy roles field)' : ''),
    );

    findings.push({
      ruleId: metadata.id,
      severity: metadata.defaultSeverity,
      subject: userSubject(user),
      message:
        `${describeUser(user)} is still assigned the removed built-in Developer role (${where.join(' and ')}); ` +
        `Qlik no longer honours it. ${consequence}`,
      evidence: {
        user: userEvidence(user),
        assignedVia: where,
        developerRole: directRef ? refEvidence(directRef) : { name: DEVELOPER_ROLE_NAME, type: 'default' },
        directRoles: userAccess.directRoles.map((seen) => seen.name),
        ...(user.legacyRoles ? { legacyRoles: user.legacyRoles } : {}),
        groups: userAccess.groups.map((group) => group.name),
        manageApiKeys: { held: paths.length > 0, grantPaths: paths.map(grantPathEvidence) },
        keys: keys.map(keyEvidence),
      },
      remediation: numberedSteps(`Remove the Developer role from ${quoted(user.name)}.`, steps),
    });
  }
  return findings;
}

interface DeveloperGroup {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly RoleRef[];
  readonly developerRef: RoleRef;
  readonly source: 'groups-list' | 'user-record' | 'everyone';
}

function groupFindings(context: RuleContext): FindingDraft[] {
  const { snapshot, tenant, access } = context;
  const groups = new Map<string, DeveloperGroup>();
  const consider = (id: string, name: string, roles: readonly RoleRef[], source: DeveloperGroup['source']): void => {
    if (groups.has(id)) return;
    const developerRef = roles.find((role) => tenant.isDeprecatedDeveloper(role));
    if (developerRef) groups.set(id, { id, name, roles, developerRef, source });
  };
  for (const group of snapshot.groups) {
    if (group.id !== EVERYONE_GROUP_ID) consider(group.id, group.name, group.assignedRoles, 'groups-list');
  }
  consider(EVERYONE_GROUP_ID, EVERYONE_GROUP_NAME, snapshot.everyoneRoles, 'everyone');
  // Groups absent from the groups list are known only from their members' records.
  for (const membership of tenant.unlistedGroups().values()) {
    if (membership.assignedRoles) consider(membership.id, membership.name, membership.assignedRoles, 'user-record');
  }

  const role = suggestGrantingRole(access);
  const membersByGroup = tenant.membersOfGroups([...groups.keys()].filter((id) => id !== EVERYONE_GROUP_ID));
  const findings: FindingDraft[] = [];
  for (const group of groups.values()) {
    const roleGrants = group.roles.map((ref) => access.role(ref));
    const grantsApiKeysOtherwise = roleGrants.some((grant) => grant.grants.has(access.manageApiKeysScope));
    const isEveryone = group.id === EVERYONE_GROUP_ID;
    const members: readonly SnapshotUser[] = isEveryone ? snapshot.users : (membersByGroup.get(group.id) ?? []);
    const owners = members.filter((member) => tenant.liveUserKeysByOwner.has(member.id));
    const addRole = !grantsApiKeysOtherwise && !isEveryone ? role : undefined;

    const steps: string[] = [];
    if (addRole) steps.push(grantingRoleStep(addRole));
    steps.push(
      `Replace the group's roles without Developer${addRole ? ` and with ${quoted(addRole.name)} so members keep Manage API keys` : ''}: ` +
        replaceGroupRolesCall(
          { id: group.id, name: group.name },
          roleGrants.map((grant) => grant.seen),
          addRole,
        ) +
        (isEveryone
          ? ' (Everyone has the fixed id 000000000000000000000001; also editable in the console under Groups)'
          : ''),
    );
    if (isEveryone) {
      steps.push(
        `Give only the users who need API keys ${quoted(role.name)} (PATCH /api/v1/users/{userId} or a group): ` +
          'granting api-keys to Everyone would breach least privilege.',
      );
    }

    findings.push({
      ruleId: metadata.id,
      severity: metadata.defaultSeverity,
      subject: { type: 'group', id: group.id, name: group.name },
      message:
        `${isEveryone ? 'The Everyone group' : `Group ${quoted(group.name)}`} is still assigned the removed built-in ` +
        'Developer role; Qlik no longer honours it. ' +
        (grantsApiKeysOtherwise
          ? 'Another role of the group grants Manage API keys, so removing it breaks nothing.'
          : `No other role of the group grants Manage API keys, so members who relied on it lose API keys` +
            (owners.length > 0
              ? ` (${plural(owners.length, 'member')} ${owners.length === 1 ? 'owns' : 'own'} active keys).`
              : '.')),
      evidence: {
        group: { id: group.id, name: group.name, rolesFrom: group.source },
        developerRole: refEvidence(group.developerRef),
        roles: roleGrants.map((grant) => ({ id: grant.seen.id, name: grant.seen.name, scopes: grant.seen.scopes })),
        grantsManageApiKeysOtherwise: grantsApiKeysOtherwise,
        membersSeen: members.length,
        keyOwnersAmongMembers: principalList(owners),
      },
      remediation: numberedSteps(
        `Remove the Developer role from ${isEveryone ? 'the Everyone group' : `group ${quoted(group.name)}`}.`,
        steps,
      ),
    });
  }
  return findings;
}

function refEvidence(ref: RoleRef) {
  return { id: ref.id, name: ref.name, type: ref.type };
}
