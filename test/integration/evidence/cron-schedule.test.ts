/**
 * Expected runs from a recorded `cron(…)` schedule, through the real CLI on a simulated tenant: daily checks recorded
 * under `cron(0 6 * * ? *)` with one simulated day missed; evidence expands the cron schedule over the period and names
 * exactly that day as the gap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvidenceDocumentSchema, type TenantEvidence } from '../../../lambda/evidence/model';
import type { SimulatedTenant } from '../../sim/server';
import {
  Clock,
  checkArgs,
  cleanUp,
  cli,
  DAY_MS,
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
}

const DAILY = 'cron(0 6 * * ? *)';

async function check(story: Story): Promise<void> {
  await cli(checkArgs(story.ws, [story.sim.url], '--quiet', '--schedule', DAILY), {
    env: oauthEnv(story.sim),
    cwd: story.ws.dir,
    now: story.clock.now,
  });
}

async function evidence(story: Story, ...extra: string[]) {
  const result = await cli(['evidence', '--out', story.ws.out, '--json', ...extra], {
    cwd: story.ws.dir,
    now: story.clock.now,
  });
  const document = result.stdout ? EvidenceDocumentSchema.parse(JSON.parse(result.stdout)) : undefined;
  return { ...result, tenant: document?.tenants[0] as TenantEvidence };
}

describe('expected runs from a recorded cron schedule', () => {
  let story: Story;
  beforeAll(async () => {
    const clock = new Clock();
    const sim = await startSim('migration', { now: clock.now });
    story = { sim, ws: await workspace(), clock };
    await check(story); // 03-02 06:00
    clock.advance(DAY_MS);
    await check(story); // 03-03 06:00
    clock.advance(2 * DAY_MS); // 03-04 is missed
    await check(story); // 03-05 06:00
    clock.advance(HOUR_MS);
  }, 120_000);

  it('expands the cron schedule over the period and names the missed day as the only gap', async () => {
    const { code, tenant } = await evidence(story, '--from', '2035-03-02', '--to', '2035-03-05');
    expect(code).toBe(1);
    expect(tenant.coverage).toMatchObject({ basis: 'schedule', schedule: DAILY, intervalMinutes: 1440 });
    expect(tenant.coverage.slots.map((s) => `${s.at.slice(5, 16)} ${s.state}`)).toEqual([
      '03-02T06:00 present',
      '03-03T06:00 present',
      '03-04T06:00 missing',
      '03-05T06:00 present',
    ]);
    expect([tenant.runs, tenant.expectedRuns]).toEqual([3, 4]);
    expect(tenant.gaps).toEqual([{ from: '2035-03-04T06:00:00.000Z', to: '2035-03-04T06:00:00.000Z', missed: 1 }]);
  });

  it('expects the scheduled run of a day before the first run too, which the runs’ cadence cannot', async () => {
    const { tenant } = await evidence(story, '--from', '2035-03-01', '--to', '2035-03-03');
    expect(tenant.coverage.slots.map((s) => `${s.at.slice(5, 16)} ${s.state}`)).toEqual([
      '03-01T06:00 missing',
      '03-02T06:00 present',
      '03-03T06:00 present',
    ]);
  });
});
