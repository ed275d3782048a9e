import { quoted } from '../../util/tenant-text';
import { plural } from '../../util/text';
import { principalList, tenantSubject } from '../evidence';
import { createRoleCall, numberedSteps, REPLACEMENT_ROLE_NAME } from '../remediation';
import { ISO27001, type RuleDefinition, type RuleMetadata, SOC2 } from '../rule';
import { isDeprecatedDeveloperRole } from '../tenant-index';

const metadata: RuleMetadata = {
  id: 'replacement-role-missing',
  title: 'The tenant has a role that grants Manage API keys',
  defaultSeverity: 'high',
  subjectType: ['tenant'],
  description:
    'When active user-owned API keys exist, at least one role of the tenant (a custom role, UserDefault, a role of ' +
    'a group or of Everyone) must grant the scope api-keys. Fails when none does: the replacement for the removed ' +
    'Developer role was never created.',
  risk:
    'Without any role carrying Manage API keys, no user can hold the permission, so every user-owned API key of the ' +
    'tenant is rejected with 401 Authorization Required and nobody can create a working key.',
  remediation:
    'Create the replacement role as TenantAdmin: POST /api/v1/roles {"name":"AllowManageAPIKeys","description":' +
    '"Replacement for the removed Developer role","assignedScopes":["api-keys"]} (or add the scope to an existing ' +
    'custom role: PATCH /api/v1/roles/{roleId} [{"op":"add","path":"/assignedScopes/-","value":"api-keys"}]), then ' +
    'assign it to the key owners (PATCH /api/v1/users/{userId}) or to their groups (PATCH /api/v1/groups/{groupId}).',
  references: [
    { title: 'Developer role and Enable API keys toggle removed', source: 'qlik.dev changelog' },
    { title: 'Custom, managed and default roles', source: 'qlik.dev guide' },
    { title: 'Roles API reference', source: 'qlik.dev' },
  ],
  compliance: { [SOC2]: ['CC6.1', 'CC6.3'], [ISO27001]: ['A.5.15', 'A.5.18'] },
};

export const replacementRoleMissing: RuleDefinition = {
  metadata,

  evaluate({ snapshot, tenant, access }) {
    if (tenant.liveUserKeysByOwner.size === 0) return [];
    if (access.rolesGranting(access.manageApiKeysScope).length > 0) return [];
    // A role missing from the role list can still grant through the policy's grantingRoles, by name.
    const assignedRefs = [...snapshot.everyoneRoles, ...snapshot.groups.flatMap((group) => group.assignedRoles)];
    if (assignedRefs.some((ref) => access.role(ref).grants.has(access.manageApiKeysScope))) return [];

    const owners = [...tenant.liveUserKeysByOwner.entries()];
    const keyCount = owners.reduce((sum, [, keys]) => sum + keys.length, 0);
    const developerListed = snapshot.roles.some((role) => isDeprecatedDeveloperRole(role));
    const customRoles = snapshot.roles.filter((role) => role.type === 'custom');
    return [
      {
        ruleId: metadata.id,
        severity: metadata.defaultSeverity,
        subject: tenantSubject(snapshot),
        message:
          `No role in the tenant grants Manage API keys (scope ${access.manageApiKeysScope}), yet ` +
          `${plural(keyCount, 'active API key')} owned by ${plural(owners.length, 'user')} exist: the replacement ` +
          'for the removed Developer role was never created, so every one of these keys fails with 401 ' +
          'Authorization Required.',
        evidence: {
          liveUserKeys: keyCount,
          keyOwners: principalList(
            owners.map(([ownerId]) => ({
              id: ownerId,
              name: tenant.usersById.get(ownerId)?.name ?? '(not collected)',
            })),
          ),
          keyOwnersCount: owners.length,
          rolesChecked: snapshot.roles.length,
          customRoles: customRoles.map((role) => ({ id: role.id, name: role.name, scopes: role.assignedScopes })),
          userDefaultScopes: tenant.userDefault?.assignedScopes ?? null,
          developerRoleStillListed: developerListed,
          grantPaths: [],
          whyNoGrant:
            `None of the ${plural(snapshot.roles.length, 'role')} listed by GET /api/v1/roles carries ` +
            `${access.manageApiKeysScope} in assignedScopes` +
            (developerListed ? ', and the Developer role still listed no longer counts.' : '.'),
        },
        remediation: numberedSteps('Create the replacement for the removed Developer role and hand it out.', [
          `As TenantAdmin: ${createRoleCall(REPLACEMENT_ROLE_NAME, access.manageApiKeysScope)}`,
          `Assign ${quoted(REPLACEMENT_ROLE_NAME)} to each key owner listed in the evidence: GET /api/v1/users/{userId}, ` +
            'then PATCH /api/v1/users/{userId} [{"op":"replace","path":"/assignedRoles","value":[…current roles…, ' +
            `{"name":"${REPLACEMENT_ROLE_NAME}"}]}] — or to a group they share: PATCH /api/v1/groups/{groupId} ` +
            'replacing /assignedRoles with the full list of role ids.',
          'Re-run the check: api-key-owner-lacks-manage-permission findings close as owners receive the role.',
        ]),
      },
    ];
  },
};
