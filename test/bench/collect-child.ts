/**
 * Benchmark child: one default check of the simulated tenant (`BENCH_TENANT_URL`, `BENCH_API_KEY`) in the given mode —
 * collectTenant (targeted or full) then evaluatePolicy with the shipped default policy — timed from the first request
 * to the last finding.
 */
import { type CollectMode, collectTenant } from '../../lambda/collect/collect';
import { evaluatePolicy, policyNeeds } from '../../lambda/policy/evaluate';
import { defaultPolicy } from '../../lambda/policy/load';
import { findingId } from '../../lambda/report/model';
import { failInChild, type MemorySample, memory, reportToParent } from './proc';

export interface FindingKey {
  readonly id: string;
  readonly ruleId: string;
  readonly severity: string;
  readonly subjectType: string;
  readonly subjectId: string;
}

export interface CheckResult {
  readonly mode: CollectMode;
  readonly wallMs: number;
  readonly collectMs: number;
  readonly evaluateMs: number;
  /** As counted by the client: every attempt, redirect hop and token request. */
  readonly requests: number;
  readonly retries: number;
  readonly rateLimited: number;
  readonly collected: { users: number; groups: number; roles: number; apiKeys: number; usersScope: string };
  readonly findings: readonly FindingKey[];
  readonly memoryAtStart: MemorySample;
  readonly memoryAtEnd: MemorySample;
}

async function main(): Promise<void> {
  const mode = process.argv[2] as CollectMode;
  if (mode !== 'targeted' && mode !== 'full') throw new Error(`mode: expected targeted or full, got ${String(mode)}`);
  const tenantUrl = required('BENCH_TENANT_URL');
  const apiKey = required('BENCH_API_KEY');
  const policy = defaultPolicy().policy;
  const memoryAtStart = memory();

  const now = new Date();
  const started = performance.now();
  const { snapshot, stats } = await collectTenant({
    tenantUrl,
    credentials: { kind: 'api-key', apiKey },
    needs: policyNeeds(policy),
    now,
    allowHttpLoopback: true,
    mode,
  });
  const collected = performance.now();
  const drafts = evaluatePolicy(snapshot, policy, now);
  const finished = performance.now();

  const result: CheckResult = {
    mode,
    wallMs: finished - started,
    collectMs: collected - started,
    evaluateMs: finished - collected,
    requests: stats.requests,
    retries: stats.retries,
    rateLimited: stats.rateLimited,
    collected: {
      users: snapshot.users.length,
      groups: snapshot.groups.length,
      roles: snapshot.roles.length,
      apiKeys: snapshot.apiKeys.length,
      usersScope: snapshot.usersScope,
    },
    findings: drafts.map((draft) => ({
      id: findingId(snapshot.tenantId, draft.ruleId, draft.subject),
      ruleId: draft.ruleId,
      severity: draft.severity,
      subjectType: draft.subject.type,
      subjectId: draft.subject.id,
    })),
    memoryAtStart,
    memoryAtEnd: memory(),
  };
  reportToParent(result);
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

main().catch(failInChild);
