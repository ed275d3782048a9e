import { plural } from '../../util/text';
import { tenantSubject } from '../evidence';
import { numberedSteps } from '../remediation';
import { ISO27001, type RuleDefinition, type RuleMetadata, SOC2 } from '../rule';

const metadata: RuleMetadata = {
  id: 'api-key-scope-model-mismatch',
  title: "The policy's Manage API keys scope matches the tenant's roles",
  defaultSeverity: 'high',
  subjectType: ['tenant'],
  description:
    'The scope string of Manage API keys (policy remediation.scope, default api-keys) rests on one tutorial. Fails ' +
    'when active user-owned keys exist, no role of the tenant carries that scope, yet some role carries a scope that ' +
    'looks like an API-key permission: the policy probably names the wrong string. The finding names the scopes seen.',
  risk:
    'With the wrong scope string every key owner reads as lacking Manage API keys (false alarms), and `fix` would ' +
    'create and hand out a role that grants nothing, while the owners who really lack the permission stay broken.',
  remediation:
    'Look at the roles named in the evidence (Administration → Manage users → Permissions). If one of the scopes seen ' +
    'is Manage API keys, set remediation.scope in the policy to it; otherwise the tenant has no replacement role yet ' +
    'and replacement-role-missing says what to do: POST /api/v1/roles {"name":"Manage API keys","assignedScopes":' +
    '["<the confirmed scope>"]}. `fix` creates a role with a scope no role carries only when --create-role-scope ' +
    'confirms the string.',
  references: [
    { title: 'Custom, managed and default roles', source: 'qlik.dev guide' },
    { title: 'Roles API reference', source: 'qlik.dev' },
  ],
  compliance: { [SOC2]: ['CC6.1'], [ISO27001]: ['A.5.15'] },
};

/** Scope strings that read like an API-key permission: `api-keys`, `apikeys:manage`, `api_key.create`, … */
const LOOKS_LIKE_API_KEYS = /api[\s._:-]?keys?/i;

export const apiKeyScopeModelMismatch: RuleDefinition = {
  metadata,

  evaluate({ snapshot, tenant, policy }) {
    const scope = policy.remediation.scope;
    if (tenant.liveUserKeysByOwner.size === 0) return [];
    if (snapshot.roles.some((role) => role.assignedScopes.includes(scope))) return [];
    const rolesByScope = new Map<string, string[]>();
    for (const role of snapshot.roles) {
      for (const seen of role.assignedScopes) {
        if (seen === scope || !LOOKS_LIKE_API_KEYS.test(seen)) continue;
        rolesByScope.set(seen, [...(rolesByScope.get(seen) ?? []), role.name]);
      }
    }
    if (rolesByScope.size === 0) return [];
    const scopesSeen = [...rolesByScope.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([seen, roles]) => ({ scope: seen, roles: roles.slice(0, 10), roleCount: roles.length }));
    return [
      {
        ruleId: metadata.id,
        severity: metadata.defaultSeverity,
        subject: tenantSubject(snapshot),
        message:
          `The policy takes scope "${scope}" as Manage API keys, but no role of the tenant carries it while ` +
          `${plural(tenant.liveUserKeysByOwner.size, 'user')} own active keys, and ` +
          `${plural(scopesSeen.length, 'role scope')} that look like an API-key permission exist: ` +
          `${scopesSeen.map((s) => `"${s.scope}"`).join(', ')}. The policy's scope may be wrong for this tenant.`,
        evidence: {
          policyScope: scope,
          scopesSeen,
          rolesChecked: snapshot.roles.length,
          keyOwnersCount: tenant.liveUserKeysByOwner.size,
        },
        remediation: numberedSteps('Confirm which scope string grants Manage API keys on this tenant.', [
          `Open the roles ${scopesSeen
            .flatMap((s) => s.roles)
            .slice(0, 5)
            .map((name) => `"${name}"`)
            .join(
              ', ',
            )} and check whether ${scopesSeen.length === 1 ? 'its scope' : 'one of their scopes'} is Manage API keys.`,
          'If so, set remediation.scope to that string in the policy and re-run the check.',
          `If not, keep "${scope}"; qlik-access-guard fix creates a role with it only when --create-role-scope ${scope} confirms it.`,
        ]),
      },
    ];
  },
};
