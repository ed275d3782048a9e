/**
 * `fix` end to end through the CLI against the simulated tenant over real HTTP: check → plan → apply → check, the
 * simulator's state before and after compared with the plan's `after` states, stale principals, edited plans, failures
 * midway and their record in the archive, role creation behind --create-role-scope, and --max-changes.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RemediationPlan } from '../../../lambda/remediation/plan-file';
import type { RemediationRecord } from '../../../lambda/remediation/record';
import type { Scenario, SimulatedTenant } from '../../sim/server';
import {
  Clock,
  checkArgs,
  cleanUp,
  cli,
  filesUnder,
  findLeaks,
  HOUR_MS,
  oauthEnv,
  onlyTenant,
  parseReport,
  startSim,
  type Workspace,
  workspace,
} from './support';

afterEach(cleanUp);

const RAVI = '64b1000000000000000000a1';
const MIA = '64b1000000000000000000a2';

interface Setup {
  readonly sim: SimulatedTenant;
  readonly ws: Workspace;
  readonly clock: Clock;
  readonly planPath: string;
}

async function setup(scenario = 'migration'): Promise<Setup> {
  const clock = new Clock();
  const sim = await startSim(scenario, { now: clock.now });
  const ws = await workspace();
  return { sim, ws, clock, planPath: join(ws.dir, 'plan.json') };
}

const common = (s: Setup) => ['--allow-http-loopback', '--out', s.ws.out, '--state', s.ws.state, '-q'];
const run = (s: Setup, argv: string[]) => cli(argv, { env: oauthEnv(s.sim), cwd: s.ws.dir, now: s.clock.now });
const makePlan = (s: Setup, ...extra: string[]) =>
  run(s, ['fix', '--tenant', s.sim.url, ...common(s), '--plan', s.planPath, ...extra]);
const applyPlan = (s: Setup, ...extra: string[]) => run(s, ['fix', '--apply', s.planPath, ...common(s), ...extra]);
const readPlanFile = async (s: Setup) => JSON.parse(await readFile(s.planPath, 'utf8')) as RemediationPlan;

async function failingIds(s: Setup): Promise<string[]> {
  const result = await run(s, checkArgs(s.ws, [s.sim.url]));
  return onlyTenant(parseReport(result.stdout))
    .findings.filter((f) => f.status === 'fail')
    .map((f) => f.id)
    .sort();
}

/** The tenant as the simulator holds it, without the timestamps a write updates. */
function state(sim: SimulatedTenant): Scenario {
  const copy = structuredClone(sim.scenario) as Scenario;
  for (const list of [copy.users, copy.roles, copy.groups] as { lastUpdatedAt?: string; updatedBy?: string }[][])
    for (const item of list) {
      delete item.lastUpdatedAt;
      delete item.updatedBy;
    }
  return copy;
}

async function records(s: Setup): Promise<RemediationRecord[]> {
  const files = (await filesUnder(s.ws.out)).filter((f) => f.endsWith('remediation.json'));
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(f, 'utf8')) as RemediationRecord));
}

describe('fix: plan, apply, re-check', () => {
  it('resolves exactly the targeted findings and changes exactly the planned role lists', async () => {
    const s = await setup();
    const failingBefore = await failingIds(s);
    s.clock.advance(HOUR_MS);
    const beforePlan = state(s.sim);

    const planned = await makePlan(s);
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain('+ role "AllowManageAPIKeys" → user Ravi Patel');
    expect(planned.stdout).toContain('+ role "AllowManageAPIKeys" → user Mia Chen');
    expect(planned.stdout).toContain('2 changes in 1 tenant; nothing was changed.');
    expect(state(s.sim)).toEqual(beforePlan);
    const plan = await readPlanFile(s);
    const actions = plan.tenants[0]!.actions;
    expect(actions.map((a) => [a.kind, a.target.name])).toEqual([
      ['assign-role-to-user', 'Mia Chen'],
      ['assign-role-to-user', 'Ravi Patel'],
    ]);

    s.clock.advance(HOUR_MS);
    const applied = await applyPlan(s);
    expect(applied.stderr).not.toContain('error');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain(`resolved by plan ${plan.planId}: 2 findings`);

    // The simulator differs from before exactly by the plan's `after` states.
    const after = state(s.sim);
    const expected = structuredClone(beforePlan);
    for (const action of actions) {
      const user = expected.users.find((u) => u.id === action.target.id)!;
      user.assignedRoles = ('assignedRoles' in action.after ? action.after.assignedRoles : []).map((r) => r.id!);
    }
    expect(after).toEqual(expected);

    s.clock.advance(HOUR_MS);
    const failingAfter = await failingIds(s);
    const resolved = actions.flatMap((a) => a.resolves);
    expect(failingAfter).toEqual(failingBefore.filter((id) => !resolved.includes(id)));

    // Recorded in the archive chain, which verifies; the re-check's alert names the plan.
    const [record] = await records(s);
    expect(record).toMatchObject({
      schemaVersion: 1,
      kind: 'remediation',
      planId: plan.planId,
      tenantId: s.sim.tenantId,
      credentialKind: 'oauth-client',
      actions: [
        { id: actions[0]!.id, outcome: 'applied', httpStatus: 204 },
        { id: actions[1]!.id, outcome: 'applied', httpStatus: 204 },
      ],
    });
    expect((await run(s, ['verify', '--out', s.ws.out])).code).toBe(0);
    const runFolders = await readdir(join(s.ws.out, 'runs'));
    const emails = await Promise.all(
      runFolders.map((f) => readFile(join(s.ws.out, 'runs', f, 'email.txt'), 'utf8').catch(() => '')),
    );
    expect(emails.some((text) => text.includes(`resolved by plan ${plan.planId}`))).toBe(true);

    // Applying the same plan again changes nothing.
    s.clock.advance(HOUR_MS);
    const again = await applyPlan(s);
    expect(again.code).toBe(0);
    expect(again.stdout.match(/already-in-place/g)).toHaveLength(2);
    expect(state(s.sim)).toEqual(after);
    expect(findLeaks()).toEqual([]);
  });

  it('refuses the action of a principal changed since the plan, applies the others, exit 1', async () => {
    const s = await setup();
    expect((await makePlan(s)).code).toBe(0);
    // Someone gives Mia another role after the plan was made.
    s.sim.mutate((sc) => sc.users.find((u) => u.id === MIA)!.assignedRoles.push('605a1c2151382ffc836af862'));
    const miaRoles = [...s.sim.scenario.users.find((u) => u.id === MIA)!.assignedRoles];
    const applied = await applyPlan(s);
    expect(applied.code).toBe(1);
    expect(applied.stdout).toMatch(/refused +\+ role "AllowManageAPIKeys" → user Mia Chen.*stale/);
    expect(applied.stdout).toMatch(/applied +\+ role "AllowManageAPIKeys" → user Ravi Patel/);
    expect(s.sim.scenario.users.find((u) => u.id === MIA)!.assignedRoles).toEqual(miaRoles);
    expect(s.sim.scenario.users.find((u) => u.id === RAVI)!.assignedRoles).toContain('6724d8f5a4acfa155351afa7');
    const [record] = await records(s);
    expect(record!.actions.map((a) => a.outcome)).toEqual(['refused', 'applied']);
  });

  it('refuses an edited plan with exit 2 and writes nothing', async () => {
    const s = await setup();
    expect((await makePlan(s)).code).toBe(0);
    const text = await readFile(s.planPath, 'utf8');
    await writeFile(s.planPath, text.replace('"Ravi Patel"', '"Ravi Patell"'));
    const before = state(s.sim);
    const writesBefore = s.sim.log.filter((r) => r.method !== 'GET').length;
    const applied = await applyPlan(s);
    expect(applied.code).toBe(2);
    expect(applied.stderr).toMatch(/plan\.json at sha256: an unaltered plan/);
    expect(state(s.sim)).toEqual(before);
    expect(s.sim.log.filter((r) => r.method !== 'GET').length).toBe(writesBefore);
    expect(await records(s)).toEqual([]);
  });

  it.each([
    ['a 500', { kind: 'server-error' as const, status: 500 as const }, 500],
    ['a 403', { kind: 'forbidden' as const }, 403],
  ])('records exactly what was applied when %s comes midway', async (_name, fault, status) => {
    const s = await setup();
    expect((await makePlan(s)).code).toBe(0);
    s.sim.setFaults([{ ...fault, method: 'PATCH', path: '/api/v1/users', after: 1, times: 1 }]);
    const applied = await applyPlan(s);
    expect(applied.code).toBe(1);
    const [record] = await records(s);
    expect(record!.actions).toEqual([
      expect.objectContaining({ target: expect.objectContaining({ name: 'Mia Chen' }), outcome: 'applied' }),
      expect.objectContaining({
        target: expect.objectContaining({ name: 'Ravi Patel' }),
        outcome: 'failed',
        httpStatus: status,
      }),
    ]);
    if (status === 403) expect(record!.actions[1]!.reason).toContain('TenantAdmin');
    expect(s.sim.scenario.users.find((u) => u.id === MIA)!.assignedRoles).toContain('6724d8f5a4acfa155351afa7');
    expect(s.sim.scenario.users.find((u) => u.id === RAVI)!.assignedRoles).not.toContain('6724d8f5a4acfa155351afa7');
  });

  it('creates the role only when --create-role-scope confirms a scope no role carries', async () => {
    const s = await setup('no-replacement-role');
    const unconfirmed = await makePlan(s);
    expect(unconfirmed.code).toBe(0);
    expect(unconfirmed.stdout).toContain('confirm the scope with --create-role-scope api-keys');
    expect((await readPlanFile(s)).tenants[0]!.actions).toEqual([]);

    s.clock.advance(HOUR_MS);
    const confirmed = { ...s, planPath: join(s.ws.dir, 'plan-confirmed.json') };
    const planned = await makePlan(confirmed, '--create-role-scope', 'api-keys');
    expect(planned.stdout).toContain('+ create role "Manage API keys" (scopes api-keys)');
    const applied = await applyPlan(confirmed);
    expect(applied.code).toBe(0);
    const role = s.sim.scenario.roles.find((r) => r.name === 'Manage API keys');
    expect(role).toMatchObject({ type: 'custom', assignedScopes: ['api-keys'] });
    const plan = await readPlanFile(confirmed);
    for (const action of plan.tenants[0]!.actions.filter((a) => a.kind === 'assign-role-to-user'))
      expect(s.sim.scenario.users.find((u) => u.id === action.target.id)!.assignedRoles).toContain(role!.id);
  });

  it('refuses a tenant plan above --max-changes and writes nothing', async () => {
    const s = await setup();
    expect((await makePlan(s)).code).toBe(0);
    const before = state(s.sim);
    const applied = await applyPlan(s, '--max-changes', '1');
    expect(applied.code).toBe(1);
    expect(applied.stdout).toContain('above --max-changes 1');
    expect(state(s.sim)).toEqual(before);
  });

  it('takes --max-changes 0 as "nothing may be applied": every non-empty tenant plan is refused, nothing written', async () => {
    const s = await setup();
    expect((await makePlan(s)).code).toBe(0);
    const before = state(s.sim);
    const roleWrites = () => s.sim.log.filter((r) => r.method !== 'GET' && r.path.startsWith('/api/v1/')).length;
    const writesBefore = roleWrites();
    const applied = await applyPlan(s, '--max-changes', '0');
    expect(applied.stderr).not.toContain('error');
    expect(applied.code).toBe(1);
    expect(applied.stdout.match(/refused +\+ role/g)).toHaveLength(2);
    expect(applied.stdout).toContain('--max-changes 0 allows no change');
    expect(state(s.sim)).toEqual(before);
    expect(roleWrites()).toBe(writesBefore);
    const [record] = await records(s);
    expect(record!.actions.map((a) => a.outcome)).toEqual(['refused', 'refused']);
    expect((await applyPlan(s, '--max-changes', '-1')).code).toBe(2);
  });
});
