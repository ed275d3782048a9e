/**
 * Benchmark child (run with --expose-gc): policy evaluation alone, with the shipped default policy, over the tenant
 * at Qlik's limits of test/unit/policy/scale-tenant.ts (100,000 users, 10,000 groups, 5,000 keys).
 *
 * Where the snapshot comes from (argument):
 *  - `build`: `buildTenant()` in this process. It round-trips the whole tenant through one JSON string, and the heap
 *    that took stays resident after GC, so the RSS it leaves is more than the snapshot needs.
 *  - a path: the same snapshot written by the parent as JSON lines of at most 100 items (snapshot-pages.ts), parsed
 *    line by line — the way the collector builds a snapshot from 100-item pages.
 * The snapshot is then garbage collected and the peak-RSS mark reset, so the evaluation's peak is the snapshot held
 * in memory plus what evaluating adds. The first evaluation in the process (cold, as each tenant's is in a run) is the
 * one that counts; a few warm repeats follow for reference.
 */
import { developerHolders, evaluatePolicy } from '../../lambda/policy/evaluate';
import { defaultPolicy } from '../../lambda/policy/load';
import { NOW } from '../unit/policy/builders';
import { buildTenant, GROUPS, KEYS, USERS } from '../unit/policy/scale-tenant';
import { failInChild, type MemorySample, memory, reportToParent, resetPeakRss } from './proc';
import { readSnapshotPages } from './snapshot-pages';

export interface EvaluateResult {
  readonly source: 'build' | 'pages';
  readonly users: number;
  readonly groups: number;
  readonly keys: number;
  readonly findings: number;
  readonly findingsByRule: Record<string, number>;
  readonly buildMs: number;
  readonly coldMs: number;
  readonly warmMs: readonly number[];
  readonly developerHoldersMs: number;
  readonly memoryAtStart: MemorySample;
  /** After building the snapshot and a full GC: what the evaluation starts from. */
  readonly memoryBeforeEvaluation: MemorySample;
  /** Peak between the reset and the end of the cold evaluation. */
  readonly memoryAfterEvaluation: MemorySample;
}

const WARM_REPEATS = 5;
async function main(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const source = process.argv[2];
  if (!source) throw new Error('argument: `build` or the path of a file from writeSnapshotPages');
  const policy = defaultPolicy().policy;
  const memoryAtStart = memory();

  const buildStarted = performance.now();
  const snapshot = source === 'build' ? buildTenant() : await readSnapshotPages(source);
  const buildMs = performance.now() - buildStarted;
  gc();
  const memoryBeforeEvaluation = memory();
  resetPeakRss();

  const started = performance.now();
  const findings = evaluatePolicy(snapshot, policy, NOW);
  const coldMs = performance.now() - started;
  const memoryAfterEvaluation = memory();

  const holdersStarted = performance.now();
  developerHolders(snapshot);
  const developerHoldersMs = performance.now() - holdersStarted;

  const warmMs: number[] = [];
  for (let i = 0; i < WARM_REPEATS; i++) {
    const t = performance.now();
    evaluatePolicy(snapshot, policy, NOW);
    warmMs.push(performance.now() - t);
  }

  if (snapshot.users.length !== USERS || snapshot.groups.length !== GROUPS || snapshot.apiKeys.length !== KEYS) {
    throw new Error('scale tenant is not the documented size');
  }
  const findingsByRule: Record<string, number> = {};
  for (const f of findings) findingsByRule[f.ruleId] = (findingsByRule[f.ruleId] ?? 0) + 1;
  reportToParent({
    source: source === 'build' ? 'build' : 'pages',
    users: snapshot.users.length,
    groups: snapshot.groups.length,
    keys: snapshot.apiKeys.length,
    findings: findings.length,
    findingsByRule,
    buildMs,
    coldMs,
    warmMs,
    developerHoldersMs,
    memoryAtStart,
    memoryBeforeEvaluation,
    memoryAfterEvaluation,
  } satisfies EvaluateResult);
}

main().catch(failInChild);
