/**
 * One tenant's check as a pipeline of named stages, each a method that owns its failures:
 *
 *   identify:  loadState → collect → claimTenantId
 *   complete:  refuseSharedTenantId → confirmStateOwner → verifyState → alreadyArchived → evaluate → drift
 *              → remediation (./remediation-stage.ts) → planNotifications → archive → saveState → publish
 *
 * The run calls `identify` for every tenant before it calls `complete` for any (./run.ts): every tenant id of the run
 * is claimed before anything is archived, so two configured tenants answering with one tenant id both end as errors
 * with nothing of that run stored under the id, even on their very first run. `check` is both halves for one tenant.
 *
 * The outcome is `checked`, `duplicate` (this tenant's run was archived by an earlier invocation: nothing is written
 * or sent again) or `failed`. A stage that makes the check impossible throws a {@link TenantCheckFailure}; the tenant
 * then ends as `failed` with that error in its report and a health alert, and when its tenant id is known from its
 * drift state (an earlier run), an `error` entry in that tenant's chain says the run could not check it
 * (`archiveFailure`). A report that could not be stored
 * ({@link ArchiveError}) or alerts that could not be delivered ({@link AlertDeliveryError}) do not undo the check:
 * they travel in the `checked` outcome.
 *
 * Where new stages plug in, without touching the others:
 * - After `drift`, before `planNotifications` (see {@link TenantPipeline.check}): a stage that reads the
 *   {@link Assessment} (snapshot, findings, drift result) and adds to it, e.g. a remediation plan. `tenantReport`
 *   puts the assessment into the tenant report and `planNotifications` into the alert; add the new field in both.
 * - The trigger: {@link TenantCheckContext.trigger} says why the tenant is checked (the schedule, or an event about
 *   one tenant). It is recorded in the tenant report and named in the alert. An event-triggered check of one tenant
 *   is `run(deps, { ...input, tenants: [target], trigger: { kind: 'event', … } })`, through this same pipeline.
 * - A failure of a new stage that should end the check: a `TenantCheckFailure` subclass in ./errors.ts.
 *
 * One configured tenant never takes another's place: `claimTenantId` fails a tenant whose answered id another
 * configured tenant claims (./tenant-ids.ts), and `alreadyArchived` counts only this configured tenant's own earlier
 * invocation of the run as a duplicate.
 *
 * The state moves only with the archive: each archived run records the SHA-256 of the state it saves
 * (`archivedPart`, lambda/drift/state.ts) in its manifest, `verifyState` compares the state read with the last
 * manifest's, and a state whose run could not be archived is not saved.
 */
import type { CollectStats } from '../collect/collect';
import { collectTenant } from '../collect/collect';
import type { TenantSnapshot } from '../collect/snapshot';
import { applyDrift, type DriftResult, knownFormerDevelopers } from '../drift/apply';
import { archivedPart, emptyState, parseState, type TenantState } from '../drift/state';
import { messageOf } from '../errors';
import { type OutboundMessage, toRecord } from '../notify/message';
import { type NotificationPlan, planNotifications } from '../notify/plan';
import { withControls } from '../policy/compliance';
import { developerHolders, evaluatePolicy, policyNeeds, ruleTitle, tenantNotes } from '../policy/evaluate';
import type { LoadedPolicy } from '../policy/load';
import { renderJson } from '../report/json';
import type { CheckTrigger, Finding, FindingDraft, TenantReport } from '../report/model';
import { renderRunFiles } from '../report/run-files';
import type { TrendPoint } from '../report/trend';
import { REPORT_FILE_NAME } from '../store/layout';
import { type ArchivedRun, type RunSchedule, stateSha256 } from '../store/store';
import { withDeadline } from '../util/concurrency';
import { PROSE_MAX, tenantText } from '../util/tenant-text';
import { displayUrl, hostOf } from '../util/url';
import {
  AlertDeliveryError,
  ArchiveError,
  ArchiveSlotTakenError,
  CollectError,
  StateMismatchError,
  StateOwnerMismatchError,
  StateUnreadableError,
  TenantCheckFailure,
  TenantIdConflictError,
} from './errors';
import { type RemediationStageResult, remediationRunFiles, remediationStage } from './remediation-stage';
import { nothingFound, runReport, summarize, tenantShell } from './reports';
import type { RunDeps, RunLog, TenantTarget } from './run';
import type { TenantIdRegistry } from './tenant-ids';

/** What every tenant's check in one run shares. */
export interface TenantCheckContext {
  /** Names the run everywhere (archive folder, alerts, duplicate detection). */
  readonly runId: string;
  readonly runStartedAt: string;
  /** Why the tenant is checked; recorded in its report and named in its alerts. */
  readonly trigger: CheckTrigger;
  readonly policy: LoadedPolicy;
  readonly tenantDeadlineMs: number;
  readonly allowHttpLoopback: boolean;
  /** Turns a stored location into a link for alerts. @default the location itself */
  readonly reportLink?: (tenantId: string, location: string) => string;
  /** The schedule the run was started by, recorded in each archived entry's manifest (docs/evidence.md). */
  readonly schedule?: RunSchedule;
  /** Which configured tenant answers as which tenant id: no two may share one (and its archive slot). */
  readonly tenantIds: TenantIdRegistry;
}

interface OutcomeParts {
  readonly report: TenantReport;
  /** Every message sent or attempted. */
  readonly messages: readonly OutboundMessage[];
  /** The tenant's run history for trend charts; empty unless checked. */
  readonly trend: TrendPoint[];
}

export interface CheckedOutcome extends OutcomeParts {
  readonly kind: 'checked';
  /** The state read was not the one the last archived run saved; it was set aside. */
  readonly stateMismatch?: StateMismatchError;
  readonly archiveFailure?: ArchiveError;
  readonly deliveryFailure?: AlertDeliveryError;
}

export interface DuplicateOutcome extends OutcomeParts {
  readonly kind: 'duplicate';
}

export interface FailedOutcome extends OutcomeParts {
  readonly kind: 'failed';
  readonly failure: TenantCheckFailure;
  /** The `error` entry saying the run could not check the tenant could not be stored. */
  readonly archiveFailure?: ArchiveError;
  readonly deliveryFailure?: AlertDeliveryError;
}

export type TenantOutcome = CheckedOutcome | DuplicateOutcome | FailedOutcome;

interface Collected {
  readonly snapshot: TenantSnapshot;
  readonly stats: Pick<CollectStats, 'requests' | 'retries' | 'rateLimited'>;
}

/** What evaluate and drift made of the snapshot: the findings as this run reports them, and the next state. */
export interface Assessment {
  readonly snapshot: TenantSnapshot;
  readonly stats: Collected['stats'];
  /** The time evaluation, drift and alert planning count from. */
  readonly now: Date;
  readonly findings: Finding[];
  readonly resolved: Finding[];
  readonly drift: DriftResult;
  /** Set when the state read was set aside because it is not the one the last archived run saved. */
  readonly stateMismatch?: StateMismatchError;
  /** The remediation plan and apply of this check (./remediation-stage.ts), when the tenant's mode is not off. */
  readonly remediation?: RemediationStageResult;
}

export class TenantPipeline {
  readonly #deps: RunDeps;
  readonly #context: TenantCheckContext;
  readonly #target: TenantTarget;
  readonly #log: RunLog;
  readonly #started = Date.now();
  get #deadlineAt(): number {
    return this.#started + this.#context.tenantDeadlineMs;
  }
  /**
   * State is keyed by the tenant's configured name, known before collection: the policy's needs depend on it
   * (principals that earlier runs saw holding Developer must be collected even when they own no key). The tenant id
   * recorded in the state guards against a name reused for another tenant.
   */
  readonly #stateKey: string;
  /** The drift state as loaded, while it is known to be this tenant's: a failed check records its health alert there. */
  #ownState: TenantState | undefined;
  /** Set once collected: a later failure still names the tenant by its id. */
  #snapshot: TenantSnapshot | undefined;
  /**
   * The tenant id this configured tenant's drift state records (its earlier runs), whatever it answers now: the only
   * chain a failed check may write its `error` entry into, so a tenant answering with another's id never writes there.
   */
  #recordedTenantId: string | undefined;
  /** What `identify` found, for `complete`. */
  #identified: { readonly previous: TenantState | undefined; readonly collected: Collected } | undefined;

  constructor(deps: RunDeps, context: TenantCheckContext, target: TenantTarget) {
    this.#deps = deps;
    this.#context = context;
    this.#target = target;
    this.#log = childLog(deps.log, { tenant: target.name });
    this.#stateKey = target.name;
  }

  /** Runs every stage; resolves to the tenant's outcome, rejecting only on a defect. */
  async check(): Promise<TenantOutcome> {
    return (await this.identify()) ?? (await this.complete());
  }

  /**
   * The first half: the state, the snapshot and the tenant id claimed. Writes nothing. Resolves to the outcome when
   * the check already failed, else undefined: call {@link complete} once every tenant of the run is identified.
   */
  async identify(): Promise<FailedOutcome | undefined> {
    try {
      const previous = await this.loadState();
      const collected = await this.collect(previous);
      this.claimTenantId(collected.snapshot.tenantId);
      this.#identified = { previous, collected };
      return undefined;
    } catch (error) {
      if (error instanceof TenantCheckFailure) return this.failed(error);
      throw error;
    }
  }

  /** The second half, after {@link identify} succeeded: every stage that may archive, save or send. */
  async complete(): Promise<TenantOutcome> {
    const identified = this.#identified;
    if (!identified) throw new Error(`complete() before a successful identify() for ${this.#target.name}`);
    this.#identified = undefined;
    const { previous, collected } = identified;
    try {
      this.refuseSharedTenantId(collected.snapshot.tenantId);
      this.confirmStateOwner(previous, collected.snapshot);
      const verified = await this.verifyState(collected.snapshot.tenantId, previous);
      const trusted = verified instanceof StateMismatchError ? undefined : verified;
      if (await this.alreadyArchived(collected.snapshot.tenantId, trusted)) return this.duplicate(collected.snapshot);
      const now = this.#deps.now();
      const drafts = this.evaluate(collected.snapshot, trusted, now);
      const assessment = await remediationStage(
        {
          deps: this.#deps,
          context: this.#context,
          target: this.#target,
          log: this.#log,
          deadlineAt: this.#deadlineAt,
        },
        {
          ...this.drift(collected, trusted, drafts, now),
          ...(verified instanceof StateMismatchError ? { stateMismatch: verified } : {}),
        },
      );
      // Plug-in point: stages that add to the assessment (e.g. a remediation plan) run here.
      this.#deps.onAssessed?.(this.#target, assessment, this.#context.policy);
      return await this.deliver(assessment, trusted);
    } catch (error) {
      if (error instanceof TenantCheckFailure) return this.failed(error);
      throw error;
    }
  }

  /** The drift state of earlier runs; undefined on the first run. */
  private async loadState(): Promise<TenantState | undefined> {
    try {
      const raw = await this.#deps.state.loadState(this.#stateKey);
      this.#ownState = parseState(raw, this.#deps.state.locate(this.#stateKey));
      this.#recordedTenantId = this.#ownState?.tenantId;
      return this.#ownState;
    } catch (error) {
      // Without the previous state every finding would read as new; a clear error beats a flood of false alerts.
      this.#log.error('drift state unreadable', { error: messageOf(error) });
      throw new StateUnreadableError(error);
    }
  }

  /** The tenant's snapshot: what the policy needs, within the tenant's deadline. */
  private async collect(previous: TenantState | undefined): Promise<Collected> {
    const { policy, tenantDeadlineMs, allowHttpLoopback } = this.#context;
    const target = this.#target;
    try {
      const collected = await withDeadline(tenantDeadlineMs, async (signal) => {
        const credentials = await target.credentials();
        const dispatcher = this.#deps.dispatcher?.(target.url);
        return collectTenant({
          tenantUrl: target.url,
          credentials,
          needs: policyNeeds(policy.policy, { knownFormerDevelopers: knownFormerDevelopers(previous) }),
          now: this.#deps.now(),
          allowedHosts: target.allowedHosts,
          allowHttpLoopback,
          signal,
          deadlineMs: tenantDeadlineMs,
          ...(dispatcher ? { dispatcher } : {}),
          onProgress: (p) => this.#deps.onProgress?.(target.name, p.phase, p.done),
        });
      });
      this.#snapshot = collected.snapshot;
      return collected;
    } catch (error) {
      const failure = new CollectError(error);
      this.#log.error('tenant could not be checked', { code: failure.code, error: failure.message });
      throw failure;
    }
  }

  /** The configured name, which keys the tenant's drift state, metrics and alerts. */
  get name(): string {
    return this.#target.name;
  }

  /** Refuses a tenant id that another configured tenant claims: it would take that tenant's archive slot. */
  private claimTenantId(tenantId: string): void {
    const others = this.#context.tenantIds.claim(tenantId, this.#target.name);
    if (others.length === 0) return;
    this.#log.error('tenant id claimed by another configured tenant', { tenantId, others });
    throw new TenantIdConflictError(tenantId, others, displayUrl(this.#target.url));
  }

  /**
   * Refuses a tenant id that a configured tenant identified after this one claimed it: every tenant of the run has
   * claimed its id by now, so nothing was archived under a shared id.
   */
  private refuseSharedTenantId(tenantId: string): void {
    const conflict = this.#context.tenantIds.conflicts().get(this.#target.name);
    if (!conflict) return;
    this.#log.error('tenant id also claimed by another configured tenant', { tenantId, others: conflict.others });
    throw new TenantIdConflictError(tenantId, conflict.others, displayUrl(this.#target.url));
  }

  /** Refuses a state recorded for another tenant instead of mixing their findings. */
  private confirmStateOwner(previous: TenantState | undefined, snapshot: TenantSnapshot): void {
    if (!previous || previous.tenantId === snapshot.tenantId) return;
    this.#ownState = undefined;
    this.#log.error('drift state belongs to another tenant', { stateTenant: previous.tenantId });
    throw new StateOwnerMismatchError(
      this.#stateKey,
      previous.tenantId,
      snapshot.tenantId,
      displayUrl(this.#target.url),
    );
  }

  /**
   * The state if it is the one the last archived run saved (or nothing records which one that was: the first run, or
   * an archive from before states were recorded); a {@link StateMismatchError} otherwise, and the state is set aside.
   */
  private async verifyState(
    tenantId: string,
    previous: TenantState | undefined,
  ): Promise<TenantState | StateMismatchError | undefined> {
    if (!previous) return undefined;
    let last: Awaited<ReturnType<RunDeps['archive']['lastManifest']>>;
    try {
      last = await this.#deps.archive.lastManifest(tenantId, 'check');
    } catch (error) {
      // verify reports a broken chain; the check itself goes on with the state as read.
      this.#log.warn('could not read the last manifest to verify the drift state', { error: messageOf(error) });
      return previous;
    }
    const recorded = last?.manifest.stateSha256;
    const found = stateSha256(archivedPart(previous));
    if (!last || recorded === undefined || recorded === found) return previous;
    const mismatch = new StateMismatchError(this.#deps.state.locate(this.#stateKey), last.key, recorded, found);
    this.#log.error('drift state is not the one the last archived run saved', { manifest: last.key });
    return mismatch;
  }

  /**
   * True when an earlier invocation of this run archived the tenant already (a retried scheduled run). Only this
   * configured tenant's own earlier invocation counts: its state names the run it finished.
   */
  private async alreadyArchived(tenantId: string, previous: TenantState | undefined): Promise<boolean> {
    const { runId } = this.#context;
    let archived: boolean;
    try {
      archived = await this.#deps.archive.hasRun(tenantId, runId);
    } catch (error) {
      // Checking anyway: at worst the archive refuses the second copy.
      this.#log.warn('could not tell whether this run was already archived', { error: messageOf(error) });
      return false;
    }
    if (!archived) return false;
    if (previous?.lastRunId !== runId) {
      this.#log.error('run archived for this tenant id, but not by this configured tenant', { runId });
      throw new ArchiveSlotTakenError(tenantId, runId);
    }
    this.#log.warn('run already archived for tenant; nothing written or sent', { runId });
    return true;
  }

  /** The policy's rules over the snapshot. */
  private evaluate(snapshot: TenantSnapshot, previous: TenantState | undefined, now: Date): FindingDraft[] {
    return evaluatePolicy(snapshot, this.#context.policy.policy, now, {
      knownFormerDevelopers: knownFormerDevelopers(previous),
    });
  }

  /** What changed since the previous run, with exceptions applied and compliance controls attached. */
  private drift(
    collected: Collected,
    previous: TenantState | undefined,
    drafts: FindingDraft[],
    now: Date,
  ): Assessment {
    const policy = this.#context.policy.policy;
    const drift = applyDrift({
      tenantId: collected.snapshot.tenantId,
      runId: this.#context.runId,
      now,
      previous,
      drafts,
      exceptions: policy.exceptions ?? [],
      titleOf: (ruleId) => ruleTitle(policy, ruleId),
      developerHolders: developerHolders(collected.snapshot),
    });
    return {
      ...collected,
      now,
      findings: drift.findings.map((f) => withControls(policy, f)),
      resolved: drift.resolved.map((f) => withControls(policy, f)),
      drift,
    };
  }

  /** Plans the alerts, archives the report, saves the state and sends the alerts, in that order. */
  private async deliver(
    assessment: Assessment,
    previous: TenantState | undefined,
  ): Promise<CheckedOutcome | DuplicateOutcome> {
    const { runId, runStartedAt, reportLink } = this.#context;
    const tenantId = assessment.snapshot.tenantId;
    const unsent = this.tenantReport(assessment);
    const location = this.#deps.archive.locate(tenantId, runId, runStartedAt);
    const link = reportLink ? reportLink(tenantId, location) : location;
    let planned = this.planNotifications(unsent, assessment, previous, { reportLink: link });
    let report: TenantReport = { ...unsent, notifications: planned.messages.map(toRecord), reportLocation: location };

    // Planning only marks what was alerted; the run history (the trend) is the drift result's.
    const trend = assessment.drift.next.history;
    const archived = await this.archive(report, trend, planned.next);
    if (archived === 'duplicate') return this.duplicate(assessment.snapshot, unsent.summary.durationMs);
    if (archived instanceof ArchiveError) {
      planned = this.planNotifications(unsent, assessment, previous, { archiveFailed: archived.message });
      report = { ...unsent, notifications: planned.messages.map(toRecord) };
    } else {
      // Only with its run archived: the manifest records this state, and the next run checks the state against it.
      await this.saveState(planned.next);
    }
    const deliveryFailure = await this.publish(planned.messages);
    this.#log.info('tenant checked', {
      failing: report.summary.failing,
      new: report.summary.new,
      resolved: report.summary.resolved,
      notifications: planned.messages.length,
    });
    return {
      kind: 'checked',
      report,
      messages: planned.messages,
      trend,
      ...(assessment.stateMismatch ? { stateMismatch: assessment.stateMismatch } : {}),
      ...(archived instanceof ArchiveError ? { archiveFailure: archived } : {}),
      ...(deliveryFailure ? { deliveryFailure } : {}),
    };
  }

  /** The tenant report of a checked tenant, before its notifications are planned. */
  private tenantReport(assessment: Assessment): TenantReport {
    const { snapshot, stats, findings, resolved, drift } = assessment;
    return {
      ...tenantShell(this.#target, snapshot.tenantId, snapshot, this.#context.trigger),
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
        durationMs: Date.now() - this.#started,
        usersScope: snapshot.usersScope,
      }),
      notes: [
        ...tenantNotes(snapshot),
        ...(assessment.stateMismatch ? [`drift state set aside: ${assessment.stateMismatch.message}`] : []),
      ],
      ...(assessment.remediation ? { remediation: assessment.remediation.report } : {}),
    };
  }

  /** Which alerts this run sends (pure: planned again when the archive fails). */
  private planNotifications(
    tenant: TenantReport,
    assessment: Assessment,
    previous: TenantState | undefined,
    delivery: { readonly reportLink: string } | { readonly archiveFailed: string },
  ): NotificationPlan {
    const credentialExpiresAt = assessment.snapshot.caller?.credentialExpiresAt;
    return planNotifications({
      tenant,
      tenantName: this.#target.name,
      runId: this.#context.runId,
      trigger: this.#context.trigger,
      now: assessment.now,
      previous,
      next: assessment.drift.next,
      settings: this.#context.policy.policy.notifications,
      ...delivery,
      ...(assessment.stateMismatch ? { stateMismatch: assessment.stateMismatch.message } : {}),
      ...(credentialExpiresAt ? { credentialExpiresAt } : {}),
      ...(assessment.remediation ? { remediation: assessment.remediation.alert } : {}),
    });
  }

  /** Stores the report files; `duplicate` when another invocation archived this run first. */
  private async archive(
    report: TenantReport,
    trend: TrendPoint[],
    nextState: TenantState,
  ): Promise<'stored' | 'duplicate' | ArchiveError> {
    const { runId, runStartedAt } = this.#context;
    try {
      const archived = await this.#deps.archive.archiveRun({
        tenantId: report.tenantId,
        runId,
        startedAt: runStartedAt,
        files: [
          ...renderRunFiles(runReport(this.#context, runStartedAt, this.#deps.now(), [report]), {
            [report.tenantId]: trend,
          }),
          ...remediationRunFiles(report),
        ],
        stateSha256: stateSha256(archivedPart(nextState)),
        ...(this.#context.schedule ? { schedule: this.#context.schedule } : {}),
      });
      this.anchor(report.tenantId, archived);
      if (archived.written) return 'stored';
      this.#log.warn('another invocation archived this run first; nothing sent', { runId });
      return 'duplicate';
    } catch (error) {
      this.#log.error('report could not be stored', { error: messageOf(error) });
      return new ArchiveError(report.tenantId, error);
    }
  }

  /** Hands an entry this call wrote to whoever anchors chain heads outside the archive (the handler's log). */
  private anchor(tenantId: string, archived: ArchivedRun): void {
    if (!archived.written || archived.sequence === undefined || archived.manifestKey === undefined) return;
    this.#deps.onArchived?.({
      tenantId,
      sequence: archived.sequence,
      manifestKey: archived.manifestKey,
      manifestSha256: archived.manifestSha256,
    });
  }

  /** Saves the state for the next run; a failure only costs repeated alerts next time. */
  private async saveState(next: TenantState): Promise<void> {
    try {
      await this.#deps.state.saveState(this.#stateKey, next);
    } catch (error) {
      this.#log.error('drift state could not be saved; the next run will repeat this run’s alerts', {
        error: messageOf(error),
      });
    }
  }

  /** Sends the messages; returns why they could not all be sent, or undefined. */
  private async publish(messages: readonly OutboundMessage[]): Promise<AlertDeliveryError | undefined> {
    try {
      await this.#deps.publisher.publish(messages);
      return undefined;
    } catch (error) {
      this.#log.error('alerts could not be published', { error: messageOf(error) });
      return new AlertDeliveryError(this.#target.name, error);
    }
  }

  /** This tenant's run was archived by an earlier invocation: nothing is written or sent again. */
  private duplicate(snapshot: TenantSnapshot, durationMs = Date.now() - this.#started): DuplicateOutcome {
    return {
      kind: 'duplicate',
      report: {
        ...tenantShell(this.#target, snapshot.tenantId, snapshot, this.#context.trigger),
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

  /** The tenant could not be checked: an error report and, once per run, a health alert. */
  private async failed(failure: TenantCheckFailure): Promise<FailedOutcome> {
    const { runId, trigger, policy } = this.#context;
    const snapshot = this.#snapshot;
    const tenantId = snapshot?.tenantId ?? hostOf(this.#target.url);
    const report: TenantReport = {
      ...tenantShell(this.#target, tenantId, snapshot, trigger),
      ...nothingFound(),
      status: 'error',
      errors: [{ code: failure.code, message: failure.message }],
      summary: summarize([], [], 1, { durationMs: Date.now() - this.#started }),
    };
    const archiveFailure = await this.archiveFailure(report, failure);
    const previous = this.#ownState;
    if (previous?.lastHealthAlert?.runId === runId) {
      // A retried invocation of the same scheduled run: its health alert went out already.
      this.#log.warn('health alert for this run already sent', { runId });
      return {
        kind: 'failed',
        failure,
        report,
        messages: [],
        trend: [],
        ...(archiveFailure ? { archiveFailure } : {}),
      };
    }
    const now = this.#deps.now();
    const planned = planNotifications({
      tenant: report,
      tenantName: this.#target.name,
      runId,
      trigger,
      now,
      previous,
      next: previous ?? emptyState(tenantId),
      settings: policy.policy.notifications,
    });
    const deliveryFailure = await this.publish(planned.messages);
    // Only an existing state is updated: a first-ever run that fails has no tenant id to record yet.
    if (previous && !deliveryFailure) await this.recordHealthAlert(previous, now, failure);
    return {
      kind: 'failed',
      failure,
      report: { ...report, notifications: planned.messages.map(toRecord) },
      messages: planned.messages,
      trend: [],
      ...(archiveFailure ? { archiveFailure } : {}),
      ...(deliveryFailure ? { deliveryFailure } : {}),
    };
  }

  /**
   * Stores that this run could not check the tenant, as an `error` entry in the chain of the tenant id its drift state
   * records, so the archive shows "could not check" instead of a gap. Without a recorded id (a first run, or a state
   * that cannot be read) there is no chain this configured tenant provably owns, and nothing is stored.
   */
  private async archiveFailure(report: TenantReport, failure: TenantCheckFailure): Promise<ArchiveError | undefined> {
    const tenantId = this.#recordedTenantId;
    if (tenantId === undefined) return undefined;
    const { runId, runStartedAt, schedule } = this.#context;
    const stored: TenantReport = { ...report, tenantId };
    try {
      const archived = await this.#deps.archive.archiveRun({
        kind: 'error',
        tenantId,
        runId: failedEntryId(runId),
        startedAt: runStartedAt,
        files: [
          {
            name: REPORT_FILE_NAME,
            body: renderJson(runReport(this.#context, runStartedAt, this.#deps.now(), [stored])),
            contentType: 'application/json',
          },
        ],
        failure: { runId, code: failure.code, message: tenantText(failure.message, PROSE_MAX) },
        ...(schedule ? { schedule } : {}),
      });
      this.anchor(tenantId, archived);
      return undefined;
    } catch (error) {
      this.#log.error('the failed check could not be stored', { error: messageOf(error) });
      return new ArchiveError(tenantId, error);
    }
  }

  /** Remembers that this run's health alert went out, so a retried invocation does not send it again. */
  private async recordHealthAlert(previous: TenantState, now: Date, failure: TenantCheckFailure): Promise<void> {
    const lastHealthAlert = { runId: this.#context.runId, at: now.toISOString(), code: failure.code };
    try {
      await this.#deps.state.saveState(this.#stateKey, { ...previous, lastHealthAlert });
    } catch (error) {
      this.#log.warn('could not record the health alert in the drift state', { error: messageOf(error) });
    }
  }
}

/**
 * The archive entry id of a run that could not check its tenant: its own folder, so a retried invocation of the run
 * that does check the tenant still stores its report under the run id.
 */
export function failedEntryId(runId: string): string {
  return `failed-${runId}`;
}

function childLog(log: RunLog, fields: Record<string, unknown>): RunLog {
  return {
    info: (m, f) => log.info(m, { ...fields, ...f }),
    warn: (m, f) => log.warn(m, { ...fields, ...f }),
    error: (m, f) => log.error(m, { ...fields, ...f }),
  };
}
