/**
 * Remediation benchmark (`npx tsx test/bench/remediation.ts`; never part of `npm test`): `fix` plans and applies the
 * Manage API keys fix for TENANTS simulated tenants with LACKING key owners each, through the real CLI over real
 * HTTP, with Qlik's per-tier budgets enforced by the simulators (Tier 1: 1,000 / min, Tier 2: 100 / min per caller
 * and tenant). Prints and records in RESULTS.md: requests, wall time, and the ratio to the floor — the fewest
 * requests an apply can make (one GET of each owner for its precondition and one PATCH each, plus one tenant lookup)
 * and the least time Tier 2 allows for the writes. Timings are reported, never asserted.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lambda/cli/main';
import type { RemediationPlan } from '../../lambda/remediation/plan-file';
import type { RemediationRecord } from '../../lambda/remediation/record';
import { generateTenant, type SimulatedTenant, startSimulatedTenant } from '../sim/server';
import { writeResultsSection } from './results-file';

const TENANTS = Number(process.env.BENCH_TENANTS ?? 200);
const LACKING = Number(process.env.BENCH_LACKING ?? 40);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 0);
const TIER2_PER_MINUTE = 100;

const sims: SimulatedTenant[] = [];
for (let i = 0; i < TENANTS; i++) {
  const scenario = generateTenant({
    users: 200,
    groups: 10,
    keys: LACKING + 20,
    keyOwners: LACKING + 10,
    ownersLackingPermission: LACKING,
    seed: 5_000 + i,
  });
  sims.push(
    await startSimulatedTenant({
      scenario,
      latencyMs: LATENCY_MS,
      settings: { enforceRateLimits: true, tier1PerMinute: 1_000, tier2PerMinute: TIER2_PER_MINUTE },
    }),
  );
}

const dir = mkdtempSync(join(tmpdir(), 'qag-bench-fix-'));
const env: Record<string, string> = {};
const tenants = sims.map((sim, i) => {
  env[`QAG_ID_${i}`] = sim.credentials.clientId;
  env[`QAG_SECRET_${i}`] = sim.credentials.clientSecret;
  return { name: `t${i}`, url: sim.url, clientIdEnv: `QAG_ID_${i}`, clientSecretEnv: `QAG_SECRET_${i}` };
});
writeFileSync(join(dir, 'tenants.json'), JSON.stringify({ tenants }));
const common = ['--tenants-file', 'tenants.json', '--allow-http-loopback', '--out', 'out', '--state', 'state', '-q'];

let stderr = '';
const cli = (argv: string[]) => main(argv, { stdout: () => {}, stderr: (t) => (stderr += t), env, cwd: dir });
const requestsSoFar = () => sims.reduce((sum, s) => sum + s.stats().requests, 0);
const writesSoFar = () => sims.reduce((sum, s) => sum + s.log.filter((r) => r.method !== 'GET').length, 0);
const limitedSoFar = () => sims.reduce((sum, s) => sum + s.stats().rateLimited, 0);

let started = performance.now();
const planCode = await cli(['fix', ...common, '--concurrency', '20', '--plan', 'plan.json']);
const planMs = performance.now() - started;
const planRequests = requestsSoFar();
const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as RemediationPlan;
const actions = plan.tenants.reduce((sum, t) => sum + t.actions.length, 0);

const beforeApply = { requests: requestsSoFar(), writes: writesSoFar(), limited: limitedSoFar() };
started = performance.now();
const applyCode = await cli(['fix', '--apply', 'plan.json', ...common, '--concurrency', '20', '--max-changes', '100']);
const applyMs = performance.now() - started;
// The apply's own requests: everything after the plan, minus the re-check (a check, measured in the plan step).
const applyAndRecheck = requestsSoFar() - beforeApply.requests;
const writes = writesSoFar() - beforeApply.writes;
const limited = limitedSoFar() - beforeApply.limited;
const applyWrites = sims.reduce(
  (sum, s) => sum + s.log.filter((r) => r.method === 'PATCH' && r.path.startsWith('/api/v1/users/')).length,
  0,
);

// Every action that did not end applied or already in place, with its reason, from the records the apply stored.
const notApplied = readdirSync(join(dir, 'out'), { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('remediation.json'))
  .flatMap((file) => (JSON.parse(readFileSync(join(dir, 'out', file), 'utf8')) as RemediationRecord).actions)
  .filter((action) => action.outcome === 'refused' || action.outcome === 'failed');
const reasons = new Map<string, number>();
for (const action of notApplied) {
  const reason = `${action.outcome}${action.httpStatus ? ` ${action.httpStatus}` : ''}: ${(action.reason ?? '')
    .replace(/[0-9a-f]{24}/g, '<id>')
    .replace(/\|/g, '/')
    .slice(0, 160)}`;
  reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
}

const floorRequests = TENANTS * (2 * LACKING + 1);
// Tier 2: each tenant's LACKING writes within its own budget; tenants run in parallel, so the floor is one tenant's.
const floorWriteMs = LACKING <= TIER2_PER_MINUTE ? 0 : Math.ceil(LACKING / TIER2_PER_MINUTE - 1) * 60_000;

const rows = [
  `| tenants × lacking owners | ${TENANTS} × ${LACKING} (latency ${LATENCY_MS} ms, Tier 1/2 budgets enforced) |`,
  `| plan: exit code, actions planned | ${planCode}, ${actions} |`,
  `| plan: requests (check of every tenant), time | ${planRequests}, ${(planMs / 1000).toFixed(1)} s |`,
  `| apply: exit code | ${applyCode} |`,
  `| apply: actions refused or failed (reason: count) | ${notApplied.length}${[...reasons].map(([r, n]) => `; ${r}: ${n}`).join('')} |`,
  `| apply + re-check: requests, time | ${applyAndRecheck}, ${(applyMs / 1000).toFixed(1)} s |`,
  `| apply: role PATCHes / writes of any kind / 429s | ${applyWrites} / ${writes} / ${limited} |`,
  `| apply: request floor (GET + PATCH per owner, 1 per tenant) | ${floorRequests} |`,
  `| apply + re-check requests ÷ floor | ${(applyAndRecheck / floorRequests).toFixed(2)} (re-check included: ${planRequests} of them are one check) |`,
  `| Tier 2 time floor for the writes (per tenant, tenants in parallel) | ${(floorWriteMs / 1000).toFixed(0)} s (${LACKING} writes fit one tenant's ${TIER2_PER_MINUTE}/min budget) |`,
];
const section = `## Remediation: \`fix\` plan and apply

Measured ${new Date().toISOString()} with \`npx tsx test/bench/remediation.ts\` (one run, in-process CLI, simulators in
the same process).

| Measure | Value |
|---|---|
${rows.join('\n')}
`;
process.stdout.write(section);
if (stderr.includes('error')) process.stdout.write(`\nstderr had errors:\n${stderr.slice(0, 2000)}\n`);

writeResultsSection('remediation', section);

await Promise.all(sims.map((s) => s.close()));
rmSync(dir, { recursive: true, force: true });
