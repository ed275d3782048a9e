/**
 * `evidence` over an archive the real pipeline wrote: the CLI `check`s a simulated tenant once a day for six simulated
 * days (one day missed), while an admin revokes keys and fixes a key owner between runs and an exception expires;
 * then `evidence` reads the archive back. Every number asserted follows from that story, told in the comments.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvidenceDocumentSchema, type TenantEvidence } from '../../../lambda/evidence/model';
import type { RemediationPlan } from '../../../lambda/remediation/plan-file';
import { storeRemediation } from '../../../lambda/remediation/record';
import { findingId } from '../../../lambda/report/model';
import { FsObjectStore } from '../../../lambda/store/fs-object-store';
import { createRunArchive } from '../../../lambda/store/store';
import type { SimulatedTenant } from '../../sim/server';
import {
  CLI_FIXTURES,
  Clock,
  checkArgs,
  cleanUp,
  cli,
  DAY_MS,
  filesUnder,
  findLeaks,
  HOUR_MS,
  oauthEnv,
  replaceUserRoles,
  startSim,
  type Workspace,
  workspace,
} from '../cli/support';

const RAVI = '64b1000000000000000000a1';
const MIA = '64b1000000000000000000a2';
const DANA_KEY = 'Da1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sX';
const ERIK_KEY = 'Er1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sX';
const ORPHAN_KEY = 'Un1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sX';
const OLAF_KEY = 'Ol1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sE';
const ALLOW_MANAGE_API_KEYS = '6724d8f5a4acfa155351afa7';
const LACKS = 'api-key-owner-lacks-manage-permission';
const INACTIVE = 'api-key-owner-inactive';
const EXPIRING = 'api-key-expiring';
const EXCEPTIONS_POLICY = join(CLI_FIXTURES, 'policy-exceptions.yaml');

interface Story {
  readonly sim: SimulatedTenant;
  readonly ws: Workspace;
  readonly clock: Clock;
}

// One story for every test of the file: the simulator and the archive stay until the end.
afterAll(cleanUp);

function revokeKey(sim: SimulatedTenant, keyId: string): void {
  sim.mutate((s) => {
    const key = s.apiKeys.find((k) => k.id === keyId);
    if (!key) throw new Error(`no key ${keyId}`);
    key.status = 'revoked';
  });
}

/**
 * Daily checks at 06:00 UTC from 2035-03-02 (T0) to 2035-03-07, none on 2035-03-04:
 * 03-02 all findings new; Ravi's and Mia's critical findings suppressed by exceptions (Ravi's ends after 03-04).
 * 03-03 Dana's key revoked before the run: her inactive-owner finding resolves (open 1 day).
 * 03-04 no run (the missed day).
 * 03-05 Erik's key revoked: resolves (3 days); Ravi's exception has expired: his finding fails again.
 * 03-06 Ravi gets AllowManageAPIKeys (at 05:00, recorded as a remediation in his tenant's chain) and the orphaned
 *       key is revoked: both resolve (4 days each).
 * 03-07 nothing changes.
 */
async function tellStory(): Promise<Story> {
  const clock = new Clock();
  const sim = await startSim('migration', { now: clock.now });
  const ws = await workspace();
  const check = async () => {
    const result = await cli(checkArgs(ws, [sim.url], '--policy', EXCEPTIONS_POLICY, '--quiet'), {
      env: oauthEnv(sim),
      cwd: ws.dir,
      now: clock.now,
    });
    if (result.code === 2) throw new Error(`check exited ${result.code}: ${result.stderr}`);
  };
  await check(); // 03-02
  clock.advance(DAY_MS);
  revokeKey(sim, DANA_KEY);
  await check(); // 03-03
  clock.advance(2 * DAY_MS); // 03-04 is missed
  revokeKey(sim, ERIK_KEY);
  await check(); // 03-05
  clock.advance(DAY_MS);
  const raviRoles = sim.scenario.users.find((u) => u.id === RAVI)!.assignedRoles;
  await replaceUserRoles(sim, RAVI, [...raviRoles, ALLOW_MANAGE_API_KEYS]);
  await recordRavisFix(ws, sim, clock.now());
  revokeKey(sim, ORPHAN_KEY);
  await check(); // 03-06
  clock.advance(DAY_MS);
  await check(); // 03-07
  clock.advance(HOUR_MS); // the evidence is generated at 07:00, an hour after the last run
  return { sim, ws, clock };
}

/** The record `fix --apply` stores for Ravi's role assignment, written with the archive writer into his tenant's chain. */
async function recordRavisFix(ws: Workspace, sim: SimulatedTenant, at: Date): Promise<void> {
  const appliedAt = new Date(at.getTime() - HOUR_MS).toISOString();
  const action = {
    id: 'assign-1',
    kind: 'assign-role-to-user' as const,
    target: { type: 'user' as const, id: RAVI, name: 'Ravi Patel' },
    role: { id: ALLOW_MANAGE_API_KEYS, name: 'AllowManageAPIKeys' },
  };
  // Only the fields the stored plan.json needs to be a document; the evidence reads remediation.json.
  const plan = {
    planId: 'plan-7',
    tenants: [{ tenantId: sim.tenantId, actions: [action] }],
  } as unknown as RemediationPlan;
  await storeRemediation(createRunArchive(new FsObjectStore(ws.out)), plan, {
    schemaVersion: 1,
    kind: 'remediation',
    planId: 'plan-7',
    tenantId: sim.tenantId,
    appliedAt,
    credentialKind: 'oauth-client',
    actions: [{ ...action, outcome: 'applied', httpStatus: 204 }],
  });
}

async function evidence(story: Story, ...extra: string[]) {
  const result = await cli(['evidence', '--out', story.ws.out, '--json', ...extra], {
    cwd: story.ws.dir,
    now: story.clock.now,
  });
  const document = result.stdout ? EvidenceDocumentSchema.parse(JSON.parse(result.stdout)) : undefined;
  return { ...result, document, tenant: document?.tenants[0] as TenantEvidence };
}

describe('evidence over a local archive written by the real pipeline', () => {
  let story: Story;
  beforeAll(async () => {
    story = await tellStory();
  }, 120_000);

  it('counts runs against the cadence and names the missed day as a gap (exit 1)', async () => {
    const { code, document, tenant } = await evidence(story, '--from', '2035-03-02', '--to', '2035-03-31');
    expect(code).toBe(1);
    expect(document?.period).toEqual({ from: '2035-03-02T00:00:00.000Z', to: '2035-03-31T23:59:59.999Z' });
    expect(document?.generatedAt).toBe('2035-03-07T07:00:00.000Z');
    expect(document?.tenants).toHaveLength(1);
    expect(tenant.tenantId).toBe(story.sim.tenantId);
    // The CLI names a tenant given by URL after its host (port included).
    expect(tenant.name).toBe(new URL(story.sim.url).host.replace(':', '-'));
    expect(tenant.runs).toBe(5);
    expect(tenant.runsFailed).toBe(0);
    // One a day from the first run on (median interval 1 day), up to the generation time: 03-02 … 03-07.
    expect(tenant.coverage.basis).toBe('cadence');
    expect(tenant.coverage.intervalMinutes).toBe(1440);
    expect(tenant.expectedRuns).toBe(6);
    expect(tenant.coverage.slots.map((s) => `${s.at.slice(5, 10)} ${s.state}`)).toEqual([
      '03-02 present',
      '03-03 present',
      '03-04 missing',
      '03-05 present',
      '03-06 present',
      '03-07 present',
    ]);
    expect(tenant.gaps).toEqual([{ from: '2035-03-04T06:00:00.000Z', to: '2035-03-04T06:00:00.000Z', missed: 1 }]);
    expect(tenant.chain).toEqual({ ok: true, problems: [] });
  });

  it('lists the remediation stored in the chain, and does not count it as a run', async () => {
    const { tenant } = await evidence(story, '--from', '2035-03-02', '--to', '2035-03-31');
    expect(tenant.remediations).toEqual([
      {
        runId: 'apply-plan-7-20350306T050000Z',
        planId: 'plan-7',
        appliedAt: '2035-03-06T05:00:00.000Z',
        credentialKind: 'oauth-client',
        actions: [
          {
            id: 'assign-1',
            kind: 'assign-role-to-user',
            target: { type: 'user', id: RAVI, name: 'Ravi Patel' },
            role: { id: ALLOW_MANAGE_API_KEYS, name: 'AllowManageAPIKeys' },
            outcome: 'applied',
            httpStatus: 204,
          },
        ],
      },
    ]);
    expect(tenant.runs).toBe(5);
  });

  it('counts a period that starts before the first run as not covered there', async () => {
    const { code, tenant } = await evidence(story, '--from', '2035-03-01', '--to', '2035-03-03');
    expect(code).toBe(1);
    expect(tenant.coverage.slots.map((s) => `${s.at.slice(5, 16)} ${s.state}`)).toEqual([
      '03-01T06:00 missing',
      '03-02T06:00 present',
      '03-03T06:00 present',
    ]);
    expect(tenant.gaps).toEqual([{ from: '2035-03-01T06:00:00.000Z', to: '2035-03-01T06:00:00.000Z', missed: 1 }]);
  });

  it('follows every finding from first seen to resolved, with time to resolve by severity', async () => {
    const { tenant } = await evidence(story, '--from', '2035-03-02', '--to', '2035-03-31');
    const byId = new Map(tenant.findings.map((f) => [f.id, f]));
    const id = (ruleId: string, type: 'user' | 'apiKey', subjectId: string) =>
      findingId(story.sim.tenantId, ruleId, { type, id: subjectId });
    const summary = (ruleId: string, type: 'user' | 'apiKey', subjectId: string) => {
      const f = byId.get(id(ruleId, type, subjectId));
      return f && [f.firstSeen, f.lastSeen, f.resolvedAt, f.openDays, f.status, f.runsSeen];
    };
    expect(tenant.findings).toHaveLength(6);
    expect(summary(INACTIVE, 'apiKey', DANA_KEY)).toEqual([
      '2035-03-02T06:00:00.000Z',
      '2035-03-02T06:00:00.000Z',
      '2035-03-03T06:00:00.000Z',
      1,
      'resolved',
      1,
    ]);
    expect(summary(INACTIVE, 'apiKey', ERIK_KEY)).toEqual([
      '2035-03-02T06:00:00.000Z',
      '2035-03-03T06:00:00.000Z',
      '2035-03-05T06:00:00.000Z',
      3,
      'resolved',
      2,
    ]);
    expect(summary(INACTIVE, 'apiKey', ORPHAN_KEY)).toEqual([
      '2035-03-02T06:00:00.000Z',
      '2035-03-05T06:00:00.000Z',
      '2035-03-06T06:00:00.000Z',
      4,
      'resolved',
      3,
    ]);
    expect(summary(LACKS, 'user', RAVI)).toEqual([
      '2035-03-02T06:00:00.000Z',
      '2035-03-05T06:00:00.000Z',
      '2035-03-06T06:00:00.000Z',
      4,
      'resolved',
      3,
    ]);
    // Still open an hour after the last run: 5 days and 1 hour = 5.04 days.
    expect(summary(LACKS, 'user', MIA)).toEqual([
      '2035-03-02T06:00:00.000Z',
      '2035-03-07T06:00:00.000Z',
      null,
      5.04,
      'accepted',
      5,
    ]);
    expect(summary(EXPIRING, 'apiKey', OLAF_KEY)).toEqual([
      '2035-03-02T06:00:00.000Z',
      '2035-03-07T06:00:00.000Z',
      null,
      5.04,
      'open',
      5,
    ]);
    expect(tenant.timeToResolve).toEqual({
      critical: { resolved: 1, medianDays: 4, maxDays: 4 },
      high: { resolved: 0, medianDays: null, maxDays: null },
      medium: { resolved: 3, medianDays: 3, maxDays: 4 },
      low: { resolved: 0, medianDays: null, maxDays: null },
      informational: { resolved: 0, medianDays: null, maxDays: null },
    });
  });

  it('lists the exceptions with owner, ticket and expiry, and whether they ran out in the period', async () => {
    const { tenant } = await evidence(story, '--from', '2035-03-02', '--to', '2035-03-31');
    const view = tenant.exceptions.map((e) => ({
      owner: e.owner,
      ticket: e.ticket,
      expires: e.expires,
      expired: e.expired,
      listed: [e.firstListed.slice(0, 10), e.lastListed.slice(0, 10)],
      findingIds: e.findingIds,
    }));
    expect(view).toEqual([
      {
        owner: 'platform-team@acme.example',
        ticket: 'OPS-4711',
        expires: '2035-03-04',
        expired: true,
        listed: ['2035-03-02', '2035-03-03'],
        findingIds: [findingId(story.sim.tenantId, LACKS, { type: 'user', id: RAVI })],
      },
      {
        owner: 'finance-it@acme.example',
        ticket: 'FIN-88',
        expires: '2035-12-31',
        expired: false,
        listed: ['2035-03-02', '2035-03-07'],
        findingIds: [findingId(story.sim.tenantId, LACKS, { type: 'user', id: MIA })],
      },
    ]);
    expect(tenant.exceptions[0]?.reason).toMatch(/^Ravi's dashboard refresh/);
  });

  it('fills the control matrix from the rules’ compliance metadata', async () => {
    const { tenant } = await evidence(story, '--from', '2035-03-02', '--to', '2035-03-31');
    const matrix = Object.fromEntries(
      tenant.controls.map((c) => [`${c.framework} ${c.control}`, [c.runsFailing, c.runsPassing]]),
    );
    // Olaf's key expires within 14 days in every run (CC6.1); an inactive owner's key fails CC6.2 until 03-06;
    // nothing fails A.8.2 (Developer role, Everyone grants, key config).
    expect(matrix).toMatchObject({
      'SOC 2 CC6.1': [5, 0],
      'SOC 2 CC6.2': [3, 2],
      'SOC 2 CC6.3': [3, 2],
      'ISO 27001:2022 A.5.15': [5, 0],
      'ISO 27001:2022 A.5.18': [3, 2],
      'ISO 27001:2022 A.8.2': [0, 5],
    });
    const cc62 = tenant.controls.find((c) => c.framework === 'SOC 2' && c.control === 'CC6.2');
    expect(cc62?.ruleIds).toEqual([INACTIVE, 'former-developer-not-migrated']);
  });

  it('exits 0 for a period with every expected run present and the chain intact', async () => {
    const { code, tenant, stderr } = await evidence(story, '--from', '2035-03-05', '--to', '2035-03-07');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect([tenant.runs, tenant.expectedRuns, tenant.gaps.length]).toEqual([3, 3, 0]);
    // Ravi's finding failed again on 03-05 (his exception had ended) and was fixed by 03-06.
    const ravi = tenant.findings.find((f) => f.subject.id === RAVI);
    expect([ravi?.firstSeen, ravi?.resolvedAt, ravi?.openDays]).toEqual([
      '2035-03-05T06:00:00.000Z',
      '2035-03-06T06:00:00.000Z',
      1,
    ]);
  });

  it('prints a line per tenant without --json, and --output writes the HTML evidence report', async () => {
    const output = join(story.ws.dir, 'evidence.html');
    const result = await cli(
      ['evidence', '--out', story.ws.out, '--from', '2035-03-02', '--to', '2035-03-31', '--output', output],
      { cwd: story.ws.dir, now: story.clock.now },
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `✖ ${story.sim.tenantId}: 5 of 6 expected runs, 1 gap, 0 runs could not check the tenant, chain verifies, 2 findings open, 4 resolved`,
    );
    const page = await readFile(output, 'utf8');
    expect(page).toContain('<meta http-equiv="Content-Security-Policy"');
    expect(page.match(/data-state="missing"/g)).toHaveLength(1);
    expect(page.match(/data-state="present"/g)).toHaveLength(5);
    expect(page.match(/<tr class="finding"/g)).toHaveLength(6);
    expect(page).toContain(
      '<td>Ravi Patel (64b1000000000000000000a1)</td><td>AllowManageAPIKeys (6724d8f5a4acfa155351afa7)</td><td>applied</td>',
    );
  });

  it('refuses bad input with exit 2 and one line naming the flag', async () => {
    const bad = await cli(['evidence', '--out', story.ws.out, '--from', '2035-02-30', '--to', '2035-03-07'], {
      cwd: story.ws.dir,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: command line at --from: a date such as 2035-03-01/);
    const reversed = await cli(['evidence', '--out', story.ws.out, '--from', '2035-03-07', '--to', '2035-03-01'], {
      cwd: story.ws.dir,
    });
    expect(reversed.code).toBe(2);
    const empty = await cli(
      ['evidence', '--out', join(story.ws.dir, 'nothing-here'), '--from', '2035-03-01', '--to', '2035-03-07'],
      { cwd: story.ws.dir },
    );
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/no archived runs found/);
    const unknownTenant = await cli(
      ['evidence', '--out', story.ws.out, '--from', '2035-03-01', '--to', '2035-03-07', '--tenant-id', 'nobody'],
      { cwd: story.ws.dir },
    );
    expect(unknownTenant.code).toBe(2);
    expect(unknownTenant.stderr).toMatch(/no archived runs of this tenant/);
  });

  it('flips the chain verdict when a stored report is altered, and never writes to the archive', async () => {
    const before = await filesUnder(story.ws.out);
    const reportOf0303 = before.find((f) => f.includes('date=2035-03-03') && f.endsWith('report.json'))!;
    const original = await readFile(reportOf0303, 'utf8');
    try {
      // What someone hiding the findings of 03-03 would do: the summary says three failing, make it none.
      const forged = original.replace(/"failing": 3,/, '"failing": 0,');
      expect(forged).not.toBe(original);
      await writeFile(reportOf0303, forged);
      const { code, tenant } = await evidence(story, '--from', '2035-03-05', '--to', '2035-03-07');
      expect(code).toBe(1);
      expect(tenant.chain.ok).toBe(false);
      expect(tenant.chain.problems.map((p) => [p.kind, p.key.split('/').slice(-3).join('/')])).toEqual([
        ['altered-file', expect.stringMatching(/^date=2035-03-03\/run=2035-03-03T06-00-00\.000Z\/report\.json$/)],
      ]);
    } finally {
      await writeFile(reportOf0303, original);
    }
    expect((await evidence(story, '--from', '2035-03-05', '--to', '2035-03-07')).code).toBe(0);
    expect((await filesUnder(story.ws.out)).sort()).toEqual([...before].sort());
    expect(findLeaks()).toEqual([]);
  });
});
