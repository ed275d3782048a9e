import type { FindingDraft } from '../../report/model';
import { quoted } from '../../util/tenant-text';
import { plural } from '../../util/text';
import {
  accessEvidence,
  describeKeys,
  describeUser,
  keyEvidence,
  userEvidence,
  userSubject,
  whyNoGrant,
} from '../evidence';
import { grantingRoleStep, numberedSteps, pathId, replaceUserRolesCall, suggestGrantingRole } from '../remediation';
import { ISO27001, type RuleDefinition, type RuleMetadata, SOC2 } from '../rule';
import { isActiveUser } from '../tenant-index';

const metadata: RuleMetadata = {
  id: 'api-key-owner-lacks-manage-permission',
  title: 'API-key owners hold the Manage API keys permission',
  defaultSeverity: 'critical',
  subjectType: ['user'],
  description:
    'An active user who owns an active, unexpired API key must hold the scope api-keys ("Manage API keys") ' +
    'through a direct custom role, a role of one of their groups, the Everyone group or UserDefault. The removed ' +
    "built-in Developer role never counts. All of the user's keys are reported in one finding.",
  risk:
    'Since Qlik removed the Developer role (2026), an API key works only while its owner holds Manage API keys. ' +
    'The key still shows status "active", but Qlik rejects it: every integration using it fails with ' +
    '"401 Authorization Required". The key is not deleted and works again as soon as the owner gets the permission.',
  remediation:
    'Give the owner a role carrying api-keys. If the tenant has none, create it (TenantAdmin): POST /api/v1/roles ' +
    '{"name":"AllowManageAPIKeys","description":"Replacement for the removed Developer role","assignedScopes":["api-keys"]}. ' +
    'Then GET /api/v1/users/{userId} and PATCH /api/v1/users/{userId} with ' +
    '[{"op":"replace","path":"/assignedRoles","value":[…current roles…, {"name":"AllowManageAPIKeys"}]}] — the Users ' +
    'API only replaces the full list — or assign the role to a group the owner belongs to with PATCH ' +
    '/api/v1/groups/{groupId} (replace /assignedRoles with the full list of role ids). Re-run the check to confirm.',
  references: [
    { title: 'Developer role and Enable API keys toggle removed', source: 'qlik.dev changelog' },
    { title: 'Managing API keys', source: 'Qlik Help' },
    { title: 'Permissions granted by security roles', source: 'Qlik Help' },
    {
      title:
        'Qlik Cloud Error: 401 Authorization Required after removal of deprecated Developer role and Enable API keys toggle',
      source: 'Qlik Community',
    },
    { title: 'Roles API reference', source: 'qlik.dev' },
  ],
  compliance: { [SOC2]: ['CC6.1', 'CC6.3'], [ISO27001]: ['A.5.15', 'A.5.18'] },
};

export const apiKeyOwnerLacksManagePermission: RuleDefinition = {
  metadata,

  evaluate({ tenant, access }) {
    const findings: FindingDraft[] = [];
    for (const [ownerId, keys] of tenant.liveUserKeysByOwner) {
      const user = tenant.usersById.get(ownerId);
      // Unknown and inactive owners are api-key-owner-inactive's business.
      if (!user || !isActiveUser(user)) continue;
      const userAccess = access.forUser(user);
      if (userAccess.has(access.manageApiKeysScope)) continue;

      const holdsDeveloper = tenant.holdsDeveloperRole(user);
      const role = suggestGrantingRole(access);
      const crossCheck = user.assignedScopes?.includes(access.manageApiKeysScope)
        ? 'User.assignedScopes lists api-keys although no role path grants it; the roles are the source of truth ' +
          '(check whether the policy should name an extra granting role in grantingRoles).'
        : undefined;

      findings.push({
        ruleId: metadata.id,
        severity: metadata.defaultSeverity,
        subject: userSubject(user),
        message:
          `${describeUser(user)} owns ${plural(keys.length, 'active API key')} (${describeKeys(keys)}) but holds ` +
          `Manage API keys (scope ${access.manageApiKeysScope}) through no role, group, Everyone or UserDefault, so Qlik ` +
          `rejects ${keys.length === 1 ? 'this key' : 'these keys'}: integrations using ` +
          `${keys.length === 1 ? 'it' : 'them'} get 401 Authorization Required.` +
          (holdsDeveloper ? ' The Developer role they still hold no longer counts: Qlik removed it.' : ''),
        evidence: {
          user: userEvidence(user),
          keys: keys.map(keyEvidence),
          ...accessEvidence(userAccess, access, access.manageApiKeysScope),
          whyNoGrant: whyNoGrant(userAccess, access, access.manageApiKeysScope),
          ...(holdsDeveloper ? { holdsRemovedDeveloperRole: true } : {}),
          ...(crossCheck ? { assignedScopesCrossCheck: crossCheck } : {}),
        },
        remediation: numberedSteps(
          `Give ${quoted(user.name)} Manage API keys (scope ${access.manageApiKeysScope}); the keys work again as soon as they ` +
            'hold it, nothing needs to be recreated.',
          [
            grantingRoleStep(role),
            `Assign ${quoted(role.name)} to the user (the Users API replaces the full role list): ` +
              replaceUserRolesCall(user, userAccess.directRoles, role.name) +
              '. Or assign it to a group the user belongs to: PATCH /api/v1/groups/{groupId} replacing /assignedRoles ' +
              "with the group's full list of role ids.",
            `Confirm: GET /api/v1/users/${pathId(user.id)}?fields=assignedGroups,assignedRoles, then re-run the check.`,
          ],
        ),
      });
    }
    return findings;
  },
};
