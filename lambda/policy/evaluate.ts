/**
 * Evaluating a policy over one tenant snapshot, and what the rest of the run needs to know about the policy: what to
 * collect, rule titles and metadata, who holds Developer now, informational tenant notes.
 */

import type { PolicyNeeds } from '../collect/plan';
import { DEVELOPER_ROLE_NAME, EVERYONE_GROUP_ID, type TenantSnapshot } from '../collect/snapshot';
import type { FindingDraft } from '../report/model';
import { compareText } from '../util/text';
import { PermissionResolver, resolverOptionsOf } from './resolver';
import type { KnownFormerDevelopers, PrincipalRef, RuleContext, RuleMetadata } from './rule';
import { RULES } from './rules/index';
import { evaluateRequireRule, requireRuleMetadata } from './rules/require';
import type { Policy } from './schema';
import { isDeprecatedDeveloperRole, TenantIndex } from './tenant-index';

export interface EvaluationContext {
  /** Principals earlier runs saw holding Developer (from the state store). */
  readonly knownFormerDevelopers?: KnownFormerDevelopers;
}

const NO_FORMER_DEVELOPERS: KnownFormerDevelopers = { users: [], groups: [] };

/**
 * The findings of every enabled rule, built-in then custom, with the policy's severity applied. The order is
 * deterministic (rule order, then subject type, name and id) so reports and digests diff cleanly between runs.
 */
export function evaluatePolicy(
  snapshot: TenantSnapshot,
  policy: Policy,
  now: Date,
  context: EvaluationContext = {},
): FindingDraft[] {
  const tenant = new TenantIndex(snapshot, now);
  const ruleContext: RuleContext = {
    snapshot,
    policy,
    now,
    tenant,
    access: new PermissionResolver(tenant, resolverOptionsOf(policy)),
    knownFormerDevelopers: context.knownFormerDevelopers ?? NO_FORMER_DEVELOPERS,
  };

  const ordered: { order: number; draft: FindingDraft }[] = [];
  RULES.forEach((rule, order) => {
    const settings = policy.rules[rule.metadata.id as keyof Policy['rules']];
    if (!settings.enabled) return;
    for (const draft of rule.evaluate(ruleContext)) {
      ordered.push({ order, draft: { ...draft, severity: settings.severity } });
    }
  });
  policy.require.forEach((rule, index) => {
    for (const draft of evaluateRequireRule(rule, ruleContext)) ordered.push({ order: RULES.length + index, draft });
  });

  return ordered
    .sort(
      (a, b) =>
        a.order - b.order ||
        compareText(a.draft.subject.type, b.draft.subject.type) ||
        compareText(a.draft.subject.name, b.draft.subject.name) ||
        compareText(a.draft.subject.id, b.draft.subject.id),
    )
    .map((entry) => entry.draft);
}

/**
 * Who holds the removed Developer role now: users directly (assignedRoles or legacy User.roles) and groups. The run
 * keeps them in state, so once Qlik strips the role a later run still knows whom to check. The Everyone group is left
 * out: its "members" are everyone, and the cure (api-keys for everyone) is not one this tool recommends.
 */
export function developerHolders(snapshot: TenantSnapshot): KnownFormerDevelopers {
  const rolesById = new Map(snapshot.roles.map((role) => [role.id, role]));
  const isDeveloper = (ref: { id: string; name: string; type: 'default' | 'custom' }): boolean =>
    isDeprecatedDeveloperRole(rolesById.get(ref.id) ?? ref);

  const users: PrincipalRef[] = [];
  const groups = new Map<string, PrincipalRef>();
  for (const user of snapshot.users) {
    if (user.assignedRoles.some(isDeveloper) || user.legacyRoles?.includes(DEVELOPER_ROLE_NAME)) {
      users.push({ id: user.id, name: user.name });
    }
  }
  const listed = new Set<string>();
  for (const group of snapshot.groups) {
    listed.add(group.id);
    if (group.id !== EVERYONE_GROUP_ID && group.assignedRoles.some(isDeveloper)) {
      groups.set(group.id, { id: group.id, name: group.name });
    }
  }
  for (const user of snapshot.users) {
    for (const membership of user.assignedGroups) {
      if (listed.has(membership.id) || groups.has(membership.id) || membership.id === EVERYONE_GROUP_ID) continue;
      if (membership.assignedRoles?.some(isDeveloper))
        groups.set(membership.id, { id: membership.id, name: membership.name });
    }
  }
  const byId = (a: PrincipalRef, b: PrincipalRef) => compareText(a.id, b.id);
  return { users: users.sort(byId), groups: [...groups.values()].sort(byId) };
}

/**
 * What the policy needs collected. Cost follows what is checked: key owners are always collected by the collector;
 * the rest is asked for here. `knownFormerDevelopers` (from state) adds their user ids.
 */
export function policyNeeds(policy: Policy, context: EvaluationContext = {}): PolicyNeeds {
  const enabled = (id: keyof Policy['rules']): boolean => policy.rules[id].enabled;
  const userIds = new Set<string>();
  const userEmails = new Set<string>();
  const memberGroups = new Set<string>();
  const roleHolders = new Set<string>();
  const addUser = (idOrEmail: string): void => {
    if (idOrEmail.includes('@')) userEmails.add(idOrEmail.toLowerCase());
    else userIds.add(idOrEmail);
  };

  const formerDevelopersChecked = enabled('former-developer-not-migrated');
  if (formerDevelopersChecked) {
    policy.formerDevelopers.users.forEach(addUser);
    for (const user of context.knownFormerDevelopers?.users ?? []) userIds.add(user.id);
    // Members of former-Developer groups own the keys that break; collect them so the evidence can name them.
    for (const group of policy.formerDevelopers.groups) memberGroups.add(group);
    for (const group of context.knownFormerDevelopers?.groups ?? []) memberGroups.add(group.id);
  }
  // Holders of Developer must be collected to report them, and to remember them for later runs.
  if (enabled('deprecated-developer-role-assigned') || formerDevelopersChecked) roleHolders.add(DEVELOPER_ROLE_NAME);
  for (const rule of policy.require) {
    (rule.select.users ?? []).forEach(addUser);
    for (const group of rule.select.groups ?? []) memberGroups.add(group);
    for (const role of rule.select.roles ?? []) roleHolders.add(role);
  }

  return {
    allUsers: false,
    // Groups holding Developer (or once holding it) may have no collected member; at most 10,000 per tenant.
    allGroups: enabled('deprecated-developer-role-assigned') || formerDevelopersChecked,
    userIds: [...userIds].sort(compareText),
    userEmails: [...userEmails].sort(compareText),
    memberGroups: [...memberGroups].sort(compareText),
    roleHolders: [...roleHolders].sort(compareText),
    apiKeysConfig: enabled('api-key-config-out-of-policy'),
  };
}

/** Metadata of a built-in rule or of one of the policy's custom rules; `undefined` for an unknown id. */
export function ruleMetadata(policy: Policy, ruleId: string): RuleMetadata | undefined {
  const builtIn = RULES.find((rule) => rule.metadata.id === ruleId);
  if (builtIn) return builtIn.metadata;
  const custom = policy.require.find((rule) => rule.id === ruleId);
  return custom ? requireRuleMetadata(custom) : undefined;
}

/** The rule's title (its compliant state), or the id itself for a rule the policy no longer has. */
export function ruleTitle(policy: Policy, ruleId: string): string {
  return ruleMetadata(policy, ruleId)?.title ?? ruleId;
}

/** Informational facts about the tenant; none of them is a finding. */
export function tenantNotes(snapshot: TenantSnapshot): string[] {
  const notes: string[] = [];
  const legacyToggle = snapshot.apiKeysConfig?.apiKeysEnabled;
  if (legacyToggle !== undefined) {
    notes.push(
      `Legacy api_keys_enabled=${legacyToggle} still present in the API-key configuration; it controls nothing since ` +
        'Qlik removed the toggle in 2026 (API keys now depend only on the owner holding Manage API keys).',
    );
  }
  if (snapshot.roles.some(isDeprecatedDeveloperRole)) {
    notes.push(
      "The removed built-in Developer role is still listed by GET /api/v1/roles: Qlik's removal has not reached " +
        'this tenant yet, or left a stale entry. It is never counted as granting api-keys.',
    );
  }
  const legacyRoleUsers = snapshot.users.filter((user) => user.legacyRoles !== undefined).length;
  if (legacyRoleUsers > 0) {
    notes.push(
      `${legacyRoleUsers} user record(s) still carry the legacy "roles" field; assignedRoles is used for permissions.`,
    );
  }
  return notes;
}
