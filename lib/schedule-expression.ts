/**
 * EventBridge Scheduler expressions as the deploy config accepts them: a recurring `cron(...)` or `rate(...)`.
 *
 * Parsed at synth for two reasons: a typo must fail `cdk synth` with a clear message instead of failing the
 * deployment twenty minutes later, and the heartbeat alarm needs the longest gap between two runs.
 */

import { type CronSchedule, cronMatchesDay, parseCron, ScheduleExpressionError } from '../lambda/util/cron';
import { DAY_MS } from '../lambda/util/time';

export { ScheduleExpressionError };

export interface ParsedSchedule {
  readonly kind: 'cron' | 'rate';
  /** The expression exactly as EventBridge Scheduler takes it. */
  readonly expression: string;
  /**
   * The longest gap between two consecutive runs, in minutes (cron: computed in UTC over two calendar years, so a
   * daylight-saving shift can add up to an hour; callers add a margin).
   */
  readonly maxIntervalMinutes: number;
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((.*)\)$/;
const MINUTES_PER_UNIT: Record<string, number> = { minute: 1, hour: 60, day: 1440 };

export function parseScheduleExpression(text: string): ParsedSchedule {
  const expression = text.trim();
  const rate = RATE.exec(expression);
  if (rate) return parseRate(expression, Number(rate[1]), rate[2] as string);
  const cron = CRON.exec(expression);
  if (cron) {
    const schedule = parseCron(cron[1] as string, expression);
    return { kind: 'cron', expression, maxIntervalMinutes: longestGapMinutes(schedule, expression) };
  }
  throw new ScheduleExpressionError(
    'a recurring schedule: cron(minutes hours day-of-month month day-of-week year), e.g. "cron(0 6 * * ? *)", ' +
      'or rate(value unit), e.g. "rate(1 day)"',
  );
}

function parseRate(expression: string, value: number, unit: string): ParsedSchedule {
  if (!Number.isSafeInteger(value) || value < 1) throw new ScheduleExpressionError('a rate value of at least 1');
  const singular = unit.replace(/s$/, '');
  // Scheduler rejects "rate(1 days)" and "rate(2 day)"; say so here rather than at deploy time.
  if ((value === 1) !== (unit === singular)) {
    throw new ScheduleExpressionError(
      `"rate(${value} ${value === 1 ? singular : `${singular}s`})": the unit is singular for 1 and plural otherwise`,
    );
  }
  return { kind: 'rate', expression, maxIntervalMinutes: value * (MINUTES_PER_UNIT[singular] as number) };
}

/** Walks two calendar years (one of them a leap year) day by day in UTC and keeps the longest gap between two runs. */
function longestGapMinutes(schedule: CronSchedule, expression: string): number {
  const start = Date.UTC(2027, 0, 1);
  const days = 731;
  let previous: number | undefined;
  let longest = 0;
  for (let d = 0; d < days; d++) {
    const date = new Date(start + d * DAY_MS);
    if (!cronMatchesDay(schedule, date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate())) continue;
    for (const minuteOfDay of schedule.minutesOfDay) {
      const at = d * 1440 + minuteOfDay;
      if (previous !== undefined) longest = Math.max(longest, at - previous);
      previous = at;
    }
  }
  if (longest === 0) {
    throw new ScheduleExpressionError(`a schedule that runs at least twice a year, in "${expression}"`);
  }
  return longest;
}
