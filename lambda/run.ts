/**
 * One run over many tenants: the single piece of orchestration behind both doors (Lambda handler and CLI).
 *
 * Per tenant: credentials → collect → evaluate → drift → notifications → archive → state → publish. Tenants are
 * checked concurrently (bounded) and isolated: one tenant's failure becomes that tenant's `error` with a health
 * alert, never the run's crash and never a pass.
 */
import type { Dispatcher } from 'undici';
import { collectTenant } from './collect/collect';
import type { TenantSnapshot } from './collect/snapshot';
import { applyDrift, knownFormerDevelopers } from './drift/apply';
import { emptyState, parseState, type TenantState } from './drift/state';
import { CheckError, type CheckErrorCode, messageOf } from './errors';
import { type OutboundMessage, type Publisher, toRecord } from './notify/message';
import { planNotifications } from './notify/plan';
import { developerHolders, evaluatePolicy, policyNeeds, ruleMetadata, ruleTitle, tenantNotes } from './policy/evaluate';
import type { LoadedPolicy } from './policy/load';
import type { QlikCredentials } from './qlik/credentials';
import { renderCsv } from './report/csv';
import { renderHtml } from './report/html';
import { renderJson } from './report/json';
import {
  type Finding,
  REPORT_SCHEMA_VERSION,
  type RunReport,
  SEVERITIES,
  SEVERITY_RANK,
  type Severity,
  type TenantReport,
  type TenantSummary,
} from './report/model';
import { renderOcsf } from './report/ocsf';
import type { TrendPoint } from './report/trend';
import type { ReportArchive, StateStore } from './store/store';
import { DeadlineExceededError, mapWithConcurrency, withDeadline } from './util/concurrency';
import { TOOL_VERSION } from './version';

export interface TenantTarget {
  /** A short name for people (email subjects, metrics). */
  readonly name: string;
  readonly url: string;
  /** Custom domains, besides *.qlikcloud.com, the credential may be sent to. */
  readonly allowedHosts: readonly string[];
  /** Resolved lazily per tenant, so a missing secret is that tenant's error, not the run's. */
  readonly credentials: () => Promise<QlikCredentials>;
}

export interface RunInput {
  /** The scheduled time (Lambda) or the start time (CLI); names the run everywhere. */
  readonly runId: string;
  readonly tenants: readonly TenantTarget[];
  readonly policy: LoadedPolicy;
  readonly tenantConcurrency: number;
  readonly tenantDeadlineMs: number;
  readonly allowHttpLoopback?: boolean;
  /** Severity at or above which a failing finding makes exit code 1. @default 'high' */
  readonly failOn?: Severity;
  /** Turns a stored location into a link for alerts. @default the location itself */
  readonly reportLink?: (tenantId: string, location: string) => string;
}

export interface RunLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface RunDeps {
  readonly now: () => Date;
  readonly archive: ReportArchive;
  readonly state: StateStore;
  readonly publisher: Publisher;
  readonly log: RunLog;
  /** Tests inject a dispatcher; by default the client keeps one keep-alive pool per tenant. */
  readonly dispatcher?: (tenantUrl: string) => Dispatcher | undefined;
  /** Progress of long crawls, for the CLI's stderr. */
  readonly onProgress?: (tenant: string, phase: string, done: number) => void;
}

export interface RunOutcome {
  readonly report: RunReport;
  /** Every message sent (or attempted), in tenant order. */
  readonly messages: readonly OutboundMessage[];
  readonly exitCode: 0 | 1 | 2;
  readonly archiveFailures: readonly { readonly tenantId: string; readonly message: string }[];
  readonly publishFailure?: string;
  /** Trend points per tenant id (from drift history), for renderers outside the run (the CLI's run folder). */
  readonly trends: Record<string, TrendPoint[]>;
}

interface TenantOutcome {
  readonly report: TenantReport;
  readonly messages: OutboundMessage[];
  readonly archiveFailure?: string;
  readonly publishFailure?: string;
  readonly trend: TrendPoint[];
}

export async function run(deps: RunDeps, input: RunInput): Promise<RunOutcome> {
  const startedAt = deps.now().toISOString();
  deps.log.info('run started', { runId: input.runId, tenants: input.tenants.length, policy: input.policy.name });

  const outcomes = await mapWithConcurrency(input.tenants, input.tenantConcurrency, (target) =>
    checkTenant(deps, input, target, startedAt),
  );

  const report = runReport(
    input,
    startedAt,
    deps.now(),
    outcomes.map((o) => o.report),
  );
  const publishFailures = outcomes.flatMap((o) => (o.publishFailure ? [o.publishFailure] : []));
  const trends: Record<string, TrendPoint[]> = {};
  for (const o of outcomes) trends[o.report.tenantId] = o.trend;

  const exitCode = exitCodeOf(report, input.failOn ?? 'high');
  deps.log.info('run finished', { runId: input.runId, exitCode });
  return {
    report,
    messages: outcomes.flatMap((o) => o.messages),
    exitCode,
    archiveFailures: outcomes.flatMap((o) =>
      o.archiveFailure ? [{ tenantId: o.report.tenantId, message: o.archiveFailure }] : [],
    ),
    ...(publishFailures.length > 0 ? { publishFailure: publishFailures.join('; ') } : {}),
    trends,
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

async function checkTenant(
  deps: RunDeps,
  input: RunInput,
  target: TenantTarget,
  runStartedAt: string,
): Promise<TenantOutcome> {
  const started = Date.now();
  const log = childLog(deps.log, { tenant: target.name });
  // State is keyed by the tenant's configured name, known before collection: the policy's needs depend on it
  // (principals that earlier runs saw holding Developer must be collected even when they own no key). The tenant id
  // recorded in the state guards against a name reused for another tenant.
  const stateKey = target.name;

  let previous: TenantState | undefined;
  try {
    const raw = await deps.state.loadState(stateKey);
    previous = parseState(raw, deps.state.locate(stateKey));
  } catch (error) {
    // Without the previous state every finding would read as new; a clear error beats a flood of false alerts.
    const message = `its drift state could not be read, so what changed cannot be told: ${messageOf(error)}`;
    log.error('drift state unreadable', { error: messageOf(error) });
    const code = error instanceof CheckError && error.code === 'bad-input' ? 'bad-input' : 'unreachable';
    return errorOutcome(deps, input, target, { code, message }, Date.now() - started);
  }
  const formerDevelopers = knownFormerDevelopers(previous);

  let snapshot: TenantSnapshot;
  let stats = { requests: 0, retries: 0, rateLimited: 0 };
  try {
    const collected = await withDeadline(input.tenantDeadlineMs, async (signal) => {
      const credentials = await target.credentials();
      const dispatcher = deps.dispatcher?.(target.url);
      return collectTenant({
        tenantUrl: target.url,
        credentials,
        needs: policyNeeds(input.policy.policy, { knownFormerDevelopers: formerDevelopers }),
        now: deps.now(),
        allowedHosts: target.allowedHosts,
        allowHttpLoopback: input.allowHttpLoopback ?? false,
        signal,
        deadlineMs: input.tenantDeadlineMs,
        ...(dispatcher ? { dispatcher } : {}),
        onProgress: (p) => deps.onProgress?.(target.name, p.phase, p.done),
      });
    });
    snapshot = collected.snapshot;
    stats = collected.stats;
  } catch (error) {
    const reportError = toReportError(error);
    log.error('tenant could not be checked', { code: reportError.code, error: reportError.message });
    return errorOutcome(deps, input, target, reportError, Date.now() - started, undefined, { previous, stateKey });
  }

  const tenantId = snapshot.tenantId;
  if (previous && previous.tenantId !== tenantId) {
    const message = `the drift state of ${stateKey} belongs to tenant ${previous.tenantId}, but ${displayUrl(target.url)} answers as tenant ${tenantId}; give this tenant its own name, or delete the old state to start afresh`;
    log.error('drift state belongs to another tenant', { stateTenant: previous.tenantId });
    return errorOutcome(deps, input, target, { code: 'bad-input', message }, Date.now() - started, snapshot);
  }
  try {
    if (await deps.archive.hasRun(tenantId, input.runId)) {
      // A retried invocation of the same scheduled run: the first one archived and alerted already.
      log.warn('run already archived for tenant; nothing written or sent', { runId: input.runId });
      return duplicateOutcome(target, snapshot, Date.now() - started);
    }
  } catch (error) {
    log.warn('could not tell whether this run was already archived', { error: messageOf(error) });
  }

  const now = deps.now();
  const policy = input.policy.policy;
  const holders = developerHolders(snapshot);
  const drafts = evaluatePolicy(snapshot, policy, now, { knownFormerDevelopers: formerDevelopers });
  const drift = applyDrift({
    tenantId,
    runId: input.runId,
    now,
    previous,
    drafts,
    exceptions: policy.exceptions ?? [],
    titleOf: (ruleId) => ruleTitle(policy, ruleId),
    developerHolders: holders,
  });

  // Auditors and SIEMs read the controls a finding maps to from the finding itself (OCSF `compliance`, HTML).
  const withControls = (f: Finding): Finding => {
    const compliance = ruleMetadata(policy, f.ruleId)?.compliance;
    return compliance && Object.keys(compliance).length > 0 ? { ...f, compliance } : f;
  };
  const findings = drift.findings.map(withControls);
  const resolved = drift.resolved.map(withControls);

  const durationMs = Date.now() - started;
  const baseReport: TenantReport = {
    ...tenantShell(target, tenantId, snapshot),
    status: 'ok',
    errors: [],
    findings,
    resolved,
    notifications: [],
    exceptions: drift.exceptionsInForce,
    summary: summarize(findings, resolved, 0, {
      users: snapshot.users.length,
      groups: snapshot.groups.length,
      roles: snapshot.roles.length,
      apiKeys: snapshot.apiKeys.length,
      requests: stats.requests,
      retries: stats.retries,
      rateLimited: stats.rateLimited,
      durationMs,
      usersScope: snapshot.usersScope,
    }),
    notes: tenantNotes(snapshot),
  };

  const location = deps.archive.locate(tenantId, input.runId, runStartedAt);
  const link = input.reportLink ? input.reportLink(tenantId, location) : location;
  const plan = (archiveFailed?: string) =>
    planNotifications({
      tenant: baseReport,
      tenantName: target.name,
      runId: input.runId,
      now,
      previous,
      next: drift.next,
      settings: policy.notifications,
      reportLink: link,
      ...(snapshot.caller?.credentialExpiresAt ? { credentialExpiresAt: snapshot.caller.credentialExpiresAt } : {}),
      ...(archiveFailed ? { archiveFailed } : {}),
    });

  let planned = plan();
  let report: TenantReport = {
    ...baseReport,
    notifications: planned.messages.map(toRecord),
    reportLocation: location,
  };

  // Planning only marks what was alerted; the run history (the trend) is the drift result's.
  const trend: TrendPoint[] = drift.next.history;
  let archiveFailure: string | undefined;
  try {
    const archived = await deps.archive.archiveRun({
      tenantId,
      runId: input.runId,
      startedAt: runStartedAt,
      files: renderRunFiles(runReport(input, runStartedAt, deps.now(), [report]), { [tenantId]: trend }),
    });
    if (!archived.written) {
      log.warn('another invocation archived this run first; nothing sent', { runId: input.runId });
      return duplicateOutcome(target, snapshot, durationMs);
    }
  } catch (error) {
    archiveFailure = `the report could not be stored: ${messageOf(error)}`;
    log.error('report could not be stored', { error: messageOf(error) });
    planned = plan(archiveFailure);
    const { reportLocation: _unstored, ...rest } = report;
    report = { ...rest, notifications: planned.messages.map(toRecord) };
  }

  try {
    await deps.state.saveState(stateKey, planned.next);
  } catch (error) {
    log.error('drift state could not be saved; the next run will repeat this run’s alerts', {
      error: messageOf(error),
    });
  }

  const publishFailure = await publish(deps.publisher, planned.messages, target, log);
  log.info('tenant checked', {
    failing: report.summary.failing,
    new: report.summary.new,
    resolved: report.summary.resolved,
    notifications: planned.messages.length,
  });
  return {
    report,
    messages: planned.messages,
    trend,
    ...(archiveFailure ? { archiveFailure } : {}),
    ...(publishFailure ? { publishFailure } : {}),
  };
}

async function errorOutcome(
  deps: RunDeps,
  input: RunInput,
  target: TenantTarget,
  error: { code: CheckErrorCode; message: string },
  durationMs: number,
  snapshot?: TenantSnapshot,
  saved?: { readonly previous: TenantState | undefined; readonly stateKey: string },
): Promise<TenantOutcome> {
  const tenantId = snapshot?.tenantId ?? hostOf(target.url);
  const base: TenantReport = {
    ...tenantShell(target, tenantId, snapshot),
    ...nothingFound(),
    status: 'error',
    errors: [error],
    summary: summarize([], [], 1, { durationMs }),
  };
  const previous = saved?.previous;
  if (previous?.lastHealthAlert?.runId === input.runId) {
    // A retried invocation of the same scheduled run: its health alert went out already.
    deps.log.warn('health alert for this run already sent', { tenant: target.name, runId: input.runId });
    return { report: base, messages: [], trend: [] };
  }
  const now = deps.now();
  const planned = planNotifications({
    tenant: base,
    tenantName: target.name,
    runId: input.runId,
    now,
    previous,
    next: previous ?? emptyState(tenantId),
    settings: input.policy.policy.notifications,
  });
  const log = childLog(deps.log, { tenant: target.name });
  const publishFailure = await publish(deps.publisher, planned.messages, target, log);
  if (previous && saved && !publishFailure) {
    // Only an existing state is updated: a first-ever run that fails has no tenant id to record yet.
    const lastHealthAlert = { runId: input.runId, at: now.toISOString(), code: error.code };
    await deps.state.saveState(saved.stateKey, { ...previous, lastHealthAlert }).catch((saveError: unknown) => {
      deps.log.warn('could not record the health alert in the drift state', {
        tenant: target.name,
        error: messageOf(saveError),
      });
    });
  }
  return {
    report: { ...base, notifications: planned.messages.map(toRecord) },
    messages: planned.messages,
    trend: [],
    ...(publishFailure ? { publishFailure } : {}),
  };
}

function duplicateOutcome(target: TenantTarget, snapshot: TenantSnapshot, durationMs: number): TenantOutcome {
  return {
    report: {
      ...tenantShell(target, snapshot.tenantId, snapshot),
      ...nothingFound(),
      status: 'ok',
      errors: [],
      summary: summarize([], [], 0, { durationMs, duplicate: true }),
      notes: ['this scheduled run was already checked and archived by an earlier invocation; nothing was sent again'],
    },
    messages: [],
    trend: [],
  };
}

function summarize(
  findings: readonly Finding[],
  resolved: readonly Finding[],
  errors: number,
  extra: Record<string, unknown>,
): TenantSummary {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const byRule: Record<string, number> = {};
  const drifts = { new: 0, ongoing: 0, reopened: 0 };
  let failing = 0;
  let suppressed = 0;
  for (const f of findings) {
    if (f.status === 'suppressed') {
      suppressed++;
      continue;
    }
    failing++;
    bySeverity[f.severity]++;
    byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;
    if (f.drift !== 'resolved') drifts[f.drift]++;
  }
  return {
    failing,
    suppressed,
    errors,
    ...drifts,
    resolved: resolved.length,
    bySeverity,
    byRule,
    ...extra,
  };
}

/** The run report around some tenants: the whole run's, or one tenant's for its own archive folder. */
function runReport(input: RunInput, startedAt: string, finished: Date, tenants: TenantReport[]): RunReport {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    runId: input.runId,
    startedAt,
    finishedAt: finished.toISOString(),
    tool: { name: 'qlik-access-guard', version: TOOL_VERSION },
    policy: { name: input.policy.name, sha256: input.policy.sha256 },
    tenants,
  };
}

/** Who the tenant report is about; the same in every outcome. */
function tenantShell(target: TenantTarget, tenantId: string, snapshot: TenantSnapshot | undefined) {
  return {
    tenantUrl: displayUrl(target.url),
    tenantId,
    tenantName: snapshot?.tenantName ?? target.name,
    name: target.name,
  };
}

/** The lists of a tenant report that found nothing (could not check, or a duplicate run). */
function nothingFound(): Pick<TenantReport, 'findings' | 'resolved' | 'notifications' | 'exceptions'> {
  return { findings: [], resolved: [], notifications: [], exceptions: [] };
}

/** Sends the messages; returns why they could not all be sent, for the outcome, or undefined. */
async function publish(
  publisher: Publisher,
  messages: readonly OutboundMessage[],
  target: TenantTarget,
  log: RunLog,
): Promise<string | undefined> {
  try {
    await publisher.publish(messages);
    return undefined;
  } catch (error) {
    log.error('alerts could not be published', { error: messageOf(error) });
    return `${target.name}: ${messageOf(error)}`;
  }
}

/** The four report files of one run, from the same report object, so ids match across formats. */
export function renderRunFiles(report: RunReport, trends: Record<string, TrendPoint[]>) {
  return [
    { name: 'report.json', body: renderJson(report), contentType: 'application/json' },
    {
      name: 'findings.ocsf.jsonl',
      body: renderOcsf(report, { productVersion: TOOL_VERSION }),
      contentType: 'application/x-ndjson',
    },
    { name: 'findings.csv', body: renderCsv(report), contentType: 'text/csv; charset=utf-8' },
    { name: 'report.html', body: renderHtml(report, { trends }), contentType: 'text/html; charset=utf-8' },
  ];
}

function toReportError(error: unknown): { code: CheckErrorCode; message: string } {
  if (error instanceof CheckError) return { code: error.code, message: error.message };
  if (error instanceof DeadlineExceededError) {
    return { code: 'timeout', message: `the tenant check ${error.message}` };
  }
  // Anything else is a defect or an unexpected body; the message is ours or the runtime's, never a credential.
  return { code: 'bad-response', message: messageOf(error) };
}

/**
 * The tenant URL as reports, alerts and logs may show it: scheme, host, port and path only. A user name or password
 * someone put into the URL never travels further than the client that refuses it.
 */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '(an unparseable tenant URL)';
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    // Not echoed: whatever was typed may hold a credential.
    return '(an unparseable tenant URL)';
  }
}

function childLog(log: RunLog, fields: Record<string, unknown>): RunLog {
  return {
    info: (m, f) => log.info(m, { ...fields, ...f }),
    warn: (m, f) => log.warn(m, { ...fields, ...f }),
    error: (m, f) => log.error(m, { ...fields, ...f }),
  };
}
