import { EVERYONE_GROUP_ID, EVERYONE_GROUP_NAME, type SnapshotUser } from '../../collect/snapshot';
import type { FindingDraft } from '../../report/model';
import { quoted } from '../../util/tenant-text';
import { plural } from '../../util/text';
import { grantPathEvidence, principalList } from '../evidence';
import {
  type GrantingRoleSuggestion,
  grantingRoleStep,
  jsonBody,
  numberedSteps,
  pathId,
  replaceGroupRolesCall,
  suggestGrantingRole,
} from '../remediation';
import type { GrantPath, GrantVia } from '../resolver';
import { ISO27001, type RuleContext, type RuleDefinition, type RuleMetadata, SOC2 } from '../rule';
import { isActiveUser } from '../tenant-index';

const metadata: RuleMetadata = {
  id: 'manage-api-keys-granted-to-everyone',
  title: 'Manage API keys is not granted to every user',
  defaultSeverity: 'medium',
  subjectType: ['role', 'group'],
  description:
    'Neither the UserDefault role nor a role of the Everyone group grants the scope api-keys. A policy that grants ' +
    'it to everyone on purpose sets rules.manage-api-keys-granted-to-everyone.enabled: false.',
  risk:
    "An API key acts with all of its owner's permissions and cannot be scoped. When every user may create keys, " +
    'long-lived credentials can be minted by anyone, outside the review that a dedicated role gives (least privilege).',
  remediation:
    'Give the users who need API keys a custom role carrying api-keys (POST /api/v1/roles, then PATCH ' +
    '/api/v1/users/{userId} or /api/v1/groups/{groupId}), then withdraw the broad grant: for UserDefault PATCH ' +
    '/api/v1/roles/{userDefaultId} [{"op":"remove-value","path":"/assignedScopes","value":"api-keys"}]; for the ' +
    'Everyone group PATCH /api/v1/groups/000000000000000000000001 replacing /assignedRoles without the granting role.',
  references: [
    { title: 'Permissions granted by security roles', source: 'Qlik Help' },
    { title: 'Custom, managed and default roles', source: 'qlik.dev guide' },
    { title: 'Roles API reference', source: 'qlik.dev' },
  ],
  compliance: { [SOC2]: ['CC6.3', 'CC6.1'], [ISO27001]: ['A.5.15', 'A.8.2'] },
};

export const manageApiKeysGrantedToEveryone: RuleDefinition = {
  metadata,

  evaluate(context) {
    const { access, tenant, snapshot } = context;
    const broad = access.sharedPaths().paths.filter((path) => path.scope === access.manageApiKeysScope);
    if (broad.length === 0) return [];
    const role = suggestGrantingRole(access);
    const findings: FindingDraft[] = [];

    const viaUserDefault = broad.filter((path) => path.via === 'UserDefault');
    const userDefault = tenant.userDefault;
    if (viaUserDefault.length > 0 && userDefault) {
      const relying = ownersRelyingOnlyOn(context, 'UserDefault');
      findings.push({
        ruleId: metadata.id,
        severity: metadata.defaultSeverity,
        subject: { type: 'role', id: userDefault.id, name: userDefault.name },
        message:
          'The UserDefault role grants Manage API keys (scope api-keys), so every user of the tenant can create API ' +
          'keys that act with all their permissions; least privilege calls for a role given only to those who need it.' +
          relyingSentence(relying.length),
        evidence: {
          role: { id: userDefault.id, name: userDefault.name, scopes: userDefault.assignedScopes },
          grantPaths: viaUserDefault.map(grantPathEvidence),
          keyOwnersRelyingOnlyOnThis: principalList(relying),
          keyOwnersRelyingOnlyOnThisCount: relying.length,
        },
        remediation: numberedSteps('Stop granting Manage API keys to every user through UserDefault.', [
          ...migrateFirst(role, relying.length),
          `Withdraw the scope: PATCH /api/v1/roles/${pathId(userDefault.id)} ` +
            jsonBody([{ op: 'remove-value', path: '/assignedScopes', value: access.manageApiKeysScope }]),
          'If granting it to everyone is deliberate, set rules.manage-api-keys-granted-to-everyone.enabled: false in ' +
            'the policy, or add an exception with a reason and an owner.',
        ]),
      });
    }

    const viaEveryone = broad.filter((path) => path.via === 'Everyone');
    if (viaEveryone.length > 0) {
      const relying = ownersRelyingOnlyOn(context, 'Everyone');
      const grantingIds = new Set(viaEveryone.map((path) => path.role.id));
      const remaining = snapshot.everyoneRoles
        .map((ref) => access.role(ref).seen)
        .filter((seen) => !grantingIds.has(seen.id));
      const everyone = { id: EVERYONE_GROUP_ID, name: EVERYONE_GROUP_NAME };
      findings.push({
        ruleId: metadata.id,
        severity: metadata.defaultSeverity,
        subject: { type: 'group', ...everyone },
        message:
          `The Everyone group has ${viaEveryone.map((path) => `role ${quoted(path.role.name)}`).join(', ')}, which grants ` +
          'Manage API keys (scope api-keys), so every user of the tenant can create API keys that act with all their ' +
          'permissions; least privilege calls for a role given only to those who need it.' +
          relyingSentence(relying.length),
        evidence: {
          group: everyone,
          grantPaths: viaEveryone.map(grantPathEvidence),
          everyoneRoles: snapshot.everyoneRoles.map((ref) => ref.name),
          keyOwnersRelyingOnlyOnThis: principalList(relying),
          keyOwnersRelyingOnlyOnThisCount: relying.length,
        },
        remediation: numberedSteps('Stop granting Manage API keys to every user through the Everyone group.', [
          ...migrateFirst(role, relying.length),
          `Remove the granting role from Everyone: ${replaceGroupRolesCall(everyone, remaining)}`,
          'If granting it to everyone is deliberate, set rules.manage-api-keys-granted-to-everyone.enabled: false in ' +
            'the policy, or add an exception with a reason and an owner.',
        ]),
      });
    }
    return findings;
  },
};

/** Active key owners whose only api-keys paths go through `via`: they lose their keys when it is withdrawn. */
function ownersRelyingOnlyOn(context: RuleContext, via: GrantVia): SnapshotUser[] {
  const { tenant, access } = context;
  const relying: SnapshotUser[] = [];
  for (const ownerId of tenant.liveUserKeysByOwner.keys()) {
    const user = tenant.usersById.get(ownerId);
    if (!user || !isActiveUser(user)) continue;
    const paths: readonly GrantPath[] = access.forUser(user).pathsFor(access.manageApiKeysScope);
    if (paths.length > 0 && paths.every((path) => path.via === via)) relying.push(user);
  }
  return relying;
}

function relyingSentence(count: number): string {
  return count > 0
    ? ` ${plural(count, 'key owner')} hold${count === 1 ? 's' : ''} it only this way; give them a dedicated role first, ` +
        'or their keys fail with 401 Authorization Required.'
    : '';
}

function migrateFirst(role: GrantingRoleSuggestion, relyingCount: number): string[] {
  if (relyingCount === 0) return [];
  return [
    grantingRoleStep(role),
    `Assign "${role.name}" to the ${plural(relyingCount, 'key owner')} listed in the evidence (GET, then PATCH ` +
      '/api/v1/users/{userId} replacing /assignedRoles with the full list) or to a group they belong to.',
  ];
}
