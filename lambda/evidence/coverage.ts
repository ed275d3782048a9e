/**
 * Coverage: did the check run every time it should have? Expected run times come from the deployed schedule when it
 * is known (a `rate(…)` expression, or a `cron(…)` expression expanded in its time zone), otherwise from the runs' own cadence (the median time between two runs). Each
 * expected time is then present (a run checked the tenant), failed (runs exist but none could check it) or missing
 * (nothing in the archive); consecutive missing times form a gap.
 */
import { type CronSchedule, cronTimes, parseCron, ScheduleExpressionError } from '../util/cron';
import { MINUTE_MS } from '../util/time';
import type { Coverage, CoverageSlot, Gap } from './model';

export interface CoverageRun {
  readonly runId: string;
  readonly atMs: number;
  /** False when the run could not check the tenant (status error). */
  readonly checked: boolean;
}

/** A schedule the expected times are taken from: a rate (a fixed interval) or a cron expression in a time zone. */
export type ExpectedSchedule = RateSchedule | CronExpectedSchedule;

export interface RateSchedule {
  readonly expression: string;
  readonly intervalMinutes: number;
}

export interface CronExpectedSchedule {
  readonly expression: string;
  /** IANA time zone the cron fields are read in. */
  readonly timeZone: string;
  readonly cron: CronSchedule;
}

/** More expected times than this in one period is a schedule no archive holds; refuse rather than exhaust memory. */
export const MAX_SLOTS = 200_000;

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const MINUTES_PER_UNIT: Record<string, number> = { minute: 1, hour: 60, day: 1440 };

/**
 * An EventBridge Scheduler `rate(…)` expression as an interval; undefined for anything else. (A rate schedule runs
 * from its creation time, which the archive does not record: the expected times are anchored on the first run.)
 */
export function parseRateSchedule(expression: string): RateSchedule | undefined {
  const match = RATE.exec(expression.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = (match[2] as string).replace(/s$/, '');
  if (!Number.isSafeInteger(value) || value < 1) return undefined;
  return { expression: expression.trim(), intervalMinutes: value * (MINUTES_PER_UNIT[unit] as number) };
}

const CRON = /^cron\((.*)\)$/;

/**
 * A schedule as a run recorded it (expression and time zone, UTC when absent); undefined when it is neither a valid
 * rate nor a valid cron expression in a known time zone, so the expected runs fall back to the runs' cadence.
 */
export function parseRecordedSchedule(expression: string, timeZone = 'UTC'): ExpectedSchedule | undefined {
  const trimmed = expression.trim();
  const cron = CRON.exec(trimmed);
  if (!cron) return parseRateSchedule(trimmed);
  try {
    const schedule = { expression: trimmed, timeZone, cron: parseCron(cron[1] as string, trimmed) };
    cronTimes(schedule.cron, timeZone, 0, 1, 1);
    return schedule;
  } catch (error) {
    if (error instanceof ScheduleExpressionError) return undefined;
    throw error;
  }
}

/** Cadences a schedule is usually set to, in minutes: an inferred interval close to one of these is taken as it. */
const USUAL_CADENCES = [5, 10, 15, 30, 60, 120, 180, 240, 360, 480, 720, 1440, 2880, 10080];

/**
 * The runs' cadence in whole minutes: the (upper) median time between consecutive runs, so a missed day or a retry
 * an hour later does not move it, snapped to a usual cadence within 10% (start times jitter by seconds or minutes).
 * Undefined with fewer than two distinct run times.
 */
export function inferIntervalMinutes(sortedRunTimesMs: readonly number[]): number | undefined {
  const intervals: number[] = [];
  for (let i = 1; i < sortedRunTimesMs.length; i++) {
    const interval = (sortedRunTimesMs[i] as number) - (sortedRunTimesMs[i - 1] as number);
    if (interval > 0) intervals.push(interval);
  }
  if (intervals.length === 0) return undefined;
  intervals.sort((a, b) => a - b);
  const minutes = Math.max(1, Math.round((intervals[Math.floor(intervals.length / 2)] as number) / MINUTE_MS));
  const usual = USUAL_CADENCES.find((cadence) => Math.abs(minutes - cadence) <= cadence * 0.1);
  return usual ?? minutes;
}

export interface CoverageInput {
  /** Runs in the period, oldest first. */
  readonly runs: readonly CoverageRun[];
  readonly startMs: number;
  /** Exclusive end: the end of the period, or the generation time when that is earlier. */
  readonly endMs: number;
  readonly schedule?: ExpectedSchedule;
}

export function computeCoverage(input: CoverageInput): { coverage: Coverage; gaps: Gap[] } {
  const { runs, startMs, endMs, schedule } = input;
  if (schedule && 'cron' in schedule) return cronCoverage(runs, startMs, endMs, schedule);
  const intervalMinutes = schedule?.intervalMinutes ?? inferIntervalMinutes(runs.map((r) => r.atMs));
  const basis = input.schedule ? 'schedule' : intervalMinutes === undefined ? 'none' : 'cadence';
  const first = runs[0];
  if (intervalMinutes === undefined || first === undefined) {
    // One run or none, and no schedule: the only expected runs are the ones there; no run at all is one whole gap.
    const slots: CoverageSlot[] = runs.map((run) => slotOf(run.atMs, run.checked ? 'present' : 'failed', run.runId));
    const gaps: Gap[] =
      runs.length === 0 && endMs > startMs ? [{ from: iso(startMs), to: iso(endMs - 1), missed: 1 }] : [];
    return { coverage: { basis, intervalMinutes: intervalMinutes ?? null, slots }, gaps };
  }

  const step = intervalMinutes * MINUTE_MS;
  const anchor = first.atMs;
  const firstIndex = Math.ceil((startMs - anchor) / step);
  const lastIndex = Math.ceil((endMs - anchor) / step) - 1;
  if (lastIndex - firstIndex + 1 > MAX_SLOTS) {
    throw new RangeError(`more than ${MAX_SLOTS} expected runs in the period (one every ${intervalMinutes} minutes)`);
  }
  const byIndex = new Map<number, { checked?: CoverageRun; failed?: CoverageRun }>();
  for (const run of runs) {
    const index = Math.round((run.atMs - anchor) / step);
    const entry = byIndex.get(index) ?? {};
    if (run.checked) entry.checked ??= run;
    else entry.failed ??= run;
    byIndex.set(index, entry);
  }
  const slots: CoverageSlot[] = [];
  for (let index = firstIndex; index <= lastIndex; index++) {
    const entry = byIndex.get(index);
    const at = anchor + index * step;
    if (entry?.checked) slots.push(slotOf(at, 'present', entry.checked.runId));
    else if (entry?.failed) slots.push(slotOf(at, 'failed', entry.failed.runId));
    else slots.push(slotOf(at, 'missing'));
  }
  return {
    coverage: {
      basis,
      intervalMinutes,
      ...(input.schedule ? { schedule: input.schedule.expression } : {}),
      slots,
    },
    gaps: gapsOf(slots),
  };
}

/** Expected times are the cron schedule's run times in the period; each run counts for the nearest of them. */
function cronCoverage(
  runs: readonly CoverageRun[],
  startMs: number,
  endMs: number,
  schedule: CronExpectedSchedule,
): { coverage: Coverage; gaps: Gap[] } {
  const times = cronTimes(schedule.cron, schedule.timeZone, startMs, endMs, MAX_SLOTS);
  const byIndex = new Map<number, { checked?: CoverageRun; failed?: CoverageRun }>();
  for (const run of runs) {
    const index = nearestIndex(times, run.atMs);
    if (index === undefined) continue;
    const entry = byIndex.get(index) ?? {};
    if (run.checked) entry.checked ??= run;
    else entry.failed ??= run;
    byIndex.set(index, entry);
  }
  const slots = times.map((at, index): CoverageSlot => {
    const entry = byIndex.get(index);
    if (entry?.checked) return slotOf(at, 'present', entry.checked.runId);
    if (entry?.failed) return slotOf(at, 'failed', entry.failed.runId);
    return slotOf(at, 'missing');
  });
  let longestMs = 0;
  for (let i = 1; i < times.length; i++)
    longestMs = Math.max(longestMs, (times[i] as number) - (times[i - 1] as number));
  const coverage: Coverage = {
    basis: 'schedule',
    // The longest time between two expected runs (a cron schedule need not be evenly spaced).
    intervalMinutes: longestMs > 0 ? Math.round(longestMs / MINUTE_MS) : null,
    schedule: schedule.timeZone === 'UTC' ? schedule.expression : `${schedule.expression} ${schedule.timeZone}`,
    slots,
  };
  return { coverage, gaps: gapsOf(slots) };
}

/** The index of the time nearest to `atMs` in ascending `times` (the earlier on a tie); undefined when empty. */
function nearestIndex(times: readonly number[], atMs: number): number | undefined {
  if (times.length === 0) return undefined;
  let low = 0;
  let high = times.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((times[middle] as number) < atMs) low = middle + 1;
    else high = middle;
  }
  if (low > 0 && atMs - (times[low - 1] as number) <= (times[low] as number) - atMs) return low - 1;
  return low;
}

function gapsOf(slots: readonly CoverageSlot[]): Gap[] {
  const gaps: Gap[] = [];
  let open: { from: string; to: string; missed: number } | undefined;
  for (const slot of slots) {
    if (slot.state === 'missing') {
      if (open) {
        open.to = slot.at;
        open.missed += 1;
      } else {
        open = { from: slot.at, to: slot.at, missed: 1 };
      }
    } else if (open) {
      gaps.push(open);
      open = undefined;
    }
  }
  if (open) gaps.push(open);
  return gaps;
}

function slotOf(atMs: number, state: CoverageSlot['state'], runId?: string): CoverageSlot {
  return { at: iso(atMs), state, ...(runId !== undefined ? { runId } : {}) };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
