/**
 * Custom `require` rules from the policy: every selected user must hold all listed scopes effectively. Findings carry
 * the custom rule's id and severity, with the user as subject.
 */
import { type SnapshotUser, USER_DEFAULT_ROLE_NAME } from '../../collect/snapshot';
import type { FindingDraft } from '../../report/model';
import { quoted } from '../../util/tenant-text';
import { compareText } from '../../util/text';
import { accessEvidence, describeUser, grantPathEvidence, userEvidence, userSubject, whyNoGrant } from '../evidence';
import { jsonBody, numberedSteps, replaceUserRolesCall } from '../remediation';
import type { RuleContext, RuleMetadata } from '../rule';
import type { RequireRule } from '../schema';
import { isActiveUser } from '../tenant-index';

export function requireRuleMetadata(rule: RequireRule): RuleMetadata {
  const scopes = rule.scopes.join(', ');
  return {
    id: rule.id,
    title: rule.title,
    defaultSeverity: rule.severity,
    subjectType: ['user'],
    description: rule.description ?? `Every selected user holds the scope(s) ${scopes} through some role.`,
    risk: `The policy requires these users to hold ${scopes}; without them the work the policy names for them fails.`,
    remediation:
      rule.remediation ??
      `Assign the user a role whose assignedScopes include ${scopes}: GET /api/v1/users/{userId}, then PATCH ` +
        '/api/v1/users/{userId} [{"op":"replace","path":"/assignedRoles","value":[…current roles…, {"name":"<role>"}]}], ' +
        'or add the user to a group holding such a role.',
    references: [{ title: 'Custom, managed and default roles', source: 'qlik.dev guide' }],
    compliance: {},
  };
}

export function evaluateRequireRule(rule: RequireRule, context: RuleContext): FindingDraft[] {
  const { access } = context;
  const selected = selectUsers(rule, context);
  const findings: FindingDraft[] = [];
  for (const { user, reasons } of selected.values()) {
    if (!isActiveUser(user)) continue;
    const userAccess = access.forUser(user);
    const missing = rule.scopes.filter((scope) => !userAccess.has(scope));
    if (missing.length === 0) continue;

    const rolesCarrying = missing.map((scope) => ({
      scope,
      roles: access
        .rolesGranting(scope)
        .filter((role) => role.type === 'custom')
        .map((role) => role.name)
        .sort(compareText),
    }));
    const candidate = rolesCarrying.find((entry) => entry.roles.length > 0)?.roles[0];
    findings.push({
      ruleId: rule.id,
      severity: rule.severity,
      subject: userSubject(user),
      message:
        `${describeUser(user)} (selected by ${reasons.join(', ')}) lacks ${missing.join(', ')}, which the policy ` +
        `rule ${quoted(rule.title)} requires; no role, group, Everyone or UserDefault grants ${missing.length === 1 ? 'it' : 'them'}.`,
      evidence: {
        user: userEvidence(user),
        selectedBy: reasons,
        requiredScopes: rule.scopes,
        missingScopes: missing,
        heldScopes: rule.scopes
          .filter((scope) => userAccess.has(scope))
          .map((scope) => ({ scope, grantPaths: userAccess.pathsFor(scope).map(grantPathEvidence) })),
        ...accessEvidence(userAccess, access, missing[0] ?? ''),
        whyNoGrant: missing.map((scope) => whyNoGrant(userAccess, access, scope)).join(' '),
        rolesCarryingMissingScopes: rolesCarrying,
      },
      remediation:
        rule.remediation ??
        numberedSteps(`Give ${quoted(user.name)} ${missing.join(', ')}.`, [
          candidate
            ? `Assign ${quoted(candidate)}, which carries it: ${replaceUserRolesCall(user, userAccess.directRoles, candidate)}`
            : `No custom role carries ${missing.join(', ')} yet; create one as TenantAdmin: POST /api/v1/roles ` +
              jsonBody({ name: `Allow-${rule.id}`, assignedScopes: missing }) +
              `, then assign it: ${replaceUserRolesCall(user, userAccess.directRoles, `Allow-${rule.id}`)}`,
          'Or add the user to a group holding such a role (PATCH /api/v1/groups/{groupId}, full list of role ids).',
        ]),
    });
  }
  return findings;
}

interface Selection {
  readonly user: SnapshotUser;
  readonly reasons: string[];
}

/** Users chosen by the rule's `select`, each with why (for the evidence). */
function selectUsers(rule: RequireRule, context: RuleContext): Map<string, Selection> {
  const { tenant, access, snapshot } = context;
  const selected = new Map<string, Selection>();
  const pick = (user: SnapshotUser, reason: string): void => {
    const entry = selected.get(user.id);
    if (entry) {
      if (!entry.reasons.includes(reason)) entry.reasons.push(reason);
    } else {
      selected.set(user.id, { user, reasons: [reason] });
    }
  };

  for (const idOrEmail of rule.select.users ?? []) {
    const user = tenant.user(idOrEmail);
    if (user) pick(user, `user ${quoted(idOrEmail)}`);
  }
  for (const idOrName of rule.select.groups ?? []) {
    for (const member of tenant.membersOfGroup(idOrName)) pick(member, `group ${quoted(idOrName)}`);
  }

  const roleNames = rule.select.roles ?? [];
  if (roleNames.length > 0) {
    const wanted = new Set(roleNames);
    const everyoneHas = snapshot.everyoneRoles
      .map((ref) => access.role(ref).seen.name)
      .filter((name) => wanted.has(name));
    const universal = [...(wanted.has(USER_DEFAULT_ROLE_NAME) ? [USER_DEFAULT_ROLE_NAME] : []), ...everyoneHas];
    // Roles held by the group (from the groups list, else as the user record shows it), per group id.
    const groupRoleNames = (groupId: string, embedded: readonly { id: string; name: string }[] | undefined) => {
      const listed = tenant.groupsById.get(groupId);
      if (listed)
        return listed.status === 'disabled' ? [] : listed.assignedRoles.map((ref) => access.role(ref).seen.name);
      return (embedded ?? []).map((ref) => tenant.role(ref)?.name ?? ref.name);
    };
    for (const user of snapshot.users) {
      for (const name of universal) pick(user, `role ${quoted(name)} (every user)`);
      for (const ref of user.assignedRoles) {
        const name = access.role(ref).seen.name;
        if (wanted.has(name)) pick(user, `role ${quoted(name)}`);
      }
      for (const membership of user.assignedGroups) {
        for (const name of groupRoleNames(membership.id, membership.assignedRoles)) {
          if (wanted.has(name)) pick(user, `role ${quoted(name)} via group ${quoted(membership.name)}`);
        }
      }
    }
  }
  return selected;
}
