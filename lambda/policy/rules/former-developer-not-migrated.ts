import { EVERYONE_GROUP_ID } from '../../collect/snapshot';
import type { FindingDraft } from '../../report/model';
import { quoted } from '../../util/tenant-text';
import { plural } from '../../util/text';
import {
  accessEvidence,
  describeKeys,
  describeUser,
  keyEvidence,
  principalList,
  userEvidence,
  userSubject,
  whyNoGrant,
} from '../evidence';
import {
  grantingRoleStep,
  numberedSteps,
  replaceGroupRolesCall,
  replaceUserRolesCall,
  suggestGrantingRole,
} from '../remediation';
import { ISO27001, type RuleContext, type RuleDefinition, type RuleMetadata, SOC2 } from '../rule';
import { isActiveUser } from '../tenant-index';

type Source = 'policy formerDevelopers' | 'earlier runs';

const metadata: RuleMetadata = {
  id: 'former-developer-not-migrated',
  title: 'Former Developer-role holders hold Manage API keys',
  defaultSeverity: 'high',
  subjectType: ['user', 'group'],
  description:
    'A principal known to have held the removed Developer role — listed under formerDevelopers in the policy, or ' +
    'seen holding it by an earlier run — and no longer holding it must hold the scope api-keys. For a user, through any path; for a group, ' +
    "through one of the group's own roles. Disabled or missing principals are skipped (nothing to migrate).",
  risk:
    'When Qlik removed Developer, its holders silently lost the right to API keys: keys they own are rejected with ' +
    '401 Authorization Required and they cannot create new ones. Former Developers are the people whose ' +
    'integrations break first.',
  remediation:
    'Give the principal a role carrying api-keys (POST /api/v1/roles with "assignedScopes": ["api-keys"] if none ' +
    'exists): for a user, GET then PATCH /api/v1/users/{userId} replacing /assignedRoles with the full list plus the ' +
    'role; for a group, PATCH /api/v1/groups/{groupId} replacing /assignedRoles with the full list of role ids plus ' +
    'the role. If the person no longer needs API keys, record an exception with a reason and an owner.',
  references: [
    { title: 'Developer role and Enable API keys toggle removed', source: 'qlik.dev changelog' },
    { title: 'Permissions granted by security roles', source: 'Qlik Help' },
    {
      title:
        'Qlik Cloud Error: 401 Authorization Required after removal of deprecated Developer role and Enable API keys toggle',
      source: 'Qlik Community',
    },
  ],
  compliance: { [SOC2]: ['CC6.2', 'CC6.3'], [ISO27001]: ['A.5.18', 'A.5.15'] },
};

export const formerDeveloperNotMigrated: RuleDefinition = {
  metadata,

  evaluate(context) {
    return [...userFindings(context), ...groupFindings(context)];
  },
};

function userFindings(context: RuleContext): FindingDraft[] {
  const { policy, tenant, access, knownFormerDevelopers } = context;
  const principals = withSources(
    policy.formerDevelopers.users.map((idOrEmail) => tenant.user(idOrEmail)),
    knownFormerDevelopers.users.map((known) => tenant.usersById.get(known.id)),
  );

  const role = suggestGrantingRole(access);
  const findings: FindingDraft[] = [];
  for (const { principal: user, sources } of principals) {
    // Still holding Developer is reported by deprecated-developer-role-assigned; this rule is for after the removal.
    if (!isActiveUser(user) || tenant.holdsDeveloperRole(user)) continue;
    const userAccess = access.forUser(user);
    if (userAccess.has(access.manageApiKeysScope)) continue;
    const keys = tenant.liveUserKeysByOwner.get(user.id) ?? [];
    findings.push({
      ruleId: metadata.id,
      severity: metadata.defaultSeverity,
      subject: userSubject(user),
      message:
        `${describeUser(user)} held the removed Developer role (per ${[...sources].join(' and ')}) and holds Manage ` +
        `API keys (scope ${access.manageApiKeysScope}) through no path now, so they cannot create API keys` +
        (keys.length > 0
          ? ` and their ${plural(keys.length, 'active key')} (${describeKeys(keys)}) fail with 401 Authorization Required.`
          : '; any key they still use elsewhere fails with 401 Authorization Required.'),
      evidence: {
        user: userEvidence(user),
        knownFrom: [...sources],
        keys: keys.map(keyEvidence),
        ...accessEvidence(userAccess, access, access.manageApiKeysScope),
        whyNoGrant: whyNoGrant(userAccess, access, access.manageApiKeysScope),
      },
      remediation: numberedSteps(`Migrate former Developer ${quoted(user.name)} to Manage API keys.`, [
        grantingRoleStep(role),
        `Assign ${quoted(role.name)}: ${replaceUserRolesCall(user, userAccess.directRoles, role.name)} — or add the user ` +
          'to a group holding it.',
        'If they no longer need API keys, record an exception (reason, owner, expiry) instead.',
      ]),
    });
  }
  return findings;
}

function groupFindings(context: RuleContext): FindingDraft[] {
  const { policy, tenant, access, knownFormerDevelopers } = context;
  const principals = withSources(
    policy.formerDevelopers.groups.map((idOrName) => tenant.group(idOrName)),
    knownFormerDevelopers.groups.map((known) => tenant.groupsById.get(known.id)),
  );

  const role = suggestGrantingRole(access);
  const findings: FindingDraft[] = [];
  const unmigrated = principals.flatMap(({ principal: group, sources }) => {
    // Everyone is left out on purpose: granting api-keys to everyone is what least privilege forbids.
    if (group.id === EVERYONE_GROUP_ID || group.status === 'disabled' || tenant.holdsDeveloperRole(group)) return [];
    const grant = access.groupGrants(group.id);
    if (!grant || grant.roleGrants.some((roleGrant) => roleGrant.grants.has(access.manageApiKeysScope))) return [];
    return [{ group, sources, grant }];
  });
  const membersByGroup = tenant.membersOfGroups(unmigrated.map(({ group }) => group.id));
  for (const { group, sources, grant } of unmigrated) {
    const members = membersByGroup.get(group.id) ?? [];
    const ownersWithout = members.filter(
      (member) =>
        isActiveUser(member) &&
        tenant.liveUserKeysByOwner.has(member.id) &&
        !access.forUser(member).has(access.manageApiKeysScope),
    );
    findings.push({
      ruleId: metadata.id,
      severity: metadata.defaultSeverity,
      subject: { type: 'group', id: group.id, name: group.name },
      message:
        `Group ${quoted(group.name)} held the removed Developer role (per ${[...sources].join(' and ')}) and none of its ` +
        `roles grants Manage API keys (scope ${access.manageApiKeysScope}), so members who relied on it lost API keys` +
        (ownersWithout.length > 0
          ? `: ${plural(ownersWithout.length, 'member')} ${ownersWithout.length === 1 ? 'owns' : 'own'} active keys that fail with 401 Authorization Required.`
          : '.'),
      evidence: {
        group: { id: group.id, name: group.name, status: group.status ?? 'active' },
        knownFrom: [...sources],
        roles: grant.roleGrants.map((roleGrant) => ({
          id: roleGrant.seen.id,
          name: roleGrant.seen.name,
          scopes: roleGrant.seen.scopes,
        })),
        grantPaths: [],
        whyNoGrant:
          grant.roleGrants.length === 0
            ? 'The group has no roles.'
            : `None of the group's roles (${grant.roleGrants.map((g) => quoted(g.seen.name)).join(', ')}) carries ${access.manageApiKeysScope}.`,
        membersSeen: members.length,
        keyOwnersWithoutPermission: principalList(ownersWithout),
      },
      remediation: numberedSteps(`Migrate former Developer group ${quoted(group.name)} to Manage API keys.`, [
        grantingRoleStep(role),
        `Add ${quoted(role.name)} to the group's roles: ${replaceGroupRolesCall(
          group,
          grant.roleGrants.map((g) => g.seen),
          role,
        )}`,
        'If the group no longer needs API keys, record an exception (reason, owner, expiry) instead.',
      ]),
    });
  }
  return findings;
}

/** The principals found in the tenant, once each, with every source that named them (policy first). */
function withSources<Principal extends { readonly id: string }>(
  fromPolicy: readonly (Principal | undefined)[],
  fromEarlierRuns: readonly (Principal | undefined)[],
): { principal: Principal; sources: Set<Source> }[] {
  const principals = new Map<string, { principal: Principal; sources: Set<Source> }>();
  const add = (principal: Principal | undefined, source: Source): void => {
    if (!principal) return;
    const entry = principals.get(principal.id);
    if (entry) entry.sources.add(source);
    else principals.set(principal.id, { principal, sources: new Set([source]) });
  };
  for (const principal of fromPolicy) add(principal, 'policy formerDevelopers');
  for (const principal of fromEarlierRuns) add(principal, 'earlier runs');
  return [...principals.values()];
}
