/**
 * Shared parts of the CLI's end-to-end tests: simulated tenants on 127.0.0.1, throwaway working folders, the CLI run
 * in-process through `main()` (or spawned), the run report read back through its own schema, and a ledger of every
 * secret handed out and every text the CLI produced, so each test file can end with a scan for leaked credentials.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type CliIo, main } from '../../../lambda/cli/main';
import { RunReportSchema } from '../../../lambda/report/json';
import type { RunReport, TenantReport } from '../../../lambda/report/model';
import {
  type ExpectedFinding,
  loadScenario,
  type SimulatedTenant,
  type SimulatedTenantOptions,
  startSimulatedTenant,
} from '../../sim/server';

export const PROJECT_ROOT = resolve(import.meta.dirname, '../../..');
export const CLI_FIXTURES = join(PROJECT_ROOT, 'test/fixtures/cli');

/**
 * A fixed instant far enough ahead of the wall clock that the simulator's OAuth `expires_at` (sim clock + 6 h) stays
 * in the future for the client, which renews tokens against the real clock.
 */
export const T0 = new Date('2035-03-02T06:00:00.000Z');
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** One clock for the CLI (`io.now`) and the simulator (`now`), moved by the test between runs. */
export class Clock {
  #now: number;
  constructor(start: Date = T0) {
    this.#now = start.getTime();
  }
  readonly now = (): Date => new Date(this.#now);
  advance(ms: number): Date {
    this.#now += ms;
    return this.now();
  }
  set(at: Date): void {
    this.#now = at.getTime();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The ledger: secrets handed to the CLI, and everything it printed or wrote.

const secrets = new Set<string>();
const outputs: { readonly source: string; readonly text: string }[] = [];

export function rememberSecret(secret: string): void {
  if (secret.length > 0) secrets.add(secret);
}

export function rememberOutput(source: string, text: string): void {
  outputs.push({ source, text });
}

export interface Leak {
  readonly source: string;
  readonly what: string;
}

/** Where any known secret, a token of the simulator's signer, or a `Bearer ` header value shows up. */
export function findLeaks(texts: readonly { source: string; text: string }[] = outputs): Leak[] {
  const needles = [...secrets].map((secret) => ({ needle: secret, what: `secret ${secret.slice(0, 6)}…` }));
  // Every token the simulator signs (API keys and the OAuth access tokens it issued to the CLI) starts with the same
  // JWT header segment, so even tokens this test never saw are caught.
  const signerHeader = [...secrets].map((s) => s.split('.')).find((parts) => parts.length === 3)?.[0];
  if (signerHeader) needles.push({ needle: signerHeader, what: 'a token signed by the simulator' });
  needles.push({ needle: 'Bearer ', what: 'an Authorization header value' });
  const leaks: Leak[] = [];
  for (const { source, text } of texts) {
    for (const { needle, what } of needles) if (text.includes(needle)) leaks.push({ source, what });
  }
  return leaks;
}

export function ledger(): { secrets: number; outputs: number; bytes: number } {
  return { secrets: secrets.size, outputs: outputs.length, bytes: outputs.reduce((n, o) => n + o.text.length, 0) };
}

// ---------------------------------------------------------------------------------------------------------------
// Simulated tenants and working folders, cleaned up by `cleanUp()` (call it in afterEach).

const sims: SimulatedTenant[] = [];
const folders: string[] = [];

export async function startSim(
  scenario: string,
  options: Omit<SimulatedTenantOptions, 'scenario'> = {},
): Promise<SimulatedTenant> {
  const sim = await startSimulatedTenant({ scenario: loadScenario(scenario), ...options });
  sims.push(sim);
  rememberSecret(sim.credentials.apiKey);
  rememberSecret(sim.credentials.clientSecret);
  return sim;
}

/** Stops a simulator before the test ends (e.g. to leave nothing listening at its URL). */
export async function stopSim(sim: SimulatedTenant): Promise<void> {
  sims.splice(sims.indexOf(sim), 1);
  await sim.close();
}

/** An access token the simulator issues for its OAuth client: it must never be printed or stored either. */
export async function issueToken(sim: SimulatedTenant): Promise<string> {
  const response = await fetch(`${sim.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: sim.credentials.clientId,
      client_secret: sim.credentials.clientSecret,
    }),
  });
  if (response.status !== 200) throw new Error(`token endpoint answered ${response.status}`);
  const { access_token: token } = (await response.json()) as { access_token: string };
  rememberSecret(token);
  return token;
}

/** PATCH a user's directly assigned roles through the simulator's HTTP API, as an admin would. */
export async function replaceUserRoles(
  sim: SimulatedTenant,
  userId: string,
  roleIds: readonly string[],
): Promise<void> {
  const token = await issueToken(sim);
  const response = await fetch(`${sim.url}/api/v1/users/${userId}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify([{ op: 'replace', path: '/assignedRoles', value: roleIds.map((id) => ({ id })) }]),
  });
  if (response.status !== 204) throw new Error(`PATCH user answered ${response.status}: ${await response.text()}`);
}

export interface Workspace {
  readonly dir: string;
  readonly out: string;
  readonly state: string;
}

export async function workspace(): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'qag-cli-'));
  folders.push(dir);
  return { dir, out: join(dir, 'out'), state: join(dir, 'state') };
}

export async function writeText(ws: Workspace, name: string, text: string): Promise<string> {
  const path = join(ws.dir, name);
  await writeFile(path, text);
  return path;
}

/** Closes every simulator, and reads every file the CLI wrote into the ledger before the folders go. */
export async function cleanUp(): Promise<void> {
  await Promise.all(sims.splice(0).map((sim) => sim.close()));
  for (const dir of folders.splice(0)) {
    for (const file of await filesUnder(dir)) rememberOutput(file, await readFile(file, 'utf8'));
    await rm(dir, { recursive: true, force: true });
  }
}

export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

// ---------------------------------------------------------------------------------------------------------------
// Running the CLI.

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
  readonly now?: () => Date;
  /** The AWS clients `--bucket` and Secrets Manager tenants use (moto's, in these tests). */
  readonly awsClients?: CliIo['awsClients'];
}

export async function cli(argv: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: options.env ?? {},
    cwd: options.cwd ?? tmpdir(),
    ...(options.now ? { now: options.now } : {}),
    ...(options.awsClients ? { awsClients: options.awsClients } : {}),
  });
  rememberOutput(`stdout of ${argv.join(' ')}`, stdout);
  rememberOutput(`stderr of ${argv.join(' ')}`, stderr);
  return { code, stdout, stderr };
}

/** Spawns a command and collects its output; the ledger gets both streams. */
export function spawnCommand(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGTERM'), options.timeoutMs ?? 45_000);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      rememberOutput(`stdout of ${command} ${args.join(' ')}`, stdout);
      rememberOutput(`stderr of ${command} ${args.join(' ')}`, stderr);
      done({ code: code ?? (signal ? 128 : -1), stdout, stderr });
    });
  });
}

export function oauthEnv(sim: SimulatedTenant): Record<string, string> {
  return { QLIK_CLIENT_ID: sim.credentials.clientId, QLIK_CLIENT_SECRET: sim.credentials.clientSecret };
}

export function apiKeyEnv(sim: SimulatedTenant): Record<string, string> {
  return { QLIK_API_KEY: sim.credentials.apiKey };
}

/** `check` of one or more tenants with `--json`, out and state in the workspace. */
export function checkArgs(ws: Workspace, tenants: readonly string[], ...extra: string[]): string[] {
  return [
    'check',
    ...tenants.flatMap((url) => ['--tenant', url]),
    '--allow-http-loopback',
    '--json',
    '--out',
    ws.out,
    '--state',
    ws.state,
    ...extra,
  ];
}

/** stdout of `--json` is the report and nothing else: parsed whole, and valid against the contract's schema. */
export function parseReport(stdout: string): RunReport {
  const value: unknown = JSON.parse(stdout);
  const parsed = RunReportSchema.safeParse(value);
  if (!parsed.success) {
    throw new Error(`stdout is not a valid run report: ${JSON.stringify(parsed.error.issues.slice(0, 5))}`);
  }
  // The schema drops unknown fields; tests read the report as printed.
  return value as RunReport;
}

export function onlyTenant(report: RunReport): TenantReport {
  if (report.tenants.length !== 1) throw new Error(`expected one tenant, got ${report.tenants.length}`);
  return report.tenants[0]!;
}

/** A finding as the scenarios' `expect:` blocks state it. */
export function findingKey(f: { ruleId: string; subjectType: string; subjectId: string; severity: string }): string {
  return `${f.ruleId} ${f.subjectType}:${f.subjectId} ${f.severity}`;
}

export function reportedKeys(tenant: TenantReport, status: 'fail' | 'suppressed' | 'any' = 'fail'): string[] {
  return tenant.findings
    .filter((f) => status === 'any' || f.status === status)
    .map((f) =>
      findingKey({ ruleId: f.ruleId, subjectType: f.subject.type, subjectId: f.subject.id, severity: f.severity }),
    )
    .sort();
}

export function expectedKeys(findings: readonly ExpectedFinding[]): string[] {
  return findings.map(findingKey).sort();
}

export function eventTypes(tenant: TenantReport): string[] {
  return [...new Set(tenant.notifications.map((n) => n.eventType))].sort();
}
