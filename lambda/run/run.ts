/**
 * One run over many tenants: the single piece of orchestration behind both doors (Lambda handler and CLI).
 *
 * Each tenant goes through its own {@link TenantPipeline} (./tenant-pipeline.ts: the stages and where new ones plug
 * in). Tenants are checked concurrently (bounded) and isolated: one tenant's failure becomes that tenant's `error`
 * with a health alert, never the run's crash and never a pass.
 *
 * Two passes over the tenants: every tenant is identified (state, snapshot, tenant id claimed) before any tenant
 * archives, saves or sends anything, so a tenant id two configured tenants answer with is known to be shared before
 * either could store a report under it. The cost: the snapshots of all tenants are held between the passes.
 */
import type { Dispatcher } from 'undici';
import type { OutboundMessage, Publisher } from '../notify/message';
import type { LoadedPolicy } from '../policy/load';
import type { QlikCredentials } from '../qlik/credentials';
import type { TenantRemediation } from '../remediation/scheduled';
import { type CheckTrigger, type RunReport, SEVERITY_RANK, type Severity } from '../report/model';
import type { TrendPoint } from '../report/trend';
import type { ChainHeadAnchor } from '../store/anchor';
import type { RunArchive, RunSchedule, StateStore } from '../store/store';
import { mapWithConcurrency } from '../util/concurrency';
import type { AlertDeliveryError, ArchiveError } from './errors';
import { runReport } from './reports';
import { TenantIdRegistry } from './tenant-ids';
import { type Assessment, type TenantCheckContext, type TenantOutcome, TenantPipeline } from './tenant-pipeline';

export interface TenantTarget {
  /** A short name for people (email subjects, metrics). */
  readonly name: string;
  readonly url: string;
  /** Custom domains, besides *.qlikcloud.com, the credential may be sent to. */
  readonly allowedHosts: readonly string[];
  /** Resolved lazily per tenant, so a missing secret is that tenant's error, not the run's. */
  readonly credentials: () => Promise<QlikCredentials>;
  /** Plan or apply the Manage API keys migration after the check (./remediation-stage.ts). @default off */
  readonly remediation?: TenantRemediation;
}

export interface RunInput {
  /** The scheduled time (Lambda) or the start time (CLI); names the run everywhere. */
  readonly runId: string;
  readonly tenants: readonly TenantTarget[];
  readonly policy: LoadedPolicy;
  readonly tenantConcurrency: number;
  readonly tenantDeadlineMs: number;
  readonly allowHttpLoopback?: boolean;
  /** Why the tenants are checked; recorded in each tenant report and named in alerts. @default { kind: 'schedule' } */
  readonly trigger?: CheckTrigger;
  /** Severity at or above which a failing finding makes exit code 1. @default 'high' */
  readonly failOn?: Severity;
  /** Turns a stored location into a link for alerts. @default the location itself */
  readonly reportLink?: (tenantId: string, location: string) => string;
  /** The deployed schedule (or the CLI's `--schedule`), recorded in every archived entry. @default not recorded */
  readonly schedule?: RunSchedule;
}

export interface RunLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface RunDeps {
  readonly now: () => Date;
  readonly archive: RunArchive;
  readonly state: StateStore;
  readonly publisher: Publisher;
  readonly log: RunLog;
  /** Tests inject a dispatcher; by default the client keeps one keep-alive pool per tenant. */
  readonly dispatcher?: (tenantUrl: string) => Dispatcher | undefined;
  /** Progress of long crawls, for the CLI's stderr. */
  readonly onProgress?: (tenant: string, phase: string, done: number) => void;
  /**
   * Sees each entry this run wrote to the archive: its chain place and manifest digest. The Lambda handler logs it as
   * a chain-head anchor (lambda/store/anchor.ts) where the function cannot rewrite it.
   */
  readonly onArchived?: (head: ChainHeadAnchor) => void;
  /** Sees each checked tenant's snapshot and findings (`fix` builds its plan from them). */
  readonly onAssessed?: (target: TenantTarget, assessment: Assessment, policy: LoadedPolicy) => void;
}

export interface RunOutcome {
  readonly report: RunReport;
  /** Every message sent (or attempted), in tenant order. */
  readonly messages: readonly OutboundMessage[];
  readonly exitCode: 0 | 1 | 2;
  /** Tenants whose report (or the record that they could not be checked) could not be stored (each names its `tenantId`). */
  readonly archiveFailures: readonly ArchiveError[];
  /** Tenants whose alerts could not (all) be delivered (each names its `tenant`). */
  readonly deliveryFailures: readonly AlertDeliveryError[];
  /** Trend points per tenant id (from drift history), for renderers outside the run (the CLI's run folder). */
  readonly trends: Record<string, TrendPoint[]>;
}

const SCHEDULED: CheckTrigger = { kind: 'schedule' };

export async function run(deps: RunDeps, input: RunInput): Promise<RunOutcome> {
  const startedAt = deps.now().toISOString();
  deps.log.info('run started', { runId: input.runId, tenants: input.tenants.length, policy: input.policy.name });
  const names = input.tenants.map((t) => t.name);
  const tenantIds = await TenantIdRegistry.fromStates(deps.state, names, input.tenantConcurrency);
  const context: TenantCheckContext = {
    runId: input.runId,
    runStartedAt: startedAt,
    trigger: input.trigger ?? SCHEDULED,
    policy: input.policy,
    tenantDeadlineMs: input.tenantDeadlineMs,
    allowHttpLoopback: input.allowHttpLoopback ?? false,
    ...(input.reportLink ? { reportLink: input.reportLink } : {}),
    ...(input.schedule ? { schedule: input.schedule } : {}),
    tenantIds,
  };

  const pipelines = input.tenants.map((target) => new TenantPipeline(deps, context, target));
  const failedEarly = await mapWithConcurrency(pipelines, input.tenantConcurrency, (pipeline) => pipeline.identify());
  // Every tenant id of the run is claimed now: no tenant stores anything under an id another one answers with.
  const outcomes = await mapWithConcurrency(
    pipelines,
    input.tenantConcurrency,
    async (pipeline, i) => failedEarly[i] ?? (await pipeline.complete()),
  );

  const report = runReport(
    input,
    startedAt,
    deps.now(),
    outcomes.map((o) => o.report),
  );
  const exitCode = exitCodeOf(report, input.failOn ?? 'high');
  deps.log.info('run finished', { runId: input.runId, exitCode });
  return {
    report,
    messages: outcomes.flatMap((o) => o.messages),
    exitCode,
    archiveFailures: outcomes.flatMap((o) => (o.kind !== 'duplicate' && o.archiveFailure ? [o.archiveFailure] : [])),
    deliveryFailures: outcomes.flatMap((o) => (o.kind !== 'duplicate' && o.deliveryFailure ? [o.deliveryFailure] : [])),
    trends: trendsOf(outcomes),
  };
}

/** 2 when any tenant could not be checked; 1 when a failing finding is at or above `failOn`; else 0. */
export function exitCodeOf(report: RunReport, failOn: Severity): 0 | 1 | 2 {
  if (report.tenants.some((t) => t.status === 'error')) return 2;
  const threshold = SEVERITY_RANK[failOn];
  const failing = report.tenants.some((t) =>
    t.findings.some((f) => f.status === 'fail' && SEVERITY_RANK[f.severity] >= threshold),
  );
  return failing ? 1 : 0;
}

function trendsOf(outcomes: readonly TenantOutcome[]): Record<string, TrendPoint[]> {
  const trends: Record<string, TrendPoint[]> = {};
  for (const o of outcomes) trends[o.report.tenantId] = o.trend;
  return trends;
}
