/**
 * The remediation stage's decisions that need no tenant: mode apply never creates a role (nor assigns one still to be
 * created) and then asks for no credential at all; mode off adds nothing; a plan's alert lines keep tenant text inert.
 * The writes themselves are tested end to end in test/integration/run/remediation-stage.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { emptyState } from '../../../lambda/drift/state';
import { evaluatePolicy } from '../../../lambda/policy/evaluate';
import { defaultPolicy } from '../../../lambda/policy/load';
import { remediationAlertLines, type TenantRemediationReport } from '../../../lambda/remediation/scheduled';
import { type Finding, findingId } from '../../../lambda/report/model';
import { remediationStage } from '../../../lambda/run/remediation-stage';
import type { TenantTarget } from '../../../lambda/run/run';
import type { Assessment } from '../../../lambda/run/tenant-pipeline';
import { NOW, SnapshotBuilder, TENANT_ID } from '../policy/builders';

const policy = defaultPolicy();

function assessmentOf(build: (b: SnapshotBuilder) => void): Assessment {
  const b = new SnapshotBuilder();
  build(b);
  const snapshot = b.build();
  const findings: Finding[] = evaluatePolicy(snapshot, policy.policy, NOW).map((draft) => ({
    ...draft,
    id: findingId(TENANT_ID, draft.ruleId, draft.subject),
    tenantId: TENANT_ID,
    title: draft.ruleId,
    status: 'fail',
    drift: 'new',
  }));
  const next = emptyState(TENANT_ID);
  return {
    snapshot,
    stats: { requests: 0, retries: 0, rateLimited: 0 },
    now: NOW,
    findings,
    resolved: [],
    drift: { findings, resolved: [], exceptionsInForce: [], expiredExceptions: [], changes: {}, next } as never,
  };
}

function stageInput(remediation: TenantTarget['remediation']) {
  const asked: string[] = [];
  const target: TenantTarget = {
    name: 'acme',
    url: 'https://acme.eu.qlikcloud.com',
    allowedHosts: [],
    credentials: () => {
      asked.push('credentials');
      return Promise.reject(new Error('no credential in this test'));
    },
    ...(remediation ? { remediation } : {}),
  };
  const archive = {
    locate: (tenantId: string, runId: string) => `s3://bucket/reports/tenant=${tenantId}/run=${runId}/`,
    archiveRun: () => Promise.reject(new Error('nothing is archived in this test')),
  };
  const log = { info: () => {}, warn: () => {}, error: () => {} };
  return {
    asked,
    input: {
      deps: { archive: archive as never },
      context: { runId: '2026-03-02T06:00:00.000Z', runStartedAt: NOW.toISOString(), policy, allowHttpLoopback: false },
      target,
      log,
      deadlineAt: Date.now() + 60_000,
    },
  };
}

/** An owner lacking api-keys, and no custom role carrying it: only a default role does, so `fix` would create one. */
const needsRoleCreation = (b: SnapshotBuilder) => {
  b.role('SomeDefault', ['api-keys'], { type: 'default' });
  b.key(b.user('Jane Doe'));
};

describe('remediation stage', () => {
  it('adds nothing when the mode is off (the default)', async () => {
    const assessment = assessmentOf(needsRoleCreation);
    const { input, asked } = stageInput(undefined);
    expect(await remediationStage(input, assessment)).toBe(assessment);
    expect(asked).toEqual([]);
  });

  it('plans the role creation in mode plan, with the apply command', async () => {
    const { input, asked } = stageInput({ mode: 'plan', maxChanges: 25 });
    const { remediation } = await remediationStage(input, assessmentOf(needsRoleCreation));
    const actions = remediation!.report.plan.tenants[0]!.actions;
    expect(actions.map((a) => a.kind)).toEqual(['create-role', 'assign-role-to-user']);
    expect(remediation!.report.applyCommand).toBe(
      `aws s3 cp s3://bucket/reports/tenant=${TENANT_ID}/run=2026-03-02T06:00:00.000Z/plan.json plan.json && qlik-access-guard fix --apply plan.json --bucket bucket`,
    );
    expect(asked).toEqual([]);
  });

  it('never creates a role in mode apply: the creation and its assignment are left to the CLI, nothing is asked', async () => {
    const { input, asked } = stageInput({ mode: 'apply', maxChanges: 25 });
    const { remediation } = await remediationStage(input, assessmentOf(needsRoleCreation));
    const tenantPlan = remediation!.report.plan.tenants[0]!;
    expect(tenantPlan.actions).toEqual([]);
    expect(tenantPlan.notes.at(-1)).toMatch(/^2 changes not applied automatically: creating a role/);
    expect(remediation!.report.apply).toEqual({ appliedAt: NOW.toISOString(), outcomes: [] });
    expect(asked).toEqual([]);
    expect(remediation!.alert.alert).toBe(false);
  });
});

describe('remediation alert lines', () => {
  it('show tenant names as one inert line', async () => {
    const { input } = stageInput({ mode: 'plan', maxChanges: 25 });
    const { remediation } = await remediationStage(
      input,
      assessmentOf((b) => {
        const role = b.role('Keys\u001b[31m\nManager', ['api-keys']);
        b.key(b.user('Eve\r\nBcc: all@example.com'));
        b.user('Holder', { roles: [role] });
      }),
    );
    const lines = remediationAlertLines(remediation!.report as TenantRemediationReport);
    expect(lines.length).toBeGreaterThan(2);
    // No C0 or C1 control character, by code point.
    const controls = [...lines.join('')].filter(
      (c) => c.codePointAt(0)! < 0x20 || (c.codePointAt(0)! >= 0x7f && c.codePointAt(0)! <= 0x9f),
    );
    expect(controls).toEqual([]);
    expect(lines.join('\n')).toContain('Keys');
  });
});
