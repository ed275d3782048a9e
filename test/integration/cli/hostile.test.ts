/**
 * Hostile tenants end to end through the real CLI: the `hostile` scenario (forged "Fix" steps in names, terminal
 * escape sequences, bidi overrides, CSV formulas, a three-million-character name), a tenant whose roles page is
 * multi-megabyte, one whose error bodies are two megabytes of unclosed tags, and an ordinary tenant that must still
 * be checked in full. One run, then every output (stdout, stderr, every file written or archived) is searched. A
 * second run adds a tenant impersonating the hostile one's id: both are errors, never a skip.
 */
import { createHmac } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWatch } from '../../../lambda/cli/watch-run';
import type { Watch } from '../../../lambda/events/watch';
import { LocalWebhookSecrets, newWebhookSecret } from '../../../lambda/events/webhook-secrets';
import { defaultPolicy } from '../../../lambda/policy/load';
import type { RunReport, TenantReport } from '../../../lambda/report/model';
import { DeployConfigSchema } from '../../../lib/config';
import { loadScenario, type SimulatedTenant } from '../../sim/server';
import { kindOfFile, LINE_BREAKS, type Output, structureProblems, TERMINAL_CONTROL } from '../hostile-outputs';
import {
  checkArgs,
  cleanUp,
  cli,
  eventTypes,
  expectedKeys,
  filesUnder,
  issueToken,
  oauthEnv,
  PROJECT_ROOT,
  parseReport,
  reportedKeys,
  spawnCommand,
  startSim,
  type Workspace,
  workspace,
  writeText,
} from './support';

const MiB = 1024 * 1024;
/** The function's default memory (lib/config.ts). */
const FUNCTION_DEFAULT_MEMORY_MIB = DeployConfigSchema.shape.function.parse(undefined).memoryMiB;

interface Setup {
  readonly ws: Workspace;
  readonly sims: Record<'hostile' | 'bloated' | 'errorBody' | 'deep' | 'ordinary', SimulatedTenant>;
  readonly tenantsFile: string;
  readonly env: Record<string, string>;
}

async function tenantsFileFor(
  ws: Workspace,
  sims: Record<string, SimulatedTenant>,
): Promise<{ tenantsFile: string; env: Record<string, string> }> {
  const lines = ['tenants:'];
  const env: Record<string, string> = {};
  for (const [name, sim] of Object.entries(sims)) {
    const prefix = name.toUpperCase();
    lines.push(
      `  - name: ${name.toLowerCase()}`,
      `    url: ${sim.url}`,
      `    clientIdEnv: ${prefix}_ID`,
      `    clientSecretEnv: ${prefix}_SECRET`,
    );
    env[`${prefix}_ID`] = sim.credentials.clientId;
    env[`${prefix}_SECRET`] = sim.credentials.clientSecret;
  }
  return { tenantsFile: await writeText(ws, 'tenants.yaml', `${lines.join('\n')}\n`), env };
}

async function setUp(): Promise<Setup> {
  const sims = {
    hostile: await startSim('hostile'),
    // Over the 4 MiB per-response cap: the tenant fails its own check with a bad response.
    bloated: await startSim('legacy', { faults: [{ kind: 'huge-body', bytes: 8 * MiB, path: '/api/v1/roles' }] }),
    errorBody: await startSim('everyone-grants', {
      faults: [{ kind: 'huge-error', bytes: 2 * MiB, path: '/api/v1/api-keys' }],
    }),
    // A roles page whose data is nested a million arrays deep (2 MB): the heaviest input of test/bench/hostile.ts.
    deep: await startSim('legacy', { faults: [{ kind: 'deep-json', depth: 1_000_000, path: '/api/v1/roles' }] }),
    ordinary: await startSim('migration'),
  };
  for (const sim of Object.values(sims)) await issueToken(sim);
  const ws = await workspace();
  return { ws, sims, ...(await tenantsFileFor(ws, sims)) };
}

function tenantOf(report: RunReport, name: keyof Setup['sims']): TenantReport {
  const tenant = report.tenants.find((t) => t.tenantUrl === setup.sims[name].url);
  if (!tenant) throw new Error(`no tenant ${name} in the report`);
  return tenant;
}

let setup: Setup;
let run: { code: number; stdout: string; stderr: string };
let report: RunReport;
let outputs: Output[];

/** stdout (the JSON report), stderr and every file the run wrote or archived under `out`. */
async function outputsOf(result: { stdout: string; stderr: string }, out: string): Promise<Output[]> {
  const files = await filesUnder(out);
  return [
    { name: 'stdout', text: result.stdout, kind: 'report-json' },
    { name: 'stderr', text: result.stderr, kind: 'text' },
    ...(await Promise.all(
      files.map(async (file) => ({ name: file, text: await readFile(file, 'utf8'), kind: kindOfFile(file) })),
    )),
  ];
}

beforeAll(async () => {
  setup = await setUp();
  run = await cli(checkArgs(setup.ws, [], '--tenants-file', setup.tenantsFile), {
    env: setup.env,
    cwd: setup.ws.dir,
  });
  if (!run.stdout.trim()) throw new Error(`no report on stdout (exit ${run.code}): ${run.stderr.slice(0, 3000)}`);
  report = parseReport(run.stdout);
  outputs = await outputsOf(run, setup.ws.out);
}, 120_000);

afterAll(cleanUp);

describe('a run with hostile tenants', () => {
  it('checks the hostile tenant in full and every ordinary one, and exits 2 for the tenants that failed', () => {
    expect(run.code).toBe(2);
    const hostile = tenantOf(report, 'hostile');
    expect(hostile.status).toBe('ok');
    expect(reportedKeys(hostile)).toEqual(expectedKeys(loadScenario('hostile').expect!.findings));
    const ordinary = tenantOf(report, 'ordinary');
    expect(ordinary.status).toBe('ok');
    expect(reportedKeys(ordinary)).toEqual(expectedKeys(loadScenario('migration').expect!.findings));
  });

  it('fails the multi-megabyte and deeply nested tenants on their own, with a bad response naming the endpoint and a health alert', () => {
    const bloated = tenantOf(report, 'bloated');
    expect(bloated.status).toBe('error');
    expect(bloated.errors.map((e) => e.code)).toEqual(['bad-response']);
    expect(bloated.errors[0]?.message).toContain('GET /api/v1/roles: response body larger than 4 MiB');
    expect(eventTypes(bloated)).toEqual(['health']);

    const errorBody = tenantOf(report, 'errorBody');
    expect(errorBody.status).toBe('error');
    expect(errorBody.errors.map((e) => e.code)).toEqual(['bad-response']);
    expect(errorBody.errors[0]?.message).toMatch(/^GET \/api\/v1\/api-keys\S*: 502/);
    expect(errorBody.errors[0]?.message.length).toBeLessThan(1000);
    expect(eventTypes(errorBody)).toEqual(['health']);

    const deep = tenantOf(report, 'deep');
    expect(deep.status).toBe('error');
    expect(deep.errors.map((e) => e.code)).toEqual(['bad-response']);
    expect(deep.errors[0]?.message).toMatch(/^GET \/api\/v1\/roles/);
    expect(deep.errors[0]?.message.length).toBeLessThan(1000);
    expect(eventTypes(deep)).toEqual(['health']);
  });

  it('cuts the three-million-character name at parse time, with a note, in every output', () => {
    const padded = tenantOf(report, 'hostile').findings.find((f) => f.subject.id === '6790000000000000000000a5');
    expect(padded?.subject.name).toMatch(/^Padded x+… \[truncated by qlik-access-guard: 3000007 characters\]$/);
    for (const { name, text } of outputs) {
      expect(text.includes('x'.repeat(1000)), name).toBe(false);
      expect(text.length, name).toBeLessThan(2 * MiB);
    }
  });

  it('stays within the function memory when the CLI runs as its own process', async () => {
    const ws = await workspace();
    const args = checkArgs(ws, [], '--tenants-file', setup.tenantsFile);
    const { code, stderr } = await spawnCommand(
      process.execPath,
      [
        '--import',
        join(PROJECT_ROOT, 'test/integration/cli/max-rss.mjs'),
        join(PROJECT_ROOT, 'bin/qlik-access-guard.mjs'),
        ...args,
      ],
      { cwd: ws.dir, env: { PATH: process.env.PATH ?? '', HOME: ws.dir, ...setup.env }, timeoutMs: 110_000 },
    );
    expect(code).toBe(2);
    const maxRssKiB = Number(/max-rss-kib (\d+)\s*$/.exec(stderr)?.[1]);
    expect(maxRssKiB).toBeGreaterThan(0);
    expect(maxRssKiB / 1024).toBeLessThan(FUNCTION_DEFAULT_MEMORY_MIB);
  }, 120_000);
});

describe('no tenant text becomes structure', () => {
  it('searches every kind of output the run writes', () => {
    const kinds = new Set(outputs.map((o) => o.kind));
    expect([...kinds].sort()).toEqual(['csv', 'html', 'json', 'ocsf', 'report-json', 'text']);
    expect(outputs.filter((o) => o.name.endsWith('/report.html')).length).toBe(3);
  });

  it('adds no line, tag, control sequence or formula to any output', () => {
    expect(outputs.flatMap(structureProblems)).toEqual([]);
  });
});

describe('a tenant answering with the hostile tenant id', () => {
  let impersonated: { code: number; stdout: string; stderr: string };
  let impersonatedReport: RunReport;
  let ws: Workspace;

  beforeAll(async () => {
    const { hostile, ordinary } = setup.sims;
    const impostor = await startSim('clean', { claimTenantId: hostile.tenantId });
    await issueToken(impostor);
    ws = await workspace();
    const { tenantsFile, env } = await tenantsFileFor(ws, { hostile, impostor, ordinary });
    impersonated = await cli(checkArgs(ws, [], '--tenants-file', tenantsFile), { env, cwd: ws.dir });
    impersonatedReport = parseReport(impersonated.stdout);
  }, 120_000);

  it('makes both an error with a health alert, checks the ordinary tenant and exits 2', () => {
    expect(impersonated.code).toBe(2);
    const byName = new Map(impersonatedReport.tenants.map((t) => [t.name, t]));
    for (const [name, other] of [
      ['hostile', 'impostor'],
      ['impostor', 'hostile'],
    ] as const) {
      const tenant = byName.get(name)!;
      expect(tenant.status, name).toBe('error');
      expect(tenant.summary.duplicate, name).toBeUndefined();
      expect(tenant.findings, name).toEqual([]);
      expect(tenant.errors.map((e) => e.code)).toEqual(['bad-response']);
      expect(tenant.errors[0]!.message).toContain(`answers as tenant ${setup.sims.hostile.tenantId}`);
      expect(tenant.errors[0]!.message).toContain(`configured tenant ${other} also does`);
      expect(eventTypes(tenant), name).toEqual(['health']);
    }
    expect(byName.get('ordinary')?.status).toBe('ok');
    expect(impersonatedReport.tenants).toHaveLength(3);
  });

  it('says so on stderr and in the health alert, each on one inert line', async () => {
    const errorLines = impersonated.stderr.split('\n').filter((line) => line.startsWith('error: '));
    expect(errorLines.map((line) => /^error: (\w+):/.exec(line)?.[1]).sort()).toEqual(['hostile', 'impostor']);
    const out = await outputsOf(impersonated, ws.out);
    expect(out.flatMap(structureProblems)).toEqual([]);
    const email = out.find((o) => o.name.endsWith('email.txt'))!.text;
    expect(email.match(/configured tenant (hostile|impostor) also does/g)?.sort()).toEqual([
      'configured tenant hostile also does',
      'configured tenant impostor also does',
    ]);
  });

  it('archives nothing under the contested tenant id: the impostor never takes the slot', async () => {
    const archived = await filesUnder(join(ws.out, 'reports'));
    expect(archived.filter((f) => f.includes(`tenant=${setup.sims.hostile.tenantId}`))).toEqual([]);
    expect(archived.some((f) => f.includes(`tenant=${setup.sims.ordinary.tenantId}`))).toBe(true);
  });
});

describe('watch, with a forged event type and an out folder holding control characters', () => {
  /** `--out` chosen with a terminal sequence and a line break: the path is in each per-check stdout line. */
  const FORGED_FOLDER = 'out\u001b[2J\u001b[H\rOK: every tenant compliant\n2. URGENT: forged line';
  /** A delivery signed with the tenant's webhook secret, whose event type carries an OSC-8 link and a CRLF. */
  const FORGED_TYPE = 'com.qlik.core.user.updated\u001b]8;;https://evil.example/\u0007x\u001b]8;;\u0007\r\nOK: forged';
  const stdout: string[] = [];
  let watch: Watch;
  let outDir: string;

  beforeAll(async () => {
    const ws = await workspace();
    outDir = join(ws.dir, FORGED_FOLDER);
    await mkdir(outDir, { recursive: true });
    const secret = newWebhookSecret();
    await new LocalWebhookSecrets(ws.state).save({
      tenant: 'ordinary',
      webhookId: 'w1',
      url: 'http://127.0.0.1/qlik/ordinary',
      eventTypes: ['com.qlik.core.user.updated'],
      secret,
      installedAt: new Date().toISOString(),
    });
    const { ordinary } = setup.sims;
    const credentials = {
      kind: 'oauth-client' as const,
      clientId: ordinary.credentials.clientId,
      clientSecret: ordinary.credentials.clientSecret,
    };
    const controller = new AbortController();
    const stopped = runWatch(
      {
        targets: [{ name: 'ordinary', url: ordinary.url, allowedHosts: [], credentials: async () => credentials }],
        policy: defaultPolicy(),
        failOn: 'high',
        deadlineSeconds: 60,
        allowHttpLoopback: true,
        outDir,
        stateDir: ws.state,
        host: '127.0.0.1',
        port: 0,
        debounceMs: 50,
        pollMs: 600_000,
        quiet: true,
      },
      { stdout: (text) => stdout.push(text), stderr: () => undefined },
      controller.signal,
      (started) => {
        watch = started;
      },
    );
    try {
      while (!watch) await new Promise((resolve) => setTimeout(resolve, 20));
      await watch.started;
      for (const [index, body] of [
        JSON.stringify({ type: FORGED_TYPE, id: 'forged-type-1', data: {} }),
        JSON.stringify({ eventType: FORGED_TYPE, eventId: 'forged-type-2', data: {} }),
      ].entries()) {
        const signature = createHmac('sha256', secret).update(body).digest('hex');
        const response = await fetch(`${watch.url}/qlik/ordinary`, {
          method: 'POST',
          body,
          headers: { 'qlik-signature': signature, 'content-type': 'application/json' },
        });
        expect(response.status, `delivery ${index}`).toBeLessThan(300);
        const deadline = Date.now() + 60_000;
        while (watch.stats.checks < index + 2 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    } finally {
      controller.abort();
      expect(await stopped).toBe(0);
    }
  }, 120_000);

  it('prints one inert line per check: the start check and each forged delivery', () => {
    expect(watch.stats.checks).toBe(3);
    expect(stdout).toHaveLength(3);
    for (const text of stdout) {
      expect(text.endsWith('\n'), text).toBe(true);
      const line = text.slice(0, -1);
      expect(line.split(LINE_BREAKS), text).toHaveLength(1);
      expect(TERMINAL_CONTROL.test(line), text).toBe(false);
      expect(line).toMatch(/^run \S+: ordinary checked/);
      expect(line).toContain('OK: every tenant compliant\\n2. URGENT: forged line');
    }
  });

  it('names the forged deliveries by an event type it can vouch for, never by the forged one', () => {
    expect(stdout.slice(1).every((text) => text.includes(' after unknown (webhook); '))).toBe(true);
    expect(stdout.join('')).not.toContain('OK: forged');
  });
});

describe('a tenant error text with C1 controls, bidi overrides and line separators', () => {
  /** What a hostile tenant's error body says: CSI as one C1 byte, a bidi override, LS, NEL, and a forged line. */
  const TITLE = 'Forbidden\u009b2J\u009d8;;https://evil.example/\u202egnp.exe\u2028OK: every tenant compliant\u0085x';

  it('is one inert line on stderr of webhooks list, and exit 2', async () => {
    const sim = await startSim('migration', {
      faults: [{ kind: 'error-json', status: 403, title: TITLE, path: '/api/v1/webhooks' }],
    });
    const result = await cli(['webhooks', 'list', '--tenant', sim.url, '--allow-http-loopback'], {
      env: oauthEnv(sim),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Forbidden');
    expect(structureProblems({ name: 'stderr', text: result.stderr, kind: 'text' })).toEqual([]);
    expect(result.stderr.split('\n').filter((line) => line !== '')).toHaveLength(1);
  });
});

describe('verify --json of an archive someone put an object with a hostile key into', () => {
  /** Anyone who may put objects chooses the key: C1 CSI, a bidi override, a line separator and a NEL. */
  const KEY_NAME = 'evil\u009b2J\u202egnp.exe\u2028OK: every tenant compliant\u0085x.json';

  it('prints the key exactly once parsed, and no raw control, bidi or separator character', async () => {
    const tenantFolder = join(setup.ws.out, 'reports', `tenant=${setup.sims.ordinary.tenantId}`);
    await writeFile(join(tenantFolder, KEY_NAME), '{}');
    const result = await cli(['verify', '--out', setup.ws.out, '--tenant-id', setup.sims.ordinary.tenantId, '--json']);
    expect(result.code).toBe(1);
    const [verdict] = JSON.parse(result.stdout) as { problems: { kind: string; key: string }[] }[];
    expect(verdict!.problems).toContainEqual(
      expect.objectContaining({ kind: 'unexpected-object', key: expect.stringMatching(new RegExp(`${KEY_NAME}$`)) }),
    );
    expect(structureProblems({ name: 'stdout', text: result.stdout, kind: 'exact-json' })).toEqual([]);
  });
});
