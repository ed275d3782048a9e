/**
 * What a run leaves behind, end to end: the human run folder with every format and the alert previews, the
 * tamper-evident archive that `verify` checks (and that a changed or removed file breaks), the real executable
 * `bin/qlik-access-guard.mjs` in its own Node process, and `npm start`'s demo run twice in one folder.
 */
import { existsSync } from 'node:fs';
import { appendFile, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RunReportSchema } from '../../../lambda/report/json';
import { loadScenario } from '../../sim/server';
import {
  Clock,
  checkArgs,
  cleanUp,
  cli,
  expectedKeys,
  filesUnder,
  findLeaks,
  HOUR_MS,
  issueToken,
  ledger,
  oauthEnv,
  onlyTenant,
  PROJECT_ROOT,
  parseReport,
  rememberSecret,
  reportedKeys,
  spawnCommand,
  startSim,
  T0,
  type Workspace,
  workspace,
} from './support';

afterEach(cleanUp);

const RUN_FILES = ['chat.json', 'email.txt', 'findings.csv', 'findings.ocsf.jsonl', 'report.html', 'report.json'];
const ARCHIVED_FILES = ['findings.csv', 'findings.ocsf.jsonl', 'manifest.json', 'report.html', 'report.json'];

/** The run folder name of a run id: the CLI keeps letters, digits, dot, dash and underscore. */
function runFolderName(runId: string): string {
  return runId.replace(/[^A-Za-z0-9._-]/g, '-');
}

function archiveRunFolder(ws: Workspace, tenantId: string, runId: string): string {
  return join(ws.out, 'reports', `tenant=${tenantId}`, `date=${runId.slice(0, 10)}`, `run=${runId.replace(/:/g, '-')}`);
}

describe('the run folder and the archive', () => {
  it('holds every format of the run, the alert previews, and a manifest per tenant', async () => {
    const clock = new Clock();
    const sim = await startSim('migration', { now: clock.now });
    const ws = await workspace();

    const { code, stdout } = await cli(checkArgs(ws, [sim.url]), { env: oauthEnv(sim), cwd: ws.dir, now: clock.now });

    expect(code).toBe(1);
    const report = parseReport(stdout);
    expect(report.runId).toBe(T0.toISOString());
    const tenant = onlyTenant(report);
    const runFolder = join(ws.out, 'runs', runFolderName(report.runId));
    const written = (await filesUnder(runFolder)).map((f) => f.slice(runFolder.length + 1)).sort();
    expect(written).toEqual(RUN_FILES);

    const read = (name: string) => readFile(join(runFolder, name), 'utf8');
    // The same report as on stdout.
    const reportJson: unknown = JSON.parse(await read('report.json'));
    expect(RunReportSchema.safeParse(reportJson).success).toBe(true);
    expect(reportJson).toEqual(JSON.parse(stdout));

    const csv = (await read('findings.csv')).trimEnd().split('\r\n');
    expect(csv[0]).toMatch(/^runId,tenantUrl,tenantId,findingId,ruleId/);
    expect(csv).toHaveLength(1 + tenant.findings.length);
    for (const f of tenant.findings) expect(csv.some((line) => line.includes(f.id))).toBe(true);

    const ocsf = (await read('findings.ocsf.jsonl'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { class_uid: number });
    expect(ocsf).toHaveLength(tenant.findings.length);
    expect(ocsf.every((event) => event.class_uid === 2003)).toBe(true);
    for (const f of tenant.findings) expect(JSON.stringify(ocsf)).toContain(f.id);

    const html = await read('report.html');
    expect(html).toMatch(/^<!doctype html>/i);
    for (const f of tenant.findings) expect(html).toContain(f.id);

    const email = await read('email.txt');
    expect(email).toMatch(/^Subject: \[qlik-access-guard\] .*6 new/);
    const chat = JSON.parse(await read('chat.json')) as unknown[];
    expect(chat).toHaveLength(1);
    expect(tenant.notifications.map((n) => n.subject)).toContain(email.split('\n')[0]!.slice('Subject: '.length));

    // The archive: one folder per tenant and run, manifest written last.
    const archived = archiveRunFolder(ws, sim.tenantId, report.runId);
    expect((await filesUnder(archived)).map((f) => f.slice(archived.length + 1)).sort()).toEqual(ARCHIVED_FILES);
    const manifest = JSON.parse(await readFile(join(archived, 'manifest.json'), 'utf8')) as {
      files: { name: string }[];
    };
    expect(manifest.files.map((f) => f.name).sort()).toEqual(ARCHIVED_FILES.filter((f) => f !== 'manifest.json'));
    expect(tenant.reportLocation).toContain(`tenant=${sim.tenantId}`);
    // The archived report is this tenant's alone, with the same findings.
    const archivedReport = parseReport(await readFile(join(archived, 'report.json'), 'utf8'));
    expect(onlyTenant(archivedReport).findings.map((f) => f.id)).toEqual(tenant.findings.map((f) => f.id));
  });

  it('without --json, prints a summary for people that points at the run folder', async () => {
    const clock = new Clock();
    const sim = await startSim('migration', { now: clock.now });
    const ws = await workspace();
    const args = checkArgs(ws, [sim.url]).filter((a) => a !== '--json');

    const { code, stdout } = await cli(args, { env: oauthEnv(sim), cwd: ws.dir, now: clock.now });

    expect(code).toBe(1);
    expect(stdout).toMatch(/^⚠ “acme” \(http:\/\/127\.0\.0\.1:\d+\): 6 failing \(6 new, 0 reopened\)/m);
    expect(stdout).toMatch(
      /\[CRITICAL\] user “Ravi Patel” \(new\)\n\s+why: .+\n\s+fix: Give “Ravi Patel” Manage API keys/,
    );
    const reportsLine = /^Reports: (\S+\/report\.html)/m.exec(stdout);
    expect(reportsLine).not.toBeNull();
    expect(existsSync(reportsLine![1]!)).toBe(true);
    expect(reportsLine![1]).toBe(join(ws.out, 'runs', runFolderName(T0.toISOString()), 'report.html'));
  });

  describe('verify', () => {
    /** Two runs of the migration story into one archive. */
    async function archiveTwoRuns() {
      const clock = new Clock();
      const sim = await startSim('migration', { now: clock.now });
      const ws = await workspace();
      const runIds: string[] = [];
      for (let i = 0; i < 2; i++) {
        const { code, stdout } = await cli(checkArgs(ws, [sim.url]), {
          env: oauthEnv(sim),
          cwd: ws.dir,
          now: clock.now,
        });
        expect(code).toBe(1);
        runIds.push(parseReport(stdout).runId);
        clock.advance(HOUR_MS);
      }
      return { ws, tenantId: sim.tenantId, runIds };
    }

    it('passes an untouched archive', async () => {
      const { ws, tenantId } = await archiveTwoRuns();

      const { code, stdout } = await cli(['verify', '--out', ws.out], { cwd: ws.dir });

      expect(code).toBe(0);
      expect(stdout).toContain(`✔ tenant ${tenantId}: 2 runs, 0 problems`);
    });

    it('names an archived file that was changed', async () => {
      const { ws, tenantId, runIds } = await archiveTwoRuns();
      const altered = join(archiveRunFolder(ws, tenantId, runIds[0]!), 'findings.csv');
      await appendFile(altered, 'qag-0000,forged row\r\n');

      const { code, stdout } = await cli(['verify', '--out', ws.out], { cwd: ws.dir });

      expect(code).toBe(1);
      expect(stdout).toContain(`✖ tenant ${tenantId}`);
      expect(stdout).toMatch(
        /altered-file: reports\/tenant=[^ ]+\/findings\.csv — findings\.csv does not match the manifest/,
      );
      expect(stdout).toContain(runIds[0]!.replace(/:/g, '-'));
    });

    it('names a run whose manifest was removed', async () => {
      const { ws, tenantId, runIds } = await archiveTwoRuns();
      const removed = join(archiveRunFolder(ws, tenantId, runIds[1]!), 'manifest.json');
      await rm(removed);

      const { code, stdout } = await cli(['verify', '--out', ws.out], { cwd: ws.dir });

      expect(code).toBe(1);
      expect(stdout).toMatch(/missing-manifest: reports\/tenant=[^ ]+\/manifest\.json/);
      expect(stdout).toContain(runIds[1]!.replace(/:/g, '-'));
    });
  });
});

describe('the real executable', () => {
  it('bin/qlik-access-guard.mjs checks the simulated tenant in its own Node 24 process', async () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
    const sim = await startSim('migration');
    const ws = await workspace();

    const { code, stdout, stderr } = await spawnCommand(
      process.execPath,
      [join(PROJECT_ROOT, 'bin/qlik-access-guard.mjs'), ...checkArgs(ws, [sim.url])],
      { cwd: ws.dir, env: { PATH: process.env.PATH ?? '', HOME: ws.dir, ...oauthEnv(sim) } },
    );

    expect(stderr).toMatch(/run started/);
    expect(code).toBe(1);
    const tenant = onlyTenant(parseReport(stdout));
    expect(reportedKeys(tenant)).toEqual(expectedKeys(loadScenario('migration').expect!.findings));
    expect(existsSync(join(ws.out, 'runs'))).toBe(true);
    expect(existsSync(join(ws.state, 'state'))).toBe(true);
    await issueToken(sim);
  });
});

describe('npm start: the demo', () => {
  it('runs twice in one folder: both exit 0, and the second run finds nothing new', async () => {
    const ws = await workspace();
    // The demo's simulators live in its own process: their secrets are the scenarios' own (tokens share one signer).
    for (const name of ['migration', 'legacy']) rememberSecret(loadScenario(name).oauthClient.clientSecret);
    const demo = () =>
      spawnCommand(
        process.execPath,
        [join(PROJECT_ROOT, 'node_modules/tsx/dist/cli.mjs'), join(PROJECT_ROOT, 'scripts/demo.ts')],
        {
          cwd: ws.dir,
          env: { PATH: process.env.PATH ?? '', HOME: ws.dir },
        },
      );

    const first = await demo();
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^⚠ “acme” \(.*\): \d+ failing \([1-9]\d* new/m);
    expect(first.stdout).toMatch(/^⚠ “globex” \(.*\): \d+ failing \([1-9]\d* new/m);
    expect(first.stderr).toMatch(/notification: drift/);
    expect(existsSync(join(ws.dir, 'qlik-access-guard-reports'))).toBe(true);
    expect(existsSync(join(ws.dir, '.qlik-access-guard'))).toBe(true);

    const second = await demo();
    expect(second.code).toBe(0);
    const tenantLines = second.stdout.split('\n').filter((line) => / failing \(/.test(line));
    expect(tenantLines).toHaveLength(2);
    for (const line of tenantLines) expect(line).toMatch(/: \d+ failing \(0 new, 0 reopened\)/);
    expect(second.stderr).not.toMatch(/notification: drift/);

    // What the demo archived verifies, from the same folder and its default --out.
    const verify = await cli(['verify'], { cwd: ws.dir });
    expect(verify.code).toBe(0);
    expect(verify.stdout.match(/✔ tenant .*: 2 runs, 0 problems/g)).toHaveLength(2);
  });
});

describe('npm start -- --json', () => {
  it('passes --json through, and stdout is then the run report alone', async () => {
    const ws = await workspace();

    const { code, stdout } = await spawnCommand(
      process.execPath,
      [join(PROJECT_ROOT, 'node_modules/tsx/dist/cli.mjs'), join(PROJECT_ROOT, 'scripts/demo.ts'), '--json'],
      { cwd: ws.dir, env: { PATH: process.env.PATH ?? '', HOME: ws.dir } },
    );

    expect(code).toBe(0);
    const report = parseReport(stdout);
    expect(report.tenants.map((t) => t.tenantName)).toEqual(['acme', 'globex']);
  });
});

describe('secrets', () => {
  it('no API key, client secret, access token or Bearer header in any output or file of this file’s runs', () => {
    expect(ledger().outputs).toBeGreaterThan(0);
    expect(findLeaks()).toEqual([]);
  });
});
