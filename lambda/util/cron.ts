/**
 * EventBridge Scheduler `cron(minutes hours day-of-month month day-of-week year)` expressions: parsed once here for
 * the deploy config (lib/schedule-expression.ts) and for the evidence's expected run times (docs/evidence.md).
 *
 * Run times are wall-clock times in the schedule's IANA time zone (UTC by default), resolved with Intl. As EventBridge
 * Scheduler does on a daylight-saving change, a local time that does not exist (spring forward) is skipped and a local
 * time that occurs twice (fall back) runs once, at its first occurrence.
 */
import { DAY_MS, MINUTE_MS } from './time';

export class ScheduleExpressionError extends Error {
  override readonly name = 'ScheduleExpressionError';
  constructor(readonly expected: string) {
    super(expected);
  }
}

/** A day selected relative to its month: `L`, `L-3`, `LW`, `15W` (day-of-month), `6L`, `2#1` (day-of-week). */
export type MonthRelativeDay =
  | { readonly kind: 'last-day'; readonly offset: number }
  | { readonly kind: 'last-weekday' }
  | { readonly kind: 'nearest-weekday'; readonly day: number }
  | { readonly kind: 'last-of-week-day'; readonly weekDay: number }
  | { readonly kind: 'nth-week-day'; readonly weekDay: number; readonly nth: number };

export interface CronSchedule {
  /** Minutes of the day the schedule runs at on a matching day, ascending. */
  readonly minutesOfDay: readonly number[];
  readonly months: ReadonlySet<number>;
  /** Days of the month (1-31); undefined when `?` or month-relative. */
  readonly daysOfMonth?: ReadonlySet<number>;
  /** Days of the week, 1 = Sunday … 7 = Saturday; undefined when `?` or month-relative. */
  readonly daysOfWeek?: ReadonlySet<number>;
  readonly monthRelative?: MonthRelativeDay;
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const MINUTE: FieldSpec = { name: 'minutes', min: 0, max: 59 };
const HOUR: FieldSpec = { name: 'hours', min: 0, max: 23 };
const DAY_OF_MONTH: FieldSpec = { name: 'day-of-month', min: 1, max: 31 };
const MONTH: FieldSpec = {
  name: 'month',
  min: 1,
  max: 12,
  names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
};
const DAY_OF_WEEK: FieldSpec = {
  name: 'day-of-week',
  min: 1,
  max: 7,
  names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
};

const DAY_OF_MONTH_SPECIAL = /^(?:(L)(?:-(\d{1,2}))?|(LW)|(\d{1,2})W)$/;
const DAY_OF_WEEK_SPECIAL = /^([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(?:(L)|#([1-5]))$/;

/** Parses the body of `cron(…)` (the six fields); `expression` names the whole expression in errors. */
export function parseCron(body: string, expression: string): CronSchedule {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new ScheduleExpressionError(
      `six cron fields (minutes hours day-of-month month day-of-week year), got ${fields.length} in "${expression}"`,
    );
  }
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    throw new ScheduleExpressionError(
      `"?" in exactly one of day-of-month and day-of-week (e.g. "cron(0 6 * * ? *)" or "cron(0 6 ? * MON *)"), in "${expression}"`,
    );
  }
  if (year !== '*') {
    throw new ScheduleExpressionError(`"*" as the year field: a recurring check has no end year, in "${expression}"`);
  }
  const minuteList = sorted(expandField(minutes, MINUTE));
  const minutesOfDay = sorted(expandField(hours, HOUR)).flatMap((h) => minuteList.map((m) => h * 60 + m));
  const schedule: { -readonly [K in keyof CronSchedule]: CronSchedule[K] } = {
    minutesOfDay,
    months: expandField(month, MONTH),
  };
  if (dayOfMonth !== '?') {
    const special = DAY_OF_MONTH_SPECIAL.exec(dayOfMonth.toUpperCase());
    if (special) schedule.monthRelative = dayOfMonthRelative(special, dayOfMonth);
    else schedule.daysOfMonth = expandField(dayOfMonth, DAY_OF_MONTH);
  }
  if (dayOfWeek !== '?') {
    const special = DAY_OF_WEEK_SPECIAL.exec(dayOfWeek.toUpperCase());
    if (special) {
      const weekDay = fieldValue(special[1] as string, DAY_OF_WEEK, dayOfWeek);
      schedule.monthRelative = special[2]
        ? { kind: 'last-of-week-day', weekDay }
        : { kind: 'nth-week-day', weekDay, nth: Number(special[3]) };
    } else {
      schedule.daysOfWeek = expandField(dayOfWeek, DAY_OF_WEEK);
    }
  }
  return schedule;
}

function dayOfMonthRelative(match: RegExpExecArray, field: string): MonthRelativeDay {
  if (match[1]) {
    const offset = match[2] === undefined ? 0 : Number(match[2]);
    if (offset > 30) throw invalidField(field, DAY_OF_MONTH);
    return { kind: 'last-day', offset };
  }
  if (match[3]) return { kind: 'last-weekday' };
  return { kind: 'nearest-weekday', day: fieldValue(match[4] as string, DAY_OF_MONTH, field) };
}

function sorted(values: ReadonlySet<number>): number[] {
  return [...values].sort((a, b) => a - b);
}

function expandField(field: string, spec: FieldSpec): Set<number> {
  const values = new Set<number>();
  for (const item of field.split(',')) {
    const match = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(item);
    if (!match) throw invalidField(field, spec);
    const [, range, stepText] = match as unknown as [string, string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) throw invalidField(field, spec);
    let from = spec.min;
    let to = spec.max;
    if (range !== '*') {
      const [start, end] = range.split('-') as [string, string | undefined];
      from = fieldValue(start, spec, field);
      to = end === undefined ? (stepText === undefined ? from : spec.max) : fieldValue(end, spec, field);
      if (to < from) throw invalidField(field, spec);
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

function fieldValue(text: string, spec: FieldSpec, field: string): number {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  const value = named >= 0 ? named + spec.min : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= spec.min && value <= spec.max)) throw invalidField(field, spec);
  return value;
}

function invalidField(field: string, spec: FieldSpec): ScheduleExpressionError {
  const names = spec.names ? ` or ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : '';
  return new ScheduleExpressionError(
    `cron ${spec.name} field "${field}": values ${spec.min}-${spec.max}${names}, with "*", "," "-" and "/"`,
  );
}

/** Whether the schedule runs on a calendar day (year, month 1-12, day 1-31; the weekday is derived in UTC). */
export function cronMatchesDay(schedule: CronSchedule, year: number, month: number, day: number): boolean {
  if (!schedule.months.has(month)) return false;
  const weekDay = new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
  if (schedule.daysOfMonth && !schedule.daysOfMonth.has(day)) return false;
  if (schedule.daysOfWeek && !schedule.daysOfWeek.has(weekDay)) return false;
  const relative = schedule.monthRelative;
  if (!relative) return true;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  switch (relative.kind) {
    case 'last-day':
      return day === Math.max(1, lastDay - relative.offset);
    case 'last-weekday':
      return day === nearestWeekday(year, month, lastDay, lastDay);
    case 'nearest-weekday':
      return relative.day <= lastDay && day === nearestWeekday(year, month, relative.day, lastDay);
    case 'last-of-week-day':
      return weekDay === relative.weekDay && day + 7 > lastDay;
    case 'nth-week-day':
      return weekDay === relative.weekDay && Math.ceil(day / 7) === relative.nth;
  }
}

/** The weekday nearest to `day` within its month (a Saturday moves to Friday, a Sunday to Monday, never across months). */
function nearestWeekday(year: number, month: number, day: number, lastDay: number): number {
  const weekDay = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  if (weekDay === 6) return day === 1 ? 3 : day - 1;
  if (weekDay === 0) return day === lastDay ? day - 2 : day + 1;
  return day;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws a ScheduleExpressionError for a time zone Intl does not know. */
export function checkTimeZone(timeZone: string): void {
  wallClockFormatter(timeZone);
}

function wallClockFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
      });
    } catch (cause) {
      throw Object.assign(
        new ScheduleExpressionError(`an IANA time zone such as "Europe/Berlin" (got ${JSON.stringify(timeZone)})`),
        { cause },
      );
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall-clock time at an instant in a time zone, as if it were UTC (epoch ms, whole minutes). */
function wallClockMs(atMs: number, formatter: Intl.DateTimeFormat): number {
  const parts: Record<string, number> = {};
  for (const part of formatter.formatToParts(atMs)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return Date.UTC(
    parts.year as number,
    (parts.month as number) - 1,
    parts.day as number,
    parts.hour as number,
    parts.minute as number,
  );
}

/**
 * The instant a local wall-clock time (given as if it were UTC) occurs in the time zone, the first one when it
 * occurs twice; undefined when the clocks skip it.
 */
function instantOf(wallMs: number, formatter: Intl.DateTimeFormat): number | undefined {
  // Offsets are at most ±14 hours: try the offsets in force half a day either side, earliest instant first.
  const offsets = new Set(
    [wallMs - 14 * 60 * MINUTE_MS, wallMs + 14 * 60 * MINUTE_MS].map((t) => wallClockMs(t, formatter) - t),
  );
  const candidates = [...offsets].map((offset) => wallMs - offset).sort((a, b) => a - b);
  return candidates.find((instant) => wallClockMs(instant, formatter) === wallMs);
}

/**
 * The instants in [startMs, endMs) the schedule runs at in the time zone, ascending. Throws a RangeError past
 * `limit` instants, so a minutely schedule over years cannot exhaust memory.
 */
export function cronTimes(
  schedule: CronSchedule,
  timeZone: string,
  startMs: number,
  endMs: number,
  limit: number,
): number[] {
  const formatter = wallClockFormatter(timeZone);
  const times: number[] = [];
  // Walk local calendar days from the day before the start to the day after the end (offsets are under a day).
  const firstDay = Math.floor(wallClockMs(startMs, formatter) / DAY_MS) * DAY_MS - DAY_MS;
  const lastDay = Math.floor(wallClockMs(endMs, formatter) / DAY_MS) * DAY_MS + DAY_MS;
  for (let dayMs = firstDay; dayMs <= lastDay; dayMs += DAY_MS) {
    const date = new Date(dayMs);
    if (!cronMatchesDay(schedule, date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate())) continue;
    for (const minuteOfDay of schedule.minutesOfDay) {
      const instant = instantOf(dayMs + minuteOfDay * MINUTE_MS, formatter);
      if (instant === undefined || instant < startMs || instant >= endMs) continue;
      if (times.length >= limit) throw new RangeError(`more than ${limit} scheduled runs in the period`);
      times.push(instant);
    }
  }
  return times;
}
