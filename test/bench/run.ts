/**
 * The performance benchmark (`npm run bench`; never part of `npm test`). Measures, in one run, against simulated
 * tenants with 100 ms of injected latency per request:
 *  1. a partner tenant (50,000 users, 2,000 groups, 500 keys of 300 owners, 40 of them lacking the permission):
 *     (a) the default check (targeted collection + evaluation), (b) a full crawl with the official @qlik/api client,
 *     (c) this project's full-inventory mode — requests, wall time, ratio to the request plan's floor, peak RSS, and
 *     whether (a) and (c) find the same;
 *  2. policy evaluation alone at Qlik's limits (100,000 users, 10,000 groups, 5,000 keys);
 *  3. the Lambda bundle's size and module initialisation time;
 *  4. one run over 200 tenants of 1,000 users with bounded tenant concurrency;
 *  5. CLI start (`--version`) against Node's own start (cli-start.ts);
 *  6. hostile tenants: the worst inputs we could build through the real CLI, against clean tenants (hostile.ts).
 * Each measurement runs in a fresh child process; the simulators run in processes of their own. Replaces its own
 * sections of test/bench/RESULTS.md ("run" and "cli-start", see results-file.ts) and keeps the others, which other
 * benchmarks write. Timings are reported, never asserted.
 *
 * Run on their own, each writing its own section: bundle.ts (before/after), evidence.ts, remediation.ts, and
 * events.ts (the event path's latency, console change to SNS subscriber, on moto_server; about 8 minutes).
 */

import { rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { RuntimeConfigSchema } from '../../lambda/config/runtime';
import type { GenerateTenantSpec } from '../sim/server';
import { measureBundle } from './bundle';
import { CLI_START_SECTION, measureCliStart, renderCliStart } from './cli-start';
import type { CheckResult } from './collect-child';
import type { CrawlResult } from './crawl-child';
import type { EvaluateResult } from './evaluate-child';
import type { FleetInput, FleetResult } from './fleet-child';
import { HOSTILE_SECTION, measureHostile, renderHostile } from './hostile';
import { chain, crawlPlan, fullPlan, type PlanPair, requests, targetedPlan } from './plan';
import { compileChildren, PROJECT_ROOT, removeCompiledChildren, runChild, ServiceChild } from './proc';
import { type BenchResults, type Measured, renderResults } from './report';
import { RESULTS_FILE, writeResultsSection } from './results-file';
import type { HostedTenant, HostStats, SimHostSpec } from './sim-host';
import { writeSnapshotPages } from './snapshot-pages';

const LATENCY_MS = 100;
const PARTNER: GenerateTenantSpec = {
  users: 50_000,
  groups: 2_000,
  keys: 500,
  keyOwners: 300,
  ownersLackingPermission: 40,
  seed: 7,
};
const TARGETED_RUNS = 3;
const FLEET_SIZE = 200;
const fleetTenant = (i: number): GenerateTenantSpec => ({
  users: 1_000,
  groups: 50,
  keys: 20,
  keyOwners: 12,
  ownersLackingPermission: 2,
  seed: 1_000 + i,
});
/** The runtime config's default, and a wider setting within its maximum. */
const FLEET_CONCURRENCY = [RuntimeConfigSchema.shape.tenantConcurrency.parse(undefined), 20];
const INIT_RUNS = 15;
/** Fresh processes per way of getting the snapshot; the run with the median first-evaluation time is shown. */
const EVALUATION_RUNS = 3;

function log(message: string): void {
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function withSims<T>(
  spec: SimHostSpec,
  work: (host: ServiceChild<HostedTenant[]>, tenants: HostedTenant[]) => Promise<T>,
): Promise<T> {
  const host = new ServiceChild<HostedTenant[]>('sim-host.ts', [JSON.stringify(spec)]);
  try {
    const tenants = await host.ready;
    return await work(host, tenants);
  } finally {
    await host.stop();
  }
}

/** Runs `work` and returns what the simulators served meanwhile. */
async function served<T>(host: ServiceChild<unknown>, work: () => Promise<T>): Promise<{ value: T; sim: HostStats }> {
  const before = await host.ask<HostStats>('stats');
  const value = await work();
  const after = await host.ask<HostStats>('stats');
  const byPath: Record<string, number> = {};
  for (const [path, n] of Object.entries(after.byPath)) {
    const delta = n - (before.byPath[path] ?? 0);
    if (delta > 0) byPath[path] = delta;
  }
  return {
    value,
    sim: {
      requests: after.requests - before.requests,
      byPath,
      rateLimited: after.rateLimited - before.rateLimited,
      connections: after.connections - before.connections,
      maxConcurrent: after.maxConcurrent,
    },
  };
}

function measured<R extends { wallMs: number }>(
  result: R,
  sim: HostStats,
  plan: PlanPair,
  clientRequests: number,
): Measured<R> {
  return {
    result,
    sim,
    clientRequests,
    planRequests: requests(plan.implemented),
    implementedChain: chain(plan.implemented),
    dependencyChain: chain(plan.dependencies),
    plan,
  };
}

async function partnerTenant(): Promise<BenchResults['partner']> {
  log(
    `partner tenant: starting the simulator (${PARTNER.users} users, ${PARTNER.groups} groups, ${PARTNER.keys} keys)`,
  );
  return withSims({ tenants: [PARTNER], latencyMs: LATENCY_MS }, async (host, [tenant]) => {
    if (!tenant) throw new Error('simulator host started no tenant');
    const env = { BENCH_TENANT_URL: tenant.url, BENCH_API_KEY: tenant.apiKey };

    const targeted: Measured<CheckResult>[] = [];
    for (let i = 0; i < TARGETED_RUNS; i++) {
      log(`(a) default check, targeted, run ${i + 1}/${TARGETED_RUNS}`);
      const { value, sim } = await served(host, () => runChild<CheckResult>('collect-child.ts', ['targeted'], { env }));
      targeted.push(measured(value, sim, targetedPlan(tenant.sizes), value.requests));
    }
    log('(c) full inventory (mode: full)');
    const full = await served(host, () => runChild<CheckResult>('collect-child.ts', ['full'], { env }));
    log('(b) full crawl with @qlik/api');
    const crawl = await served(host, () => runChild<CrawlResult>('crawl-child.ts', [], { env }));
    return {
      spec: PARTNER,
      sizes: tenant.sizes,
      expected: tenant.expected,
      targeted,
      full: measured(full.value, full.sim, fullPlan(tenant.sizes), full.value.requests),
      crawl: measured(crawl.value, crawl.sim, crawlPlan(tenant.sizes), crawl.value.requests),
    };
  });
}

async function fleet(): Promise<BenchResults['fleet']> {
  log(`fleet: starting ${FLEET_SIZE} simulated tenants in one process`);
  const specs = Array.from({ length: FLEET_SIZE }, (_, i) => fleetTenant(i));
  return withSims({ tenants: specs, latencyMs: LATENCY_MS }, async (host, tenants) => {
    const runs: { result: FleetResult; sim: HostStats }[] = [];
    for (const concurrency of FLEET_CONCURRENCY) {
      log(`fleet: one run over ${tenants.length} tenants, tenant concurrency ${concurrency}`);
      const input: FleetInput = { tenants: tenants.map((t) => ({ url: t.url, apiKey: t.apiKey })), concurrency };
      const { value, sim } = await served(host, () => runChild<FleetResult>('fleet-child.ts', [], { input }));
      runs.push({ result: value, sim });
    }
    const first = tenants[0];
    if (!first) throw new Error('no fleet tenant');
    return {
      spec: fleetTenant(0),
      tenants: tenants.length,
      sizes: first.sizes,
      plan: targetedPlan(first.sizes),
      expectedFindings: tenants.reduce((sum, t) => sum + t.expected.length, 0),
      runs,
    };
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  const machine = {
    date: new Date().toISOString(),
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryBytes: totalmem(),
    node: process.version,
  };
  log(
    `machine: ${machine.nproc} × ${machine.cpu}, ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB, Node ${machine.node}`,
  );

  log(`bundle: building lambda/handler.ts as the construct does, timing module initialisation ×${INIT_RUNS}`);
  const bundle = await measureBundle(INIT_RUNS);

  await compileChildren(['collect-child.ts', 'crawl-child.ts', 'evaluate-child.ts', 'fleet-child.ts']);

  log(
    'evaluation alone: 100,000 users / 10,000 groups / 5,000 keys (snapshot parsed page by page, then built in one piece)',
  );
  const pagesFile = join(PROJECT_ROOT, '.tmp', `bench-snapshot-${process.pid}.jsonl`);
  writeSnapshotPages(pagesFile);
  const evaluation = { pages: [] as EvaluateResult[], build: [] as EvaluateResult[] };
  try {
    for (let i = 0; i < EVALUATION_RUNS; i++) {
      evaluation.pages.push(
        await runChild<EvaluateResult>('evaluate-child.ts', [pagesFile], { execArgv: ['--expose-gc'] }),
      );
      evaluation.build.push(
        await runChild<EvaluateResult>('evaluate-child.ts', ['build'], { execArgv: ['--expose-gc'] }),
      );
    }
  } finally {
    rmSync(pagesFile, { force: true });
  }

  const partner = await partnerTenant();
  const fleetResults = await fleet();

  const results: BenchResults = {
    machine,
    latencyMs: LATENCY_MS,
    partner,
    evaluation,
    bundle,
    fleet: fleetResults,
    totalSeconds: (Date.now() - started) / 1000,
  };
  log(`CLI start: --version against node -e 0 ×${INIT_RUNS}`);
  const cliStart = await measureCliStart(INIT_RUNS);
  const markdown = renderResults(results);
  const cliStartMarkdown = renderCliStart(cliStart, machine.date);
  writeResultsSection('run', markdown);
  writeResultsSection(CLI_START_SECTION, cliStartMarkdown);
  log('hostile tenants: the worst inputs through the real CLI, each beside a clean tenant of the same shape');
  const hostileMarkdown = renderHostile(await measureHostile(log));
  writeResultsSection(HOSTILE_SECTION, hostileMarkdown);
  process.stdout.write(`\n${markdown}\n${cliStartMarkdown}\n${hostileMarkdown}\n`);
  log(`wrote ${RESULTS_FILE} in ${results.totalSeconds.toFixed(0)} s`);
}

main()
  .finally(removeCompiledChildren)
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
