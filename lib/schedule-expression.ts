/**
 * EventBridge Scheduler expressions as the deploy config accepts them: a recurring `cron(...)` or `rate(...)`.
 *
 * Parsed at synth for two reasons: a typo must fail `cdk synth` with a clear message instead of failing the
 * deployment twenty minutes later, and the heartbeat alarm needs the longest gap between two runs.
 */

import { DAY_MS } from '../lambda/util/time';

export class ScheduleExpressionError extends Error {
  override readonly name = 'ScheduleExpressionError';
  constructor(readonly expected: string) {
    super(expected);
  }
}

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
  if (cron) return parseCron(expression, cron[1] as string);
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

/** `L`, `W` and `#` select days relative to a month; they never run more often than monthly-ish. */
const DAY_OF_MONTH_SPECIAL = /^(L|LW|L-\d{1,2}|\d{1,2}W)$/;
const DAY_OF_WEEK_SPECIAL = /^([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5])$/;

function parseCron(expression: string, body: string): ParsedSchedule {
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
  const minuteSet = expandField(minutes, MINUTE);
  const hourSet = expandField(hours, HOUR);
  const monthSet = expandField(month, MONTH);
  let monthRelative = false;
  let domSet: Set<number> | undefined;
  let dowSet: Set<number> | undefined;
  if (dayOfMonth !== '?') {
    if (DAY_OF_MONTH_SPECIAL.test(dayOfMonth)) monthRelative = true;
    else domSet = expandField(dayOfMonth, DAY_OF_MONTH);
  }
  if (dayOfWeek !== '?') {
    if (DAY_OF_WEEK_SPECIAL.test(dayOfWeek.toUpperCase())) monthRelative = true;
    else dowSet = expandField(dayOfWeek, DAY_OF_WEEK);
  }
  const maxIntervalMinutes = monthRelative
    ? // Last day, nearest weekday or n-th weekday of a month: at least 28 days apart; exact value is not needed.
      28 * 1440
    : longestGapMinutes(minuteSet, hourSet, monthSet, domSet, dowSet, expression);
  return { kind: 'cron', expression, maxIntervalMinutes };
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

/** Walks two calendar years (one of them a leap year) day by day and keeps the longest gap between two runs. */
function longestGapMinutes(
  minutes: Set<number>,
  hours: Set<number>,
  months: Set<number>,
  daysOfMonth: Set<number> | undefined,
  daysOfWeek: Set<number> | undefined,
  expression: string,
): number {
  const minutesOfDay = [...hours]
    .sort((a, b) => a - b)
    .flatMap((h) => [...minutes].sort((a, b) => a - b).map((m) => h * 60 + m));
  const start = Date.UTC(2027, 0, 1);
  const days = 731;
  let previous: number | undefined;
  let longest = 0;
  for (let d = 0; d < days; d++) {
    const date = new Date(start + d * DAY_MS);
    if (!months.has(date.getUTCMonth() + 1)) continue;
    if (daysOfMonth && !daysOfMonth.has(date.getUTCDate())) continue;
    if (daysOfWeek && !daysOfWeek.has(date.getUTCDay() + 1)) continue;
    for (const minuteOfDay of minutesOfDay) {
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
