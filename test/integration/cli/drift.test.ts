/**
 * What changes between runs that share a `--state` folder, end to end over real HTTP: new → ongoing → resolved →
 * reopened as an admin fixes and breaks a key owner in the simulated tenant; exceptions from a policy file that
 * suppress, then expire; `--fail-on` thresholds; and the weekly reminder. One clock drives the CLI and the simulator.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../../lambda/report/model';
import type { SimulatedTenant } from '../../sim/server';
import {
  apiKeyEnv,
  CLI_FIXTURES,
  Clock,
  checkArgs,
  cleanUp,
  cli,
  DAY_MS,
  eventTypes,
  filesUnder,
  findLeaks,
  HOUR_MS,
  ledger,
  oauthEnv,
  onlyTenant,
  parseReport,
  replaceUserRoles,
  startSim,
  type Workspace,
  workspace,
} from './support';

afterEach(cleanUp);

const RAVI = '64b1000000000000000000a1';
const MIA = '64b1000000000000000000a2';
const ALLOW_MANAGE_API_KEYS = '6724d8f5a4acfa155351afa7';
const LACKS_PERMISSION = 'api-key-owner-lacks-manage-permission';
const EXCEPTIONS_POLICY = join(CLI_FIXTURES, 'policy-exceptions.yaml');

/** Runs `check` against one simulated tenant, always with the same out and state folders and the shared clock. */
function checker(sim: SimulatedTenant, ws: Workspace, clock: Clock) {
  return async (...extra: string[]) => {
    const result = await cli(checkArgs(ws, [sim.url], ...extra), { env: oauthEnv(sim), cwd: ws.dir, now: clock.now });
    return { ...result, tenant: onlyTenant(parseReport(result.stdout)) };
  };
}

function ownerFinding(findings: readonly Finding[], userId: string): Finding | undefined {
  return findings.find((f) => f.ruleId === LACKS_PERMISSION && f.subject.id === userId);
}

describe('drift over runs with the same --state', () => {
  it('new, then ongoing without alerts, then resolved when an owner is fixed, then reopened when broken again', async () => {
    const clock = new Clock();
    const sim = await startSim('migration', { now: clock.now });
    const ws = await workspace();
    const check = checker(sim, ws, clock);
    const raviRoles = sim.scenario.users.find((u) => u.id === RAVI)!.assignedRoles;

    const first = await check();
    expect(first.code).toBe(1);
    expect(first.tenant.findings.map((f) => f.drift)).toEqual(first.tenant.findings.map(() => 'new'));
    expect(eventTypes(first.tenant)).toEqual(['drift']);
    const raviId = ownerFinding(first.tenant.findings, RAVI)!.id;

    clock.advance(HOUR_MS);
    const second = await check();
    expect(second.code).toBe(1);
    expect(second.tenant.findings.map((f) => f.id)).toEqual(first.tenant.findings.map((f) => f.id));
    expect(second.tenant.findings.every((f) => f.drift === 'ongoing')).toBe(true);
    expect(second.tenant.summary).toMatchObject({
      new: 0,
      reopened: 0,
      resolved: 0,
      ongoing: first.tenant.findings.length,
    });
    expect(second.tenant.notifications).toEqual([]);
    expect(second.stderr).not.toMatch(/notification: /);

    // An admin gives Ravi the replacement role through the tenant's API.
    await replaceUserRoles(sim, RAVI, [...raviRoles, ALLOW_MANAGE_API_KEYS]);
    clock.advance(HOUR_MS);
    const fixed = await check();
    expect(fixed.code).toBe(1); // Mia still lacks the permission
    expect(ownerFinding(fixed.tenant.findings, RAVI)).toBeUndefined();
    expect(fixed.tenant.resolved).toHaveLength(1);
    expect(fixed.tenant.resolved[0]).toMatchObject({
      id: raviId,
      ruleId: LACKS_PERMISSION,
      drift: 'resolved',
      subject: { type: 'user', id: RAVI },
      resolvedAt: clock.now().toISOString(),
    });
    expect(fixed.tenant.summary.resolved).toBe(1);
    expect(eventTypes(fixed.tenant)).toEqual(['drift']);
    expect(fixed.stderr).toMatch(/notification: drift email/);

    // … and takes it away again.
    await replaceUserRoles(sim, RAVI, raviRoles);
    clock.advance(HOUR_MS);
    const broken = await check();
    expect(broken.code).toBe(1);
    expect(ownerFinding(broken.tenant.findings, RAVI)).toMatchObject({ id: raviId, drift: 'reopened', status: 'fail' });
    expect(broken.tenant.findings.filter((f) => f.id !== raviId).every((f) => f.drift === 'ongoing')).toBe(true);
    expect(broken.tenant.resolved).toEqual([]);
    expect(broken.tenant.summary.reopened).toBe(1);
    expect(eventTypes(broken.tenant)).toEqual(['drift']);
    expect(broken.tenant.notifications.find((n) => n.channel === 'email')!.severity).toBe('critical');
  });
});

describe('former Developers, remembered across runs', () => {
  it('a user who loses Developer without a replacement becomes former-developer-not-migrated', async () => {
    const clock = new Clock();
    const sim = await startSim('legacy', { now: clock.now });
    const ws = await workspace();
    const check = checker(sim, ws, clock);
    const bob = sim.scenario.users.find((u) => u.name === 'Bob Stone')!;

    const first = await check();
    expect(first.tenant.findings.filter((f) => f.ruleId === 'former-developer-not-migrated')).toEqual([]);
    const bobDeveloper = first.tenant.findings.find(
      (f) => f.ruleId === 'deprecated-developer-role-assigned' && f.subject.id === bob.id,
    )!;
    expect(bobDeveloper).toBeDefined();

    // The admin strips Developer from Bob and gives him nothing in its place.
    await replaceUserRoles(sim, bob.id, []);
    clock.advance(HOUR_MS);
    const second = await check();

    expect(second.code).toBe(1);
    expect(
      second.tenant.findings
        .filter((f) => f.ruleId === 'former-developer-not-migrated')
        .map((f) => [f.subject.type, f.subject.id, f.severity, f.drift]),
    ).toEqual([['user', bob.id, 'high', 'new']]);
    expect(second.tenant.resolved.map((f) => f.id)).toEqual([bobDeveloper.id]);
    expect(eventTypes(second.tenant)).toEqual(['drift']);
  });
});

describe('exceptions from a policy file', () => {
  it('suppress matching findings (exit 0 when nothing else is high), then reopen when they expire', async () => {
    const clock = new Clock();
    const sim = await startSim('migration', { now: clock.now });
    const ws = await workspace();
    const check = checker(sim, ws, clock);

    const first = await check('--policy', EXCEPTIONS_POLICY);

    expect(first.code).toBe(0);
    const report = parseReport(first.stdout);
    expect(report.policy.name).toBe('cli test - accepted risks');
    const suppressed = first.tenant.findings.filter((f) => f.status === 'suppressed');
    expect(suppressed.map((f) => f.subject.id).sort()).toEqual([MIA, RAVI].sort());
    expect(ownerFinding(suppressed, RAVI)!.exception).toMatchObject({
      ticket: 'OPS-4711',
      owner: 'platform-team@acme.example',
    });
    expect(ownerFinding(suppressed, MIA)!.exception).toMatchObject({ ticket: 'FIN-88', expires: '2035-12-31' });
    expect(first.tenant.exceptions.map((e) => e.ticket).sort()).toEqual(['FIN-88', 'OPS-4711']);
    expect(first.tenant.summary).toMatchObject({ suppressed: 2, failing: 4 });
    expect(
      first.tenant.findings
        .filter((f) => f.status === 'fail')
        .every((f) => f.severity === 'medium' || f.severity === 'low'),
    ).toBe(true);

    // Ravi's exception ends with 2035-03-04; five days on it has lapsed.
    clock.advance(5 * DAY_MS);
    const later = await check('--policy', EXCEPTIONS_POLICY);

    expect(later.code).toBe(1);
    const ravi = ownerFinding(later.tenant.findings, RAVI)!;
    expect(ravi).toMatchObject({ status: 'fail', drift: 'reopened', exception: { ticket: 'OPS-4711', expired: true } });
    expect(ravi.message).toMatch(/expired/);
    expect(ownerFinding(later.tenant.findings, MIA)).toMatchObject({ status: 'suppressed', drift: 'ongoing' });
    expect(later.tenant.exceptions.map((e) => e.ticket)).toEqual(['FIN-88']);
    expect(eventTypes(later.tenant)).toEqual(['drift']);
  });

  it.each([
    ['critical', 0],
    ['high', 0],
    ['medium', 1],
    ['low', 1],
  ])('with the criticals suppressed, --fail-on %s exits %i', async (failOn, expected) => {
    const clock = new Clock();
    const sim = await startSim('migration', { now: clock.now });
    const ws = await workspace();

    const { code, tenant } = await checker(sim, ws, clock)('--policy', EXCEPTIONS_POLICY, '--fail-on', failOn);

    expect(tenant.status).toBe('ok');
    expect(code).toBe(expected);
  });
});

describe('--fail-on thresholds', () => {
  it.each([
    ['migration', 'critical', 1],
    ['migration', 'high', 1],
    ['config-out-of-policy', 'high', 0],
    ['config-out-of-policy', 'medium', 0],
    ['config-out-of-policy', 'low', 1],
    ['config-out-of-policy', 'informational', 1],
    ['everyone-grants', 'high', 0],
    ['everyone-grants', 'medium', 1],
    ['clean', 'informational', 0],
  ])('%s with --fail-on %s exits %i', async (scenario, failOn, expected) => {
    const clock = new Clock();
    const sim = await startSim(scenario, { now: clock.now });
    const ws = await workspace();

    const { code, tenant } = await checker(sim, ws, clock)('--fail-on', failOn);

    expect(tenant.status).toBe('ok');
    expect(code).toBe(expected);
  });

  it('a tenant error is exit 2 whatever the threshold', async () => {
    const sim = await startSim('non-admin-caller');
    const ws = await workspace();
    const { code } = await checker(sim, ws, new Clock())('--fail-on', 'informational');
    expect(code).toBe(2);
  });
});

describe('reminders', () => {
  it('nothing changed for 8 days: one reminder; the next day: none', async () => {
    const clock = new Clock();
    const sim = await startSim('migration', { now: clock.now });
    const ws = await workspace();
    const check = checker(sim, ws, clock);

    expect(eventTypes((await check()).tenant)).toEqual(['drift']);
    clock.advance(HOUR_MS);
    expect((await check()).tenant.notifications).toEqual([]);

    clock.advance(8 * DAY_MS);
    const eighthDay = await check();
    expect(eighthDay.tenant.findings.every((f) => f.drift === 'ongoing')).toBe(true);
    expect(eighthDay.tenant.notifications.map((n) => [n.eventType, n.channel]).sort()).toEqual([
      ['reminder', 'chat'],
      ['reminder', 'email'],
    ]);
    expect(eighthDay.tenant.notifications[0]!.severity).toBe('critical');
    expect(eighthDay.stderr).toMatch(/notification: reminder email/);

    clock.advance(DAY_MS);
    const ninthDay = await check();
    expect(ninthDay.code).toBe(1);
    expect(ninthDay.tenant.notifications).toEqual([]);
    expect(ninthDay.stderr).not.toMatch(/notification: /);
  });
});

describe('state and run ids that cannot be trusted', () => {
  it.each([
    ['not JSON', '{"tenantId": '],
    ['JSON of the wrong shape', '{"tenantId": "BL4tTJ4S7xrHTcq0zQxQrJ5qB1_Q6cSo", "findings": 7}'],
  ])(
    'a drift state that is %s: bad-input naming the state file, which is kept for a person to look at',
    async (_, text) => {
      const clock = new Clock();
      const sim = await startSim('migration', { now: clock.now });
      const ws = await workspace();
      const check = checker(sim, ws, clock);
      expect((await check()).code).toBe(1);
      const [stateFile, ...others] = await filesUnder(ws.state);
      expect(others).toEqual([]);
      await writeFile(stateFile!, text);

      clock.advance(HOUR_MS);
      const { code, tenant } = await check();

      expect(code).toBe(2);
      expect(tenant.status).toBe('error');
      expect(tenant.findings).toEqual([]);
      expect(tenant.errors).toHaveLength(1);
      expect(tenant.errors[0]!.code).toBe('bad-input');
      // Without the file's location nobody can find what to repair or move aside.
      expect(tenant.errors[0]!.message).toContain(stateFile!);
      expect(eventTypes(tenant)).toEqual(['health']);
      expect(await readFile(stateFile!, 'utf8')).toBe(text);
    },
  );

  it('running again with a --run-id already used neither passes nor overwrites that run’s files', async () => {
    const clock = new Clock();
    const sim = await startSim('migration', { now: clock.now });
    const ws = await workspace();
    const check = checker(sim, ws, clock);
    const runReport = join(ws.out, 'runs', 'nightly-7', 'report.json');

    const first = await check('--run-id', 'nightly-7');
    expect(first.code).toBe(1);
    const firstFindings = first.tenant.findings.map((f) => f.id);
    expect(firstFindings.length).toBeGreaterThan(0);

    clock.advance(HOUR_MS);
    const requestsBefore = sim.log.length;
    const again = await cli(checkArgs(ws, [sim.url], '--run-id', 'nightly-7'), {
      env: oauthEnv(sim),
      cwd: ws.dir,
      now: clock.now,
    });

    // Two critical findings still fail: an exit code of 0 would read as a pass.
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/run "nightly-7" exists already/);
    expect(sim.log.length).toBe(requestsBefore); // refused before any request
    const kept = onlyTenant(parseReport(await readFile(runReport, 'utf8')));
    expect(kept.findings.map((f) => f.id)).toEqual(firstFindings);
  });
});

describe('the checker’s own credential', () => {
  it('an API key that expires within the warning window raises a health alert on a tenant that was checked', async () => {
    const clock = new Clock();
    // The migration caller's key expires 90 days after the simulator starts.
    const sim = await startSim('migration', { now: clock.now });
    const ws = await workspace();
    clock.advance(80 * DAY_MS);

    const { code, stdout } = await cli(checkArgs(ws, [sim.url]), { env: apiKeyEnv(sim), cwd: ws.dir, now: clock.now });

    const tenant = onlyTenant(parseReport(stdout));
    expect(tenant.status).toBe('ok');
    expect(code).toBe(1);
    const health = tenant.notifications.filter((n) => n.eventType === 'health');
    expect(health.map((n) => n.channel).sort()).toEqual(['chat', 'email']);
    expect(health[0]!.subject).toMatch(/credential expires in 10 days/);
  });
});

describe('secrets', () => {
  it('no API key, client secret, access token or Bearer header in any output or file of this file’s runs', () => {
    expect(ledger().outputs).toBeGreaterThan(0);
    expect(findLeaks()).toEqual([]);
  });
});
