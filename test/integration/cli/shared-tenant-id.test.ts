/**
 * One configured tenant never takes another's archive, not even on their very first run: through the real CLI, a
 * simulated tenant impersonating another one's tenant id (it answers `/users/me` and `/tenants/me` with that id) is
 * checked beside the real one. Every tenant id of a run is claimed before anything is archived, so both end as errors
 * with nothing of the run stored under the shared id; once the real tenant has a history, its failed run is recorded
 * in its own chain, and the impostor (which has none) writes nothing.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunManifestSchema } from '../../../lambda/store/manifest';
import { loadScenario, type SimulatedTenant, startSimulatedTenant } from '../../sim/server';
import {
  Clock,
  checkArgs,
  cleanUp,
  cli,
  DAY_MS,
  filesUnder,
  parseReport,
  rememberSecret,
  startSim,
  type Workspace,
  workspace,
  writeText,
} from './support';

let genuine: SimulatedTenant;
let impostor: SimulatedTenant;
let ws: Workspace;
const clock = new Clock();

/** A tenants file naming `sims` by their keys, each with its own OAuth client from the environment. */
async function tenantsFile(name: string, sims: Record<string, SimulatedTenant>) {
  const lines = ['tenants:'];
  const env: Record<string, string> = {};
  for (const [tenant, sim] of Object.entries(sims)) {
    const prefix = tenant.toUpperCase();
    lines.push(
      `  - name: ${tenant}`,
      `    url: ${sim.url}`,
      `    clientIdEnv: ${prefix}_ID`,
      `    clientSecretEnv: ${prefix}_SECRET`,
    );
    env[`${prefix}_ID`] = sim.credentials.clientId;
    env[`${prefix}_SECRET`] = sim.credentials.clientSecret;
  }
  return { file: await writeText(ws, name, `${lines.join('\n')}\n`), env };
}

async function check(sims: Record<string, SimulatedTenant>) {
  const { file, env } = await tenantsFile(`tenants-${Object.keys(sims).join('-')}.yaml`, sims);
  const result = await cli(checkArgs(ws, [], '--tenants-file', file, '--quiet'), { env, cwd: ws.dir, now: clock.now });
  return { ...result, report: parseReport(result.stdout) };
}

async function manifestsUnderSharedId() {
  const files = await filesUnder(join(ws.out, 'reports', `tenant=${genuine.tenantId}`)).catch(() => []);
  const manifests = files.filter((f) => f.endsWith('manifest.json'));
  return Promise.all(manifests.map(async (f) => RunManifestSchema.parse(JSON.parse(await readFile(f, 'utf8')))));
}

beforeAll(async () => {
  genuine = await startSim('migration', { now: clock.now });
  // Another tenant (other users, keys and credential) that answers with the genuine tenant's id.
  const scenario = loadScenario('everyone-grants');
  impostor = await startSimulatedTenant({
    scenario: { ...scenario, tenant: { ...scenario.tenant, id: genuine.tenantId } },
    now: clock.now,
  });
  rememberSecret(impostor.credentials.clientSecret);
  ws = await workspace();
});

afterAll(async () => {
  await impostor?.close();
  await cleanUp();
});

describe('two configured tenants answering with one tenant id', () => {
  it('on their very first run: both are errors, and nothing of the run is archived under the id', async () => {
    expect(impostor.tenantId).toBe(genuine.tenantId);
    const { code, report } = await check({ genuine, impostor });
    expect(code).toBe(2);
    const byName = new Map(report.tenants.map((t) => [t.name, t]));
    expect(byName.get('genuine')?.status).toBe('error');
    expect(byName.get('impostor')?.status).toBe('error');
    expect(byName.get('genuine')?.errors[0]?.message).toContain('configured tenant impostor also does');
    expect(byName.get('impostor')?.errors[0]?.message).toContain('configured tenant genuine also does');
    for (const tenant of report.tenants) {
      expect(tenant.summary.duplicate, tenant.name).toBeUndefined();
      expect(
        tenant.notifications.map((n) => n.eventType),
        tenant.name,
      ).toContain('health');
    }
    // Neither has a history, so neither may write anything under the id: no report, no error entry.
    expect(await manifestsUnderSharedId()).toEqual([]);
    expect(await filesUnder(join(ws.out, 'reports')).catch(() => [])).toEqual([]);
  });

  it('with a history: the genuine tenant’s failed run goes into its own chain, the impostor writes nothing', async () => {
    clock.advance(DAY_MS);
    const alone = await check({ genuine });
    expect(alone.code).toBe(1);
    expect((await manifestsUnderSharedId()).map((m) => m.kind)).toEqual(['check']);

    clock.advance(DAY_MS);
    const both = await check({ genuine, impostor });
    expect(both.code).toBe(2);
    expect(both.report.tenants.map((t) => t.status)).toEqual(['error', 'error']);
    const manifests = (await manifestsUnderSharedId()).sort((a, b) => (a.sequence ?? 0) - (b.sequence ?? 0));
    expect(manifests.map((m) => [m.kind, m.runId, m.failure?.code])).toEqual([
      ['check', '2035-03-03T06:00:00.000Z', undefined],
      ['error', 'failed-2035-03-04T06:00:00.000Z', 'bad-response'],
    ]);
    expect(manifests[1]?.failure?.message).toContain('configured tenant impostor also does');
    const verified = await cli(['verify', '--out', ws.out, '--json'], { cwd: ws.dir });
    expect(verified.code).toBe(0);
  });
});
