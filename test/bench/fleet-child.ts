/**
 * Benchmark child: one `run()` over many simulated tenants (sent by the parent over IPC), as the Lambda and the CLI
 * run it: default policy, bounded tenant concurrency (argument), the report archive and drift state in a temporary
 * folder (the CLI's store), and a publisher that sends nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPolicy } from '../../lambda/policy/load';
import { type RunLog, run, type TenantTarget } from '../../lambda/run/run';
import { FsObjectStore } from '../../lambda/store/fs-object-store';
import { createRunArchive, createStateStore } from '../../lambda/store/store';
import { failInChild, inputFromParent, type MemorySample, memory, reportToParent } from './proc';

export interface FleetInput {
  readonly tenants: readonly { readonly url: string; readonly apiKey: string }[];
  readonly concurrency: number;
}

export interface FleetResult {
  readonly tenants: number;
  readonly concurrency: number;
  readonly wallMs: number;
  readonly ok: number;
  readonly errors: readonly string[];
  readonly exitCode: number;
  readonly failingFindings: number;
  readonly findingsByRule: Record<string, number>;
  readonly requests: number;
  /** Per-tenant duration (collect → evaluate → archive), p50 / p95 / max. */
  readonly tenantMs: { readonly p50: number; readonly p95: number; readonly max: number };
  readonly memoryAtStart: MemorySample;
  readonly memoryAtEnd: MemorySample;
}

const SILENT: RunLog = { info: () => {}, warn: () => {}, error: () => {} };

async function main(): Promise<void> {
  const input = await inputFromParent<FleetInput>();
  const policy = defaultPolicy();
  const folder = await mkdtemp(join(tmpdir(), 'qag-bench-fleet-'));
  const store = new FsObjectStore(folder);
  const targets: TenantTarget[] = input.tenants.map((tenant, index) => ({
    name: `bench-${String(index).padStart(3, '0')}`,
    url: tenant.url,
    allowedHosts: [],
    credentials: () => Promise.resolve({ kind: 'api-key', apiKey: tenant.apiKey }),
  }));
  const memoryAtStart = memory();

  const started = performance.now();
  const outcome = await run(
    {
      now: () => new Date(),
      archive: createRunArchive(store),
      state: createStateStore(store),
      publisher: { publish: () => Promise.resolve() },
      log: SILENT,
    },
    {
      runId: new Date().toISOString(),
      tenants: targets,
      policy,
      tenantConcurrency: input.concurrency,
      tenantDeadlineMs: 120_000,
      allowHttpLoopback: true,
    },
  );
  const wallMs = performance.now() - started;
  const memoryAtEnd = memory();
  await rm(folder, { recursive: true, force: true });

  const tenants = outcome.report.tenants;
  const findingsByRule: Record<string, number> = {};
  let failingFindings = 0;
  for (const tenant of tenants) {
    for (const finding of tenant.findings) {
      if (finding.status !== 'fail') continue;
      failingFindings += 1;
      findingsByRule[finding.ruleId] = (findingsByRule[finding.ruleId] ?? 0) + 1;
    }
  }
  const durations = tenants.map((t) => t.summary.durationMs ?? 0).sort((a, b) => a - b);
  const at = (q: number) => durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? 0;
  reportToParent({
    tenants: tenants.length,
    concurrency: input.concurrency,
    wallMs,
    ok: tenants.filter((t) => t.status === 'ok').length,
    errors: tenants
      .flatMap((t) => t.errors.map((e) => `${t.tenantName ?? t.tenantId}: ${e.code}: ${e.message}`))
      .slice(0, 5),
    exitCode: outcome.exitCode,
    failingFindings,
    findingsByRule,
    requests: tenants.reduce((sum, t) => sum + (t.summary.requests ?? 0), 0),
    tenantMs: { p50: at(0.5), p95: at(0.95), max: durations[durations.length - 1] ?? 0 },
    memoryAtStart,
    memoryAtEnd,
  } satisfies FleetResult);
}

main().catch(failInChild);
