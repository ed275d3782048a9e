/**
 * One tenant's evidence for a period, built from its archived runs in time order. Domain only: the runs are handed in
 * one at a time (see read.ts for the archive), and only per-finding, per-exception and per-control aggregates are
 * kept, so a year of daily runs costs no more memory than a week of them with the same findings.
 */
import { expiryInstant } from '../drift/exceptions';
import type { ExceptionRecord, TenantReport } from '../report/model';
import { compareText } from '../util/text';
import { type CoverageRun, computeCoverage, type ExpectedSchedule } from './coverage';
import type {
  ChainProblemEvidence,
  ControlEvidence,
  ExceptionEvidence,
  RemediationEvidence,
  TenantEvidence,
} from './model';
import { FindingTimelines } from './timeline';

/** Framework → control ids per rule id, e.g. `{ 'SOC 2': ['CC6.1'] }` (from the rules' compliance metadata). */
export type RuleControls = ReadonlyMap<string, Readonly<Record<string, readonly string[]>>>;

/** One archived run of the tenant, as its stored report shows it. */
export interface ArchivedTenantRun {
  readonly runId: string;
  readonly startedAt: string;
  readonly tenant: TenantReport;
  /** Stored as a run that could not check the tenant (an `error` entry), whatever its report says. */
  readonly couldNotCheck?: boolean;
}

interface ExceptionAggregate {
  readonly record: ExceptionRecord;
  readonly firstListedMs: number;
  lastListedMs: number;
  readonly findingIds: Set<string>;
}

export interface TenantEvidenceOptions {
  readonly tenantId: string;
  readonly startMs: number;
  /** Exclusive end of the period. */
  readonly endMs: number;
  /** When the evidence is generated: expected runs after it are not expected yet. */
  readonly nowMs: number;
  readonly ruleControls: RuleControls;
  readonly schedule?: ExpectedSchedule;
}

export class TenantEvidenceBuilder {
  private readonly timelines = new FindingTimelines();
  private readonly runs: CoverageRun[] = [];
  private readonly exceptions = new Map<string, ExceptionAggregate>();
  private readonly remediations: RemediationEvidence[] = [];
  /** How many checked runs failed exactly this set of rules (key: sorted rule ids joined by a NUL). */
  private readonly failingRuleSets = new Map<string, number>();
  private readonly ruleControls = new Map<string, Readonly<Record<string, readonly string[]>>>();
  private name: string | undefined;
  private lastAtMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: TenantEvidenceOptions) {
    for (const [ruleId, controls] of options.ruleControls) this.ruleControls.set(ruleId, controls);
  }

  /** Adds the next run; runs must come oldest first. */
  addRun(run: ArchivedTenantRun): void {
    const atMs = Date.parse(run.startedAt);
    if (Number.isNaN(atMs)) throw new RangeError(`run ${run.runId}: startedAt is not a date-time`);
    if (atMs < this.lastAtMs) throw new RangeError(`run ${run.runId} was added after a later run`);
    this.lastAtMs = atMs;
    const { tenant } = run;
    this.name = tenant.name ?? tenant.tenantName ?? this.name;
    const checked = tenant.status === 'ok' && run.couldNotCheck !== true;
    this.runs.push({ runId: run.runId, atMs, checked });
    if (!checked) return;

    this.timelines.addCheckedRun(atMs, tenant.findings, tenant.resolved);
    const failingRules = new Set<string>();
    for (const finding of tenant.findings) {
      if (finding.compliance && !this.ruleControls.has(finding.ruleId)) {
        this.ruleControls.set(finding.ruleId, finding.compliance);
      }
      if (finding.status !== 'suppressed') failingRules.add(finding.ruleId);
      if (finding.status === 'suppressed' && finding.exception) {
        this.exception(finding.exception, atMs).findingIds.add(finding.id);
      }
    }
    for (const exception of tenant.exceptions) this.exception(exception, atMs);
    const key = [...failingRules].sort(compareText).join('\u0000');
    this.failingRuleSets.set(key, (this.failingRuleSets.get(key) ?? 0) + 1);
  }

  addRemediation(remediation: RemediationEvidence): void {
    this.remediations.push(remediation);
  }

  finish(chain: { ok: boolean; problems: readonly ChainProblemEvidence[] }): TenantEvidence {
    const { startMs, endMs, nowMs } = this.options;
    const asOfMs = Math.min(endMs, nowMs);
    const { coverage, gaps } = computeCoverage({
      runs: this.runs,
      startMs,
      endMs: asOfMs,
      ...(this.options.schedule ? { schedule: this.options.schedule } : {}),
    });
    const { findings, timeToResolve } = this.timelines.finish(asOfMs);
    return {
      tenantId: this.options.tenantId,
      name: this.name ?? this.options.tenantId,
      runs: this.runs.length,
      runsFailed: this.runs.filter((run) => !run.checked).length,
      expectedRuns: coverage.slots.length,
      gaps,
      coverage,
      chain: { ok: chain.ok, problems: [...chain.problems] },
      findings,
      timeToResolve,
      exceptions: this.exceptionEvidence(endMs),
      remediations: [...this.remediations].sort((a, b) => compareText(a.appliedAt, b.appliedAt)),
      controls: this.controlMatrix(),
    };
  }

  private exception(record: ExceptionRecord, atMs: number): ExceptionAggregate {
    const { expired: _expired, ...plain } = record as ExceptionRecord & { expired?: boolean };
    const key = JSON.stringify([
      plain.rule,
      plain.subject.type,
      plain.subject.id,
      plain.subject.name,
      plain.owner,
      plain.reason,
      plain.ticket,
      plain.expires,
    ]);
    let aggregate = this.exceptions.get(key);
    if (!aggregate) {
      aggregate = { record: plain, firstListedMs: atMs, lastListedMs: atMs, findingIds: new Set() };
      this.exceptions.set(key, aggregate);
    }
    aggregate.lastListedMs = atMs;
    return aggregate;
  }

  /** Oldest first; of those listed from the same run, the one ending first. */
  private exceptionEvidence(endMs: number): ExceptionEvidence[] {
    const ending = (e: ExceptionAggregate) => expiryInstant(e.record)?.getTime() ?? Number.POSITIVE_INFINITY;
    const ordered = [...this.exceptions.values()].sort(
      (a, b) =>
        a.firstListedMs - b.firstListedMs ||
        ending(a) - ending(b) ||
        compareText(a.record.rule, b.record.rule) ||
        compareText(a.record.owner, b.record.owner),
    );
    return ordered.map(({ record, firstListedMs, lastListedMs, findingIds }) => {
      const expiresMs = expiryInstant(record)?.getTime();
      return {
        ...record,
        firstListed: new Date(firstListedMs).toISOString(),
        lastListed: new Date(lastListedMs).toISOString(),
        findingIds: [...findingIds].sort(compareText),
        expired: expiresMs !== undefined && expiresMs <= endMs,
      };
    });
  }

  private controlMatrix(): ControlEvidence[] {
    const controls = new Map<string, { framework: string; control: string; ruleIds: Set<string> }>();
    for (const [ruleId, mapping] of this.ruleControls) {
      for (const [framework, ids] of Object.entries(mapping)) {
        for (const control of ids) {
          const key = `${framework}\u0000${control}`;
          const entry = controls.get(key) ?? { framework, control, ruleIds: new Set<string>() };
          entry.ruleIds.add(ruleId);
          controls.set(key, entry);
        }
      }
    }
    return [...controls.values()]
      .sort((a, b) => compareText(a.framework, b.framework) || compareControl(a.control, b.control))
      .map(({ framework, control, ruleIds }) => {
        let runsFailing = 0;
        let runsPassing = 0;
        for (const [key, runs] of this.failingRuleSets) {
          const failing = key === '' ? [] : key.split('\u0000');
          if (failing.some((ruleId) => ruleIds.has(ruleId))) runsFailing += runs;
          else runsPassing += runs;
        }
        return { framework, control, ruleIds: [...ruleIds].sort(compareText), runsFailing, runsPassing };
      });
  }
}

/** `CC6.2` before `CC6.10`, `A.5.18` before `A.8.2`. */
function compareControl(a: string, b: string): number {
  return CONTROL_ORDER.compare(a, b);
}

const CONTROL_ORDER = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
