/**
 * Finding timelines over a period, built run by run in time order with one small record per finding (never the runs
 * themselves), so memory grows with the number of distinct findings, not with the length of the period.
 *
 * A finding is open from the run that first saw it (or the first-seen time its report recorded, when it was already
 * open before the period) until the first run that checked the tenant and no longer saw it. A run that could not
 * check the tenant changes nothing: absence there is not evidence of a fix.
 */
import type { Finding, Severity, Subject } from '../report/model';
import { SEVERITIES } from '../report/model';
import { compareText } from '../util/text';
import { DAY_MS } from '../util/time';
import type { FindingTimeline, ResolutionStats } from './model';

interface Tracked {
  readonly id: string;
  ruleId: string;
  severity: Severity;
  subject: Subject;
  readonly firstSeenMs: number;
  lastSeenMs: number;
  /** Start of the current open stretch; undefined while resolved. */
  openSinceMs: number | undefined;
  resolvedAtMs: number | undefined;
  openMs: number;
  suppressed: boolean;
  reopened: number;
  runsSeen: number;
}

export interface Resolution {
  readonly severity: Severity;
  readonly days: number;
}

export class FindingTimelines {
  private readonly tracked = new Map<string, Tracked>();
  private readonly resolutions: Resolution[] = [];

  /** A run that checked the tenant: `findings` are what it saw (failing or suppressed), `resolved` what it saw go. */
  addCheckedRun(atMs: number, findings: readonly Finding[], resolved: readonly Finding[]): void {
    const seen = new Set<string>();
    for (const finding of findings) {
      seen.add(finding.id);
      const entry = this.tracked.get(finding.id);
      if (!entry) {
        const recorded = finding.drift === 'ongoing' ? timeOf(finding.firstSeen) : undefined;
        const start = recorded !== undefined && recorded < atMs ? recorded : atMs;
        this.tracked.set(finding.id, {
          id: finding.id,
          ruleId: finding.ruleId,
          severity: finding.severity,
          subject: finding.subject,
          firstSeenMs: start,
          lastSeenMs: atMs,
          openSinceMs: start,
          resolvedAtMs: undefined,
          openMs: 0,
          suppressed: finding.status === 'suppressed',
          reopened: 0,
          runsSeen: 1,
        });
        continue;
      }
      if (entry.openSinceMs === undefined) {
        entry.openSinceMs = atMs;
        entry.resolvedAtMs = undefined;
        entry.reopened += 1;
      }
      entry.ruleId = finding.ruleId;
      entry.severity = finding.severity;
      entry.subject = finding.subject;
      entry.lastSeenMs = atMs;
      entry.suppressed = finding.status === 'suppressed';
      entry.runsSeen += 1;
    }
    for (const entry of this.tracked.values()) {
      if (entry.openSinceMs !== undefined && !seen.has(entry.id)) this.resolve(entry, atMs);
    }
    // Resolved at this run but never seen open in the period: it was open before the period started.
    for (const finding of resolved) {
      if (this.tracked.has(finding.id) || seen.has(finding.id)) continue;
      const firstSeen = timeOf(finding.firstSeen) ?? atMs;
      const entry: Tracked = {
        id: finding.id,
        ruleId: finding.ruleId,
        severity: finding.severity,
        subject: finding.subject,
        firstSeenMs: Math.min(firstSeen, atMs),
        lastSeenMs: Math.min(timeOf(finding.lastSeen) ?? firstSeen, atMs),
        openSinceMs: Math.min(firstSeen, atMs),
        resolvedAtMs: undefined,
        openMs: 0,
        suppressed: false,
        reopened: 0,
        runsSeen: 0,
      };
      this.tracked.set(finding.id, entry);
      this.resolve(entry, atMs);
    }
  }

  /** The timelines as of `endMs` (the end of the period, or now when that is earlier), oldest first. */
  finish(endMs: number): { findings: FindingTimeline[]; timeToResolve: Record<Severity, ResolutionStats> } {
    const findings = [...this.tracked.values()]
      .map((entry): FindingTimeline => {
        const open = entry.openSinceMs !== undefined;
        const openMs = entry.openMs + (open ? Math.max(0, endMs - (entry.openSinceMs as number)) : 0);
        return {
          id: entry.id,
          ruleId: entry.ruleId,
          severity: entry.severity,
          subject: { type: entry.subject.type, id: entry.subject.id, name: entry.subject.name },
          firstSeen: iso(entry.firstSeenMs),
          lastSeen: iso(entry.lastSeenMs),
          resolvedAt: open || entry.resolvedAtMs === undefined ? null : iso(entry.resolvedAtMs),
          openDays: roundDays(openMs),
          status: open ? (entry.suppressed ? 'accepted' : 'open') : 'resolved',
          reopened: entry.reopened,
          runsSeen: entry.runsSeen,
        };
      })
      .sort((a, b) => compareText(a.firstSeen, b.firstSeen) || compareText(a.id, b.id));
    return { findings, timeToResolve: timeToResolve(this.resolutions) };
  }

  private resolve(entry: Tracked, atMs: number): void {
    const since = entry.openSinceMs as number;
    entry.openMs += atMs - since;
    entry.openSinceMs = undefined;
    entry.resolvedAtMs = atMs;
    this.resolutions.push({ severity: entry.severity, days: (atMs - since) / DAY_MS });
  }
}

/** Count, median and maximum days from open to resolved, per severity, over every resolution in the period. */
export function timeToResolve(resolutions: readonly Resolution[]): Record<Severity, ResolutionStats> {
  const stats = {} as Record<Severity, ResolutionStats>;
  for (const severity of SEVERITIES) {
    const daysList = resolutions
      .filter((r) => r.severity === severity)
      .map((r) => r.days)
      .sort((a, b) => a - b);
    stats[severity] = {
      resolved: daysList.length,
      medianDays: daysList.length === 0 ? null : roundDays(median(daysList) * DAY_MS),
      maxDays: daysList.length === 0 ? null : roundDays((daysList.at(-1) as number) * DAY_MS),
    };
  }
  return stats;
}

function median(sorted: readonly number[]): number {
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Days to two decimals (about a quarter of an hour): enough for an audit, stable in tests. */
export function roundDays(ms: number): number {
  return Math.round((ms / DAY_MS) * 100) / 100;
}

function timeOf(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
