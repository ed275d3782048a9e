import { describe, expect, it } from 'vitest';
import type { TenantSnapshot } from '../../../lambda/collect/snapshot';
import { evaluatePolicy } from '../../../lambda/policy/evaluate';
import type { Policy } from '../../../lambda/policy/schema';
import { renderPlanDiff } from '../../../lambda/remediation/diff';
import { buildPlan, buildTenantPlan } from '../../../lambda/remediation/plan';
import { PlanFileError, readPlan, renderPlanFile } from '../../../lambda/remediation/plan-file';
import { type Finding, findingId } from '../../../lambda/report/model';
import { NOW, policyWith, SnapshotBuilder, TENANT_ID } from '../policy/builders';

/** The check's failing findings with their report ids, as the run hands them to the planner. */
function findings(snapshot: TenantSnapshot, policy: Policy): Finding[] {
  return evaluatePolicy(snapshot, policy, NOW).map(
    (draft) =>
      ({
        ...draft,
        id: findingId(snapshot.tenantId, draft.ruleId, draft.subject),
        tenantId: snapshot.tenantId,
        title: draft.ruleId,
        status: 'fail',
        drift: 'new',
      }) as Finding,
  );
}

function plan(snapshot: TenantSnapshot, policy: Policy = policyWith(), confirmedScope?: string) {
  return buildTenantPlan({
    tenantUrl: 'https://acme.eu.qlikcloud.com',
    name: 'acme',
    snapshot,
    findings: findings(snapshot, policy),
    policy,
    now: NOW,
    ...(confirmedScope ? { confirmedScope } : {}),
  });
}

describe('choosing the role', () => {
  it('uses the custom role carrying the scope that most people hold, directly or through a group', () => {
    const b = new SnapshotBuilder();
    const few = b.role('AAA Keys', ['api-keys']);
    const many = b.role('Manage Keys', ['api-keys']);
    const team = b.group('Integrations', [many]);
    b.user('Holder One', { roles: [few] });
    b.user('Holder Two', { groups: [team] });
    b.user('Holder Three', { groups: [team] });
    const shared = b.role('SharedSpaceCreator', [], { type: 'default' });
    const ravi = b.user('Ravi Patel', { roles: [shared] });
    b.key(ravi);
    const tenant = plan(b.build());
    expect(tenant.actions).toEqual([
      {
        id: 'assign-role-to-user-1',
        kind: 'assign-role-to-user',
        target: { type: 'user', id: ravi.id, name: 'Ravi Patel' },
        role: { id: many.id, name: 'Manage Keys' },
        before: { assignedRoles: [{ id: shared.id, name: 'SharedSpaceCreator' }] },
        after: {
          assignedRoles: [
            { id: shared.id, name: 'SharedSpaceCreator' },
            { id: many.id, name: 'Manage Keys' },
          ],
        },
        resolves: [findingId(TENANT_ID, 'api-key-owner-lacks-manage-permission', { type: 'user', id: ravi.id })],
      },
    ]);
  });

  it("uses the policy's remediation.role, and refuses one that does not carry the scope", () => {
    const b = new SnapshotBuilder();
    b.role('Popular', ['api-keys']);
    const chosen = b.role('Chosen', ['api-keys', 'reports:create']);
    b.role('Reports', ['reports:create']);
    b.key(b.user('Mia Chen'));
    const snapshot = b.build();
    const withChosen = plan(snapshot, policyWith({ remediation: { role: 'Chosen' } }));
    expect(withChosen.actions.map((a) => a.role)).toEqual([{ id: chosen.id, name: 'Chosen' }]);
    const wrong = plan(snapshot, policyWith({ remediation: { role: 'Reports' } }));
    expect(wrong.actions).toEqual([]);
    expect(wrong.notes.join()).toMatch(/"Reports" is not a custom role carrying api-keys/);
  });

  it('creates "Manage API keys" only with a scope some role carries or the operator confirmed', () => {
    const b = new SnapshotBuilder();
    b.userDefault(['apps.data:export']);
    const mia = b.user('Mia Chen');
    b.key(mia);
    const snapshot = b.build();
    const unconfirmed = plan(snapshot);
    expect(unconfirmed.actions).toEqual([]);
    expect(unconfirmed.notes.join()).toContain('confirm the scope with --create-role-scope api-keys');
    expect(plan(snapshot, policyWith(), 'something-else').actions).toEqual([]);

    const confirmed = plan(snapshot, policyWith(), 'api-keys');
    expect(confirmed.actions.map((a) => [a.kind, a.role])).toEqual([
      ['create-role', { name: 'Manage API keys' }],
      ['assign-role-to-user', { name: 'Manage API keys' }],
    ]);
    expect(confirmed.actions[0]).toMatchObject({
      target: { type: 'tenant', id: TENANT_ID },
      before: null,
      after: { role: { name: 'Manage API keys', assignedScopes: ['api-keys'] } },
      resolves: [findingId(TENANT_ID, 'replacement-role-missing', { type: 'tenant', id: TENANT_ID })],
    });
    expect(confirmed.actions[1]!.after).toEqual({ assignedRoles: [{ name: 'Manage API keys' }] });
  });

  it('refuses to create a role whose name is taken by one without the scope', () => {
    const b = new SnapshotBuilder();
    b.role('Manage API keys', ['reports:create']);
    b.key(b.user('Mia Chen'));
    const tenant = plan(b.build(), policyWith(), 'api-keys');
    expect(tenant.actions).toEqual([]);
    expect(tenant.notes.join()).toContain('a role named "Manage API keys" exists without api-keys');
  });
});

describe('what is never planned', () => {
  it('leaves owners who already hold the scope, inactive owners, SCIM keys, Everyone and UserDefault alone', () => {
    const b = new SnapshotBuilder();
    const granting = b.role('AllowManageAPIKeys', ['api-keys']);
    b.userDefault(['apps.data:export']);
    b.everyone(b.role('PrivateAnalyticsContentCreator', [], { type: 'default' }));
    b.key(b.user('Has It', { roles: [granting] }));
    b.key(b.user('Gone', { status: 'disabled' }));
    b.scimKey();
    const lacking = b.user('Lacking');
    b.key(lacking);
    const tenant = plan(b.build());
    expect(tenant.actions.map((a) => `${a.kind} ${a.target.name}`)).toEqual(['assign-role-to-user Lacking']);
  });

  it('never removes a role unless removeDeveloperRole is on, and then only Developer, after the assignment', () => {
    const b = new SnapshotBuilder();
    const granting = b.role('AllowManageAPIKeys', ['api-keys']);
    const developer = b.developerRole();
    const audit = b.role('AuditAdmin', [], { type: 'default', level: 'admin' });
    const olaf = b.user('Olaf Berg', { roles: [developer, audit] });
    b.key(olaf);
    const migrated = b.user('Already Migrated', { roles: [developer, granting] });
    b.key(migrated);
    b.user('Developer Without Scope', { roles: [developer] });
    const snapshot = b.build();
    expect(plan(snapshot).actions.map((a) => a.kind)).toEqual(['assign-role-to-user']);

    const tenant = plan(snapshot, policyWith({ remediation: { removeDeveloperRole: true } }));
    expect(tenant.actions.map((a) => `${a.kind} ${a.target.name}`)).toEqual([
      'assign-role-to-user Olaf Berg',
      'remove-developer-role Already Migrated',
      'remove-developer-role Olaf Berg',
    ]);
    const removal = tenant.actions.find((a) => a.kind === 'remove-developer-role' && a.target.id === olaf.id)!;
    const assignment = tenant.actions.find((a) => a.kind === 'assign-role-to-user')!;
    expect(removal.before).toEqual(assignment.after);
    expect(removal.after).toEqual({
      assignedRoles: [
        { id: audit.id, name: 'AuditAdmin' },
        { id: granting.id, name: 'AllowManageAPIKeys' },
      ],
    });
    expect(tenant.notes.join()).toContain('Developer Without Scope keeps Developer');
  });
});

describe('the plan file', () => {
  const b = new SnapshotBuilder();
  b.role('AllowManageAPIKeys', ['api-keys']);
  b.key(b.user('Ravi Patel\u001b[31m\nInjected line'));
  const tenant = plan(b.build());
  const sealed = buildPlan({
    planId: 'plan-20260301T120000Z-abc123',
    now: NOW,
    policy: { name: 'default', sha256: 'a'.repeat(64) },
    scope: 'api-keys',
    tenants: [tenant],
  });
  const text = renderPlanFile(sealed);

  it('reads back what it wrote, with a 24-hour expiry by default', () => {
    expect(readPlan(text, 'plan.json', NOW)).toEqual(sealed);
    expect(Date.parse(sealed.expiresAt) - Date.parse(sealed.createdAt)).toBe(24 * 3600 * 1000);
  });

  it('refuses an edited plan, an expired plan and a file that is not a plan', () => {
    const edited = text.replace('"Ravi Patel', '"Someone Else');
    expect(() => readPlan(edited, 'plan.json', NOW)).toThrow(/plan\.json at sha256: an unaltered plan/);
    const later = new Date(NOW.getTime() + 25 * 3600 * 1000);
    expect(() => readPlan(text, 'plan.json', later)).toThrow(/plan\.json at expiresAt: a plan that has not expired/);
    expect(() => readPlan('{"schemaVersion":1}', 'plan.json', NOW)).toThrow(PlanFileError);
    expect(() => readPlan('not json', 'plan.json', NOW)).toThrow(/the file is not JSON/);
  });

  it('renders a readable diff with tenant text on one line', () => {
    const diff = renderPlanDiff(sealed, 'plans/p.json');
    expect(diff).toContain('+ role "AllowManageAPIKeys" → user Ravi Patel');
    expect(diff).toContain('1 change in 1 tenant; nothing was changed.');
    expect(diff).toContain('qlik-access-guard fix --apply plans/p.json');
    expect(diff).not.toContain('\u001b');
    expect(diff.split('\n').some((line) => line.startsWith('Injected line'))).toBe(false);
  });
});
