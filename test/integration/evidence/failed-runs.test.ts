/**
 * Runs that could not check their tenant, and the schedule the runs were started by, through the real CLI on simulated
 * tenants: a tenant that rejects the credential for one simulated day is archived as "could not check" (an `error`
 * entry in its chain that `verify` verifies), never as a gap and never as a pass; and `check --schedule` is recorded
 * in every manifest, so `evidence` counts the expected runs from it instead of from the runs' own cadence.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvidenceDocumentSchema, type TenantEvidence } from '../../../lambda/evidence/model';
import { RunReportSchema } from '../../../lambda/report/json';
import { RunManifestSchema } from '../../../lambda/store/manifest';
import type { SimulatedTenant } from '../../sim/server';
import {
  Clock,
  checkArgs,
  cleanUp,
  cli,
  DAY_MS,
  filesUnder,
  findLeaks,
  HOUR_MS,
  oauthEnv,
  startSim,
  type Workspace,
  workspace,
} from '../cli/support';

afterAll(cleanUp);

interface Story {
  readonly sim: SimulatedTenant;
  readonly ws: Workspace;
  readonly clock: Clock;
  readonly exitCodes: number[];
}

async function check(story: Omit<Story, 'exitCodes'>, ...extra: string[]): Promise<number> {
  const result = await cli(checkArgs(story.ws, [story.sim.url], '--quiet', ...extra), {
    env: oauthEnv(story.sim),
    cwd: story.ws.dir,
    now: story.clock.now,
  });
  return result.code;
}

async function evidence(story: Omit<Story, 'exitCodes'>, ...extra: string[]) {
  const result = await cli(['evidence', '--out', story.ws.out, '--json', ...extra], {
    cwd: story.ws.dir,
    now: story.clock.now,
  });
  const document = result.stdout ? EvidenceDocumentSchema.parse(JSON.parse(result.stdout)) : undefined;
  return { ...result, tenant: document?.tenants[0] as TenantEvidence };
}

async function verify(story: Omit<Story, 'exitCodes'>) {
  return cli(['verify', '--out', story.ws.out, '--json'], { cwd: story.ws.dir });
}

const slotsOf = (tenant: TenantEvidence) => tenant.coverage.slots.map((s) => `${s.at.slice(5, 16)} ${s.state}`);

describe('a day on which the tenant could not be checked', () => {
  let story: Story;
  beforeAll(async () => {
    const clock = new Clock();
    const sim = await startSim('migration', { now: clock.now });
    const ws = await workspace();
    const exitCodes: number[] = [];
    const base = { sim, ws, clock };
    exitCodes.push(await check(base, '--schedule', 'rate(1 day)')); // 03-02
    clock.advance(DAY_MS);
    sim.setFaults([{ kind: 'unauthorized' }]);
    exitCodes.push(await check(base, '--schedule', 'rate(1 day)')); // 03-03: the credential is rejected
    sim.setFaults([]);
    clock.advance(DAY_MS);
    exitCodes.push(await check(base, '--schedule', 'rate(1 day)')); // 03-04
    clock.advance(HOUR_MS);
    story = { ...base, exitCodes };
  }, 120_000);

  it('archives the failed run as an error entry in the tenant’s chain, with the error and no credential', async () => {
    expect(story.exitCodes).toEqual([1, 2, 1]);
    const files = await filesUnder(join(story.ws.out, 'reports'));
    const folder = files.find((f) => f.includes('/run=failed-2035-03-03T06-00-00.000Z/'));
    expect(folder, files.join('\n')).toBeDefined();
    const entryFiles = files.filter((f) => f.includes('/run=failed-')).map((f) => f.split('/').at(-1));
    expect(entryFiles.sort()).toEqual(['manifest.json', 'report.json']);
    const manifestPath = files.find((f) => f.includes('/run=failed-') && f.endsWith('manifest.json'))!;
    const manifest = RunManifestSchema.parse(JSON.parse(await readFile(manifestPath, 'utf8')));
    expect(manifest).toMatchObject({
      kind: 'error',
      tenantId: story.sim.tenantId,
      runId: 'failed-2035-03-03T06:00:00.000Z',
      sequence: 2,
      failure: { runId: '2035-03-03T06:00:00.000Z', code: 'unauthorized' },
      schedule: { expression: 'rate(1 day)', timeZone: 'UTC' },
    });
    expect(manifest.failure?.message).toMatch(/401/);
    const report = RunReportSchema.parse(
      JSON.parse(await readFile(manifestPath.replace('manifest.json', 'report.json'), 'utf8')),
    );
    expect(report.runId).toBe('2035-03-03T06:00:00.000Z');
    expect(report.tenants.map((t) => [t.tenantId, t.status, t.errors.map((e) => e.code)])).toEqual([
      [story.sim.tenantId, 'error', ['unauthorized']],
    ]);
    const stored = await Promise.all(files.map(async (f) => ({ source: f, text: await readFile(f, 'utf8') })));
    expect(findLeaks(stored)).toEqual([]);
  });

  it('verify accepts the chain with the error entry in it, and names it once it is altered', async () => {
    const clean = await verify(story);
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject([{ ok: true, runs: 3 }]);
    const files = await filesUnder(join(story.ws.out, 'reports'));
    const report = files.find((f) => f.includes('/run=failed-') && f.endsWith('report.json'))!;
    const original = await readFile(report, 'utf8');
    try {
      // What someone turning the failed day into a pass would write.
      await writeFile(report, original.replace('"status": "error"', '"status": "ok"'));
      const altered = await verify(story);
      expect(altered.code).toBe(1);
      expect(altered.stdout).toContain('run=failed-2035-03-03T06-00-00.000Z/report.json');
      const { tenant } = await evidence(story, '--from', '2035-03-02', '--to', '2035-03-04');
      expect(tenant.chain.ok).toBe(false);
      // Still an error entry: the altered report does not make it a checked run.
      expect(slotsOf(tenant)[1]).toBe('03-03T06:00 failed');
    } finally {
      await writeFile(report, original);
    }
  });

  it('evidence shows the day as failed to check (never a gap, never a pass), in JSON and HTML', async () => {
    const output = join(story.ws.dir, 'evidence.html');
    const { code, tenant, stderr } = await evidence(
      story,
      '--from',
      '2035-03-02',
      '--to',
      '2035-03-04',
      '--output',
      output,
    );
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect([tenant.runs, tenant.runsFailed, tenant.expectedRuns]).toEqual([3, 1, 3]);
    expect(slotsOf(tenant)).toEqual(['03-02T06:00 present', '03-03T06:00 failed', '03-04T06:00 present']);
    expect(tenant.coverage.slots[1]?.runId).toBe('2035-03-03T06:00:00.000Z');
    expect(tenant.gaps).toEqual([]);
    expect(tenant.chain).toEqual({ ok: true, problems: [] });
    // A run that did not look resolves nothing: every finding of 03-02 is seen on 03-04 without a break.
    expect(tenant.findings.length).toBeGreaterThan(0);
    for (const finding of tenant.findings) {
      expect([finding.resolvedAt, finding.reopened, finding.runsSeen], finding.id).toEqual([null, 0, 2]);
    }
    for (const control of tenant.controls) expect(control.runsFailing + control.runsPassing).toBe(2);
    const page = await readFile(output, 'utf8');
    expect(page.match(/data-state="failed"/g)).toHaveLength(1);
    expect(page.match(/data-state="present"/g)).toHaveLength(2);
    expect(page).not.toContain('data-state="missing"');
  });

  it('takes the expected runs from the schedule the runs recorded', async () => {
    const { tenant } = await evidence(story, '--from', '2035-03-02', '--to', '2035-03-04');
    expect(tenant.coverage).toMatchObject({ basis: 'schedule', schedule: 'rate(1 day)', intervalMinutes: 1440 });
  });
});

describe('expected runs from the recorded schedule', () => {
  let story: Omit<Story, 'exitCodes'>;
  beforeAll(async () => {
    const clock = new Clock();
    const sim = await startSim('migration', { now: clock.now });
    story = { sim, ws: await workspace(), clock };
    // Scheduled twice a day, but only the morning runs happened.
    await check(story, '--schedule', 'rate(12 hours)'); // 03-02 06:00
    clock.advance(DAY_MS);
    await check(story, '--schedule', 'rate(12 hours)'); // 03-03 06:00
    clock.advance(HOUR_MS);
  }, 120_000);

  it('counts the missed evening run against the recorded schedule, which the runs’ cadence would not', async () => {
    const { code, tenant } = await evidence(story, '--from', '2035-03-02', '--to', '2035-03-03');
    expect(code).toBe(1);
    expect(tenant.coverage).toMatchObject({ basis: 'schedule', schedule: 'rate(12 hours)', intervalMinutes: 720 });
    expect(slotsOf(tenant)).toEqual(['03-02T06:00 present', '03-02T18:00 missing', '03-03T06:00 present']);
    expect(tenant.gaps).toEqual([{ from: '2035-03-02T18:00:00.000Z', to: '2035-03-02T18:00:00.000Z', missed: 1 }]);
  });

  it('lets evidence --schedule override the recorded schedule', async () => {
    const { code, tenant } = await evidence(
      story,
      '--from',
      '2035-03-02',
      '--to',
      '2035-03-03',
      '--schedule',
      'rate(1 day)',
    );
    expect(code).toBe(0);
    expect(tenant.coverage).toMatchObject({ basis: 'schedule', schedule: 'rate(1 day)' });
    expect(slotsOf(tenant)).toEqual(['03-02T06:00 present', '03-03T06:00 present']);
  });

  it('refuses a check --schedule that is not a rate expression, before checking anything', async () => {
    const result = await cli(checkArgs(story.ws, [story.sim.url], '--quiet', '--schedule', 'every day'), {
      env: oauthEnv(story.sim),
      cwd: story.ws.dir,
      now: story.clock.now,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--schedule: a rate expression such as "rate\(1 day\)"/);
  });
});
